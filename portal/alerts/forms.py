"""The alert sign-up form and the one-button confirm and unsubscribe forms."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

from portal.tips.forms import clean_text

MAX_EMAIL = 254
# The same check as the tip form's: something@domain.tld, no spaces.
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")


class AlertForm(FlaskForm):  # type: ignore[misc]  # flask_wtf has no type hints
    email = StringField(_l("Email address"))

    def validate_email(self, field: Any) -> None:
        field.data = clean_text(field.data)
        if not field.data:
            raise ValidationError(_l("Enter your email address."))
        if len(field.data) > MAX_EMAIL or not _EMAIL.fullmatch(field.data):
            raise ValidationError(_l("Enter an email address like name@example.com."))


class ButtonForm(FlaskForm):  # type: ignore[misc]
    """A form that is only a button: its CSRF token is all it carries."""
