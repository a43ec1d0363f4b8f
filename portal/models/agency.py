"""A police force or unit that owns cases and receives forwarded tips."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import Base
from portal.models.base import TimestampMixin

if TYPE_CHECKING:
    from portal.models.case import Case


class Agency(TimestampMixin, Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    tip_email: Mapped[str | None] = mapped_column(String(254))
    # Four eyes: a change goes live only after a second publisher of the agency approves it.
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)

    cases: Mapped[list[Case]] = relationship(back_populates="agency")

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"
