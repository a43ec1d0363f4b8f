"""The moderation dashboard: tips per day, open tips by status, time to first triage, forwards."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from portal.extensions import db
from portal.models import Case, Tip, TipStatus, User
from portal.models.base import as_utc, utcnow
from portal.services.moderation import OPEN_STATUSES, case_scope, tip_scope

PERIODS = (7, 30, 90, 365)
DEFAULT_DAYS = 30
_PUBLIC_ID = re.compile(r"[a-z0-9]{1,16}")


class UnknownCase(LookupError):
    """No case with that public id, or not one the user may see (the caller answers 404)."""


@dataclass(frozen=True)
class Period:
    """Whole UTC days, `days` of them, ending with the day of `now`."""

    days: int
    first: date
    last: date

    @classmethod
    def ending(cls, days: int, now: datetime) -> Period:
        last = as_utc(now).astimezone(UTC).date()
        return cls(days=days, first=last - timedelta(days=days - 1), last=last)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=UTC)

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= as_utc(moment) < self.end

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=offset) for offset in range(self.days)]


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class CaseRow:
    public_id: str
    title: str
    tips: int  # received in the period
    open: int  # open now
    forwarded: int  # forwarded in the period
    median_first_triage: timedelta | None


@dataclass(frozen=True)
class Dashboard:
    period: Period
    case_public_id: str | None
    case_title: str | None
    tips_per_day: list[DayCount]
    status_counts: dict[TipStatus, int]  # every status, now
    median_first_triage: timedelta | None  # over tips first triaged in the period
    triaged: int  # tips first triaged in the period
    forwarded: int  # tips forwarded in the period
    cases: list[CaseRow]  # by open tips, most first; empty for one case's dashboard

    @property
    def tips_in_period(self) -> int:
        return sum(day.count for day in self.tips_per_day)

    @property
    def open_tips(self) -> int:
        return sum(self.status_counts[status] for status in OPEN_STATUSES)

    @property
    def new_tips(self) -> int:
        return self.status_counts[TipStatus.NEW]


def period_days(raw: str | None) -> int:
    """The period the query string asks for; anything but 7, 30, 90 or 365 is the default."""
    text = (raw or "").strip()
    if text.isascii() and text.isdigit() and int(text) in PERIODS:
        return int(text)
    return DEFAULT_DAYS


def visible_case(user: User, public_id: str) -> Case | None:
    """The case if it exists and its tips are in `user`'s scope; None otherwise."""
    if not _PUBLIC_ID.fullmatch(public_id):
        return None
    return db.session.scalar(select(Case).where(Case.public_id == public_id, case_scope(user)))


def median_duration(durations: Iterable[timedelta]) -> timedelta | None:
    seconds = [max(0.0, duration.total_seconds()) for duration in durations]
    if not seconds:
        return None
    return timedelta(seconds=round(statistics.median(seconds)))


def duration_words(duration: timedelta | None) -> str:
    """A duration in words, its two largest units: "2 hours 5 minutes", "3 days 1 hour"."""
    if duration is None:
        return "no tips triaged"
    minutes_total = int(duration.total_seconds()) // 60
    if minutes_total < 1:
        return "less than a minute"
    days, rest = divmod(minutes_total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    # Minutes do not matter once a wait is counted in days.
    units = ((days, "day"), (hours, "hour")) if days else ((hours, "hour"), (minutes, "minute"))
    return " ".join(f"{value} {unit}{'' if value == 1 else 's'}" for value, unit in units if value)


def build_dashboard(
    user: User,
    *,
    days: int = DEFAULT_DAYS,
    case_public_id: str | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """The dashboard of the tips `user` may see, overall or for one case, over `days` days.

    Raises UnknownCase when `case_public_id` names no case in the user's scope.
    """
    period = Period.ending(days if days in PERIODS else DEFAULT_DAYS, now or utcnow())
    scope: list[ColumnElement[bool]] = [tip_scope(user)]
    case: Case | None = None
    if case_public_id:
        case = visible_case(user, case_public_id)
        if case is None:
            raise UnknownCase(case_public_id)
        scope.append(Tip.case_id == case.id)

    # Current counts per case and status: the backlog is a state, not a period's events.
    by_case_status: dict[int, Counter[TipStatus]] = defaultdict(Counter)
    for case_id, status, count in db.session.execute(
        select(Tip.case_id, Tip.status, func.count(Tip.id))
        .where(*scope)
        .group_by(Tip.case_id, Tip.status)
    ):
        by_case_status[case_id][status] += count

    # Bucketing and the median happen here rather than in SQL, so that one code path serves
    # SQLite and PostgreSQL; a period holds at most tens of thousands of tips.
    rows = db.session.execute(
        select(
            Tip.case_id, Tip.status, Tip.created_at, Tip.first_triaged_at, Tip.forwarded_at
        ).where(
            *scope,
            or_(
                Tip.created_at >= period.start,
                Tip.first_triaged_at >= period.start,
                Tip.forwarded_at >= period.start,
            ),
        )
    ).all()

    per_day: Counter[date] = Counter()
    received: Counter[int] = Counter()
    forwarded: Counter[int] = Counter()
    waits: dict[int, list[timedelta]] = defaultdict(list)
    for case_id, status, created_at, first_triaged_at, forwarded_at in rows:
        created = as_utc(created_at)
        if period.contains(created):
            per_day[created.astimezone(UTC).date()] += 1
            received[case_id] += 1
        if period.contains(first_triaged_at):
            waits[case_id].append(as_utc(first_triaged_at) - created)
        if status is TipStatus.FORWARDED and period.contains(forwarded_at):
            forwarded[case_id] += 1

    status_counts = {status: 0 for status in TipStatus}
    for counts in by_case_status.values():
        for status, count in counts.items():
            status_counts[status] += count
    all_waits = [wait for case_waits in waits.values() for wait in case_waits]

    return Dashboard(
        period=period,
        case_public_id=case.public_id if case else None,
        case_title=case.title if case else None,
        tips_per_day=[DayCount(day, per_day[day]) for day in period.dates()],
        status_counts=status_counts,
        median_first_triage=median_duration(all_waits),
        triaged=len(all_waits),
        forwarded=sum(forwarded.values()),
        cases=[]
        if case
        else _case_rows(
            user, set(by_case_status) | set(received), by_case_status, received, forwarded, waits
        ),
    )


def _case_rows(
    user: User,
    case_ids: set[int],
    by_case_status: dict[int, Counter[TipStatus]],
    received: Counter[int],
    forwarded: Counter[int],
    waits: dict[int, list[timedelta]],
) -> list[CaseRow]:
    if not case_ids:
        return []
    cases = db.session.execute(
        select(Case.id, Case.public_id, Case.title).where(Case.id.in_(case_ids), case_scope(user))
    )
    rows = [
        CaseRow(
            public_id=public_id,
            title=title,
            tips=received[case_id],
            open=sum(by_case_status[case_id][status] for status in OPEN_STATUSES),
            forwarded=forwarded[case_id],
            median_first_triage=median_duration(waits.get(case_id, [])),
        )
        for case_id, public_id, title in cases
    ]
    rows.sort(key=lambda row: (-row.open, -row.tips, row.public_id))
    return rows
