"""Moderation: who may see which tips, the queue, claims, statuses, notes and assignment."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, case, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, selectinload
from sqlalchemy.sql.elements import ColumnElement

from portal.crypto import TipCipher
from portal.extensions import db
from portal.models import (
    Case,
    Relationship,
    Role,
    ThreadAuthor,
    Tip,
    TipAttachment,
    TipNote,
    TipPriority,
    TipStatus,
    TipThreadEntry,
    User,
)
from portal.models.base import as_utc, utcnow
from portal.security import parse_id
from portal.services import tips as tip_service
from portal.services.accounts import audit

CLAIM_MINUTES = 15
PAGE_SIZE = 50
MAX_NOTE_LENGTH = 5000
MAX_QUESTION_LENGTH = 2000
# A bulk action touches at most this many tips: a spam wave is handled page by page.
MAX_BULK = 200

OPEN_STATUSES = (TipStatus.NEW, TipStatus.IN_REVIEW, TipStatus.ACTIONABLE)
# What a moderator may set by hand. "Forwarded" is only reached by sending the tip, and a
# merged duplicate only leaves "duplicate" by being unmerged.
TRANSITIONS: dict[TipStatus, frozenset[TipStatus]] = {
    TipStatus.NEW: frozenset(
        {
            TipStatus.IN_REVIEW,
            TipStatus.ACTIONABLE,
            TipStatus.DUPLICATE,
            TipStatus.NOT_RELEVANT,
            TipStatus.SPAM,
        }
    ),
    TipStatus.IN_REVIEW: frozenset(
        {TipStatus.ACTIONABLE, TipStatus.DUPLICATE, TipStatus.NOT_RELEVANT, TipStatus.SPAM}
    ),
    TipStatus.ACTIONABLE: frozenset(
        {TipStatus.IN_REVIEW, TipStatus.DUPLICATE, TipStatus.NOT_RELEVANT, TipStatus.SPAM}
    ),
    TipStatus.FORWARDED: frozenset(),
    TipStatus.DUPLICATE: frozenset({TipStatus.IN_REVIEW}),
    TipStatus.NOT_RELEVANT: frozenset({TipStatus.IN_REVIEW}),
    TipStatus.SPAM: frozenset({TipStatus.IN_REVIEW}),
}
STATUS_LABELS = {
    TipStatus.NEW: "New",
    TipStatus.IN_REVIEW: "In review",
    TipStatus.ACTIONABLE: "Actionable",
    TipStatus.FORWARDED: "Forwarded",
    TipStatus.DUPLICATE: "Duplicate",
    TipStatus.NOT_RELEVANT: "Not relevant",
    TipStatus.SPAM: "Spam",
}
# One key per status for keyboard triage (also shown on the buttons).
STATUS_KEYS = {
    TipStatus.IN_REVIEW: "r",
    TipStatus.ACTIONABLE: "a",
    TipStatus.DUPLICATE: "d",
    TipStatus.NOT_RELEVANT: "x",
    TipStatus.SPAM: "s",
}
PRIORITY_LABELS = {
    TipPriority.URGENT: "Urgent",
    TipPriority.HIGH: "High",
    TipPriority.NORMAL: "Normal",
    TipPriority.LOW: "Low",
}
# The tipster's answer to "how do you know about this person", in the staff's words.
RELATION_LABELS = {
    Relationship.FAMILY: "Thinks they may be family",
    Relationship.KNEW: "Thinks they know or knew them",
    Relationship.RECOGNISE_ITEM: "Recognises a tattoo, clothing or belonging",
    Relationship.SAW: "May have seen them",
    Relationship.OTHER: "Something else",
}
_PUBLIC_ID = re.compile(r"[a-z0-9]{1,16}")
_STATUS_RANK = {TipStatus.NEW: 0, TipStatus.IN_REVIEW: 1, TipStatus.ACTIONABLE: 2}
_PRIORITY_RANK = {TipPriority.URGENT: 0, TipPriority.HIGH: 1, TipPriority.NORMAL: 2}


class ModerationError(ValueError):
    """The action cannot be done; the message says why, in words for the moderator."""


class TipClaimed(ModerationError):
    """Another moderator holds the claim on this tip."""


# ---------------------------------------------------------------------------
# Who sees what


def sees_all_agencies(user: User) -> bool:
    """Admins and the central team (moderators with no agency) see every agency's tips."""
    return user.role is Role.ADMIN or user.agency_id is None


def tip_scope(user: User) -> ColumnElement[bool]:
    """The condition on Tip that limits a query to the tips `user` may see."""
    if sees_all_agencies(user):
        return true()
    return Tip.case_id.in_(select(Case.id).where(Case.agency_id == user.agency_id))


def case_scope(user: User) -> ColumnElement[bool]:
    if sees_all_agencies(user):
        return true()
    return Case.agency_id == user.agency_id


def visible_tip(user: User, tip_id: int) -> Tip | None:
    """The tip if it exists and `user` may see it; None otherwise (the caller answers 404)."""
    return db.session.scalar(select(Tip).where(Tip.id == tip_id, tip_scope(user)))


def visible_tips(user: User, tip_ids: Iterable[int]) -> list[Tip]:
    ids = sorted(set(tip_ids))[:MAX_BULK]
    if not ids:
        return []
    return list(
        db.session.scalars(select(Tip).where(Tip.id.in_(ids), tip_scope(user)).order_by(Tip.id))
    )


def cases_for(user: User) -> list[Case]:
    """The cases whose tips `user` may see and that have tips, for the case filter."""
    return list(
        db.session.scalars(
            select(Case)
            .where(case_scope(user), Case.id.in_(select(Tip.case_id)))
            .order_by(Case.public_id)
        )
    )


def moderators_for(user: User) -> list[User]:
    """The accounts a tip of `user`'s scope can be assigned to."""
    query = select(User).where(User.active.is_(True), User.role.in_((Role.MODERATOR, Role.ADMIN)))
    if not sees_all_agencies(user):
        query = query.where(or_(User.agency_id == user.agency_id, User.agency_id.is_(None)))
    return list(db.session.scalars(query.order_by(User.email)))


# ---------------------------------------------------------------------------
# The queue


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows; every field comes from the query string and has a safe default."""

    status: str = "open"  # "open", "all" or a TipStatus value
    case: str = ""  # a case public id
    priority: str = ""
    assignee: str = ""  # "", "me", "none" or a user id
    has_contact: bool = False
    has_attachment: bool = False
    text: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: dict[str, str]) -> QueueFilter:
        statuses = {status.value for status in TipStatus} | {"open", "all"}
        priorities = {priority.value for priority in TipPriority}
        assignee = args.get("assignee", "")
        page = args.get("page", "1")
        return cls(
            status=args.get("status", "open") if args.get("status") in statuses else "open",
            # Public ids are short lower-case letters and digits; anything else matches none
            # (and never reaches the database: PostgreSQL refuses some characters outright).
            case=case_id if _PUBLIC_ID.fullmatch(case_id := args.get("case", "")) else "",
            priority=args.get("priority", "") if args.get("priority") in priorities else "",
            assignee=assignee if assignee in {"me", "none"} or parse_id(assignee) else "",
            has_contact=args.get("has_contact") == "1",
            has_attachment=args.get("has_attachment") == "1",
            text=args.get("q", "").strip()[:200],
            page=min(parse_id(page) or 1, 10_000),
        )

    def args(self, **changes: object) -> dict[str, str]:
        """The query string that gives this filter back (with `changes`), defaults left out."""
        values = {
            "status": self.status,
            "case": self.case,
            "priority": self.priority,
            "assignee": self.assignee,
            "has_contact": "1" if self.has_contact else "",
            "has_attachment": "1" if self.has_attachment else "",
            "q": self.text,
            "page": str(self.page),
        }
        values.update({key: str(value) for key, value in changes.items()})
        defaults = {"status": "open", "page": "1"}
        return {key: value for key, value in values.items() if value and defaults.get(key) != value}

    @property
    def is_default(self) -> bool:
        return not self.args(page=1)


@dataclass(frozen=True)
class QueueRow:
    tip: Tip
    attachments: int
    unread_replies: int
    failed_forwards: int
    merged_count: int
    claimed_by_other: bool


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)


def _attachment_count() -> ColumnElement[int]:
    return (
        select(func.count(TipAttachment.id))
        .where(TipAttachment.tip_id == Tip.id)
        .correlate(Tip)
        .scalar_subquery()
    )


def _filtered(user: User, filters: QueueFilter) -> Select[tuple[int]]:
    query = select(Tip.id).where(tip_scope(user))
    if filters.status == "open":
        query = query.where(Tip.status.in_(OPEN_STATUSES))
    elif filters.status != "all":
        query = query.where(Tip.status == TipStatus(filters.status))
    if filters.case:
        query = query.where(Tip.case_id.in_(select(Case.id).where(Case.public_id == filters.case)))
    if filters.priority:
        query = query.where(Tip.priority == TipPriority(filters.priority))
    if filters.assignee == "me":
        query = query.where(Tip.assignee_id == user.id)
    elif filters.assignee == "none":
        query = query.where(Tip.assignee_id.is_(None))
    elif filters.assignee:
        query = query.where(Tip.assignee_id == int(filters.assignee))
    if filters.has_contact:
        query = query.where(Tip.has_contact.is_(True))
    if filters.has_attachment:
        query = query.where(_attachment_count() > 0)
    return query


def _ordered(query: Select[tuple[int]]) -> Select[tuple[int]]:
    # New tips first, then those in review, then actionable; urgent before normal; the
    # oldest first within each, so nobody's tip waits behind a flood of later ones.
    status_rank = case(
        *((Tip.status == status, rank) for status, rank in _STATUS_RANK.items()), else_=3
    )
    priority_rank = case(
        *((Tip.priority == priority, rank) for priority, rank in _PRIORITY_RANK.items()), else_=3
    )
    return query.order_by(status_rank, priority_rank, Tip.created_at, Tip.id)


def _folded(text: str) -> str:
    """Case-, accent- and width-insensitive text for the staff's search over tip content."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def searchable_text(cipher: TipCipher, tip: Tip) -> str:
    """The tip's own words and the tipster's later entries, decrypted, for searching."""
    parts = [tip_service.read_message(cipher, tip)]
    parts.extend(
        line.body
        for line in tip_service.followup_view(cipher, tip).thread
        if line.author is ThreadAuthor.TIPSTER
    )
    return "\n".join(parts)


def queue_ids(cipher: TipCipher, user: User, filters: QueueFilter) -> list[int]:
    """Every tip id the filter selects, in queue order (text search decrypts in memory)."""
    ids = list(db.session.scalars(_ordered(_filtered(user, filters))))
    if not filters.text:
        return ids
    words = _folded(filters.text).split()
    matched: list[int] = []
    # Tip text is encrypted at rest, so it cannot be searched in SQL: the candidates the other
    # filters leave are decrypted in batches and matched here, never written anywhere.
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        tips = db.session.scalars(
            select(Tip).where(Tip.id.in_(batch)).options(selectinload(Tip.thread))
        )
        found = {
            tip.id
            for tip in tips
            if all(word in _folded(searchable_text(cipher, tip)) for word in words)
        }
        matched.extend(tip_id for tip_id in batch if tip_id in found)
    return matched


def status_counts(user: User) -> dict[str, int]:
    rows = db.session.execute(
        select(Tip.status, func.count(Tip.id)).where(tip_scope(user)).group_by(Tip.status)
    )
    counts = {status.value: 0 for status in TipStatus}
    for status, count in rows:
        counts[status.value] = count
    counts["open"] = sum(counts[status.value] for status in OPEN_STATUSES)
    counts["all"] = sum(counts[status.value] for status in TipStatus)
    return counts


def queue_page(
    cipher: TipCipher, user: User, filters: QueueFilter, *, now: datetime | None = None
) -> QueuePage:
    ids = queue_ids(cipher, user, filters)
    pages = max(1, -(-len(ids) // PAGE_SIZE))
    page = min(filters.page, pages)
    page_ids = ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    moment = now or utcnow()
    rows: list[QueueRow] = []
    if page_ids:
        from portal.models import ForwardState, TipForward

        attachments = _count_by_tip(TipAttachment.tip_id, page_ids)
        replies = _count_by_tip(
            TipThreadEntry.tip_id,
            page_ids,
            TipThreadEntry.author == ThreadAuthor.TIPSTER,
            TipThreadEntry.read_at.is_(None),
        )
        failed = _count_by_tip(TipForward.tip_id, page_ids, TipForward.state == ForwardState.FAILED)
        merged = _count_by_tip(Tip.merged_into_id, page_ids)
        tips = {
            tip.id: tip
            for tip in db.session.scalars(
                select(Tip)
                .where(Tip.id.in_(page_ids))
                .options(
                    selectinload(Tip.case),
                    selectinload(Tip.assignee),
                    selectinload(Tip.claimed_by),
                )
            )
        }
        for tip_id in page_ids:
            tip = tips[tip_id]
            rows.append(
                QueueRow(
                    tip=tip,
                    attachments=attachments.get(tip_id, 0),
                    unread_replies=replies.get(tip_id, 0),
                    failed_forwards=failed.get(tip_id, 0),
                    merged_count=merged.get(tip_id, 0),
                    claimed_by_other=claim_holder(tip, moment) not in (None, user.id),
                )
            )
    return QueuePage(rows=rows, total=len(ids), page=page, pages=pages, counts=status_counts(user))


def _count_by_tip(
    column: InstrumentedAttribute[int] | InstrumentedAttribute[int | None],
    tip_ids: Sequence[int],
    *conditions: ColumnElement[bool],
) -> dict[int, int]:
    query = select(column, func.count()).where(column.in_(tip_ids), *conditions)
    return {int(tip_id): count for tip_id, count in db.session.execute(query.group_by(column))}


def neighbours(
    cipher: TipCipher, user: User, filters: QueueFilter, tip_id: int
) -> tuple[int | None, int | None]:
    """The previous and next tip around `tip_id` in the queue as filtered, for triage."""
    ids = queue_ids(cipher, user, filters)
    if tip_id not in ids:
        return None, (ids[0] if ids else None)
    index = ids.index(tip_id)
    previous = ids[index - 1] if index > 0 else None
    following = ids[index + 1] if index + 1 < len(ids) else None
    return previous, following


# ---------------------------------------------------------------------------
# Claims


def claim_holder(tip: Tip, now: datetime | None = None) -> int | None:
    """The id of the moderator whose claim on the tip has not expired, or None."""
    expires = as_utc(tip.claim_expires_at)
    if tip.claimed_by_id is None or expires is None or expires <= (now or utcnow()):
        return None
    return tip.claimed_by_id


def claim(user: User, tip: Tip, *, now: datetime | None = None, take_over: bool = False) -> bool:
    """Claim the tip for `user` (renewing their own claim); False if someone else holds it.

    `take_over` takes the claim from another moderator, which is audited. The caller commits.
    """
    moment = now or utcnow()
    holder = claim_holder(tip, moment)
    if holder not in (None, user.id):
        if not take_over:
            return False
        audit(
            "tip.claim.take_over",
            actor=user,
            target_type="tip",
            target_id=tip.id,
            details={"from_user": holder},
        )
    tip.claimed_by_id = user.id
    tip.claim_expires_at = moment + timedelta(minutes=CLAIM_MINUTES)
    return True


def release(user: User, tip: Tip) -> None:
    if tip.claimed_by_id == user.id:
        tip.claimed_by_id = None
        tip.claim_expires_at = None
        db.session.commit()


def _require_claim(user: User, tip: Tip, now: datetime | None = None) -> None:
    if not claim(user, tip, now=now):
        raise TipClaimed(
            "Another moderator is working on this tip. Wait until their claim ends or take it over."
        )


# ---------------------------------------------------------------------------
# Reading a tip


def open_tip(user: User, tip: Tip, *, now: datetime | None = None) -> bool:
    """Record that `user` opened the tip: audited, claimed if free, "read" for the tipster.

    Returns whether `user` holds the claim afterwards.
    """
    moment = now or utcnow()
    if tip.read_at is None:
        tip.read_at = moment
    for entry in tip.thread:
        if entry.author is ThreadAuthor.TIPSTER and entry.read_at is None:
            entry.read_at = moment
    held = claim(user, tip, now=moment)
    audit("tip.view", actor=user, target_type="tip", target_id=tip.id)
    db.session.commit()
    return held


def reveal_contact(cipher: TipCipher, user: User, tip: Tip) -> tip_service.Contact:
    """The tipster's contact details; every look is audited."""
    contact = tip_service.read_contact(cipher, tip)
    audit("tip.contact.view", actor=user, target_type="tip", target_id=tip.id)
    db.session.commit()
    return contact


def audit_attachment_view(user: User, tip: Tip, attachment: TipAttachment) -> None:
    audit(
        "tip.attachment.view",
        actor=user,
        target_type="tip",
        target_id=tip.id,
        details={"attachment": attachment.id},
    )
    db.session.commit()


@dataclass(frozen=True)
class NoteView:
    author: str
    at: datetime
    body: str


def _note_context(tip: Tip) -> str:
    return f"tip-note:{tip.submission_id}"


def notes(cipher: TipCipher, tip: Tip) -> list[NoteView]:
    return [
        NoteView(
            author=note.author.email if note.author is not None else "a former account",
            at=note.created_at,
            body=cipher.decrypt_text(note.body_enc, _note_context(tip)),
        )
        for note in tip.notes
    ]


def merged_into(tip: Tip) -> list[Tip]:
    """The tips merged into this one, oldest first."""
    return list(
        db.session.scalars(
            select(Tip).where(Tip.merged_into_id == tip.id).order_by(Tip.created_at, Tip.id)
        )
    )


# ---------------------------------------------------------------------------
# Changing a tip


def record_status(
    user: User | None, tip: Tip, status: TipStatus, *, now: datetime | None = None
) -> None:
    """Set the status with its timestamps and an audit event, without checking the rules.

    The one place statuses are written: forwarding and merging call it after their own checks.
    `user` is None for a system job (a forward retried from the command line). The caller commits.
    """
    moment = now or utcnow()
    previous = tip.status
    tip.status = status
    tip.status_changed_at = moment
    if tip.first_triaged_at is None and status is not TipStatus.NEW:
        tip.first_triaged_at = moment
    audit(
        "tip.status",
        actor=user,
        target_type="tip",
        target_id=tip.id,
        details={"from": previous.value, "to": status.value},
    )


def check_transition(tip: Tip, status: TipStatus) -> None:
    if tip.merged_into_id is not None:
        raise ModerationError(
            f"{tip.reference} is merged into another tip. Unmerge it to change its status."
        )
    if status is TipStatus.FORWARDED:
        raise ModerationError("A tip becomes forwarded when it is sent to the agency.")
    if status is tip.status:
        raise ModerationError(f"{tip.reference} is already {STATUS_LABELS[status].lower()}.")
    if status not in TRANSITIONS[tip.status]:
        raise ModerationError(
            f"{tip.reference} cannot go from {STATUS_LABELS[tip.status].lower()} to "
            f"{STATUS_LABELS[status].lower()}."
        )


def set_status(user: User, tip: Tip, status: TipStatus, *, now: datetime | None = None) -> None:
    check_transition(tip, status)
    _require_claim(user, tip, now)
    record_status(user, tip, status, now=now)
    db.session.commit()


def set_priority(user: User, tip: Tip, priority: TipPriority) -> None:
    _require_claim(user, tip)
    if priority is tip.priority:
        return
    audit(
        "tip.priority",
        actor=user,
        target_type="tip",
        target_id=tip.id,
        details={"from": tip.priority.value, "to": priority.value},
    )
    tip.priority = priority
    db.session.commit()


def assign(user: User, tip: Tip, assignee_id: int | None) -> None:
    _require_claim(user, tip)
    if assignee_id is not None and assignee_id not in {
        account.id for account in moderators_for(user)
    }:
        raise ModerationError("Choose a moderator who may see this tip.")
    if assignee_id == tip.assignee_id:
        return
    audit(
        "tip.assign",
        actor=user,
        target_type="tip",
        target_id=tip.id,
        details={"from": tip.assignee_id, "to": assignee_id},
    )
    tip.assignee_id = assignee_id
    db.session.commit()


def add_note(cipher: TipCipher, user: User, tip: Tip, text: str) -> TipNote:
    text = text.strip()
    if not text:
        raise ModerationError("Enter the note.")
    if len(text) > MAX_NOTE_LENGTH:
        raise ModerationError(f"The note must be {MAX_NOTE_LENGTH} characters or fewer.")
    note = TipNote(
        tip=tip, author_id=user.id, body_enc=cipher.encrypt_text(text, _note_context(tip))
    )
    db.session.add(note)
    db.session.flush()
    # The note's words are not in the log: it records that a note was written, and by whom.
    audit("tip.note", actor=user, target_type="tip", target_id=tip.id, details={"note": note.id})
    db.session.commit()
    return note


def ask_question(cipher: TipCipher, user: User, tip: Tip, text: str) -> TipThreadEntry:
    text = text.strip()
    if not text:
        raise ModerationError("Enter the question for the person who sent the tip.")
    if len(text) > MAX_QUESTION_LENGTH:
        raise ModerationError(f"The question must be {MAX_QUESTION_LENGTH} characters or fewer.")
    entry = tip_service.ask_question(cipher, tip, text, author_id=user.id, commit=False)
    db.session.flush()
    audit(
        "tip.question", actor=user, target_type="tip", target_id=tip.id, details={"entry": entry.id}
    )
    db.session.commit()
    return entry


@dataclass(frozen=True)
class BulkResult:
    changed: list[str]
    skipped: dict[str, str]  # reference -> why


def bulk_set_status(
    user: User, tip_ids: Iterable[int], status: TipStatus, *, now: datetime | None = None
) -> BulkResult:
    """Set one status on many tips (a spam wave); tips that cannot change are listed, not lost."""
    changed: list[str] = []
    skipped: dict[str, str] = {}
    moment = now or utcnow()
    for tip in visible_tips(user, tip_ids):
        try:
            check_transition(tip, status)
        except ModerationError as exc:
            skipped[tip.reference] = str(exc)
            continue
        if not claim(user, tip, now=moment):
            skipped[tip.reference] = "another moderator is working on it"
            continue
        record_status(user, tip, status, now=moment)
        # A bulk action does not keep the claims it took: nobody is looking at these tips.
        tip.claimed_by_id = None
        tip.claim_expires_at = None
        changed.append(tip.reference)
    if changed:
        audit(
            "tip.bulk_status",
            actor=user,
            details={"to": status.value, "count": len(changed)},
        )
    db.session.commit()
    return BulkResult(changed=changed, skipped=skipped)
