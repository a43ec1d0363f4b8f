"""The administration area, locked to administrators: staff accounts and agencies."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.admin.forms import (
    ACCOUNT_ACTIONS,
    ROLE_CHOICES,
    AccountActionForm,
    AccountForm,
    AgencyForm,
    NewAccountForm,
    error_map,
)
from portal.crypto import get_cipher
from portal.models import Agency, Role, User
from portal.security import require_roles
from portal.services import accounts, agencies

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
require_roles(blueprint, Role.ADMIN)

NEW_ACCOUNT_FIELDS = ["email", "role", "agency", "password"]
ACCOUNT_FIELDS = ["role", "agency"]
AGENCY_FIELDS = ["code", "name", "country", "tip_email"]
ACTION_DONE = {
    "deactivate": "deactivated: it can no longer sign in and its sessions have ended",
    "reactivate": "reactivated: it can sign in again",
    "unlock": "unlocked: it can sign in again straight away",
}
ACTION_UNCHANGED = {
    "deactivate": "was already deactivated",
    "reactivate": "was already active",
    "unlock": "was not locked",
}


def _render(template: str, status: int = 200, **context: Any) -> Response:
    return make_response(render_template(template, role_choices=ROLE_CHOICES, **context), status)


@blueprint.get("/")
def users() -> ResponseReturnValue:
    return _render("admin/users.html", users=accounts.list_users(), is_locked=accounts.is_locked)


@blueprint.route("/users/new", methods=["GET", "POST"])
def user_new() -> ResponseReturnValue:
    form = NewAccountForm()
    context: dict[str, Any] = {"form": form, "agencies": agencies.all_agencies()}
    if request.method == "GET":
        return _render("admin/user_new.html", errors={}, **context)
    errors = error_map(form, NEW_ACCOUNT_FIELDS) if not form.validate() else {}
    if not errors:
        generated = not form.password.data
        password = accounts.generate_password() if generated else form.password.data
        try:
            created = accounts.create_user(
                get_cipher(),
                form.email.data,
                password,
                form.chosen_role(),
                form.chosen_agency(),
                actor=current_user,
            )
        except accounts.AccountError as exc:
            errors = {exc.field or "email": str(exc)}
        else:
            # Shown in this response only: nothing is kept to show it again.
            second_factor = accounts.NewSecondFactor(
                created.provisioning_uri, accounts.secret_from_uri(created.provisioning_uri)
            )
            return _render(
                "admin/second_factor.html",
                user=created.user,
                second_factor=second_factor,
                password=password if generated else None,
                created=True,
            )
    form.password.data = ""
    return _render("admin/user_new.html", 400, errors=errors, **context)


def _user_or_404(user_id: int) -> User:
    user = accounts.get_user(user_id)
    if user is None:
        abort(404)
    return user


def _render_account(
    user: User, form: AccountForm | None = None, errors: dict[str, str] | None = None
) -> Response:
    if form is None:
        form = AccountForm(formdata=None)
        form.role.data = user.role.value
        form.agency.data = user.agency.code if user.agency is not None else ""
    return _render(
        "admin/user_edit.html",
        400 if errors else 200,
        user=user,
        form=form,
        action_form=AccountActionForm(formdata=None),
        agencies=agencies.all_agencies(),
        locked=accounts.is_locked(user),
        is_self=user.id == current_user.id,
        errors=errors or {},
    )


@blueprint.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    if request.method == "GET":
        return _render_account(user)
    action = request.form.get("action", "")
    if action == "update":
        return _update_account(user)
    if action not in ACCOUNT_ACTIONS or not AccountActionForm().validate():
        return _render_account(user, errors={"role": "Choose what to change on this account."})
    try:
        if action == "reset_2fa":
            second_factor = accounts.reset_second_factor(get_cipher(), user, actor=current_user)
            return _render(
                "admin/second_factor.html", user=user, second_factor=second_factor, created=False
            )
        change = {
            "deactivate": accounts.deactivate,
            "reactivate": accounts.reactivate,
            "unlock": accounts.unlock,
        }[action]
        done = change(user, actor=current_user)
    except accounts.AccountError as exc:
        return _render_account(user, errors={action: str(exc)})
    what = ACTION_DONE[action] if done else ACTION_UNCHANGED[action]
    flash(f"The account of {user.email} {what}.", "success" if done else "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


def _update_account(user: User) -> ResponseReturnValue:
    form = AccountForm()
    if not form.validate():
        return _render_account(user, form, error_map(form, ACCOUNT_FIELDS) or _expired())
    try:
        changed = accounts.update_account(
            user, form.chosen_role(), form.chosen_agency(), actor=current_user
        )
    except accounts.AccountError as exc:
        return _render_account(user, form, {exc.field or "role": str(exc)})
    if changed:
        flash(f"The role and agency of {user.email} are saved.", "success")
    else:
        flash(f"Nothing changed: {user.email} already had that role and agency.", "info")
    return redirect(url_for("admin.user_edit", user_id=user.id))


def _expired() -> dict[str, str]:
    return {"role": "Your form expired. Make your change again."}


@blueprint.get("/agencies", endpoint="agencies")
def agency_list() -> ResponseReturnValue:
    return _render("admin/agencies.html", summaries=agencies.list_agencies())


@blueprint.route("/agencies/new", methods=["GET", "POST"])
def agency_new() -> ResponseReturnValue:
    form = AgencyForm()
    if request.method == "GET":
        return _render("admin/agency_form.html", form=form, agency=None, errors={})
    errors = error_map(form, AGENCY_FIELDS) if not form.validate() else {}
    if not errors:
        try:
            agency = agencies.create_agency(form.details(), actor=current_user)
        except agencies.AgencyError as exc:
            errors = {exc.field: str(exc)}
        else:
            flash(f"The agency {agency.code} ({agency.name}) is added.", "success")
            return redirect(url_for("admin.agencies"))
    return _render("admin/agency_form.html", 400, form=form, agency=None, errors=errors)


def _agency_or_404(agency_id: int) -> Agency:
    agency = agencies.get_agency(agency_id)
    if agency is None:
        abort(404)
    return agency


@blueprint.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
def agency_edit(agency_id: int) -> ResponseReturnValue:
    agency = _agency_or_404(agency_id)
    cases = agencies.case_count(agency)
    context: dict[str, Any] = {"agency": agency, "cases": cases}
    if request.method == "GET":
        form = AgencyForm(formdata=None, obj=agency)
        return _render("admin/agency_form.html", form=form, errors={}, **context)
    form = AgencyForm()
    if cases:
        # The code is shown, not offered, once cases exist: it stays what it is.
        form.code.data = agency.code
    errors = error_map(form, AGENCY_FIELDS) if not form.validate() else {}
    if not errors:
        try:
            changed = agencies.update_agency(agency, form.details(), actor=current_user)
        except agencies.AgencyError as exc:
            errors = {exc.field: str(exc)}
        else:
            if changed:
                flash(f"The agency {agency.code} is saved.", "success")
            else:
                flash(f"Nothing changed for the agency {agency.code}.", "info")
            return redirect(url_for("admin.agencies"))
    return _render("admin/agency_form.html", 400, form=form, errors=errors, **context)
