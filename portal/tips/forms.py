"""The tip form and the follow-up forms: checks on each field, messages in plain words."""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from typing import Any

from flask import current_app
from flask_babel import format_decimal as number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.datastructures import FileStorage
from wtforms import HiddenField, MultipleFileField, StringField, TextAreaField
from wtforms.validators import ValidationError

from portal.attachments import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from portal.models import Relationship
from portal.security import parse_id
from portal.services.tips import Contact, TipSubmission, Upload

MAX_MESSAGE = 10_000
MAX_NAME = 200
MAX_EMAIL = 254
MAX_PHONE = 40

# Lazy: translated when the form is shown, into the page's language.
RELATIONSHIP_CHOICES: list[tuple[str, Any]] = [
    (Relationship.FAMILY.value, _l("I think they may be a member of my family")),
    (Relationship.KNEW.value, _l("I think I know or knew them")),
    (Relationship.RECOGNISE_ITEM.value, _l("I recognise a tattoo, clothing or something they had")),
    (Relationship.SAW.value, _l("I may have seen them")),
    (Relationship.OTHER.value, _l("Something else")),
]
CONTACT_CHOICES: list[tuple[str, Any]] = [
    ("yes", _l("Yes, you can contact me")),
    ("no", _l("No, I want to stay anonymous")),
]

# Control characters other than tab and newlines are never part of what someone meant to say.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
_PHONE = re.compile(r"\+?[\d\s().\-/]{6,40}")


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Text as the person meant it: NFC, no control characters, tidy line endings."""
    text = unicodedata.normalize("NFC", value or "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub("", text).strip()


def _started_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="tip-form-started")


def new_started_token() -> str:
    return _started_serializer().dumps(int(time.time()))


def seconds_since(token: str | None) -> float | None:
    """Seconds since the form was rendered, or None if the token is missing or forged."""
    if not token:
        return None
    try:
        started = _started_serializer().loads(token)
    except BadSignature:
        return None
    return time.time() - started if isinstance(started, int) else None


def valid_submission_id(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(value or "", version=4))
    except ValueError:
        return None


class _MessageForm(FlaskForm):  # type: ignore[misc]  # flask_wtf has no type hints
    """Fields every form here shares: a message, files, an id per rendered form."""

    submission_id = HiddenField()
    attachments = MultipleFileField(_l("Photos or documents (optional)"))

    def chosen_files(self) -> list[FileStorage]:
        files = self.attachments.data or []
        # A form sent without choosing a file carries one empty part.
        return [f for f in files if isinstance(f, FileStorage) and f.filename]

    def validate_attachments(self, _field: Any) -> None:
        files = self.chosen_files()
        if len(files) > MAX_ATTACHMENTS:
            raise ValidationError(_("Choose at most %(num)s files.", num=MAX_ATTACHMENTS))
        for upload in files:
            size = _size(upload)
            if size > MAX_ATTACHMENT_BYTES:
                raise ValidationError(
                    _(
                        "%(file)s is larger than %(size)s MB. Choose a smaller file.",
                        file=_display_name(upload),
                        size=MAX_ATTACHMENT_BYTES // (1024 * 1024),
                    )
                )

    def uploads(self) -> list[Upload]:
        return [
            Upload(filename=_display_name(upload), data=upload.stream.read())
            for upload in self.chosen_files()
        ]


def _size(upload: FileStorage) -> int:
    stream = upload.stream
    position = stream.tell()
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(position)
    return size


def _display_name(upload: FileStorage) -> str:
    name = clean_text(upload.filename or "")
    return name.replace("\\", "/").rsplit("/", 1)[-1][:120] or _("The file")


class TipForm(_MessageForm):
    message = TextAreaField(_l("What do you know?"))
    relationship = StringField(_l("How do you know about this person?"))
    contact_ok = StringField(_l("Can we contact you about what you tell us?"))
    name = StringField(_l("Your name (optional)"))
    email = StringField(_l("Email address"))
    phone = StringField(_l("Phone number"))
    started = HiddenField()
    # The honeypot: hidden from people by CSS and from screen readers; bots fill every field.
    website = StringField(_l("Leave this empty"))

    def validate_message(self, field: Any) -> None:
        field.data = clean_text(field.data, multiline=True)
        if not field.data:
            raise ValidationError(
                _("Enter what you know, even if you are not sure. A few words are enough.")
            )
        if len(field.data) > MAX_MESSAGE:
            raise ValidationError(
                _(
                    "Your message must be %(most)s characters or fewer. It is %(count)s. "
                    "You can add more after sending it.",
                    most=number(MAX_MESSAGE),
                    count=number(len(field.data)),
                )
            )

    def validate_relationship(self, field: Any) -> None:
        field.data = clean_text(field.data)
        if field.data and field.data not in {value for value, _label in RELATIONSHIP_CHOICES}:
            raise ValidationError(_("Choose one of the options, or leave them all unselected."))

    def validate_contact_ok(self, field: Any) -> None:
        field.data = clean_text(field.data)
        if field.data not in {value for value, _label in CONTACT_CHOICES}:
            raise ValidationError(_("Choose whether we can contact you, or stay anonymous."))

    def validate_name(self, field: Any) -> None:
        field.data = clean_text(field.data)
        if len(field.data) > MAX_NAME:
            raise ValidationError(
                _("Your name must be %(most)s characters or fewer.", most=MAX_NAME)
            )

    def validate_email(self, field: Any) -> None:
        field.data = clean_text(field.data)
        if self.contact_ok.data != "yes":
            return
        if not field.data and not clean_text(self.phone.data):
            raise ValidationError(
                _("Enter an email address or a phone number, or choose to stay anonymous.")
            )
        if not field.data:
            return
        if len(field.data) > MAX_EMAIL or not _EMAIL.fullmatch(field.data):
            raise ValidationError(_("Enter an email address like name@example.com."))

    def validate_phone(self, field: Any) -> None:
        field.data = clean_text(field.data)
        if not field.data or self.contact_ok.data != "yes":
            return
        digits = sum(ch.isdigit() for ch in field.data)
        if len(field.data) > MAX_PHONE or not _PHONE.fullmatch(field.data) or digits < 6:
            raise ValidationError(
                _("Enter a phone number, like 07700 900 982 or +32 470 12 34 56.")
            )

    def submission(self, submission_id: str) -> TipSubmission:
        wants_contact = self.contact_ok.data == "yes"
        return TipSubmission(
            submission_id=submission_id,
            message=self.message.data,
            relationship=Relationship(self.relationship.data) if self.relationship.data else None,
            contact_ok=wants_contact,
            # Staying anonymous means nothing typed in the contact fields is kept.
            contact=Contact(self.name.data, self.email.data, self.phone.data)
            if wants_contact
            else Contact(),
            uploads=self.uploads(),
        )


class FollowUpStartForm(FlaskForm):  # type: ignore[misc]
    reference = StringField(_l("Reference"))
    code = StringField(_l("Follow-up code"))

    def validate_reference(self, field: Any) -> None:
        field.data = clean_text(field.data)[:40]
        if not field.data:
            raise ValidationError(_("Enter the reference from your receipt, like TIP-7KQ3-M9XD."))

    def validate_code(self, field: Any) -> None:
        field.data = clean_text(field.data)[:60]
        if not field.data:
            raise ValidationError(_("Enter the follow-up code from your receipt."))


class FollowUpForm(_MessageForm):
    text = TextAreaField(_l("Add information"))
    reply_to = HiddenField()

    def validate_text(self, field: Any) -> None:
        field.data = clean_text(field.data, multiline=True)
        if not field.data:
            raise ValidationError(_("Enter what you want to add."))
        if len(field.data) > MAX_MESSAGE:
            raise ValidationError(
                _("What you add must be %(most)s characters or fewer.", most=number(MAX_MESSAGE))
            )

    def reply_to_id(self) -> int | None:
        return parse_id((self.reply_to.data or "").strip())


def error_map(form: FlaskForm, order: list[str]) -> dict[str, str]:
    """The first error of each field, in page order, keyed by the field's id."""
    errors: dict[str, str] = {}
    for name in order:
        field_errors = form.errors.get(name)
        if field_errors:
            errors[name] = str(field_errors[0])
    return errors
