"""Administration forms: staff accounts and agencies, checked field by field in plain words."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import ValidationError

from portal.models import Role
from portal.services import accounts, agencies

MAX_EMAIL = 254
# Argon2 takes any length; a bound keeps one request from hashing megabytes.
MAX_PASSWORD = 256
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# (value, label, hint) in the order the radios are shown.
ROLE_CHOICES: list[tuple[str, str, str]] = [
    (
        Role.MODERATOR.value,
        "Moderator",
        "Works the tip queue: triages, merges and forwards tips. With an agency, only that "
        "agency’s tips; in the central team, every agency’s.",
    ),
    (
        Role.PUBLISHER.value,
        "Publisher",
        "Prepares, publishes and withdraws the appeals of one agency.",
    ),
    (
        Role.ADMIN.value,
        "Administrator",
        "Manages staff accounts and agencies, and sees every agency’s tips.",
    ),
]
ROLE_VALUES = frozenset(value for value, _, _ in ROLE_CHOICES)

# The actions of the account page's smaller forms (role and agency have their own form).
ACCOUNT_ACTIONS = frozenset({"deactivate", "reactivate", "reset_2fa", "unlock"})


def clean_line(value: str | None) -> str:
    """One line as typed, without control characters or surrounding spaces."""
    return _CONTROL.sub("", value or "").strip()


def error_map(form: FlaskForm, order: list[str]) -> dict[str, str]:
    """The first error of each field, in page order, keyed by the field's id."""
    errors: dict[str, str] = {}
    for name in order:
        field_errors = form.errors.get(name)
        if field_errors:
            errors[name] = str(field_errors[0])
    return errors


class _RoleAgencyForm(FlaskForm):  # type: ignore[misc]  # flask_wtf has no type hints
    role = StringField("Role")
    # An agency code; empty means the central team (all agencies).
    agency = StringField("Agency")

    def validate_role(self, field: Any) -> None:
        field.data = clean_line(field.data)
        if field.data not in ROLE_VALUES:
            raise ValidationError("Choose a role: moderator, publisher or administrator.")

    def validate_agency(self, field: Any) -> None:
        field.data = clean_line(field.data)[:40]
        if not field.data and self.role.data == Role.PUBLISHER.value:
            raise ValidationError("Choose the agency this publisher works for.")

    def chosen_role(self) -> Role:
        return Role(self.role.data)

    def chosen_agency(self) -> str | None:
        return self.agency.data or None


class NewAccountForm(_RoleAgencyForm):
    email = StringField("Email address")
    password = PasswordField("Temporary password")

    def validate_email(self, field: Any) -> None:
        field.data = clean_line(field.data)
        if not field.data:
            raise ValidationError("Enter the person’s work email address.")
        if len(field.data) > MAX_EMAIL or not _EMAIL.fullmatch(field.data):
            raise ValidationError("Enter an email address like name@police.example.")

    def validate_password(self, field: Any) -> None:
        # Passwords are taken as typed: spaces may be part of a passphrase.
        field.data = field.data or ""
        if field.data and len(field.data) < accounts.MIN_PASSWORD_LENGTH:
            raise ValidationError(
                f"The password must be at least {accounts.MIN_PASSWORD_LENGTH} characters "
                "long, or leave it empty to have one made for you."
            )
        if len(field.data) > MAX_PASSWORD:
            raise ValidationError(f"The password must be {MAX_PASSWORD} characters or fewer.")


class AccountForm(_RoleAgencyForm):
    """Role and agency of an existing account."""

    action = HiddenField(default="update")


class AccountActionForm(FlaskForm):  # type: ignore[misc]
    """One button: deactivate, reactivate, reset the second factor or unlock."""

    action = HiddenField()


class AgencyForm(FlaskForm):  # type: ignore[misc]
    code = StringField("Code")
    name = StringField("Name")
    country = StringField("Country")
    tip_email = StringField("Email address for tips")
    requires_approval = BooleanField("A second publisher approves each publication")

    def details(self) -> agencies.AgencyDetails:
        return agencies.details(
            self.code.data or "",
            self.name.data or "",
            self.country.data or "",
            self.tip_email.data,
            bool(self.requires_approval.data),
        )

    def validate_code(self, field: Any) -> None:
        field.data = clean_line(field.data).upper()[:64]
        _raise(agencies.code_problem(field.data))

    def validate_name(self, field: Any) -> None:
        field.data = " ".join(clean_line(field.data).split())
        _raise(agencies.name_problem(field.data))

    def validate_country(self, field: Any) -> None:
        field.data = clean_line(field.data).upper()[:8]
        _raise(agencies.country_problem(field.data))

    def validate_tip_email(self, field: Any) -> None:
        field.data = clean_line(field.data)
        _raise(agencies.tip_email_problem(field.data or None))


def _raise(problem: str | None) -> None:
    if problem is not None:
        raise ValidationError(problem)
