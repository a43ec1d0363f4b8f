"""Column helpers shared by the models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum
from sqlalchemy.orm import Mapped, mapped_column

# The largest id an integer primary key holds on PostgreSQL; a larger one in a query is an error.
MAX_ID = 2**31 - 1


def id_from_text(text: str) -> int | None:
    """The row id `text` (from a form or a URL) names, or None if it cannot name one.

    ASCII digits only: str.isdigit also passes "²", which int() refuses; and an id past
    PostgreSQL's integer range would fail the query rather than find nothing.
    """
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_column(enum_class: type[enum.Enum]) -> Enum:
    """A portable enum column: stored as its string value, no database-native type to migrate."""
    return Enum(
        enum_class,
        native_enum=False,
        length=max(len(member.value) for member in enum_class) + 8,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class TimestampMixin:
    """Created and updated timestamps in UTC."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


def as_utc(value: Any) -> Any:
    """SQLite hands back naive datetimes; treat them as the UTC they were stored in."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
