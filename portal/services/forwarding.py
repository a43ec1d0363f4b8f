"""Forwarding a tip to its case's agency by email: the rules, the message, sending and retries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, or_, select, update

from portal import mail
from portal.config import Settings
from portal.crypto import TipCipher
from portal.extensions import db
from portal.mail import MailError
from portal.media import MediaError, MediaStore
from portal.models import Agency, ForwardState, ThreadAuthor, Tip, TipForward, TipStatus, User
from portal.models.base import as_utc, utcnow
from portal.services import moderation
from portal.services import tips as tip_service
from portal.services.accounts import audit
from portal.services.moderation import STATUS_LABELS, ModerationError, TipClaimed

log = logging.getLogger(__name__)

# Statuses a tip can be sent in. A forwarded tip may be sent again: the tipster may have
# added information since, and the police want all of it.
FORWARDABLE = frozenset({TipStatus.ACTIONABLE, TipStatus.FORWARDED})
# Files are attached up to this total (base64 makes the message a third larger, which most
# police mail servers still take); the rest are listed for the police to ask for.
MAX_ATTACHED_BYTES = 20 * 1024 * 1024
# A pending forward older than this was interrupted (a crash mid-send) and may be sent again.
STALE_PENDING = timedelta(minutes=10)
STATE_LABELS = {
    ForwardState.PENDING: "Sending",
    ForwardState.SENT: "Sent",
    ForwardState.FAILED: "Failed",
}


def _settings() -> Settings:
    settings: Settings = current_app.extensions["portal_settings"]
    return settings


# ---------------------------------------------------------------------------
# The rules


def check_forwardable(tip: Tip) -> Agency:
    """The agency the tip goes to; ModerationError if the tip cannot be forwarded now."""
    if tip.merged_into_id is not None:
        raise ModerationError(
            f"{tip.reference} is merged into another tip: forward the tip it was merged into."
        )
    if tip.status in (TipStatus.NEW, TipStatus.IN_REVIEW):
        raise ModerationError("Mark the tip as actionable before forwarding it.")
    if tip.status not in FORWARDABLE:
        raise ModerationError(
            f"{tip.reference} is marked as {STATUS_LABELS[tip.status].lower()}: "
            "only actionable tips are forwarded."
        )
    agency = tip.case.agency
    if not agency.tip_email:
        raise ModerationError(
            f"{agency.name} has no address for tips. An administrator can add one."
        )
    return agency


def _require_claim(user: User | None, tip: Tip) -> None:
    # A system retry (user None) finishes what a moderator already decided; it claims nothing.
    if user is not None and not moderation.claim(user, tip):
        raise TipClaimed(
            "Another moderator is working on this tip. Wait until their claim ends or take it over."
        )


def is_stale(forward: TipForward, now: datetime | None = None) -> bool:
    requested = as_utc(forward.requested_at)
    return forward.state is ForwardState.PENDING and requested < (now or utcnow()) - STALE_PENDING


def is_retryable(forward: TipForward, now: datetime | None = None) -> bool:
    return forward.state is ForwardState.FAILED or is_stale(forward, now)


def _retryable_forward(tip: Tip, now: datetime) -> TipForward | None:
    for forward in reversed(tip.forwards):
        if is_retryable(forward, now):
            return forward
    return None


def _check_not_in_flight(tip: Tip, now: datetime) -> None:
    for forward in tip.forwards:
        if forward.state is ForwardState.PENDING and not is_stale(forward, now):
            raise ModerationError(
                f"{tip.reference} is being sent right now. Reload the page in a minute to see "
                "how it went."
            )


# ---------------------------------------------------------------------------
# Forwarding


def forward_tip(cipher: TipCipher, store: MediaStore, user: User, tip: Tip) -> TipForward:
    """Send the tip with its files to the case's agency; the row says how it went.

    A failed earlier forward of the tip is sent again (same Message-ID) rather than doubled.
    Raises ModerationError (TipClaimed) when the rules refuse; a failed send is not an
    exception: the returned row is FAILED with its reason.
    """
    now = utcnow()
    agency = check_forwardable(tip)
    _check_not_in_flight(tip, now)
    earlier = _retryable_forward(tip, now)
    if earlier is not None:
        return retry_forward(cipher, store, user, earlier)
    _require_claim(user, tip)
    assert agency.tip_email is not None  # checked above; narrows the type
    forward = TipForward(
        tip=tip,
        to_address=agency.tip_email,
        requested_by_id=user.id,
        requested_at=now,
        state=ForwardState.PENDING,
        attempts=1,
        message_id=make_msgid(f"tip{tip.id}", domain=mail.address_domain(_settings().mail_from)),
    )
    db.session.add(forward)
    # Committed before the mail server is called: a crash mid-send leaves a visible pending row.
    db.session.commit()
    return _deliver(cipher, store, user, tip, forward)


def retry_forward(
    cipher: TipCipher, store: MediaStore, user: User | None, forward: TipForward
) -> TipForward:
    """Send a failed (or interrupted) forward again with its Message-ID; `user` None for a job."""
    tip = forward.tip
    now = utcnow()
    if forward.state is ForwardState.SENT:
        raise ModerationError(f"{tip.reference} was already sent to {forward.to_address}.")
    if not is_retryable(forward, now):
        raise ModerationError(
            f"{tip.reference} is being sent right now. Reload the page in a minute to see how "
            "it went."
        )
    agency = check_forwardable(tip)
    _require_claim(user, tip)
    # Taken only if nobody else took it since it was read: two retries never both send.
    taken = cast(
        "CursorResult[Any]",
        db.session.execute(
            update(TipForward)
            .where(
                TipForward.id == forward.id,
                TipForward.state == forward.state,
                TipForward.attempts == forward.attempts,
            )
            .values(state=ForwardState.PENDING, attempts=forward.attempts + 1)
            .execution_options(synchronize_session=False)
        ),
    )
    if taken.rowcount != 1:
        db.session.rollback()
        raise ModerationError(
            f"{tip.reference} is being sent right now. Reload the page in a minute to see how "
            "it went."
        )
    # An administrator may have corrected the agency's address since the last attempt.
    assert agency.tip_email is not None
    forward.to_address = agency.tip_email
    db.session.commit()
    db.session.refresh(forward)
    return _deliver(cipher, store, user, tip, forward)


def _deliver(
    cipher: TipCipher, store: MediaStore, user: User | None, tip: Tip, forward: TipForward
) -> TipForward:
    settings = _settings()
    try:
        message = build_message(cipher, store, tip, forward, settings.mail_from)
        mail.send(
            settings.smtp_url, message, envelope_from=mail.check_address(settings.mail_from, "")
        )
    except MailError as exc:
        return _failed(user, tip, forward, exc.reason)
    now = utcnow()
    forward.state = ForwardState.SENT
    forward.sent_at = now
    forward.sent_by_id = user.id if user is not None else None
    forward.last_error = None
    # From the command line, the moderator who asked for the forward is the one who forwarded.
    tip.forwarded_at = now
    tip.forwarded_by_id = user.id if user is not None else forward.requested_by_id
    if tip.status is not TipStatus.FORWARDED:
        moderation.record_status(user, tip, TipStatus.FORWARDED, now=now)
    audit(
        "tip.forward",
        actor=user,
        target_type="tip",
        target_id=tip.id,
        details={"forward": forward.id, "to": forward.to_address, "attempt": forward.attempts}
        | ({} if user is not None else {"by": "retry job"}),
    )
    db.session.commit()
    return forward


def _failed(user: User | None, tip: Tip, forward: TipForward, reason: str) -> TipForward:
    # Whatever the session holds from the attempt is dropped; the row is written afresh.
    db.session.rollback()
    forward.state = ForwardState.FAILED
    forward.last_error = reason[:500]
    # The reason is what the mail server said about the connection or the address, never
    # what the message held; ids only, so the log says nothing about the tip either.
    log.warning("forward %s of tip %s failed: %s", forward.id, tip.id, forward.last_error)
    audit(
        "tip.forward.failed",
        actor=user,
        target_type="tip",
        target_id=tip.id,
        details={"forward": forward.id, "to": forward.to_address, "reason": forward.last_error},
    )
    db.session.commit()
    return forward


# ---------------------------------------------------------------------------
# The message


def _stamp(value: datetime | None) -> str:
    return f"{as_utc(value):%Y-%m-%d %H:%M} UTC" if value is not None else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _heading(title: str) -> list[str]:
    return ["", title, "-" * len(title)]


def build_message(
    cipher: TipCipher, store: MediaStore, tip: Tip, forward: TipForward, mail_from: str
) -> EmailMessage:
    """The email the agency receives: the tip in plain text with its files attached.

    Notes stay out (they are internal); contact details only if the tipster agreed. Raises
    MailError when the files cannot be read (a partial tip is never sent silently).
    """
    case = tip.case
    forwarded_by = forward.requested_by
    lines = [
        f"A tip about {case.title} ({case.public_id}), forwarded from {_settings().site_name}.",
        f"Quote the reference {tip.reference} when you ask about it.",
        "",
        f"Reference: {tip.reference}",
        f"Case: {case.public_id} (record {case.record_id})",
        f"Appeal: {case.title}",
        f"Received: {_stamp(tip.created_at)}",
        "How they know the person: "
        + (moderation.RELATION_LABELS[tip.relation] if tip.relation else "Not said"),
        f"Forwarded by: {forwarded_by.email if forwarded_by else 'a moderator'}",
    ]
    lines += _heading("Message")
    lines.append(tip_service.read_message(cipher, tip))

    followup = tip_service.followup_view(cipher, tip)
    questions = {line.id: line for line in followup.thread if line.author is ThreadAuthor.MODERATOR}
    later = [line for line in followup.thread if line.author is ThreadAuthor.TIPSTER]
    if later:
        lines += _heading("Added later by the tipster")
        for line in later:
            question = questions.get(line.reply_to_id) if line.reply_to_id else None
            if question is not None:
                lines.append(
                    f"{_stamp(line.created_at)}, answering the moderators' question of "
                    f"{_stamp(question.created_at)} ({_one_line(question.body)}):"
                )
            else:
                lines.append(f"{_stamp(line.created_at)}:")
            lines += [line.body, ""]

    lines += _heading("Contact")
    if not tip.has_contact:
        lines.append("Sent anonymously: there are no contact details.")
    elif not tip.contact_ok:
        lines.append("The tipster did not agree to be contacted; their details are not included.")
    else:
        contact = tip_service.read_contact(cipher, tip)
        lines.append("The tipster agreed to be contacted by the police.")
        lines += [
            f"{label}: {value}"
            for label, value in (
                ("Name", contact.name),
                ("Email", contact.email),
                ("Phone", contact.phone),
            )
            if value
        ]

    files: list[tuple[str, str, bytes | None]] = []  # name, content type, bytes if attached
    total = 0
    for attachment in tip.attachments:
        name = tip_service.attachment_filename(cipher, attachment)
        if total + attachment.size > MAX_ATTACHED_BYTES:
            files.append((name, attachment.content_type, None))
            continue
        try:
            data = tip_service.read_attachment(cipher, store, attachment)
        except MediaError:
            raise MailError(
                "the tip's files could not be read from the media store; nothing was sent"
            ) from None
        total += len(data)
        files.append((name, attachment.content_type, data))
    lines += _heading(f"Files ({len(files)})")
    if not files:
        lines.append("None.")
    for name, _content_type, attached in files:
        lines.append(f"- {name}: {'attached' if attached is not None else 'NOT attached'}")
    if any(attached is None for _name, _type, attached in files):
        lines += [
            "",
            f"Files over {MAX_ATTACHED_BYTES // (1024 * 1024)} MB in total are not attached. "
            f"Ask {forwarded_by.email if forwarded_by else 'the moderators'} for them: they can "
            "download them from the tip.",
        ]
    lines += ["", "-- ", f"Sent by {_settings().site_name}. Reference {tip.reference}."]

    message = EmailMessage()
    try:
        message["Subject"] = f"Tip {tip.reference} about {case.public_id}: {_one_line(case.title)}"
        message["From"] = mail_from
        message["To"] = forward.to_address
        if forwarded_by is not None:
            # A reply from the police reaches the moderator, not an unread mailbox.
            message["Reply-To"] = forwarded_by.email
        message["Date"] = format_datetime(utcnow())
        message["Message-ID"] = forward.message_id or make_msgid(
            domain=mail.address_domain(mail_from)
        )
    except (ValueError, TypeError) as exc:
        raise MailError(f"the message headers are not valid: {type(exc).__name__}") from None
    message.set_content("\n".join(lines))
    for name, content_type, attached in files:
        if attached is None:
            continue
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(
            attached,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=name,
        )
    return message


# ---------------------------------------------------------------------------
# The job


@dataclass(frozen=True)
class RetryReport:
    sent: int
    still_failing: int
    skipped: int  # the tip can no longer be forwarded (marked spam since, merged, ...)


def retry_failed_forwards(
    cipher: TipCipher, store: MediaStore, *, now: datetime | None = None
) -> RetryReport:
    """Send again every failed or interrupted forward, one at a time."""
    moment = now or utcnow()
    ids = list(
        db.session.scalars(
            select(TipForward.id)
            .where(
                or_(
                    TipForward.state == ForwardState.FAILED,
                    TipForward.state == ForwardState.PENDING,
                )
            )
            .order_by(TipForward.id)
        )
    )
    sent = failing = skipped = 0
    for forward_id in ids:
        forward = db.session.get(TipForward, forward_id)
        if forward is None or not is_retryable(forward, moment):
            continue  # sent meanwhile, or still being sent by a moderator
        try:
            result = retry_forward(cipher, store, None, forward)
        except ModerationError:
            db.session.rollback()
            skipped += 1
            continue
        if result.state is ForwardState.SENT:
            sent += 1
        else:
            failing += 1
    return RetryReport(sent=sent, still_failing=failing, skipped=skipped)


# ---------------------------------------------------------------------------
# What the tip page shows


@dataclass(frozen=True)
class ForwardRow:
    forward: TipForward
    state_label: str
    retryable: bool


@dataclass(frozen=True)
class ForwardPanel:
    agency: Agency
    can_forward: bool
    reason: str  # why the tip cannot be forwarded, when it cannot
    retry: TipForward | None  # the failed forward the main button sends again
    forwards: list[ForwardRow]


def forward_panel(tip: Tip) -> ForwardPanel:
    """What the tip page's forwarding panel needs: may it be sent, and how earlier sends went."""
    now = utcnow()
    reason = ""
    try:
        check_forwardable(tip)
        _check_not_in_flight(tip, now)
    except ModerationError as exc:
        reason = str(exc)
    retry = _retryable_forward(tip, now)
    return ForwardPanel(
        agency=tip.case.agency,
        can_forward=not reason,
        reason=reason,
        retry=retry,
        forwards=[
            ForwardRow(forward, STATE_LABELS[forward.state], is_retryable(forward, now))
            for forward in reversed(tip.forwards)
        ],
    )
