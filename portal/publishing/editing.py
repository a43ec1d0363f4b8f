"""The appeal editor: create and edit, preview, publish or approve, revisions and their diff."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from portal import media
from portal.models import Agency, Case, CaseRevision, CaseStatus, RevisionState
from portal.publishing import blueprint, editor
from portal.publishing.views import case_or_404, current_publisher
from portal.records.schema import RECORD_ID_PATTERN
from portal.services import revisions
from portal.services.revisions import RevisionError, Upload

STATE_LABELS = {
    RevisionState.DRAFT: "Draft, not live",
    RevisionState.AWAITING_APPROVAL: "Waiting for a second publisher",
    RevisionState.PUBLISHED: "Published",
    RevisionState.SUPERSEDED: "Replaced by a later revision",
}


def _uploads() -> list[Upload]:
    found: list[Upload] = []
    for row in range(3):
        picked = request.files.get(f"new_image-{row}-upload")
        if picked is None or not picked.filename:
            continue
        data = picked.read()
        if data:
            found.append(Upload(row=row, filename=picked.filename, data=data))
    return found


def _images(case: Case | None, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The existing images for the editor, each with a staff-only thumbnail."""
    if case is None:
        return []
    pending = revisions.open_revision(case)
    staged = pending.staged_images if pending is not None else {}
    stored = {image.source_name: image.token for image in case.images}
    shown: list[dict[str, Any]] = []
    for image in record.get("images", []):
        file = image["file"]
        token = stored.get(file)
        if token is None and file in staged:
            token = str(staged[file]["prefix"]).rsplit("/", 1)[-1]
        thumbnail = (
            url_for("publishing.preview_media", public_id=case.public_id, token=token, width=320)
            if token
            else None
        )
        shown.append({**image, "thumbnail_url": thumbnail})
    return shown


def _render_editor(
    case: Case | None,
    form: editor.EditorForm,
    errors: dict[str, str],
    *,
    agency: Agency,
    record_id: str,
    record: dict[str, Any],
    status: int = 200,
) -> Response:
    action_url = (
        url_for("publishing.edit", public_id=case.public_id)
        if case is not None
        else url_for("publishing.new")
    )
    html = render_template(
        "publishing/edit.html",
        case=case,
        form=form,
        errors=errors,
        images=_images(case, record),
        agency=agency,
        record_id=record_id,
        action_url=action_url,
    )
    return make_response(html, status)


def _editor_post(case: Case | None, agency: Agency) -> ResponseReturnValue:
    action = request.form.get("action", "save")
    record_id = case.record_id if case is not None else request.form.get("record_id", "").strip()
    record = revisions.editable_record(case) if case is not None else {}
    if action.startswith(("add:", "remove:")):
        form = editor.apply_action(request.form, action)
        return _render_editor(case, form, {}, agency=agency, record_id=record_id, record=record)
    errors: dict[str, str] = {}
    if case is None and not _valid_record_id(record_id):
        errors["record_id"] = (
            "Enter your reference for this appeal: 3 to 64 letters, digits, dots, dashes, "
            "underscores or slashes."
        )
    uploads = _uploads()
    result = (
        revisions.save(
            current_publisher(), case, request.form, uploads, agency=agency, record_id=record_id
        )
        if not errors
        else None
    )
    if result is None or result.errors or result.case is None or result.revision is None:
        errors = {**errors, **(result.errors if result is not None else {})}
        if uploads:
            errors.setdefault(
                "_general",
                "Pick the image files again: a browser cannot keep them on a page with errors.",
            )
        form = editor.form_from_values(request.form)
        return _render_editor(
            case, form, errors, agency=agency, record_id=record_id, record=record, status=400
        )
    saved = result.case
    if action == "preview":
        return redirect(
            url_for("publishing.preview", public_id=saved.public_id, number=result.revision.number)
        )
    flash(
        "Draft saved. Nobody outside the portal sees it until it is published."
        if saved.status is CaseStatus.DRAFT
        else "Changes saved as a draft. The public page is unchanged until you publish them.",
        "success",
    )
    return redirect(url_for("publishing.case", public_id=saved.public_id))


def _valid_record_id(value: str) -> bool:
    return bool(re.fullmatch(RECORD_ID_PATTERN, value))


def _own_agency() -> Agency:
    user = current_publisher()
    if user.agency is None:
        # Admins manage every agency's appeals but write none: an appeal belongs to a police
        # agency, and its publishers answer for it.
        abort(403)
    return user.agency


@blueprint.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    agency = _own_agency()
    if request.method == "GET":
        return _render_editor(
            None, editor.form_from_record({}), {}, agency=agency, record_id="", record={}
        )
    return _editor_post(None, agency)


@blueprint.route("/cases/<public_id>/edit", methods=["GET", "POST"])
def edit(public_id: str) -> ResponseReturnValue:
    found = case_or_404(public_id)
    if found.status is CaseStatus.IDENTIFIED:
        flash("An identified appeal is final: it cannot be edited here.", "error")
        return redirect(url_for("publishing.case", public_id=found.public_id))
    if request.method == "GET":
        record = revisions.editable_record(found)
        return _render_editor(
            found,
            editor.form_from_record(record),
            {},
            agency=found.agency,
            record_id=found.record_id,
            record=record,
        )
    return _editor_post(found, found.agency)


def _revision_or_404(case: Case, number: int) -> CaseRevision:
    found = revisions.revision(case, number)
    if found is None:
        abort(404)
    return found


@blueprint.get("/cases/<public_id>/revisions/<int:number>/preview")
def preview(public_id: str, number: int) -> ResponseReturnValue:
    found = case_or_404(public_id)
    revision = _revision_or_404(found, number)
    status = CaseStatus.PUBLISHED if found.status is CaseStatus.DRAFT else None
    try:
        shown = revisions.preview(found, revision, status)
    except RevisionError as exc:
        flash(str(exc), "error")
        return redirect(url_for("publishing.edit", public_id=found.public_id))
    # The preview's images come from the staff-only route: the public one serves only what
    # is already published.
    g.preview_case = found.public_id
    user = current_publisher()
    return render_template(
        "publishing/preview.html",
        case=shown.public,
        managed=found,
        revision=revision,
        withheld=shown.withheld,
        labels=STATE_LABELS,
        can_approve=revision.state is RevisionState.AWAITING_APPROVAL
        and revision.created_by_id != user.id,
    )


@blueprint.post("/cases/<public_id>/revisions/<int:number>/publish")
def publish_revision(public_id: str, number: int) -> ResponseReturnValue:
    found = case_or_404(public_id)
    revision = _revision_or_404(found, number)
    try:
        outcome = revisions.publish(current_publisher(), found, revision)
    except RevisionError as exc:
        flash(str(exc), "error")
        return redirect(url_for("publishing.case", public_id=found.public_id))
    flash(
        "Sent for approval: another publisher of your agency must approve it before it goes live."
        if outcome == "awaiting_approval"
        else "Published: the public page shows it now.",
        "success",
    )
    return redirect(url_for("publishing.case", public_id=found.public_id))


@blueprint.post("/cases/<public_id>/revisions/<int:number>/approve")
def approve(public_id: str, number: int) -> ResponseReturnValue:
    found = case_or_404(public_id)
    revision = _revision_or_404(found, number)
    try:
        if request.form.get("decision") == "send_back":
            revisions.send_back(current_publisher(), found, revision)
            flash("Sent back to its author as a draft.", "success")
        else:
            revisions.approve(current_publisher(), found, revision)
            flash("Approved and published: the public page shows it now.", "success")
    except RevisionError as exc:
        flash(str(exc), "error")
    return redirect(url_for("publishing.case", public_id=found.public_id))


@blueprint.get("/cases/<public_id>/revisions")
def revision_list(public_id: str) -> ResponseReturnValue:
    found = case_or_404(public_id)
    listed = revisions.revisions(found)
    chosen = request.args.get("number", "")
    newer = next((r for r in listed if str(r.number) == chosen), listed[0] if listed else None)
    older = None
    lines: list[str] = []
    if newer is not None:
        against = request.args.get("against", "")
        older = next(
            (r for r in listed if str(r.number) == against),
            next((r for r in listed if r.number < newer.number), None),
        )
        lines = revisions.diff(older.record if older is not None else {}, newer.record)
    return render_template(
        "publishing/revisions.html",
        case=found,
        revisions=listed,
        newer=newer,
        older=older,
        lines=lines,
        labels=STATE_LABELS,
    )


@blueprint.get("/cases/<public_id>/media/<token>/<int:width>")
def preview_media(public_id: str, token: str, width: int) -> ResponseReturnValue:
    """Any image of a managed appeal or of its revisions, for the editor and the preview."""
    found = case_or_404(public_id)
    image = next((image for image in found.images if image.token == token), None)
    if image is not None:
        prefix, widths = image.media_prefix, list(image.derivative_widths or [])
    else:
        staged = revisions.staged_image(found, token)
        if staged is None:
            abort(404)
        prefix, widths = str(staged["prefix"]), list(staged["widths"])
    if not widths:
        abort(404)
    chosen = min(widths, key=lambda candidate: abs(candidate - width))
    try:
        data = media.get_media_store().get(media.derivative_key(prefix, chosen))
    except media.MediaError:
        abort(404)
    response = Response(data, mimetype="image/jpeg")
    return response
