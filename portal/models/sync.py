"""A database counter that orders changes, so every host's search index can catch up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, scoped_session

from portal.extensions import Base

CASE_CHANGES = "case_changes"


class Counter(Base):
    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


def next_value(session: Session, name: str) -> int:
    """Increment and return a counter; the row lock orders concurrent writers on PostgreSQL."""
    value = session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar()
    if value is None:
        session.execute(insert(Counter).values(name=name, value=1))
        return 1
    return int(value)


def current_value(session: Session | scoped_session[Any], name: str) -> int:
    return int(session.scalar(select(Counter.value).where(Counter.name == name)) or 0)


@event.listens_for(Session, "before_flush")
def _stamp_changed_cases(session: Session, _context: Any, _instances: Any) -> None:
    # Every insert or change of a case takes the next number: an index that has applied
    # number N knows exactly which cases changed after it, whichever host changed them.
    from portal.models.case import Case

    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, Case) and (obj in session.new or session.is_modified(obj)):
            obj.change_seq = next_value(session, CASE_CHANGES)
