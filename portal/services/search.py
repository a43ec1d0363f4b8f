"""Searching public cases: the index ranks, the database supplies what is shown."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from portal import search
from portal.extensions import db
from portal.models import Case
from portal.models.case import PUBLIC_STATUSES
from portal.publication import PublicCase, derive_public_case
from portal.search.highlight import Highlight, QueryTerms, highlights
from portal.services.cases import CaseFilters, CasePage, eager_public_query


@dataclass(frozen=True)
class SearchPage(CasePage):
    """A page of ranked cases, with why each matched and counts to narrow the search."""

    highlights: dict[str, list[Highlight]] = field(default_factory=dict)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None
    fuzzy: bool = False


def to_search_filters(filters: CaseFilters) -> search.SearchFilters:
    age = (
        (filters.age_min, filters.age_max)
        if filters.age_min is not None and filters.age_max is not None
        else None
    )
    years = (
        (filters.year_from, filters.year_to)
        if filters.year_from is not None or filters.year_to is not None
        else None
    )
    return search.SearchFilters(
        sex=filters.sex,
        country=filters.country,
        kind=filters.kind,
        status=filters.status,
        mark=filters.mark,
        region=filters.location,
        has_photo=filters.has_photo,
        age=age,
        years=years,
    )


# Derived public views by (case id, change number), per app: a case that changes takes a new
# number (models.sync), so an entry is never stale; only a cheap status check runs per request.
DERIVED_CACHE = "derived_public_cases"
DERIVED_CACHE_SIZE = 5000


def public_cases(ids: list[int]) -> list[PublicCase]:
    """The public views of these cases in this order, leaving out any no longer public.

    The index can trail the database by a moment: a case withdrawn since is left out here.
    """
    derived: OrderedDict[tuple[int, int], PublicCase] = current_app.extensions.setdefault(
        DERIVED_CACHE, OrderedDict()
    )
    rows = db.session.execute(
        select(Case.id, Case.change_seq).where(Case.id.in_(ids), Case.status.in_(PUBLIC_STATUSES))
    ).all()
    current: dict[int, int] = {case_id: seq for case_id, seq in rows}
    missing = [i for i in ids if i in current and (i, current[i]) not in derived]
    if missing:
        for case in db.session.scalars(eager_public_query().where(Case.id.in_(missing))):
            derived[(case.id, case.change_seq)] = derive_public_case(case)
            if len(derived) > DERIVED_CACHE_SIZE:
                derived.popitem(last=False)
    found = []
    for case_id in ids:
        key = (case_id, current.get(case_id, -1))
        view = derived.get(key)
        if view is not None:
            derived.move_to_end(key)
            found.append(view)
    return found


def search_cases(
    filters: CaseFilters,
    page: int = 1,
    per_page: int = 20,
    *,
    facets: bool = False,
    clamp: bool = False,
) -> SearchPage:
    """Rank public cases for what a visitor typed, within their filters."""
    search.catch_up()
    engine = search.get_engine()
    outcome = engine.search(
        filters.q, to_search_filters(filters), page=page, per_page=per_page, facets=facets
    )
    if clamp and not outcome.hits and outcome.total and page > 1:
        page = max(1, -(-outcome.total // per_page))
        outcome = engine.search(
            filters.q, to_search_filters(filters), page=page, per_page=per_page, facets=facets
        )
    cases = public_cases([case_id for case_id, _public_id, _score in outcome.hits])
    snippets: dict[str, list[Highlight]] = {}
    if filters.q:
        terms = QueryTerms.from_query(filters.q, outcome.terms)
        snippets = {case.id: highlights(case, terms, engine.analyse) for case in cases}
    return SearchPage(
        items=cases,
        total=outcome.total,
        page=page,
        per_page=per_page,
        highlights=snippets,
        facets=outcome.facets,
        suggestion=outcome.suggestion,
        fuzzy=outcome.fuzzy,
    )


def reindex(progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild this host's index from the database."""
    return search.get_index().rebuild(db.session, progress)


__all__ = ["SearchPage", "reindex", "search_cases"]
