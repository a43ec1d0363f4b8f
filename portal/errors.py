"""Error pages and JSON errors that say what went wrong and never what is inside."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from portal.extensions import db
from portal.logs import log_failure

log = logging.getLogger(__name__)

# Lazy: each is translated when a page shows it, into that page's language.
MESSAGES = {
    400: _l("The request could not be understood. Check what you entered and try again."),
    403: _l("You do not have permission to see this page."),
    404: _l(
        "We could not find that page. The appeal may have been withdrawn or the address is wrong."
    ),
    405: _l("That action is not allowed on this page."),
    410: _l(
        "This appeal is closed because the person has been identified. Thank you for wanting "
        "to help."
    ),
    413: _l("What you sent is too large."),
    429: _l("Too many requests. Wait a minute and try again."),
    500: _l("Something went wrong on our side. Nothing you typed is lost: go back and try again."),
    503: _l("The service is temporarily unavailable. Try again in a few minutes."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _respond(code: int, message: object) -> tuple[Response | str, int]:
    message = str(message)
    if _wants_json():
        return jsonify({"error": {"status": code, "message": message}}), code
    return render_template("errors/error.html", code=code, message=message), code


def database_unreachable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached now (refused, reset, restarting)."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def database_down(error: BaseException) -> None:
    """Log a database outage and drop the session's broken connection."""
    # The driver's message may quote the values it was sending: log the path, never the message.
    log.error(
        "database unreachable on %s %s: %s", request.method, request.path, type(error).__name__
    )
    with contextlib.suppress(Exception):
        db.session.rollback()


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> tuple[Response | str, int]:
        return _respond(
            400, _("Your form expired or was sent twice. Go back, reload and try again.")
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response | str, int] | HTTPException:
        code = error.code or 500
        if code < 400:
            return error
        return _respond(code, MESSAGES.get(code, error.description or "Error"))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response | str, int]:
        if isinstance(error, HTTPException):
            return _http(error)  # type: ignore[return-value]
        return unexpected(error)


def unexpected(error: Exception) -> tuple[Response | str, int]:
    """The answer to an exception no view handled: 503 for a database outage, else 500."""
    if database_unreachable(error):
        # An outage, not a bug: say so honestly (503) so people and balancers retry later.
        database_down(error)
        return _respond(503, MESSAGES[503])
    # Database errors quote the values they choke on: log the path, never the message.
    log_failure(log, f"unhandled error on {request.method} {request.path}", error)
    return _respond(500, MESSAGES[500])
