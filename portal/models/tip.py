"""A tip from the public about a case, its attachments and its thread; content is encrypted."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Base
from portal.models.base import enum_column, utcnow
from portal.models.case import Case
from portal.models.user import User


class TipStatus(enum.Enum):
    NEW = "new"
    IN_REVIEW = "in_review"
    ACTIONABLE = "actionable"
    FORWARDED = "forwarded"
    DUPLICATE = "duplicate"
    NOT_RELEVANT = "not_relevant"
    SPAM = "spam"


class Relationship(enum.Enum):
    """What the person in the appeal is to the tipster, in the tipster's words."""

    FAMILY = "family"
    KNEW = "knew"
    RECOGNISE_ITEM = "recognise_item"
    SAW = "saw"
    OTHER = "other"


class AttachmentState(enum.Enum):
    STORED = "stored"  # the encrypted bytes are in the media store
    PARKED = "parked"  # the store was unreachable: the encrypted bytes wait in the row


class TipPriority(enum.Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ForwardState(enum.Enum):
    PENDING = "pending"  # recorded, not yet accepted by the mail server
    SENT = "sent"
    FAILED = "failed"  # the last attempt failed: visible in the tip, retryable


class ThreadAuthor(enum.Enum):
    TIPSTER = "tipster"
    MODERATOR = "moderator"


class Tip(Base):
    __tablename__ = "tips"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Shown on the receipt; quoted to the police. Random, so it says nothing about volume.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # The id the form carried: a retried or double-clicked submission finds this row.
    submission_id: Mapped[str] = mapped_column(String(36), unique=True)
    # Only a hash of the private follow-up code is kept.
    followup_digest: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    # What the person in the appeal is to the tipster (the form's "relationship" field).
    relation: Mapped[Relationship | None] = mapped_column(enum_column(Relationship))
    message_enc: Mapped[bytes] = mapped_column(LargeBinary)
    contact_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    has_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[TipStatus] = mapped_column(
        enum_column(TipStatus), default=TipStatus.NEW, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When a moderator first opened it: the tipster may see that it was read, nothing more.
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    priority: Mapped[TipPriority] = mapped_column(
        enum_column(TipPriority), default=TipPriority.NORMAL, index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Opening a tip claims it until claim_expires_at, so two moderators do not work one tip.
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claim_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The first time the status left "new": the dashboard's time to first triage.
    first_triaged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A merged tip points at the tip it was merged into; nothing is deleted by a merge.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("tips.id", ondelete="SET NULL"), index=True
    )
    # The status a merged tip had, restored when it is unmerged.
    status_before_merge: Mapped[TipStatus | None] = mapped_column(enum_column(TipStatus))
    forwarded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    case: Mapped[Case] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    forwarded_by: Mapped[User | None] = relationship(foreign_keys=[forwarded_by_id])
    merged_into: Mapped[Tip | None] = relationship(remote_side=[id], foreign_keys=[merged_into_id])
    notes: Mapped[list[TipNote]] = relationship(
        back_populates="tip", cascade="all, delete-orphan", order_by="TipNote.id"
    )
    forwards: Mapped[list[TipForward]] = relationship(
        back_populates="tip", cascade="all, delete-orphan", order_by="TipForward.id"
    )
    attachments: Mapped[list[TipAttachment]] = relationship(
        back_populates="tip", cascade="all, delete-orphan", order_by="TipAttachment.id"
    )
    thread: Mapped[list[TipThreadEntry]] = relationship(
        back_populates="tip", cascade="all, delete-orphan", order_by="TipThreadEntry.id"
    )


class TipAttachment(Base):
    __tablename__ = "tip_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    # The entry of the thread it came with; None for the first message.
    thread_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("tip_thread.id", ondelete="CASCADE")
    )
    # A random key in the media store, chosen before the upload so a retry reuses it.
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[AttachmentState] = mapped_column(enum_column(AttachmentState), index=True)
    parked_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    content_type: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    filename_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tip: Mapped[Tip] = relationship(back_populates="attachments")
    thread_entry: Mapped[TipThreadEntry | None] = relationship()


class TipThreadEntry(Base):
    """A question from a moderator, or more information from the tipster."""

    __tablename__ = "tip_thread"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    author: Mapped[ThreadAuthor] = mapped_column(enum_column(ThreadAuthor))
    body_enc: Mapped[bytes] = mapped_column(LargeBinary)
    # A tipster's entry answering a moderator's question points at that question.
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("tip_thread.id", ondelete="SET NULL")
    )
    # The id of the follow-up form that sent a tipster's entry, so a double click adds one.
    submission_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # When a moderator read a tipster's entry.
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The moderator who asked, for a moderator's question.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    tip: Mapped[Tip] = relationship(back_populates="thread")
    author_user: Mapped[User | None] = relationship()


class TipNote(Base):
    """An internal note by staff: never shown to the tipster; encrypted like the tip."""

    __tablename__ = "tip_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tip: Mapped[Tip] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()


class TipForward(Base):
    """One request to send a tip to its case's agency by email, and how it went."""

    __tablename__ = "tip_forwards"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    state: Mapped[ForwardState] = mapped_column(
        enum_column(ForwardState), default=ForwardState.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # What the mail server said (never tip content), for the moderator deciding to retry.
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message_id: Mapped[str | None] = mapped_column(String(250))

    tip: Mapped[Tip] = relationship(back_populates="forwards")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
