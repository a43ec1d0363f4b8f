"""Reading the audit log: filters, pages and the CSV export for administrators."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.models import AuditEvent, User
from portal.models.base import as_utc
from portal.services.accounts import audit, normalise_email
from portal.services.export import CSV_BOM, csv_text, iso_utc

PAGE_SIZE = 50
MAX_PAGE = 100_000
# Events are read from the database this many at a time when the CSV export is written.
EXPORT_BATCH = 1000
CSV_HEADER = ("at", "actor", "action", "target_type", "target_id", "details")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Action names are dotted lower-case words ("tip.contact.view"); a filter ending in a dot
# ("tip.") selects every action under it.
_ACTION = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*\.?")
_TARGET_TYPE = re.compile(r"[a-z_]{1,32}")
_Actor = aliased(User)


@dataclass(frozen=True)
class AuditFilter:
    """What the log shows; built by parse_filter from the query string."""

    actor: str = ""  # an email address, or part of one
    action: str = ""  # one action, or a prefix ending with "." for a family of them
    target_type: str = ""
    target_id: str = ""
    date_from: date | None = None  # inclusive, UTC
    date_to: date | None = None  # inclusive, UTC
    page: int = 1

    def details(self) -> dict[str, str]:
        """The filters that are set, as written in the audit event of an export."""
        values = {
            "actor": self.actor,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class ParsedFilter:
    filters: AuditFilter
    # Field name -> message, for the error summary and the message beside the field.
    errors: dict[str, str] = field(default_factory=dict)


def _parse_date(text: str) -> date | None:
    if not _DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)


def parse_filter(args: Mapping[str, str]) -> ParsedFilter:
    """The filter the query string asks for, with a message for each value that is wrong."""
    errors: dict[str, str] = {}
    actor = args.get("actor", "").strip()
    if len(actor) > 254:
        errors["actor"] = "The email address must be 254 characters or fewer."
    action = args.get("action", "").strip()
    if action and (len(action) > 64 or not _ACTION.fullmatch(action)):
        errors["action"] = "Choose an action from the list."
    target_type = args.get("target_type", "").strip()
    if target_type and not _TARGET_TYPE.fullmatch(target_type):
        errors["target_type"] = "Choose a target type from the list."
    target_id = args.get("target_id", "").strip()
    if len(target_id) > 64:
        errors["target_id"] = "The target id must be 64 characters or fewer."
    dates: dict[str, date | None] = {}
    for name, label in (("date_from", "start"), ("date_to", "end")):
        text = args.get(name, "").strip()
        try:
            dates[name] = _parse_date(text) if text else None
        except ValueError:
            dates[name] = None
            errors[name] = f"The {label} date must be a real date, like 2026-03-31."
    if dates["date_from"] and dates["date_to"] and dates["date_from"] > dates["date_to"]:
        errors["date_to"] = "The end date must be the same as or after the start date."
    page_text = args.get("page", "1").strip() or "1"
    page = 1
    digits = page_text.isascii() and page_text.isdecimal() and len(page_text) <= 20
    if digits and int(page_text) > 0:
        # A page past the end shows the last page, as the queue does.
        page = min(int(page_text), MAX_PAGE)
    else:
        errors["page"] = "The page number must be a whole number, like 2."
    filters = AuditFilter(
        actor=actor[:254],
        action=action[:64],
        target_type=target_type[:32],
        target_id=target_id[:64],
        date_from=dates["date_from"],
        date_to=dates["date_to"],
        page=page,
    )
    return ParsedFilter(filters=filters, errors=errors)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(filters: AuditFilter) -> Select[Any]:
    # Columns rather than AuditEvent objects: an export of the whole log then never fills the
    # session with a million rows.
    query = select(
        AuditEvent.id,
        AuditEvent.at,
        _Actor.email,
        AuditEvent.action,
        AuditEvent.target_type,
        AuditEvent.target_id,
        AuditEvent.details,
    ).outerjoin(_Actor, _Actor.id == AuditEvent.actor_id)
    if filters.actor:
        email = normalise_email(filters.actor)
        exact = db.session.scalar(select(User.id).where(User.email == email))
        if exact is not None:
            # A whole address means that account, not every address that contains it.
            query = query.where(AuditEvent.actor_id == exact)
        else:
            query = query.where(func.lower(_Actor.email).like(_like_pattern(email), escape="\\"))
    if filters.action.endswith("."):
        query = query.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    elif filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.target_type:
        query = query.where(AuditEvent.target_type == filters.target_type)
    if filters.target_id:
        query = query.where(AuditEvent.target_id == filters.target_id)
    if filters.date_from:
        query = query.where(AuditEvent.at >= _start_of(filters.date_from))
    if filters.date_to and filters.date_to < date.max:
        query = query.where(AuditEvent.at < _start_of(filters.date_to + timedelta(days=1)))
    return query


def _newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime  # UTC
    actor: str | None  # the account's email; None for the portal itself or an unknown person
    action: str
    target_type: str | None
    target_id: str | None
    details: list[tuple[str, str]]  # key, value as text


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def detail_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(detail_text(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {detail_text(item)}" for key, item in value.items())
    return str(value)


def detail_items(details: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The event's details as (key, value) text, in the order they were written."""
    if not isinstance(details, Mapping):
        return []
    return [(str(key), detail_text(value)) for key, value in details.items()]


def _row(found: Row[Any]) -> AuditRow:
    return AuditRow(
        id=found.id,
        at=as_utc(found.at),
        actor=found.email,
        action=found.action,
        target_type=found.target_type,
        target_id=found.target_id,
        details=detail_items(found.details),
    )


def events_page(filters: AuditFilter) -> AuditPage:
    """One page of the events the filter selects, newest first, with the total count."""
    query = _filtered(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(filters.page, pages)
    found = db.session.execute(_newest_first(query).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    rows = [_row(event) for event in found]
    return AuditPage(rows=rows, total=total, page=page, pages=pages)


def action_names() -> list[str]:
    """Every action the log holds, for the filter's list."""
    query = select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    return list(db.session.scalars(query))


def action_families(actions: list[str]) -> list[str]:
    """The prefixes ("tip.", "signin.") that group two or more actions, for the filter's list."""
    counts: dict[str, int] = {}
    for action in actions:
        parts = action.split(".")
        for end in range(1, len(parts)):
            prefix = ".".join(parts[:end]) + "."
            counts[prefix] = counts.get(prefix, 0) + 1
    return sorted(prefix for prefix, count in counts.items() if count > 1)


def target_types() -> list[str]:
    query = select(AuditEvent.target_type).where(AuditEvent.target_type.is_not(None)).distinct()
    return sorted(str(name) for name in db.session.scalars(query))


def export_csv(actor: User, filters: AuditFilter) -> Iterator[bytes]:
    """The events the filter selects as CSV, newest first; the export itself is audited first.

    A generator so a long log is sent in pieces; the audit event is committed when this is
    called, before any of it is sent.
    """
    query = _filtered(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    audit("audit.export", actor=actor, details={"filters": filters.details(), "count": total})
    db.session.commit()
    return _csv_chunks(query)


def _csv_chunks(query: Select[Any]) -> Iterator[bytes]:
    yield (CSV_BOM + csv_text([CSV_HEADER])).encode("utf-8")
    last: tuple[datetime, int] | None = None
    while True:
        # Keyset pages (the last row's time and id), so each batch is one short query.
        batch_query = _newest_first(query)
        if last is not None:
            at, event_id = last
            batch_query = batch_query.where(
                (AuditEvent.at < at) | ((AuditEvent.at == at) & (AuditEvent.id < event_id))
            )
        batch = list(db.session.execute(batch_query.limit(EXPORT_BATCH)))
        if not batch:
            return
        lines = [
            [
                iso_utc(row.at),
                row.actor or "",
                row.action,
                row.target_type or "",
                row.target_id or "",
                "\n".join(f"{key}: {value}" for key, value in row.details),
            ]
            for row in map(_row, batch)
        ]
        yield csv_text(lines).encode("utf-8")
        last = (batch[-1].at, batch[-1].id)
