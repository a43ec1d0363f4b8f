"""Searching public cases: the index ranks, the database supplies what is shown."""

from __future__ import annotations

import functools
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import BindParameter, Select, bindparam, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal import search
from portal.extensions import db
from portal.models import Case
from portal.models.case import PUBLIC_STATUSES
from portal.publication import PublicCase, derive_public_case
from portal.search.highlight import (
    Highlight,
    Lexicon,
    Matcher,
    QueryTerms,
    SnippetSource,
    snippet_source,
)
from portal.services.cases import CaseFilters, CasePage


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
# Beside each view, the passages its snippets are cut from, worked out the first time it is shown
# for words (they are the view's text, so they are as fresh as the view).
DERIVED_CACHE = "derived_public_cases"
DERIVED_CACHE_SIZE = 5000


class _Derived:
    __slots__ = ("source", "view")

    def __init__(self, view: PublicCase) -> None:
        self.view = view
        self.source: SnippetSource | None = None

    def snippet_source(self, lexicon: Lexicon) -> SnippetSource:
        if self.source is None:
            self.source = snippet_source(self.view, lexicon)
        return self.source


LEXICON = "search_lexicon"


def _lexicon(engine: search.Engine) -> Lexicon:
    """The app's word senses, for as long as its engine (whose analyser they come from)."""
    held: tuple[search.Engine, Lexicon] | None = current_app.extensions.get(LEXICON)
    if held is None or held[0] is not engine:
        held = current_app.extensions[LEXICON] = (engine, Lexicon(engine.analyse))
    return held[1]


# Built once: SQLAlchemy then reuses the statements' cache keys and compiled forms.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
# Plain columns, not ORM attributes: the check runs on every search and skips the ORM's work.
_CASES = Case.__table__.c
_CURRENT = select(_CASES.id, _CASES.change_seq).where(
    _CASES.id.in_(_IDS), _CASES.status.in_(PUBLIC_STATUSES)
)
# The collections derive_public_case reads (with_public_view_loaded names the same ones).
_COLLECTIONS = ("marks", "clothing", "jewellery", "belongings", "images", "translations")


@functools.cache
def _loading_statements() -> tuple[Select[tuple[Case]], list[tuple[str, str, Select[Any]]]]:
    """The cases, and each collection for all of them, one query apiece in the relationship's
    order. About 2.5x cheaper than selectinload (eager_public_query), whose per-load set-up
    dominates on a page of 20 results: the search page loads the cases it has not shown before.
    """
    cases = (
        select(Case)
        .where(Case.id.in_(_IDS), Case.status.in_(PUBLIC_STATUSES))
        .options(joinedload(Case.agency))
    )
    collections = []
    for name in _COLLECTIONS:
        relationship = sa_inspect(Case).relationships[name]
        pairs = relationship.local_remote_pairs
        assert pairs is not None and len(pairs) == 1, name  # cases.id = <table>.case_id
        ((_local, remote),) = pairs
        target = relationship.mapper
        order = relationship.order_by or ()
        statement = (
            select(target).where(remote.in_(_IDS)).order_by(remote, *order, *target.primary_key)
        )
        case_key = target.get_property_by_column(remote).key
        collections.append((name, case_key, statement))
    return cases, collections


def _load_cases(ids: list[int]) -> list[Case]:
    """Public cases with everything derivation reads loaded, in a fixed number of queries."""
    cases_statement, collections = _loading_statements()
    cases = list(db.session.scalars(cases_statement, {"ids": ids}))
    if not cases:
        return cases
    found = [case.id for case in cases]
    for name, case_key, statement in collections:
        by_case: dict[int, list[Any]] = defaultdict(list)
        for item in db.session.scalars(statement, {"ids": found}):
            by_case[getattr(item, case_key)].append(item)
        for case in cases:
            set_committed_value(case, name, by_case.get(case.id, []))
    # A mark's image is one of its case's images: set it, as selectinload would, rather than
    # let each mark ask the identity map (or, for an image of another case, the database).
    images = {image.id: image for case in cases for image in case.images}
    for case in cases:
        for mark in case.marks:
            if mark.image_id is None:
                set_committed_value(mark, "image", None)
            elif mark.image_id in images:
                set_committed_value(mark, "image", images[mark.image_id])
    return cases


def _derived(ids: list[int]) -> list[_Derived]:
    """The cached public views of these cases in this order, leaving out any no longer public.

    The index can trail the database by a moment: a case withdrawn since is left out here.
    """
    if not ids:
        return []
    derived: OrderedDict[tuple[int, int], _Derived] = current_app.extensions.setdefault(
        DERIVED_CACHE, OrderedDict()
    )
    rows = db.session.execute(_CURRENT, {"ids": ids}).all()
    current: dict[int, int] = {case_id: seq for case_id, seq in rows}
    missing = [i for i in ids if i in current and (i, current[i]) not in derived]
    if missing:
        for case in _load_cases(missing):
            derived[(case.id, case.change_seq)] = _Derived(derive_public_case(case))
            if len(derived) > DERIVED_CACHE_SIZE:
                derived.popitem(last=False)
    found = []
    for case_id in ids:
        key = (case_id, current.get(case_id, -1))
        entry = derived.get(key)
        if entry is not None:
            derived.move_to_end(key)
            found.append(entry)
    return found


def public_cases(ids: list[int]) -> list[PublicCase]:
    """The public views of these cases in this order, leaving out any no longer public.

    The index can trail the database by a moment: a case withdrawn since is left out here.
    """
    return [entry.view for entry in _derived(ids)]


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
    found = _derived([case_id for case_id, _public_id, _score in outcome.hits])
    cases = [entry.view for entry in found]
    snippets: dict[str, list[Highlight]] = {}
    if filters.q:
        # One matcher for the page: each distinct word is judged once across its results.
        lexicon = _lexicon(engine)
        matcher = Matcher(QueryTerms.from_query(filters.q, outcome.terms), lexicon)
        snippets = {
            entry.view.id: matcher.highlights(entry.snippet_source(lexicon)) for entry in found
        }
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


def matching_case_ids(filters: CaseFilters, ids: list[int]) -> set[int]:
    """Which of these cases the search page lists for `filters` (on any page), still public.

    The engine makes the same decision as `search_cases`; the database check is the same one
    `search_cases` makes before showing a result (the index can trail it by a moment).
    """
    if not ids:
        return set()
    search.catch_up()
    found = search.get_engine().matching_cases(filters.q, to_search_filters(filters), ids)
    if not found:
        return set()
    rows = db.session.execute(_CURRENT, {"ids": sorted(found)}).all()
    return {case_id for case_id, _seq in rows}


def reindex(progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild this host's index from the database."""
    return search.get_index().rebuild(db.session, progress)


__all__ = ["SearchPage", "matching_case_ids", "reindex", "search_cases"]
