"""Searching public cases: the index ranks, the database supplies what is shown."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal import search
from portal.extensions import db
from portal.models import Case
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
    ids = [case_id for case_id, _public_id, _score in outcome.hits]
    found = {
        case.id: case for case in db.session.scalars(eager_public_query().where(Case.id.in_(ids)))
    }
    # The index can trail the database by a moment: a case withdrawn since is left out.
    cases: list[PublicCase] = [derive_public_case(found[i]) for i in ids if i in found]
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


def reindex(progress: object = None) -> int:
    """Rebuild this host's index from the database."""
    return search.get_index().rebuild(db.session, progress)  # type: ignore[arg-type]


__all__ = ["SearchPage", "reindex", "search_cases"]
