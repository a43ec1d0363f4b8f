"""Tip submission and the tipster's follow-up pages: the only public writes."""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import RequestEntityTooLarge, TooManyRequests

from portal import errors
from portal.attachments import ACCEPT_ATTRIBUTE, MAX_ATTACHMENT_BYTES, MAX_TOTAL_BYTES
from portal.crypto import get_cipher
from portal.extensions import csrf, db
from portal.media import get_media_store
from portal.models import Case, Tip
from portal.publication import PublicCase, derive_public_case
from portal.ratelimit import limiter
from portal.security import fresh_session_entry
from portal.services import cases
from portal.services import search as search_service
from portal.services import tips as tip_service
from portal.tips.forms import (
    RELATIONSHIP_CHOICES,
    FollowUpForm,
    FollowUpStartForm,
    TipForm,
    error_map,
    new_started_token,
    seconds_since,
    valid_submission_id,
)

blueprint = Blueprint("tips", __name__)

TIP_FIELDS = ["message", "relationship", "contact_ok", "name", "email", "phone", "attachments"]
FOLLOWUP_FIELDS = ["text", "attachments"]
# The files (25 MB) plus the text fields and multipart framing.
MAX_TIP_REQUEST = MAX_TOTAL_BYTES + 1024 * 1024
FOLLOWUP_SESSION_KEY = "tip_followup"
FOLLOWUP_SESSION_SECONDS = 30 * 60
FOLLOWUP_RATE_LIMIT = "10 per minute;50 per hour"


def _tip_rate_limit() -> str:
    return str(current_app.config["PORTAL_TIP_RATE_LIMIT"])


def _no_store(response: Response) -> Response:
    # Pages with a tip form or a receipt carry per-visitor values: no cache may share them.
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.after_app_request
def _mark_private(response: Response) -> Response:
    if g.get("tip_form_rendered"):
        _no_store(response)
    return response


@blueprint.record_once
def _template_globals(state: Any) -> None:
    # Globals, not a context processor: the form macro is imported without context.
    state.app.jinja_env.globals.update(
        new_tip_form=new_tip_form,
        relationship_choices=RELATIONSHIP_CHOICES,
        attachment_accept=ACCEPT_ATTRIBUTE,
        max_attachment_mb=MAX_ATTACHMENT_BYTES // (1024 * 1024),
        max_total_mb=MAX_TOTAL_BYTES // (1024 * 1024),
    )


def new_tip_form() -> TipForm:
    """A blank tip form with a fresh submission id and start time."""
    form = TipForm(formdata=None)
    form.submission_id.data = str(uuid.uuid4())
    form.started.data = new_started_token()
    g.tip_form_rendered = True
    return form


def _render_form(
    case: Case | None,
    case_id: str,
    form: TipForm,
    errors: dict[str, str],
    status: int,
    *,
    notice: str | None = None,
) -> Response:
    g.tip_form_rendered = True
    public = _public_view(case) if case is not None else None
    files_dropped = bool(
        request.files and any(f.filename for f in request.files.getlist("attachments"))
    )
    body = render_template(
        "tips/submit.html",
        case=public,
        case_id=case_id,
        form=form,
        errors=errors,
        notice=notice,
        files_dropped=files_dropped and status != 200,
    )
    return make_response(body, status)


def _public_view(case: Case) -> PublicCase:
    # Pages see only the public view of a case, like every other public page; the cached one,
    # since deriving it loads every mark and image and a surge sends thousands of tips.
    views = search_service.public_cases([case.id])
    return views[0] if views else derive_public_case(case)


def _published_case(case_id: str) -> Case:
    try:
        case = tip_service.case_for_tip(case_id)
    except tip_service.AppealClosed:
        abort(410)
    if case is None:
        abort(404)
    return case


@blueprint.get("/cases/<case_id>/tips")
def submit_form(case_id: str) -> Response:
    case = _published_case(case_id)
    return _render_form(case, case_id, new_tip_form(), {}, 200)


@blueprint.post("/cases/<case_id>/tips")
@limiter.limit(_tip_rate_limit)
def submit(case_id: str) -> Response:
    request.max_content_length = MAX_TIP_REQUEST
    form = TipForm()
    # Bots are answered before the database is touched.
    if form.website.data:
        abort(400)
    elapsed = seconds_since(form.started.data)
    if elapsed is None or elapsed < current_app.config["PORTAL_TIP_MIN_SECONDS"]:
        form.started.data = new_started_token()
        return _render_form(
            None,
            case_id,
            form,
            {},
            400,
            notice=_(
                "Check your message and send it again. We ask this when a form is sent "
                "very quickly, which is what automated programs do."
            ),
        )
    submission_id = valid_submission_id(form.submission_id.data)
    valid = form.validate()
    if form.errors.get("csrf_token") or submission_id is None:
        form.submission_id.data = submission_id or str(uuid.uuid4())
        return _render_form(
            None,
            case_id,
            form,
            error_map(form, TIP_FIELDS),
            400,
            notice=_(
                "This page was open for a long time, so for your security we need you to "
                "send it again. Your message is kept below."
            ),
        )
    case = _published_case(case_id)
    if not valid:
        return _render_form(case, case_id, form, error_map(form, TIP_FIELDS), 400)
    try:
        receipt = tip_service.submit_tip(
            get_cipher(), get_media_store(), case, form.submission(submission_id)
        )
    except tip_service.AttachmentsRejected as exc:
        names = [f.filename or "" for f in form.chosen_files()]
        messages = [
            f"{names[index]}: {message}" if index < len(names) else message
            for index, message in sorted(exc.errors.items())
        ]
        return _render_form(case, case_id, form, {"attachments": " ".join(messages)}, 400)
    except tip_service.SubmissionConflict:
        form.submission_id.data = str(uuid.uuid4())
        return _render_form(
            case,
            case_id,
            form,
            {},
            409,
            notice=_(
                "This form was already sent with a different message. Check your message "
                "below and send it again: it will be sent as a new tip."
            ),
        )
    except tip_service.TipNotStored:
        return _render_form(
            case,
            case_id,
            form,
            {},
            503,
            notice=_(
                "We could not store your message just now, so nothing was sent. Your message "
                "is kept below: send it again in a minute."
            ),
        )
    response = make_response(
        render_template("tips/receipt.html", case=_public_view(case), receipt=receipt)
    )
    return _no_store(response)


# The form checks its own token, so an expired one re-shows what was typed instead of a 400 page.
csrf.exempt(submit)


@blueprint.errorhandler(TooManyRequests)
def _too_many(_error: TooManyRequests) -> ResponseReturnValue:
    if request.endpoint == "tips.submit":
        form = TipForm()
        form.started.data = new_started_token()
        return _form_again(
            form,
            429,
            _(
                "Several messages were sent from your connection in a short time. Wait a few "
                "minutes, then send your message again. It is kept below."
            ),
        )
    return make_response(
        render_template(
            "errors/error.html",
            code=429,
            message=_("Too many attempts. Wait a few minutes and try again."),
        ),
        429,
    )


@blueprint.errorhandler(DBAPIError)
def _database_error(error: DBAPIError) -> ResponseReturnValue:
    if request.endpoint != "tips.submit" or not errors.database_unreachable(error):
        return errors.unexpected(error)
    errors.database_down(error)
    # The case cannot be read either, so the form is shown on its own, with what was typed.
    return _form_again(
        TipForm(),
        503,
        _(
            "We could not store your message just now, so nothing was sent. Your message "
            "is kept below: send it again in a minute."
        ),
    )


def _form_again(form: TipForm, status: int, notice: str) -> ResponseReturnValue:
    """The tip form with what was typed and a notice, when the request was refused as a whole."""
    case_id = request.view_args.get("case_id", "") if request.view_args else ""
    return _render_form(None, case_id, form, {}, status, notice=notice)


@blueprint.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    return make_response(
        render_template(
            "errors/error.html",
            code=413,
            message=_(
                "The files you chose add up to more than %(size)s MB, so nothing was sent. Go "
                "back, choose fewer or smaller files, and send again: your browser usually keeps "
                "what you typed when you go back.",
                size=MAX_TOTAL_BYTES // (1024 * 1024),
            ),
        ),
        413,
    )


# ---------------------------------------------------------------------------
# Follow-up


def _followup_tip() -> Tip | None:
    data = fresh_session_entry(FOLLOWUP_SESSION_KEY, FOLLOWUP_SESSION_SECONDS, time.time())
    if data is None:
        return None
    tip_id = data.get("tip")
    return db.session.get(Tip, tip_id) if isinstance(tip_id, int) else None


@blueprint.route("/tips/follow-up", methods=["GET", "POST"])
@limiter.limit(FOLLOWUP_RATE_LIMIT, methods=["POST"])
def followup_start() -> ResponseReturnValue:
    form = FollowUpStartForm()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if form.validate():
            tip = tip_service.open_followup(form.reference.data, form.code.data)
            if tip is not None:
                # A fresh session: whatever this browser held before is not carried over.
                session.clear()
                session[FOLLOWUP_SESSION_KEY] = {"tip": tip.id, "at": int(time.time())}
                return redirect(url_for("tips.followup"))
            errors = {
                "reference": _(
                    "The reference and follow-up code do not match a tip. Check both and try again."
                )
            }
        else:
            errors = error_map(form, ["reference", "code"])
        status = 400
    response = make_response(
        render_template("tips/followup_start.html", form=form, errors=errors), status
    )
    return _no_store(response)


@blueprint.route("/tips/follow-up/tip", methods=["GET", "POST"])
def followup() -> ResponseReturnValue:
    tip = _followup_tip()
    if tip is None:
        flash(_("Enter your reference and follow-up code to see your tip."))
        return redirect(url_for("tips.followup_start"))
    cipher = get_cipher()
    form = FollowUpForm()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        request.max_content_length = MAX_TIP_REQUEST
        submission_id = valid_submission_id(form.submission_id.data)
        if form.validate() and submission_id:
            try:
                tip_service.add_information(
                    cipher,
                    get_media_store(),
                    tip,
                    submission_id=submission_id,
                    text=form.text.data,
                    uploads=form.uploads(),
                    reply_to_id=form.reply_to_id(),
                )
            except tip_service.AttachmentsRejected as exc:
                errors = {"attachments": " ".join(exc.errors.values())}
            except (tip_service.TipNotStored, tip_service.SubmissionConflict):
                errors = {"text": _("We could not store this just now. Send it again in a minute.")}
            else:
                flash(_("Thank you. What you added has been sent with your tip."))
                return redirect(url_for("tips.followup"))
        else:
            errors = error_map(form, FOLLOWUP_FIELDS) or {
                "text": _("This page was open for a long time. Send what you added again.")
            }
        status = 400
    if not form.submission_id.data or status == 200:
        form = FollowUpForm(formdata=None) if status == 200 else form
        form.submission_id.data = str(uuid.uuid4())
    view = tip_service.followup_view(cipher, tip)
    try:
        case: PublicCase | None = cases.get_public_case(tip.case.public_id)
    except cases.NotFound:
        case = None  # withdrawn since: the tipster still sees their thread
    response = make_response(
        render_template("tips/followup.html", view=view, case=case, form=form, errors=errors),
        status,
    )
    return _no_store(response)


@blueprint.post("/tips/follow-up/close")
def followup_close() -> ResponseReturnValue:
    session.pop(FOLLOWUP_SESSION_KEY, None)
    flash(_("You have closed your tip. Use your reference and follow-up code to open it again."))
    return redirect(url_for("tips.followup_start"))
