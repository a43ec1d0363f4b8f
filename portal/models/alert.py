"""Saved searches that email a visitor when a new appeal matches; the address is encrypted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Base
from portal.models.base import utcnow


class SavedSearch(Base):
    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The address sealed with the tip key ring (context names the row's token hash, so a
    # ciphertext copied to another row does not open); a keyed hash finds repeats of it.
    email_enc: Mapped[bytes] = mapped_column(LargeBinary)
    email_digest: Mapped[str] = mapped_column(String(64), index=True)
    # The search page's query arguments, exactly as parse_filters reads them.
    search_args: Mapped[dict[str, Any]] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(8))
    # The link in every email carries the token; only its hash is kept.
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # Until when appeals were looked at for this alert (advanced only after a successful send).
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set while one sender works on the alert, so two senders never both email it.
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    notifications: Mapped[list[AlertNotification]] = relationship(
        back_populates="saved_search", cascade="all, delete-orphan", passive_deletes=True
    )


class AlertNotification(Base):
    """An appeal an alert has already told its owner about: nobody is told twice."""

    __tablename__ = "alert_notifications"
    __table_args__ = (UniqueConstraint("saved_search_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    saved_search_id: Mapped[int] = mapped_column(
        ForeignKey("saved_searches.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    saved_search: Mapped[SavedSearch] = relationship(back_populates="notifications")
