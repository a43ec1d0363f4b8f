"""Fuzzing the search query parser and the search: any query string or filter value is answered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import event, given
from hypothesis import strategies as st

from portal.models import CaseKind, MarkType, Sex
from portal.models.case import PUBLIC_STATUSES
from portal.search import SearchFilters, get_engine, vocabulary
from portal.services import cases
from portal.services import search as search_service
from tests.fuzzkit import counted, fuzz_settings

SENTINELS = ["RESTRICTED-SENTINEL-001", "BE-DNA-77812-SECRET"]
# What people type, the words the sample cases hold, and what breaks naive parsers.
QUERY_PIECES = [
    "rose tattoo on arm",
    "R'Nick",
    "忍",
    "tatoo dolphin",
    "LOVE HATE",
    "J & M 1979",
    "left forearm",
    "tattoo_hand",
    "the a of",  # stop words only
    '"unclosed',
    "AND OR NOT",
    "title:rose",
    "*",
    "?",
    "rose~2",
    "a" * 600,
    "x " * 300,
    "\x00\x1f\x7f",
    "\u202e\u200b\ufeff",
    "e\u0301\u0301",
    "👩‍👩‍👧‍👦",
    "İı ß ẞ ﬁ",
    "%00%2e%2e/",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    *SENTINELS,
]
QUERIES = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(QUERY_PIECES) | st.text(max_size=10), max_size=6).map(" ".join),
)
VALID = {
    "sex": [s.value for s in Sex],
    "kind": [k.value for k in CaseKind],
    "status": [s.value for s in PUBLIC_STATUSES],
    "mark": [m.value for m in MarkType],
    "location": list(vocabulary.BODY_REGIONS),
    "country": ["BE", "nl", "GB", "XK", "ZZ"],
    "age": ["30", "25-35", "25 – 35", "0", "120", "35-25", "121", "1-999"],
    "year_from": ["1900", "1992", "2026", "1899", "0"],
    "year_to": ["2000", "1900", "9999"],
    "has_photo": ["1", "yes", "on", "0", ""],
    "page": ["1", "2", "3", "100000", "100001", "0", "-1"],
    "per_page": ["1", "5", "100", "101", "0"],
}
KEYS = ["q", *VALID]
ODD_VALUES = st.one_of(
    st.text(max_size=40),
    # Digits int() reads (Arabic-Indic, full-width) and digits it does not (superscript).
    st.sampled_from(["", " ", "9" * 40, "1e3", "٣", "²", "①", "\uff11\uff12", "NaN", "-0", "1.5"]),
)


def values_for(key: str) -> st.SearchStrategy[str]:
    if key == "q":
        return QUERIES
    valid = st.sampled_from(VALID[key])
    return st.one_of(valid, valid.map(lambda v: f" {v.upper()}\t"), ODD_VALUES)


@st.composite
def query_args(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Query-string pairs: known filters with good, odd or hostile values, repeats, unknowns."""
    keys = draw(st.lists(st.sampled_from(KEYS), max_size=6))
    pairs = [(key, draw(values_for(key))) for key in keys]
    if draw(st.booleans()):
        pairs.append((draw(st.text(max_size=10)), draw(st.text(max_size=20))))
    return pairs


def check_parsed(parsed: cases.ParsedFilters) -> None:
    """What the parser promises whatever it was given."""
    filters = parsed.filters
    assert len(filters.q) <= cases.MAX_QUERY_LENGTH
    assert not re.search(r"[\x00-\x1f\x7f]", filters.q)
    if "q" not in parsed.errors:
        # Cut to its length limit (and reported), a query may end in a space.
        assert filters.q == filters.q.strip()
    for name in ("sex", "kind", "status", "mark", "location"):
        value = getattr(filters, name)
        assert value is None or value in VALID[name], (name, value)
    assert filters.country is None or re.fullmatch(r"[A-Z]{2}", filters.country)
    if filters.age_min is not None or filters.age_max is not None:
        assert filters.age_min is not None and filters.age_max is not None
        assert 0 <= filters.age_min <= filters.age_max <= 120
    if filters.year_from is not None and filters.year_to is not None:
        assert filters.year_from <= filters.year_to
    assert 1 <= parsed.page <= 100_000
    assert 1 <= parsed.per_page <= cases.MAX_PER_PAGE
    assert set(parsed.errors) <= set(KEYS)


@pytest.fixture
def searchable(app: Flask, sample_cases: Path) -> Iterator[Flask]:
    # Messages are translated, which needs a request; the search needs only the app.
    with app.test_request_context("/search"):
        yield app


@counted("hypothesis: search query parser")
@fuzz_settings(max_examples=60)
@given(pairs=query_args())
def test_any_query_is_parsed_and_searched_within_its_filters(
    searchable: Flask, pairs: list[tuple[str, str]]
) -> None:
    args = dict(reversed(pairs))  # the first of repeated keys, as request.args.get gives
    parsed = cases.parse_filters(args)
    check_parsed(parsed)
    event("errors" if parsed.errors else "no errors")

    page = search_service.search_cases(
        parsed.filters, parsed.page, parsed.per_page, facets=True, clamp=True
    )
    filters = parsed.filters
    assert page.total >= len(page.items)
    assert len(page.items) <= parsed.per_page
    event("results" if page.items else "no results")
    for case in page.items:
        # Every result is public and within every structured filter.
        assert case.status in VALID["status"]
        assert filters.sex in (None, case.sex)
        assert filters.kind in (None, case.kind)
        assert filters.status in (None, case.status)
        assert filters.country in (None, case.event.country)
        if filters.mark is not None:
            assert filters.mark in {mark.type for mark in case.marks}
        if filters.age_min is not None and filters.age_max is not None:
            assert case.age is not None
            assert case.age.min <= filters.age_max and case.age.max >= filters.age_min
        if filters.year_from is not None:
            assert case.event.date.year >= filters.year_from
        if filters.year_to is not None:
            assert case.event.date.year <= filters.year_to
    if any(sentinel.lower() in filters.q.lower() for sentinel in SENTINELS):
        # Restricted data is never indexed, so naming it finds nothing by it.
        assert all(sentinel not in repr(case) for case in page.items for sentinel in SENTINELS)


INTS = st.integers(min_value=-(2**40), max_value=2**40)


@counted("hypothesis: search query parser")
@fuzz_settings(max_examples=40)
@given(
    text=QUERIES,
    fields=st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(st.sampled_from(VALID[key]), st.text(max_size=20))
            for name, key in [
                ("sex", "sex"),
                ("country", "country"),
                ("kind", "kind"),
                ("status", "status"),
                ("mark", "mark"),
                ("region", "location"),
            ]
        },
    ),
    has_photo=st.booleans(),
    age=st.none() | st.tuples(INTS, INTS),
    years=st.none() | st.tuples(st.none() | INTS, st.none() | INTS),
    page=st.integers(1, 10**6),
    per_page=st.integers(1, 500),
)
def test_the_engine_takes_any_filter_values(
    searchable: Flask,
    text: str,
    fields: dict[str, str],
    has_photo: bool,
    age: tuple[int, int] | None,
    years: tuple[int | None, int | None] | None,
    page: int,
    per_page: int,
) -> None:
    # The engine is also called by saved-search alerts, whose filters were parsed long ago.
    filters = SearchFilters(has_photo=has_photo, age=age, years=years, **fields)
    outcome = get_engine().search(text, filters, page=page, per_page=per_page, facets=True)
    assert outcome.total >= len(outcome.hits)
    assert len(outcome.hits) <= per_page
    assert len({public_id for _, public_id, _ in outcome.hits}) == len(outcome.hits)
    found = get_engine().matching_cases(text, filters, [case_id for case_id, _, _ in outcome.hits])
    assert found == {case_id for case_id, _, _ in outcome.hits}
