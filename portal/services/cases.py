"""Finding public cases: filters, text match and pagination over what the public may see."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, and_, exists, extract, func, select
from sqlalchemy.sql.elements import ColumnElement

from portal.extensions import db
from portal.models import (
    Case,
    CaseImage,
    CaseKind,
    CaseStatus,
    Mark,
    MarkType,
    Sex,
)
from portal.models.case import PUBLIC_STATUSES
from portal.publication import PublicCase, derive_public_case, with_public_view_loaded
from portal.search import vocabulary

MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 500
# What importer.public_id_for makes; anything else names no case, and is not queried (a NUL
# in a query parameter is an error on PostgreSQL).
PUBLIC_ID = re.compile(r"[a-z0-9]{1,16}")
_AGE = re.compile(r"^\s*(\d{1,3})\s*(?:[-–]\s*(\d{1,3})\s*)?$")


class NotFound(LookupError):
    """No public case has that id."""


@dataclass(frozen=True)
class CaseFilters:
    """What a visitor narrowed the list to; every field optional."""

    q: str = ""
    sex: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    country: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    kind: str | None = None
    status: str | None = None
    mark: str | None = None
    location: str | None = None  # a body region, as the search index knows them
    has_photo: bool = False

    @property
    def active(self) -> bool:
        return self != CaseFilters()

    @property
    def age_text(self) -> str:
        if self.age_min is None or self.age_max is None:
            return ""
        if self.age_min == self.age_max:
            return str(self.age_min)
        return f"{self.age_min}-{self.age_max}"

    def as_args(self) -> dict[str, str]:
        """The query-string form of these filters (for links that keep them)."""
        args = {
            "q": self.q,
            "sex": self.sex or "",
            "age": self.age_text,
            "country": self.country or "",
            "year_from": str(self.year_from) if self.year_from is not None else "",
            "year_to": str(self.year_to) if self.year_to is not None else "",
            "kind": self.kind or "",
            "status": self.status or "",
            "mark": self.mark or "",
            "location": self.location or "",
            "has_photo": "1" if self.has_photo else "",
        }
        return {key: value for key, value in args.items() if value}


@dataclass
class ParsedFilters:
    filters: CaseFilters
    errors: dict[str, str] = field(default_factory=dict)
    page: int = 1
    per_page: int = 20


def _choice(
    value: str, allowed: set[str], name: str, errors: dict[str, str], label: str
) -> str | None:
    value = value.strip().lower()
    if not value:
        return None
    if value not in allowed:
        errors[name] = label
        return None
    return value


def _int(
    value: str, name: str, errors: dict[str, str], message: str, low: int, high: int
) -> int | None:
    value = value.strip()
    if not value:
        return None
    # ASCII digits only: str.isdigit also passes "²" and "①", which int() refuses, and a
    # length bound keeps int() clear of its limit on very long digit strings.
    if not (value.isascii() and value.isdigit() and len(value) <= 12) or not (
        low <= int(value) <= high
    ):
        errors[name] = message
        return None
    return int(value)


def parse_filters(args: Mapping[str, str], *, default_per_page: int = 20) -> ParsedFilters:
    """Read filters from query arguments, collecting a plain-words error for each bad one."""
    errors: dict[str, str] = {}
    q = args.get("q", "")
    q = re.sub(r"[\x00-\x1f\x7f]+", " ", q).strip()
    if len(q) > MAX_QUERY_LENGTH:
        errors["q"] = _("Search text must be %(most)s characters or fewer", most=MAX_QUERY_LENGTH)
        q = q[:MAX_QUERY_LENGTH]
    age_min = age_max = None
    age = args.get("age", "").strip()
    if age:
        match = _AGE.match(age)
        if match is None:
            errors["age"] = _("Enter an age like 30, or a range like 25-35")
        else:
            age_min = int(match.group(1))
            age_max = int(match.group(2) or match.group(1))
            if age_min > age_max or age_max > 120:
                errors["age"] = _("Enter an age range from the lower to the higher age, up to 120")
                age_min = age_max = None
    this_year = date.today().year
    year_message = _("Enter a year between 1900 and %(year)s", year=this_year)
    year_from = _int(args.get("year_from", ""), "year_from", errors, year_message, 1900, this_year)
    year_to = _int(args.get("year_to", ""), "year_to", errors, year_message, 1900, this_year)
    if year_from is not None and year_to is not None and year_from > year_to:
        errors["year_to"] = _("The ‘to’ year must be the same as or after the ‘from’ year")
        year_to = None
    country = args.get("country", "").strip().upper() or None
    if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
        errors["country"] = _("Choose a country from the list")
        country = None
    filters = CaseFilters(
        q=q,
        sex=_choice(
            args.get("sex", ""),
            {s.value for s in Sex},
            "sex",
            errors,
            _("Choose a sex from the list"),
        ),
        age_min=age_min,
        age_max=age_max,
        country=country,
        year_from=year_from,
        year_to=year_to,
        kind=_choice(
            args.get("kind", ""),
            {k.value for k in CaseKind},
            "kind",
            errors,
            _("Choose a kind from the list"),
        ),
        status=_choice(
            args.get("status", ""),
            {s.value for s in PUBLIC_STATUSES},
            "status",
            errors,
            _("Choose a status from the list"),
        ),
        mark=_choice(
            args.get("mark", ""),
            {m.value for m in MarkType},
            "mark",
            errors,
            _("Choose a mark type from the list"),
        ),
        location=_choice(
            args.get("location", ""),
            set(vocabulary.BODY_REGIONS),
            "location",
            errors,
            _("Choose a part of the body from the list"),
        ),
        has_photo=args.get("has_photo", "").strip().lower() in {"1", "true", "yes", "on"},
    )
    page = _int(args.get("page", ""), "page", errors, _("Page must be a whole number"), 1, 100_000)
    per_page = _int(
        args.get("per_page", ""),
        "per_page",
        errors,
        f"per_page must be between 1 and {MAX_PER_PAGE}",
        1,
        MAX_PER_PAGE,
    )
    return ParsedFilters(filters, errors, page or 1, per_page or default_per_page)


@dataclass(frozen=True)
class CasePage:
    items: list[PublicCase]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def page_links(self) -> list[int | None]:
        """Page numbers to link: the first, the last and two either side; None is a gap."""
        pages = self.pages
        shown = sorted({1, pages, *range(max(1, self.page - 2), min(pages, self.page + 2) + 1)})
        links: list[int | None] = []
        for number in shown:
            previous = links[-1] if links else None
            if previous is not None and number - previous == 2:
                links.append(previous + 1)  # one missing page is shown, not elided
            elif previous is not None and number - previous > 2:
                links.append(None)
            links.append(number)
        return links

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _public_query() -> Select[tuple[Case]]:
    return select(Case).where(Case.status.in_(PUBLIC_STATUSES))


def eager_public_query() -> Select[tuple[Case]]:
    """Public cases with everything derivation reads, loaded in a few queries."""
    return with_public_view_loaded(_public_query())


def apply_filters(query: Select[tuple[Case]], filters: CaseFilters) -> Select[tuple[Case]]:
    """Narrow a public-case query by structured filters (words to look for are the index's)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.sex:
        conditions.append(Case.sex == Sex(filters.sex))
    if filters.age_min is not None and filters.age_max is not None:
        # Overlap: an estimate of 25-35 matches a visitor who says 30-40.
        conditions.append(and_(Case.age_min <= filters.age_max, Case.age_max >= filters.age_min))
    if filters.country:
        conditions.append(Case.event_country == filters.country)
    if filters.year_from is not None:
        conditions.append(extract("year", Case.event_date) >= filters.year_from)
    if filters.year_to is not None:
        conditions.append(extract("year", Case.event_date) <= filters.year_to)
    if filters.kind:
        conditions.append(Case.kind == CaseKind(filters.kind))
    if filters.status:
        conditions.append(Case.status == CaseStatus(filters.status))
    if filters.mark:
        conditions.append(
            exists().where(Mark.case_id == Case.id, Mark.type == MarkType(filters.mark))
        )
    if filters.has_photo:
        conditions.append(exists().where(CaseImage.case_id == Case.id, CaseImage.publish.is_(True)))
    return query.where(*conditions)


def list_public_cases(
    filters: CaseFilters, page: int = 1, per_page: int = 20, *, clamp: bool = False
) -> CasePage:
    """One page of public cases, newest appeals first.

    `clamp` turns a page past the end into the last page (for people following an old link);
    API clients instead get an empty page, so a loop over pages ends.
    """
    query = apply_filters(_public_query(), filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if clamp:
        page = min(page, max(1, math.ceil(total / per_page)))
    rows = db.session.scalars(
        with_public_view_loaded(query)
        .order_by(Case.first_published_at.desc(), Case.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return CasePage([derive_public_case(case) for case in rows], total, page, per_page)


def recent_public_cases(limit: int = 6) -> list[PublicCase]:
    return list_public_cases(CaseFilters(status=CaseStatus.PUBLISHED.value), 1, limit).items


def get_public_case(public_id: str) -> PublicCase:
    """The public view of a published or identified case; NotFound for anything else."""
    if not PUBLIC_ID.fullmatch(public_id):
        raise NotFound(public_id)
    case = db.session.scalar(
        with_public_view_loaded(_public_query()).where(Case.public_id == public_id)
    )
    if case is None:
        raise NotFound(public_id)
    return derive_public_case(case)


def public_countries() -> list[str]:
    """Countries that have at least one public case, for the filter list."""
    rows = db.session.scalars(
        select(Case.event_country).where(Case.status.in_(PUBLIC_STATUSES)).distinct()
    ).all()
    return sorted(rows)


def public_case_stats() -> dict[str, int]:
    rows = db.session.execute(
        select(Case.status, func.count())
        .where(Case.status.in_(PUBLIC_STATUSES))
        .group_by(Case.status)
    ).all()
    counts = {status: number for status, number in rows}
    return {
        "published": counts.get(CaseStatus.PUBLISHED, 0),
        "identified": counts.get(CaseStatus.IDENTIFIED, 0),
    }


def all_public_case_ids() -> list[tuple[str, object]]:
    """(public id, last change) of every public case, for the sitemap."""
    return [
        (row[0], row[1])
        for row in db.session.execute(
            select(Case.public_id, Case.updated_at)
            .where(Case.status.in_(PUBLIC_STATUSES))
            .order_by(Case.first_published_at.desc(), Case.id.desc())
        ).all()
    ]


def feed_cases(limit: int = 50) -> list[PublicCase]:
    """Newest and newly identified appeals, most recent change first."""
    rows = db.session.scalars(
        with_public_view_loaded(_public_query())
        .order_by(Case.status_changed_at.desc(), Case.id.desc())
        .limit(limit)
    ).all()
    return [derive_public_case(case) for case in rows]


def public_image(token: str) -> tuple[str, str, list[int]] | None:
    """(media prefix, content type, derivative widths) of an image the public may see."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token):
        return None
    row = db.session.execute(
        select(CaseImage.media_prefix, CaseImage.content_type, CaseImage.derivative_widths)
        .join(Case, Case.id == CaseImage.case_id)
        .where(
            CaseImage.token == token,
            CaseImage.publish.is_(True),
            Case.status.in_(PUBLIC_STATUSES),
        )
    ).first()
    if row is None:
        return None
    return row[0], row[1], list(row[2] or [])


__all__ = [
    "CaseFilters",
    "CasePage",
    "NotFound",
    "ParsedFilters",
    "all_public_case_ids",
    "feed_cases",
    "get_public_case",
    "list_public_cases",
    "parse_filters",
    "public_countries",
    "public_image",
    "recent_public_cases",
]
