"""Staff sign-in: Flask-Login set-up, session checks and timeouts."""

from __future__ import annotations

import time

from flask import Flask, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, logout_user

from portal.extensions import db, login
from portal.models import User

IDLE_TIMEOUT_SECONDS = 30 * 60
ABSOLUTE_TIMEOUT_SECONDS = 12 * 60 * 60
SESSION_VERSION_KEY = "staff_sv"
SIGNED_IN_AT_KEY = "staff_signed_in_at"
SEEN_AT_KEY = "staff_seen_at"


def now() -> float:
    """The clock the session timeouts read; tests move it."""
    return time.time()


def login_redirect() -> ResponseReturnValue:
    """To the sign-in page, remembering where the person was going (a relative path only)."""
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def _load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    # A session from before sign-out (or a password change) carries an older version.
    if user is None or not user.active or session.get(SESSION_VERSION_KEY) != user.session_version:
        return None
    return user


def _enforce_timeouts() -> ResponseReturnValue | None:
    if "_user_id" not in session or not current_user.is_authenticated:
        return None
    moment = now()
    signed_in_at = session.get(SIGNED_IN_AT_KEY, 0)
    seen_at = session.get(SEEN_AT_KEY, 0)
    if moment - seen_at > IDLE_TIMEOUT_SECONDS or moment - signed_in_at > ABSOLUTE_TIMEOUT_SECONDS:
        logout_user()
        session.clear()
        flash("You were signed out because your session expired. Sign in again.")
        return login_redirect()
    session[SEEN_AT_KEY] = moment
    return None


def init_app(app: Flask) -> None:
    login.init_app(app)
    # Flask-Login's own context processor loads the user (reading the session) for every
    # template, which marks every public page "Vary: Cookie" and uncacheable. The proxy is
    # lazy: only templates that use current_user (staff pages) read the session.
    from flask_login.utils import _user_context_processor

    processors = app.template_context_processors[None]
    if _user_context_processor in processors:
        processors.remove(_user_context_processor)
    app.context_processor(lambda: {"current_user": current_user})
    login.user_loader(_load_user)
    login.unauthorized_handler(login_redirect)
    # "strong" would end a session whenever the address changes (mobile networks); our own
    # idle and absolute timeouts and session versions do the ending.
    login.session_protection = "basic"

    @app.context_processor
    def _staff_context() -> dict[str, object]:
        # Public pages without a session cookie never touch the session (no Vary: Cookie).
        cookie = app.config["SESSION_COOKIE_NAME"]
        if cookie not in request.cookies or not current_user.is_authenticated:
            return {}
        from portal.auth.forms import SignOutForm

        # Every staff page carries the sign-out button.
        return {"sign_out": SignOutForm()}

    @app.before_request
    def _staff_session() -> ResponseReturnValue | None:
        # Only requests that carry a session cookie can be signed in; public pages skip this.
        if app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return None
        return _enforce_timeouts()
