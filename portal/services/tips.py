"""Tip intake, receipts, the tipster's follow-up thread, and jobs that keep attachments whole."""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from portal.attachments import (
    MAX_ATTACHMENTS,
    MAX_TOTAL_BYTES,
    AttachmentRejected,
    CleanAttachment,
    clean_attachment,
)
from portal.crypto import TipCipher, code_digest, derived_code, normalise_code, random_code
from portal.extensions import db
from portal.logs import log_failure
from portal.media import MediaError, MediaStore
from portal.models import (
    AttachmentState,
    Case,
    CaseStatus,
    Relationship,
    ThreadAuthor,
    Tip,
    TipAttachment,
    TipThreadEntry,
)
from portal.models.base import as_utc, utcnow
from portal.services.cases import PUBLIC_ID

log = logging.getLogger(__name__)

REFERENCE_PREFIX = "TIP-"
FOLLOWUP_GROUPS = 4
ATTACHMENT_PREFIX = "tips/"
# Objects younger than this may belong to a submission still committing; reconcile spares them.
ORPHAN_GRACE = timedelta(hours=2)


class TipNotStored(Exception):
    """The tip could not be stored; nothing of it was kept, and the sender must try again."""


class SubmissionConflict(Exception):
    """A form already sent with different content was sent again."""


class AttachmentsRejected(Exception):
    """Some attachments cannot be accepted: `errors` maps their position to a message."""

    def __init__(self, errors: dict[int, str]) -> None:
        super().__init__(f"{len(errors)} attachment(s) rejected")
        self.errors = errors


@dataclass(frozen=True)
class Upload:
    """A file as the sender chose it."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Contact:
    name: str = ""
    email: str = ""
    phone: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.email or self.phone)


@dataclass(frozen=True)
class TipSubmission:
    """What the tip form carried, already checked field by field."""

    submission_id: str
    message: str
    relationship: Relationship | None = None
    contact_ok: bool = False
    contact: Contact = field(default_factory=Contact)
    uploads: Sequence[Upload] = ()


@dataclass(frozen=True)
class Receipt:
    """What the tipster is shown once the tip is stored."""

    reference: str
    # None only when a retry arrives after the encryption key was rotated.
    followup_code: str | None
    case_id: int
    created_at: datetime
    attachments: int


# ---------------------------------------------------------------------------
# Submitting


class AppealClosed(Exception):
    """The case is public but identified: its appeal takes no more tips."""


def case_for_tip(public_id: str) -> Case | None:
    """The case a tip may be sent about (published), None if there is no public case.

    Raises AppealClosed for an identified case, which is public but takes no tips.
    """
    if not PUBLIC_ID.fullmatch(public_id):
        return None
    case = db.session.scalar(select(Case).where(Case.public_id == public_id))
    if case is None or not case.is_public:
        return None
    if case.status is CaseStatus.IDENTIFIED:
        raise AppealClosed(public_id)
    return case


def _followup_code(cipher: TipCipher, submission_id: str) -> str:
    # Derived, not stored: a retry of the same form shows the same code again.
    return derived_code(cipher.derived_key("tip-followup-code"), submission_id, FOLLOWUP_GROUPS)


def _receipt(cipher: TipCipher, tip: Tip) -> Receipt:
    code: str | None = _followup_code(cipher, tip.submission_id)
    if code is not None and not hmac.compare_digest(code_digest(code), tip.followup_digest):
        code = None
    return Receipt(
        reference=tip.reference,
        followup_code=code,
        case_id=tip.case_id,
        created_at=as_utc(tip.created_at),
        attachments=len(tip.attachments),
    )


def _message_context(submission_id: str) -> str:
    return f"tip-message:{submission_id}"


def _contact_context(submission_id: str) -> str:
    return f"tip-contact:{submission_id}"


def _thread_context(tip: Tip) -> str:
    return f"tip-thread:{tip.submission_id}"


def _replay(cipher: TipCipher, case: Case, submission: TipSubmission) -> Receipt | None:
    """The receipt of a form already stored, if this is that form sent again."""
    existing = db.session.scalar(select(Tip).where(Tip.submission_id == submission.submission_id))
    if existing is None:
        return None
    stored = cipher.decrypt_text(existing.message_enc, _message_context(existing.submission_id))
    # As bytes: compare_digest refuses a str holding any non-ASCII character.
    same = existing.case_id == case.id and hmac.compare_digest(
        stored.encode(), submission.message.encode()
    )
    if not same:
        raise SubmissionConflict(submission.submission_id)
    return _receipt(cipher, existing)


def clean_uploads(uploads: Sequence[Upload]) -> list[CleanAttachment]:
    """Check and rewrite every upload, collecting one message per rejected file."""
    errors: dict[int, str] = {}
    if len(uploads) > MAX_ATTACHMENTS:
        errors[MAX_ATTACHMENTS] = _(
            "Send at most %(num)s files with one message.", num=MAX_ATTACHMENTS
        )
        raise AttachmentsRejected(errors)
    total = sum(len(upload.data) for upload in uploads)
    if total > MAX_TOTAL_BYTES:
        errors[0] = _(
            "The files add up to more than %(size)s MB. Send fewer or smaller files.",
            size=MAX_TOTAL_BYTES // (1024 * 1024),
        )
        raise AttachmentsRejected(errors)
    cleaned: list[CleanAttachment] = []
    for index, upload in enumerate(uploads):
        try:
            cleaned.append(clean_attachment(upload.data))
        except AttachmentRejected as exc:
            errors[index] = str(exc)
    if errors:
        raise AttachmentsRejected(errors)
    return cleaned


def new_storage_key(now: datetime | None = None) -> str:
    # The hour in the key lets reconcile tell an in-flight upload from an orphan.
    now = now or utcnow()
    return f"{ATTACHMENT_PREFIX}{now:%Y%m%d%H}/{secrets.token_hex(16)}"


def _attachment_rows(
    cipher: TipCipher,
    store: MediaStore,
    uploads: Sequence[Upload],
    cleaned: Sequence[CleanAttachment],
) -> tuple[list[TipAttachment], list[str]]:
    """Encrypt and store each attachment, parking what the store cannot take now.

    Returns the rows (not yet added) and the keys written, to delete if the commit fails.
    """
    rows: list[TipAttachment] = []
    written: list[str] = []
    store_down = False
    for upload, clean in zip(uploads, cleaned, strict=True):
        key = new_storage_key()
        sealed = cipher.encrypt(clean.data, f"attachment:{key}")
        state = AttachmentState.PARKED
        if not store_down:
            # Recorded before the put: a put that timed out may still have landed.
            written.append(key)
            try:
                store.put(key, sealed, "application/octet-stream")
                state = AttachmentState.STORED
            except MediaError as exc:
                # The client already retried; the rest would only wait for the same outage.
                store_down = True
                log_failure(log, "tip attachment parked, media store unreachable", exc)
        rows.append(
            TipAttachment(
                storage_key=key,
                state=state,
                parked_data=sealed if state is AttachmentState.PARKED else None,
                content_type=clean.content_type,
                kind=clean.kind,
                size=len(clean.data),
                filename_enc=cipher.encrypt_text(
                    _safe_filename(upload.filename, clean.extension), f"attachment-name:{key}"
                ),
            )
        )
    return rows, written


def _safe_filename(name: str, extension: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable())[:120] or "attachment"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem}.{extension}"


def _discard(store: MediaStore, keys: Sequence[str]) -> None:
    for key in keys:
        try:
            store.delete(key)
        except MediaError as exc:
            # Left for `flask tips reconcile`, which reports objects no row points at.
            log_failure(log, "could not delete an uncommitted tip attachment", exc)


def _commit_or_discard(store: MediaStore, written: Sequence[str], what: str) -> bool:
    """Commit the session; if that fails, roll back and delete the objects written for it.

    False when a unique constraint refused the rows (a twin of the form committed first);
    TipNotStored for any other database failure.
    """
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        _discard(store, written)
        return False
    except SQLAlchemyError as exc:
        db.session.rollback()
        _discard(store, written)
        log_failure(log, f"{what} not stored", exc)
        raise TipNotStored from exc
    except BaseException:
        db.session.rollback()
        _discard(store, written)
        raise
    return True


def submit_tip(
    cipher: TipCipher, store: MediaStore, case: Case, submission: TipSubmission
) -> Receipt:
    """Store a tip and its attachments durably, once, and return its receipt.

    The attachment bytes are written (or parked in the row) before the rows commit in one
    transaction, so a receipt always stands for a stored tip. Sending the same form again
    returns the first receipt. Raises AttachmentsRejected, SubmissionConflict or TipNotStored.
    """
    replay = _replay(cipher, case, submission)
    if replay is not None:
        return replay
    cleaned = clean_uploads(submission.uploads)
    contact = submission.contact if submission.contact_ok else Contact()
    followup_code = _followup_code(cipher, submission.submission_id)
    for _attempt in range(3):
        attachments, written = _attachment_rows(cipher, store, submission.uploads, cleaned)
        # Kept here for the receipt: reading them back from the committed (expired) rows
        # would cost two more queries on every tip.
        receipt = Receipt(
            reference=REFERENCE_PREFIX + random_code(2),
            followup_code=followup_code,
            case_id=case.id,
            created_at=utcnow(),
            attachments=len(attachments),
        )
        tip = Tip(
            reference=receipt.reference,
            submission_id=submission.submission_id,
            followup_digest=code_digest(followup_code),
            case_id=receipt.case_id,
            created_at=receipt.created_at,
            relation=submission.relationship,
            message_enc=cipher.encrypt_text(
                submission.message, _message_context(submission.submission_id)
            ),
            contact_enc=None
            if contact.is_empty
            else cipher.encrypt_text(
                json.dumps(contact.__dict__), _contact_context(submission.submission_id)
            ),
            has_contact=not contact.is_empty,
            contact_ok=submission.contact_ok and not contact.is_empty,
            attachments=attachments,
        )
        db.session.add(tip)
        if not _commit_or_discard(store, written, "tip"):
            # Either a twin of this form committed first, or the reference collided.
            replay = _replay(cipher, case, submission)
            if replay is not None:
                return replay
            continue
        return receipt
    raise TipNotStored("no free reference after three attempts")


# ---------------------------------------------------------------------------
# Follow-up


def normalise_reference(text: str) -> str:
    code = normalise_code(text)
    if len(code) == 11 and code.startswith("T1P"):  # "TIP" after look-alike mapping
        code = code[3:]
    return f"{REFERENCE_PREFIX}{code[:4]}-{code[4:]}" if len(code) == 8 else ""


def open_followup(reference: str, followup_code: str) -> Tip | None:
    """The tip these codes belong to, or None; both must match."""
    normal = normalise_reference(reference)
    if not normal:
        return None
    tip = db.session.scalar(select(Tip).where(Tip.reference == normal))
    digest = code_digest(followup_code)
    if tip is None:
        # Compare anyway so a wrong reference takes as long as a wrong code.
        hmac.compare_digest(digest, "0" * 64)
        return None
    return tip if hmac.compare_digest(digest, tip.followup_digest) else None


@dataclass(frozen=True)
class ThreadLine:
    id: int
    author: ThreadAuthor
    body: str
    created_at: datetime
    reply_to_id: int | None
    attachments: int


@dataclass(frozen=True)
class FollowUp:
    """What a tipster holding the codes may see: never the police's conclusions."""

    reference: str
    case_id: int
    created_at: datetime
    read_at: datetime | None
    attachments: int
    thread: list[ThreadLine]

    @property
    def open_questions(self) -> list[ThreadLine]:
        answered = {line.reply_to_id for line in self.thread if line.reply_to_id}
        return [
            line
            for line in self.thread
            if line.author is ThreadAuthor.MODERATOR and line.id not in answered
        ]


def followup_view(cipher: TipCipher, tip: Tip) -> FollowUp:
    counts: dict[int | None, int] = {}
    for attachment in tip.attachments:
        counts[attachment.thread_entry_id] = counts.get(attachment.thread_entry_id, 0) + 1
    context = _thread_context(tip)
    return FollowUp(
        reference=tip.reference,
        case_id=tip.case_id,
        created_at=as_utc(tip.created_at),
        read_at=as_utc(tip.read_at),
        attachments=counts.get(None, 0),
        thread=[
            ThreadLine(
                id=entry.id,
                author=entry.author,
                body=cipher.decrypt_text(entry.body_enc, context),
                created_at=as_utc(entry.created_at),
                reply_to_id=entry.reply_to_id,
                attachments=counts.get(entry.id, 0),
            )
            for entry in tip.thread
        ],
    )


def add_information(
    cipher: TipCipher,
    store: MediaStore,
    tip: Tip,
    *,
    submission_id: str,
    text: str,
    uploads: Sequence[Upload] = (),
    reply_to_id: int | None = None,
) -> TipThreadEntry:
    """Add the tipster's further information (or answer) to the tip, once per form."""
    existing = db.session.scalar(
        select(TipThreadEntry).where(TipThreadEntry.submission_id == submission_id)
    )
    if existing is not None:
        if existing.tip_id != tip.id:
            raise SubmissionConflict(submission_id)
        return existing
    if reply_to_id is not None:
        question = db.session.get(TipThreadEntry, reply_to_id)
        if (
            question is None
            or question.tip_id != tip.id
            or (question.author is not ThreadAuthor.MODERATOR)
        ):
            reply_to_id = None
    cleaned = clean_uploads(uploads)
    attachments, written = _attachment_rows(cipher, store, uploads, cleaned)
    entry = TipThreadEntry(
        tip=tip,
        author=ThreadAuthor.TIPSTER,
        body_enc=cipher.encrypt_text(text, _thread_context(tip)),
        reply_to_id=reply_to_id,
        submission_id=submission_id,
    )
    db.session.add(entry)
    for attachment in attachments:
        attachment.thread_entry = entry
        tip.attachments.append(attachment)
    if not _commit_or_discard(store, written, "follow-up"):
        twin = db.session.scalar(
            select(TipThreadEntry).where(TipThreadEntry.submission_id == submission_id)
        )
        if twin is None or twin.tip_id != tip.id:
            raise TipNotStored("the follow-up could not be stored")
        return twin
    return entry


def ask_question(
    cipher: TipCipher, tip: Tip, text: str, *, author_id: int | None = None, commit: bool = True
) -> TipThreadEntry:
    """A moderator's question, shown to the tipster on the follow-up page."""
    entry = TipThreadEntry(
        tip=tip,
        author=ThreadAuthor.MODERATOR,
        author_id=author_id,
        body_enc=cipher.encrypt_text(text, _thread_context(tip)),
    )
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry


def read_message(cipher: TipCipher, tip: Tip) -> str:
    return cipher.decrypt_text(tip.message_enc, _message_context(tip.submission_id))


def read_contact(cipher: TipCipher, tip: Tip) -> Contact:
    if tip.contact_enc is None:
        return Contact()
    data = json.loads(cipher.decrypt_text(tip.contact_enc, _contact_context(tip.submission_id)))
    return Contact(**data)


def read_attachment(cipher: TipCipher, store: MediaStore, attachment: TipAttachment) -> bytes:
    """The clean bytes of an attachment, from the store or from its parking place."""
    if attachment.state is AttachmentState.PARKED and attachment.parked_data is not None:
        sealed = attachment.parked_data
    else:
        sealed = store.get(attachment.storage_key)
    return cipher.decrypt(sealed, f"attachment:{attachment.storage_key}")


def attachment_filename(cipher: TipCipher, attachment: TipAttachment) -> str:
    return cipher.decrypt_text(attachment.filename_enc, f"attachment-name:{attachment.storage_key}")


# ---------------------------------------------------------------------------
# Jobs


@dataclass(frozen=True)
class RetryResult:
    stored: int
    still_parked: int


def retry_parked_attachments(store: MediaStore, *, limit: int | None = None) -> RetryResult:
    """Move parked attachments into the media store, one commit each."""
    ids = list(
        db.session.scalars(
            select(TipAttachment.id)
            .where(TipAttachment.state == AttachmentState.PARKED)
            .order_by(TipAttachment.id)
            .limit(limit)
        )
    )
    stored = 0
    for attachment_id in ids:
        attachment = db.session.get(TipAttachment, attachment_id)
        if attachment is None or attachment.state is not AttachmentState.PARKED:
            continue  # another job took it
        data = attachment.parked_data
        if data is None:
            continue
        try:
            # The key was chosen at intake, so a put repeated after a crash lands in one place.
            store.put(attachment.storage_key, data, "application/octet-stream")
        except MediaError as exc:
            log_failure(log, "parked tip attachment still cannot be stored", exc)
            db.session.rollback()
            break
        attachment.state = AttachmentState.STORED
        attachment.parked_data = None
        db.session.commit()
        stored += 1
    remaining = db.session.scalar(
        select(func.count(TipAttachment.id)).where(TipAttachment.state == AttachmentState.PARKED)
    )
    return RetryResult(stored=stored, still_parked=int(remaining or 0))


@dataclass
class ReconcileReport:
    checked_rows: int = 0
    checked_objects: int = 0
    parked: int = 0
    # Rows that say "stored" but whose object is missing: bytes lost, to investigate.
    missing_objects: list[str] = field(default_factory=list)
    # Objects no row points at: uploads of submissions that did not commit.
    orphan_objects: list[str] = field(default_factory=list)
    recent_unmatched: int = 0
    deleted: int = 0

    @property
    def healthy(self) -> bool:
        return not self.missing_objects and not self.orphan_objects


def _key_hour(key: str) -> datetime | None:
    parts = key.split("/")
    if len(parts) != 3:
        return None
    with contextlib.suppress(ValueError):
        return datetime.strptime(parts[1], "%Y%m%d%H").replace(tzinfo=UTC)
    return None


def reconcile_attachments(
    store: MediaStore, *, delete_orphans: bool = False, now: datetime | None = None
) -> ReconcileReport:
    """Compare attachment rows with the objects in the store, both ways."""
    now = now or utcnow()
    report = ReconcileReport()
    rows = {
        key: state
        for key, state in db.session.execute(
            select(TipAttachment.storage_key, TipAttachment.state)
        ).tuples()
    }
    report.checked_rows = len(rows)
    report.parked = sum(1 for state in rows.values() if state is AttachmentState.PARKED)
    seen: set[str] = set()
    for key in store.iter_keys(ATTACHMENT_PREFIX):
        report.checked_objects += 1
        seen.add(key)
        if key in rows:
            continue
        hour = _key_hour(key)
        if hour is not None and now - hour < ORPHAN_GRACE:
            report.recent_unmatched += 1
            continue
        report.orphan_objects.append(key)
        if delete_orphans:
            store.delete(key)
            report.deleted += 1
    report.missing_objects = sorted(
        key for key, state in rows.items() if state is AttachmentState.STORED and key not in seen
    )
    return report
