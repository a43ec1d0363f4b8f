"""Sign-in forms: email and password, then the six-digit code."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField


class LoginForm(FlaskForm):  # type: ignore[misc]  # flask_wtf has no type hints
    email = StringField("Email address")
    password = PasswordField("Password")
    next = HiddenField()


class TwoFactorForm(FlaskForm):  # type: ignore[misc]
    code = StringField("Code from your authenticator app")


class SignOutForm(FlaskForm):  # type: ignore[misc]
    """Only the CSRF token: signing out is a POST so no other site can trigger it."""
