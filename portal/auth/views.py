"""Staff sign-in (password, then TOTP code), the account page and sign-out."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from portal import auth
from portal.auth.forms import LoginForm, TwoFactorForm
from portal.crypto import get_cipher
from portal.extensions import db
from portal.models import Role, User
from portal.ratelimit import limiter
from portal.security import fresh_session_entry, is_safe_redirect, require_roles
from portal.services import accounts

blueprint = Blueprint("auth", __name__, url_prefix="/auth")

PENDING_KEY = "staff_pending"
# Time to type the code after the password; longer means starting again.
PENDING_SECONDS = 5 * 60
# Per client address, on top of the per-account lock: slows guessing across many accounts.
SIGN_IN_RATE_LIMIT = "30 per minute;300 per hour"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe_next(target: str | None) -> str | None:
    return target if is_safe_redirect(target) else None


def landing_url(user: User) -> str:
    if user.role is Role.ADMIN:
        return url_for("admin.users")
    if user.role is Role.MODERATOR:
        return url_for("moderation.queue")
    return url_for("publishing.cases")


def _render(template: str, status: int = 200, **context: Any) -> Response:
    return _no_store(make_response(render_template(template, **context), status))


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_RATE_LIMIT, methods=["POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = _safe_next(request.args.get("next"))
        if current_user.is_authenticated:
            return redirect(form.next.data or landing_url(current_user))
        return _render("auth/login.html", form=form, errors={})
    errors: dict[str, str] = {}
    if not form.validate():
        errors["email"] = "Your form expired. Sign in again."
    elif not (form.email.data or "").strip():
        errors["email"] = "Enter your email address."
    elif not form.password.data:
        errors["password"] = "Enter your password."  # noqa: S105 - a message, not a secret
    else:
        user = accounts.authenticate_password(form.email.data, form.password.data)
        if user is not None:
            # A new session: nothing from before the sign-in is carried into it.
            session.clear()
            session[PENDING_KEY] = {
                "user": user.id,
                "at": auth.now(),
                "next": _safe_next(form.next.data),
            }
            return redirect(url_for("auth.two_factor"))
        errors["email"] = accounts.SIGN_IN_FAILED
    form.password.data = ""
    form.next.data = _safe_next(form.next.data)
    return _render("auth/login.html", 400, form=form, errors=errors)


def _pending_user() -> tuple[User, str | None] | None:
    pending = fresh_session_entry(PENDING_KEY, PENDING_SECONDS, auth.now())
    if pending is None:
        return None
    user_id = pending.get("user")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        return None
    return user, _safe_next(pending.get("next"))


@blueprint.route("/two-factor", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_RATE_LIMIT, methods=["POST"])
def two_factor() -> ResponseReturnValue:
    found = _pending_user()
    if found is None:
        flash("Sign in with your email address and password first.")
        return redirect(url_for("auth.login"))
    user, next_url = found
    form = TwoFactorForm()
    if request.method == "GET":
        return _render("auth/two_factor.html", form=form, errors={})
    errors: dict[str, str] = {}
    if not form.validate():
        errors["code"] = "Your form expired. Enter the code again."
    elif not (form.code.data or "").strip():
        errors["code"] = "Enter the 6-digit code from your authenticator app."
    elif accounts.verify_totp(get_cipher(), user, form.code.data, at=auth.now()):
        # The signed-in session starts empty: the half-signed-in state is not reused.
        session.clear()
        login_user(user, remember=False)
        moment = auth.now()
        session[auth.SESSION_VERSION_KEY] = user.session_version
        session[auth.SIGNED_IN_AT_KEY] = moment
        session[auth.SEEN_AT_KEY] = moment
        return redirect(next_url or landing_url(user))
    else:
        errors["code"] = accounts.SIGN_IN_FAILED
    return _render("auth/two_factor.html", 400, form=TwoFactorForm(formdata=None), errors=errors)


@blueprint.get("/account")
def account() -> ResponseReturnValue:
    return _render("auth/account.html")


# Locked by default like every staff blueprint; only the steps of signing in are open.
require_roles(
    blueprint,
    Role.ADMIN,
    Role.PUBLISHER,
    Role.MODERATOR,
    public={"auth.login", "auth.two_factor", "auth.logout"},
)


@blueprint.post("/logout")
def logout() -> ResponseReturnValue:
    # CSRFProtect has checked the token before this runs: no other site can sign anyone out.
    if current_user.is_authenticated:
        # Bumping the version also ends any copy of this session cookie kept elsewhere.
        accounts.end_sessions(current_user)
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.login"))
