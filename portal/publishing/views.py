"""The agency's appeals and the workflow of one appeal: publish, withdraw, identify."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.models import Case, CaseStatus, User
from portal.publishing import blueprint
from portal.security import parse_id
from portal.services import publishing
from portal.services.publishing import Identification, PublishingError


def revisions_open(case: Case) -> object:
    from portal.services import revisions

    return revisions.open_revision(case)


HISTORY_LABELS = {
    "case.publish": "Published",
    "case.withdraw": "Withdrawn",
    "case.identify": "Marked identified",
    "case.revision": "Saved a revision",
    "case.update": "Published changes",
    "case.submit": "Sent for approval",
    "case.approve": "Approved",
    "case.send_back": "Sent back for changes",
    "records.export": "Downloaded as a records file",
}


def current_publisher() -> User:
    user: User = current_user._get_current_object()
    return user


def case_or_404(public_id: str) -> Case:
    found = publishing.managed_case(current_publisher(), public_id)
    if found is None:
        # Another agency's case is answered like a case that does not exist.
        abort(404)
    return found


@blueprint.get("/")
def cases() -> ResponseReturnValue:
    status = request.args.get("status", "")
    text = request.args.get("q", "")
    listing = publishing.list_cases(
        current_publisher(), status=status, text=text, page=parse_id(request.args.get("page")) or 1
    )
    return render_template(
        "publishing/cases.html",
        listing=listing,
        status=status if status in listing.counts else "",
        text=text[:100],
        labels=publishing.STATUS_LABELS,
        awaiting=_awaiting(),
    )


def _awaiting() -> list[Any]:
    from portal.services import revisions

    return list(revisions.awaiting_approval(current_publisher()))


def _render_case(case: Case, status: int = 200) -> Response:
    return make_response(
        render_template(
            "publishing/case.html",
            case=case,
            labels=publishing.STATUS_LABELS,
            allowed=publishing.TRANSITIONS[case.status],
            history=publishing.history(case),
            pending=revisions_open(case),
            history_labels=HISTORY_LABELS,
        ),
        status,
    )


@blueprint.get("/cases/<public_id>")
def case(public_id: str) -> ResponseReturnValue:
    return _render_case(case_or_404(public_id))


@blueprint.post("/cases/<public_id>/publish")
def publish(public_id: str) -> ResponseReturnValue:
    found = case_or_404(public_id)
    from portal.services import revisions

    try:
        if found.status is CaseStatus.DRAFT or found.agency.requires_approval:
            # Going live goes through a revision, so that four eyes apply to it.
            outcome = revisions.publish_case(current_publisher(), found)
        else:
            publishing.publish(current_publisher(), found)
            outcome = "published"
    except (PublishingError, revisions.RevisionError) as exc:
        flash(str(exc), "error")
        return _render_case(found, 400)
    if outcome == "awaiting_approval":
        flash(
            f"{found.record_id} is waiting for another publisher of your agency to approve it.",
            "success",
        )
    else:
        flash(f"{found.record_id} is published: the public can see it and send tips.", "success")
    return redirect(url_for("publishing.case", public_id=found.public_id))


@blueprint.post("/cases/<public_id>/withdraw")
def withdraw(public_id: str) -> ResponseReturnValue:
    found = case_or_404(public_id)
    try:
        publishing.withdraw(current_publisher(), found)
    except PublishingError as exc:
        flash(str(exc), "error")
        return _render_case(found, 400)
    flash(
        f"{found.record_id} is withdrawn: it is no longer public. Its tips stay in the queue.",
        "success",
    )
    return redirect(url_for("publishing.case", public_id=found.public_id))


@blueprint.route("/cases/<public_id>/identified", methods=["GET", "POST"])
def identify(public_id: str) -> ResponseReturnValue:
    found = case_or_404(public_id)
    if request.method == "GET":
        form = Identification(name=found.name or "")
        return _render_identify(found, form, {})
    form = Identification(
        name=request.form.get("name", ""),
        day=request.form.get("identified-day", ""),
        month=request.form.get("identified-month", ""),
        year=request.form.get("identified-year", ""),
        statement=request.form.get("statement", ""),
        family_agreed=request.form.get("family_agreed") == "yes",
    )
    try:
        errors = publishing.identify(current_publisher(), found, form, datetime.now(UTC).date())
    except PublishingError as exc:
        flash(str(exc), "error")
        return _render_case(found, 400)
    if errors:
        return _render_identify(found, form, errors, 400)
    flash(
        f"{found.record_id} is marked identified. The appeal now shows the statement and takes "
        "no more tips; the tips already sent stay in the queue.",
        "success",
    )
    return redirect(url_for("publishing.case", public_id=found.public_id))


def _render_identify(
    case: Case, form: Identification, errors: dict[str, str], status: int = 200
) -> Response:
    if CaseStatus.IDENTIFIED not in publishing.TRANSITIONS[case.status]:
        flash(
            f"Only a published appeal can be marked identified; {case.record_id} is not.", "error"
        )
        return _render_case(case, 400)
    return make_response(
        render_template("publishing/identify.html", case=case, form=form, errors=errors), status
    )


def _zip_download(data: bytes, name: str) -> Response:
    response = make_response(data)
    response.headers["Content-Type"] = "application/zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@blueprint.get("/cases/<public_id>/export")
def export_case(public_id: str) -> ResponseReturnValue:
    found = case_or_404(public_id)
    data, _ = publishing.export_cases(current_publisher(), [found])
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in found.record_id)
    return _zip_download(data, f"{safe}-{stamp}.zip")


@blueprint.get("/export")
def export_all() -> ResponseReturnValue:
    user = current_publisher()
    data, _ = publishing.export_cases(user, publishing.all_managed_cases(user))
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    scope = (
        user.agency.code if user.agency is not None and user.role.value == "publisher" else "all"
    )
    return _zip_download(data, f"records-{scope}-{stamp}.zip")
