"""A revision of a case: the whole record as a publisher saved it, kept for ever."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Base
from portal.models.base import enum_column, utcnow
from portal.models.case import Case
from portal.models.user import User


class RevisionState(enum.Enum):
    DRAFT = "draft"  # being edited; not public
    AWAITING_APPROVAL = "awaiting_approval"  # four-eyes: a second publisher must approve
    PUBLISHED = "published"  # went live (the case says what it says)
    SUPERSEDED = "superseded"  # a later revision was saved or published instead


class CaseRevision(Base):
    __tablename__ = "case_revisions"
    __table_args__ = (UniqueConstraint("case_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # The record in the record format, restricted fields included: police-only, like the case.
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Images uploaded with this revision, by the `file` name the record uses: their processed
    # copies already sit in the media store, waiting for the revision to go live.
    staged_images: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[RevisionState] = mapped_column(enum_column(RevisionState), index=True)
    note: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    case: Mapped[Case] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
