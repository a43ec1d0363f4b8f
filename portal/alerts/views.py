"""Search alert pages: sign up, confirm and unsubscribe; thin views over services.alerts."""

from __future__ import annotations

from flask import Blueprint, Response, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from portal import i18n
from portal.alerts.forms import AlertForm, ButtonForm
from portal.crypto import get_cipher
from portal.extensions import csrf
from portal.ratelimit import limiter
from portal.services import alerts as alert_service
from portal.services.cases import CaseFilters
from portal.tips.forms import error_map

blueprint = Blueprint("alerts", __name__, url_prefix="/alerts")

ALERT_FIELDS = ["search", "email"]
SIGN_UP_RATE_LIMIT = "5 per minute;20 per hour"


@blueprint.after_request
def _no_store(response: Response) -> Response:
    # Every page here carries a form token or a link token: no cache may keep or share it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _search_errors(filters: CaseFilters, problems: dict[str, str]) -> dict[str, str]:
    if problems:
        return {"search": _("This search has a problem: go back to the search and correct it.")}
    if not filters.active:
        return {
            "search": _(
                "Your search is empty, so every new appeal would match it. Search for "
                "something first, then ask for alerts."
            )
        }
    return {}


def _render_form(
    form: AlertForm, filters: CaseFilters, errors: dict[str, str], status: int, notice: str = ""
) -> Response:
    body = render_template(
        "alerts/new.html",
        form=form,
        filters=filters,
        search_args=alert_service.stored_args(filters),
        description=alert_service.describe(filters) if filters.active else "",
        errors=errors,
        notice=notice,
    )
    return make_response(body, status)


@blueprint.get("/new")
def new() -> Response:
    filters, problems = alert_service.search_filters(request.args)
    errors = _search_errors(filters, problems)
    return _render_form(AlertForm(formdata=None), filters, errors, 400 if errors else 200)


@blueprint.post("/new")
@limiter.limit(SIGN_UP_RATE_LIMIT)
def create() -> Response:
    filters, problems = alert_service.search_filters(request.args)
    form = AlertForm()
    form.validate()
    errors = _search_errors(filters, problems) | error_map(form, ALERT_FIELDS)
    if form.errors.get("csrf_token"):
        return _render_form(
            form,
            filters,
            errors,
            400,
            notice=_(
                "This page was open for a long time. Check your email address and send it again."
            ),
        )
    if errors:
        return _render_form(form, filters, errors, 400)
    try:
        alert_service.subscribe(get_cipher(), form.email.data, filters, i18n.current_language())
    except alert_service.SignUpFailed:
        return _render_form(
            form,
            filters,
            {},
            503,
            notice=_("We could not send the email just now. Try again in a few minutes."),
        )
    return make_response(
        render_template(
            "alerts/check_email.html",
            description=alert_service.describe(filters),
            days=alert_service.UNCONFIRMED_TTL.days,
        )
    )


# The form checks its own token, so an expired one re-shows what was typed instead of a 400 page.
csrf.exempt(create)


def _not_found() -> Response:
    return make_response(
        render_template("alerts/not_found.html", days=alert_service.UNCONFIRMED_TTL.days), 404
    )


@blueprint.get("/confirm/<token>")
def confirm(token: str) -> Response:
    alert = alert_service.find(token)
    if alert is None:
        return _not_found()
    return make_response(
        render_template(
            "alerts/confirm.html",
            form=ButtonForm(),
            token=token,
            confirmed=alert.confirmed_at is not None,
            description=alert_service.describe_alert(alert),
        )
    )


@blueprint.post("/confirm/<token>")
def confirm_post(token: str) -> Response:
    # Only a press of the button confirms: mail scanners open GET links, never submit forms.
    alert = alert_service.confirm(token)
    if alert is None:
        return _not_found()
    return make_response(
        render_template("alerts/confirmed.html", description=alert_service.describe_alert(alert))
    )


@blueprint.get("/unsubscribe/<token>")
def unsubscribe(token: str) -> Response:
    alert = alert_service.find(token)
    if alert is None:
        return _not_found()
    return make_response(
        render_template(
            "alerts/unsubscribe.html",
            form=ButtonForm(),
            token=token,
            description=alert_service.describe_alert(alert),
        )
    )


@blueprint.post("/unsubscribe/<token>")
def unsubscribe_post(token: str) -> ResponseReturnValue:
    # RFC 8058 one-click: mail programs POST `List-Unsubscribe=One-Click` with no page and no
    # CSRF token. The unguessable token in the address is what authenticates the request, so
    # this endpoint alone is exempt from CSRF; the page's button sends a token all the same.
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    if not one_click and not ButtonForm().validate():
        return make_response(
            render_template(
                "alerts/unsubscribe.html",
                form=ButtonForm(),
                token=token,
                description="",
                notice=_("This page was open for a long time. Press the button again."),
            ),
            400,
        )
    if not alert_service.unsubscribe(token):
        return _not_found()
    return make_response(render_template("alerts/unsubscribed.html"))


csrf.exempt(unsubscribe_post)


@blueprint.errorhandler(TooManyRequests)
def _too_many(_error: TooManyRequests) -> ResponseReturnValue:
    filters, _problems = alert_service.search_filters(request.args)
    form = AlertForm()
    return _render_form(
        form,
        filters,
        {},
        429,
        notice=_(
            "You have asked for many alerts in a short time. Wait a few minutes and try again."
        ),
    )
