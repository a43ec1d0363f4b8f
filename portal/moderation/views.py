"""The tip queue and the triage of one tip: claims, statuses, priority, notes, questions."""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import parse_qsl, urlencode

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.http import dump_options_header

from portal.crypto import get_cipher
from portal.extensions import db
from portal.media import MediaError, get_media_store
from portal.models import Tip, TipAttachment, TipForward, TipPriority, TipStatus, User
from portal.moderation import blueprint
from portal.security import parse_id
from portal.services import moderation
from portal.services import tips as tip_service
from portal.services.moderation import ModerationError, QueueFilter

RowOfTip = TypeVar("RowOfTip", TipAttachment, TipForward)

# The queue filter travels with the moderator from the queue to a tip and back in this field.
BACK_FIELD = "back"
# Remembers whether a status change moves the moderator on to the next tip.
NEXT_COOKIE = "triage_next"


def current_staff() -> User:
    user: User = current_user._get_current_object()
    return user


def tip_or_404(tip_id: int) -> Tip:
    tip = moderation.visible_tip(current_staff(), tip_id)
    if tip is None:
        # Another agency's tip is answered like a tip that does not exist.
        abort(404)
    return tip


def row_of_tip(model: type[RowOfTip], row_id: int, tip: Tip) -> RowOfTip:
    """The row of `model` with this id if it belongs to `tip`; 404 otherwise."""
    row = db.session.get(model, row_id)
    if row is None or row.tip_id != tip.id:
        abort(404)
    return row


def _filters_from(query: str) -> QueueFilter:
    return QueueFilter.from_args(dict(parse_qsl(query[:2000])))


def back_query() -> str:
    """The queue filter the moderator came from, re-parsed so only known fields travel."""
    return _encode(_filters_from(request.values.get(BACK_FIELD, "")))


def _encode(filters: QueueFilter) -> str:
    return urlencode(filters.args())


def tip_url(tip_id: int, back: str) -> str:
    url = url_for("moderation.tip", tip_id=tip_id)
    return f"{url}?{urlencode({BACK_FIELD: back})}" if back else url


def queue_url(back: str) -> str:
    return url_for("moderation.queue") + (f"?{back}" if back else "")


@blueprint.get("/")
def queue() -> ResponseReturnValue:
    user = current_staff()
    filters = QueueFilter.from_args(request.args.to_dict())
    page = moderation.queue_page(get_cipher(), user, filters)
    return render_template(
        "moderation/queue.html",
        filters=filters,
        page=page,
        back=_encode(filters),
        cases=moderation.cases_for(user),
        moderators=moderation.moderators_for(user),
        statuses=moderation.STATUS_LABELS,
        priorities=moderation.PRIORITY_LABELS,
        status_keys=moderation.STATUS_KEYS,
        claim_holder=moderation.claim_holder,
    )


def _render_tip(
    tip: Tip,
    *,
    back: str,
    status: int = 200,
    contact: tip_service.Contact | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    """The tip page; `errors` and `typed` bring back a refused form with what was typed."""
    user = current_staff()
    cipher = get_cipher()
    previous, following = moderation.neighbours(cipher, user, _filters_from(back), tip.id)
    holder_id = moderation.claim_holder(tip)
    context = {
        "tip": tip,
        "back": back,
        "queue_url": queue_url(back),
        "previous_url": tip_url(previous, back) if previous else None,
        "next_url": tip_url(following, back) if following else None,
        "message": tip_service.read_message(cipher, tip),
        "followup": tip_service.followup_view(cipher, tip),
        "askers": {entry.id: entry.author_user for entry in tip.thread},
        "notes": moderation.notes(cipher, tip),
        "attachments": [
            (attachment, tip_service.attachment_filename(cipher, attachment))
            for attachment in tip.attachments
        ],
        "contact": contact,
        "holder": db.session.get(User, holder_id) if holder_id else None,
        "holds_claim": holder_id == user.id,
        "claim_minutes": moderation.CLAIM_MINUTES,
        "statuses": moderation.STATUS_LABELS,
        "status_keys": moderation.STATUS_KEYS,
        "allowed": moderation.TRANSITIONS[tip.status],
        "priorities": moderation.PRIORITY_LABELS,
        "relation_labels": moderation.RELATION_LABELS,
        "moderators": moderation.moderators_for(user),
        "go_next": request.cookies.get(NEXT_COOKIE, "1") == "1",
        "errors": errors or {},
        "typed": typed or {},
    }
    return make_response(render_template("moderation/tip.html", **context), status)


@blueprint.get("/tips/<int:tip_id>")
def tip(tip_id: int) -> ResponseReturnValue:
    found = tip_or_404(tip_id)
    moderation.open_tip(current_staff(), found)
    return _render_tip(found, back=back_query())


def after_action(tip: Tip, back: str) -> ResponseReturnValue:
    return redirect(tip_url(tip.id, back))


def refused(tip: Tip, back: str, error: ModerationError) -> ResponseReturnValue:
    # The page is shown again with the reason; a claim held by someone else is a conflict.
    db.session.rollback()
    flash(str(error), "error")
    status = 409 if isinstance(error, moderation.TipClaimed) else 400
    return _render_tip(tip, back=back, status=status)


@blueprint.post("/tips/<int:tip_id>/status")
def set_status(tip_id: int) -> ResponseReturnValue:
    found = tip_or_404(tip_id)
    back = back_query()
    raw = request.form.get("status", "")
    try:
        status = TipStatus(raw)
    except ValueError:
        return refused(found, back, ModerationError("Choose a status for the tip."))
    go_next = request.form.get("then") == "next"
    following = None
    if go_next:
        # Worked out before the change: the tip may leave the filtered queue with it.
        _, following = moderation.neighbours(
            get_cipher(), current_staff(), _filters_from(back), tip_id
        )
    try:
        moderation.set_status(current_staff(), found, status)
    except ModerationError as exc:
        return refused(found, back, exc)
    flash(f"{found.reference} marked as {moderation.STATUS_LABELS[status].lower()}.", "success")
    response = redirect(tip_url(following if following else found.id, back))
    response.set_cookie(
        NEXT_COOKIE,
        "1" if go_next else "0",
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path=url_for("moderation.queue"),
    )
    return response


@blueprint.post("/tips/<int:tip_id>/priority")
def set_priority(tip_id: int) -> ResponseReturnValue:
    found = tip_or_404(tip_id)
    back = back_query()
    try:
        priority = TipPriority(request.form.get("priority", ""))
    except ValueError:
        return refused(found, back, ModerationError("Choose a priority."))
    try:
        moderation.set_priority(current_staff(), found, priority)
    except ModerationError as exc:
        return refused(found, back, exc)
    flash(f"Priority set to {moderation.PRIORITY_LABELS[priority].lower()}.", "success")
    return after_action(found, back)


@blueprint.post("/tips/<int:tip_id>/assign")
def assign(tip_id: int) -> ResponseReturnValue:
    found = tip_or_404(tip_id)
    back = back_query()
    raw = request.form.get("assignee", "")
    assignee = parse_id(raw)
    if raw and assignee is None:
        return refused(found, back, ModerationError("Choose a moderator."))
    try:
        moderation.assign(current_staff(), found, assignee)
    except ModerationError as exc:
        return refused(found, back, exc)
    flash("Assignment saved.", "success")
    return after_action(found, back)


@blueprint.post("/tips/<int:tip_id>/notes")
def add_note(tip_id: int) -> ResponseReturnValue:
    found = tip_or_404(tip_id)
    back = back_query()
    try:
        moderation.add_note(get_cipher(), current_staff(), found, request.form.get("note", ""))
    except ModerationError as exc:
        return _refused_with_text(found, back, exc, "note")
    flash("Note added.", "success")
    return after_action(found, back)


@blueprint.post("/tips/<int:tip_id>/question")
def ask_question(tip_id: int) -> ResponseReturnValue:
    found = tip_or_404(tip_id)
    back = back_query()
    try:
        moderation.ask_question(
            get_cipher(), current_staff(), found, request.form.get("question", "")
        )
    except ModerationError as exc:
        return _refused_with_text(found, back, exc, "question")
    flash("Question sent. It appears on the tipster's follow-up page.", "success")
    return after_action(found, back)


def _refused_with_text(tip: Tip, back: str, error: ModerationError, field: str) -> Response:
    # What the moderator typed comes back in the form, with the error beside it.
    db.session.rollback()
    return _render_tip(
        tip,
        back=back,
        status=400,
        errors={field: str(error)},
        typed={field: request.form.get(field, "")},
    )


@blueprint.post("/tips/<int:tip_id>/contact")
def reveal_contact(tip_id: int) -> ResponseReturnValue:
    # A POST, so that the audited look at someone's contact details is a deliberate act and
    # never happens by a prefetch or a reload of a link.
    found = tip_or_404(tip_id)
    contact = moderation.reveal_contact(get_cipher(), current_staff(), found)
    return _render_tip(found, back=back_query(), contact=contact)


@blueprint.post("/tips/<int:tip_id>/claim")
def take_over(tip_id: int) -> ResponseReturnValue:
    found = tip_or_404(tip_id)
    moderation.claim(current_staff(), found, take_over=True)
    db.session.commit()
    flash(f"You are now working on {found.reference}.", "success")
    return after_action(found, back_query())


@blueprint.post("/tips/<int:tip_id>/release")
def release(tip_id: int) -> ResponseReturnValue:
    found = tip_or_404(tip_id)
    moderation.release(current_staff(), found)
    flash(f"You released {found.reference}: another moderator can work on it now.", "success")
    return redirect(queue_url(back_query()))


@blueprint.get("/tips/<int:tip_id>/attachments/<int:attachment_id>")
def attachment(tip_id: int, attachment_id: int) -> ResponseReturnValue:
    found = tip_or_404(tip_id)
    item = row_of_tip(TipAttachment, attachment_id, found)
    cipher = get_cipher()
    try:
        data = tip_service.read_attachment(cipher, get_media_store(), item)
    except MediaError:
        abort(503)
    moderation.audit_attachment_view(current_staff(), found, item)
    name = tip_service.attachment_filename(cipher, item)
    response = make_response(data)
    response.headers["Content-Type"] = item.content_type
    # Photos open in the browser; anything else is downloaded, never rendered as a page.
    disposition = "inline" if item.content_type.startswith("image/") else "attachment"
    response.headers["Content-Disposition"] = dump_options_header(disposition, {"filename": name})
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; sandbox; frame-ancestors 'none'"
    )
    return response


@blueprint.post("/bulk")
def bulk() -> ResponseReturnValue:
    back = back_query()
    ids = [tip_id for value in request.form.getlist("tip") if (tip_id := parse_id(value))]
    raw = request.form.get("status", "")
    if not ids:
        flash("Select at least one tip.", "error")
        return redirect(queue_url(back))
    try:
        status = TipStatus(raw)
    except ValueError:
        flash("Choose what to mark the selected tips as.", "error")
        return redirect(queue_url(back))
    result = moderation.bulk_set_status(current_staff(), ids, status)
    label = moderation.STATUS_LABELS[status].lower()
    if result.changed:
        flash(f"{len(result.changed)} tips marked as {label}.", "success")
    for reference, why in sorted(result.skipped.items()):
        flash(f"{reference} was not changed: {why}", "error")
    return redirect(queue_url(back))
