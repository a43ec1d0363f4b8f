"""Searching: query expansion, cached filters, facets, suggestions and fuzzy fallback."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.reading import ReaderClosed

from portal.search import bitmaps, vocabulary
from portal.search.analysis import squashed_forms, text_analyzer

# How much a match in each field counts. Marks describe the body itself and are what relatives
# remember; the narrative mentions many words in passing.
FIELD_BOOSTS = {"marks": 3.0, "items": 2.0, "title": 1.5, "text": 1.0}
SYNONYM_WEIGHT = 0.7
CORRECTION_WEIGHT = 0.8
LOCATION_BOOST = 3.0
PAIR_BOOST = 4.0
LITERAL_BOOST = 5.0
MAX_WORDS = 12
DISMAX_TIEBREAK = 0.2
RERANK_DEPTH = 60
FUZZY_BELOW = 3  # fewer results than this and fuzzy matching joins in
FACET_FIELDS = ("sex", "country", "kind", "status", "mark_types", "regions", "has_photo")
MARK_TYPE_WORDS = {
    "tattoo": "tattoo",
    "scar": "scar",
    "birthmark": "birthmark",
    "piercing": "piercing",
    "amputation": "amputation",
    "implant": "implant",
}


@dataclass(frozen=True)
class SearchFilters:
    """Structured filters, in index terms."""

    sex: str | None = None
    country: str | None = None
    kind: str | None = None
    status: str | None = None
    mark: str | None = None
    region: str | None = None
    has_photo: bool = False
    age: tuple[int, int] | None = None
    years: tuple[int | None, int | None] | None = None

    def by_field(self) -> dict[str, str]:
        values = {
            "sex": self.sex,
            "country": self.country,
            "kind": self.kind,
            "status": self.status,
            "mark_types": self.mark,
            "regions": self.region,
            "has_photo": "1" if self.has_photo else None,
        }
        return {name: value for name, value in values.items() if value}


@dataclass
class SearchOutcome:
    hits: list[tuple[int, str, float]]  # (case db id, public id, score) in rank order
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None  # "did you mean" text, when a word was not found
    fuzzy: bool = False  # results include approximate matches
    terms: frozenset[str] = frozenset()  # analysed query terms, for highlighting


@dataclass
class _Query:
    query: Any
    terms: frozenset[str]
    words: list[str]
    suggestion: str | None
    groups: list[list[Any]]  # the terms of each query word, for the coordination factor


class _SearcherState:
    """A searcher and everything cached for it; replaced when the index changes."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.size = self.reader.doc_count_all()
        self.live = bitmaps.from_ids(self.reader.all_doc_ids(), self.size)
        self._terms: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._columns: dict[str, list[int]] = {}
        self._ranges: OrderedDict[tuple[object, ...], int] = OrderedDict()
        self._order: list[int] | None = None
        self._values: dict[str, list[str]] = {}

    def term_bitmap(self, fieldname: str, text: str) -> int:
        key = (fieldname, text)
        cached = self._terms.get(key)
        if cached is not None:
            self._terms.move_to_end(key)
            return cached
        if self.reader.doc_frequency(fieldname, text) == 0:
            bitmap = 0
        else:
            ids = self.reader.postings(fieldname, text).all_ids()
            bitmap = bitmaps.from_ids(ids, self.size) & self.live
        self._terms[key] = bitmap
        if len(self._terms) > 4096:
            self._terms.popitem(last=False)
        return bitmap

    def column(self, fieldname: str) -> list[int]:
        if fieldname not in self._columns:
            self._columns[fieldname] = list(self.reader.column_reader(fieldname))
        return self._columns[fieldname]

    def range_bitmap(self, key: tuple[object, ...], test: Any, *fieldnames: str) -> int:
        cached = self._ranges.get(key)
        if cached is None:
            columns = [self.column(name) for name in fieldnames]
            cached = (
                bitmaps.from_ids(
                    (
                        docnum
                        for docnum, values in enumerate(zip(*columns, strict=True))
                        if test(*values)
                    ),
                    self.size,
                )
                & self.live
            )
            self._ranges[key] = cached
            if len(self._ranges) > 256:
                self._ranges.popitem(last=False)
        return cached

    def newest_first(self) -> list[int]:
        if self._order is None:
            published = self.column("published")
            data = bitmaps.to_bytes(self.live, self.size)
            self._order = sorted(
                (d for d in range(self.size) if bitmaps.contains(data, d)),
                key=lambda d: (-published[d], -d),
            )
        return self._order

    def values(self, fieldname: str) -> list[str]:
        if fieldname not in self._values:
            self._values[fieldname] = [
                term.decode("utf-8") if isinstance(term, bytes) else term
                for term in self.reader.lexicon(fieldname)
            ]
        return self._values[fieldname]


class Engine:
    """Runs searches against a SearchIndex, refreshing its searcher when the index changes."""

    def __init__(self, search_index: Any) -> None:
        self.search_index = search_index
        self.analyzer = text_analyzer(vocabulary.STOPWORDS)
        self._state: _SearcherState | None = None
        self._lock = threading.Lock()

    def state(self) -> _SearcherState:
        with self._lock:
            if self._state is None:
                self._state = _SearcherState(self.search_index.ix.searcher())
            else:
                fresh = self._state.searcher.refresh()
                if fresh is not self._state.searcher:
                    # The new searcher reuses the old one's unchanged segments: closing the
                    # old one would close them under the new one.
                    self._state = _SearcherState(fresh)
            return self._state

    def close(self) -> None:
        with self._lock:
            if self._state is not None:
                self._state.searcher.close()
                self._state = None

    # -- analysis --------------------------------------------------------------------------

    def analyse(self, word: str) -> list[str]:
        return list(self._analyse_cached(word))

    @functools.lru_cache(maxsize=50_000)  # noqa: B019 - one engine per app, lives as long
    def _analyse_cached(self, word: str) -> tuple[str, ...]:
        # The analyser chain costs ~15 µs a word; queries and snippets repeat the same words.
        return tuple(token.text for token in self.analyzer(word))

    def _word_terms(self, state: _SearcherState, word: str, weight: float) -> list[Any]:
        terms = []
        for token in self.analyse(word):
            for fieldname, boost in FIELD_BOOSTS.items():
                if state.reader.doc_frequency(fieldname, token):
                    terms.append(wq.Term(fieldname, token, boost=boost * weight))
        return terms

    def build(self, state: _SearcherState, text: str) -> _Query | None:
        all_words = vocabulary.words(text)
        words = [w for w in all_words if w not in vocabulary.STOPWORDS][:MAX_WORDS]
        literal = [
            wq.Term("literal", form, boost=LITERAL_BOOST)
            for form in squashed_forms(text)
            if state.reader.doc_frequency("literal", form)
        ]
        if not words and not literal:
            return None
        clauses: list[Any] = []
        groups: list[list[Any]] = []
        terms: set[str] = set()
        corrected: list[str] = []
        changed = False
        for word in words:
            group = self._word_terms(state, word, 1.0)
            for synonym in vocabulary.query_synonyms(word):
                group += self._word_terms(state, synonym, SYNONYM_WEIGHT)
            found = bool(group)
            if not found and len(word) > 2 and not word.isdigit():
                suggestion = self._suggest(state, word)
                if suggestion:
                    group += self._word_terms(state, suggestion, CORRECTION_WEIGHT)
                    corrected.append(suggestion)
                    changed = True
                    terms.update(self.analyse(suggestion))
                else:
                    corrected.append(word)
            else:
                corrected.append(word)
            terms.update(self.analyse(word))
            groups.append(group)
            if group:
                # The best field counts for a word, not the sum over fields: a case matching two
                # of the words must beat a case matching one word in both its title and items.
                clauses.append(wq.DisjunctionMax(group, tiebreak=DISMAX_TIEBREAK))

        locations = vocabulary.location_query(all_words)
        motifs = vocabulary.motif_query(words)
        mark_words = [MARK_TYPE_WORDS[w] for w in words if w in MARK_TYPE_WORDS]
        extra: list[Any] = []
        for token in {t for location in locations for t in self.analyse(location)}:
            if state.reader.doc_frequency("marks", token):
                extra.append(wq.Term("marks", token, boost=LOCATION_BOOST))
        for motif in {*motifs, *mark_words}:
            for location in locations:
                if location.startswith(("left_", "right_")):
                    continue
                for token in self.analyse(f"{motif}_{location}"):
                    if state.reader.doc_frequency("marks", token):
                        extra.append(wq.Term("marks", token, boost=PAIR_BOOST))
        for motif in motifs:
            for token in self.analyse(motif):
                if state.reader.doc_frequency("marks", token):
                    extra.append(wq.Term("marks", token, boost=FIELD_BOOSTS["marks"]))
        everything = clauses + extra + literal
        suggestion = " ".join(corrected) if changed else None
        if not everything:
            return _Query(wq.NullQuery, frozenset(terms), words, suggestion, groups)
        return _Query(wq.Or(everything), frozenset(terms), words, suggestion, groups)

    def _suggest(self, state: _SearcherState, word: str) -> str | None:
        corrector = state.reader.corrector("spell")
        maxdist = 1 if len(word) <= 4 else 2
        for suggestion in corrector.suggest(word, limit=1, maxdist=maxdist, prefix=1):
            return str(suggestion)
        return None

    def _fuzzy(self, state: _SearcherState, words: list[str]) -> Any:
        fuzzy = [
            wq.FuzzyTerm(fieldname, token, boost=boost * 0.5, maxdist=1, prefixlength=1)
            for word in words
            if len(word) >= 4
            for token in self.analyse(word)
            for fieldname, boost in FIELD_BOOSTS.items()
        ]
        return wq.Or(fuzzy) if fuzzy else None

    # -- filtering ---------------------------------------------------------------------------

    def _filter_bitmaps(self, state: _SearcherState, filters: SearchFilters) -> dict[str, int]:
        """One bitmap per active filter, keyed by facet field (or 'age', 'years')."""
        active = {
            name: state.term_bitmap(name, value) for name, value in filters.by_field().items()
        }
        if filters.age is not None:
            low, high = filters.age
            active["age"] = state.range_bitmap(
                ("age", low, high),
                lambda a_min, a_max: a_min >= 0 and a_min <= high and a_max >= low,
                "age_min",
                "age_max",
            )
        if filters.years is not None:
            start, end = filters.years
            active["years"] = state.range_bitmap(
                ("years", start, end),
                lambda year: (start is None or year >= start) and (end is None or year <= end),
                "year",
            )
        return active

    @staticmethod
    def _combine(state: _SearcherState, bitmaps_: dict[str, int], without: str = "") -> int:
        result = state.live
        for name, bitmap in bitmaps_.items():
            if name != without:
                result &= bitmap
        return result

    # -- searching -----------------------------------------------------------------------------

    def search(
        self,
        text: str,
        filters: SearchFilters,
        *,
        page: int = 1,
        per_page: int = 20,
        facets: bool = False,
    ) -> SearchOutcome:
        try:
            return self._search(text, filters, page, per_page, facets)
        except (OSError, ReaderClosed, ValueError, KeyError):
            # Another process merged segments this searcher had not opened yet and removed
            # their files: a searcher on the newest generation answers the same question.
            with self._lock:
                self._state = None
            return self._search(text, filters, page, per_page, facets)

    def _search(
        self, text: str, filters: SearchFilters, page: int, per_page: int, facets: bool
    ) -> SearchOutcome:
        state = self.state()
        active = self._filter_bitmaps(state, filters)
        allowed = self._combine(state, active)
        built = self.build(state, text) if text.strip() else None
        start = (page - 1) * per_page

        if built is None:
            matched = state.live
            total = allowed.bit_count()
            data = bitmaps.to_bytes(allowed, state.size)
            selected: list[int] = []
            for docnum in state.newest_first():
                if bitmaps.contains(data, docnum):
                    selected.append(docnum)
                    if len(selected) >= start + per_page:
                        break
            stored = state.searcher.stored_fields
            hits = [
                (int(stored(d)["case_id"]), stored(d)["public_id"], 0.0)
                for d in selected[start : start + per_page]
            ]
            outcome = SearchOutcome(hits, total)
        else:
            matched = self._matched(state, built.query)
            fuzzy = False
            if (matched & allowed).bit_count() < FUZZY_BELOW:
                fuzzy_query = self._fuzzy(state, built.words)
                if fuzzy_query is not None:
                    built.query = wq.Or([built.query, fuzzy_query])
                    matched = self._matched(state, built.query)
                    fuzzy = True
            total = (matched & allowed).bit_count()
            hits = self._ranked(state, built, allowed, start, per_page)
            outcome = SearchOutcome(
                hits, total, suggestion=built.suggestion, fuzzy=fuzzy, terms=built.terms
            )
        if facets:
            outcome.facets = self._facets(state, matched, active)
        return outcome

    def _matched(self, state: _SearcherState, query: Any) -> int:
        """The documents a query matches, as a bitmap (cached per term where it can be)."""
        leaves = list(_leaves(query))
        if all(isinstance(leaf, wq.Term) for leaf in leaves):
            result = 0
            for leaf in leaves:
                result |= state.term_bitmap(leaf.fieldname, leaf.text)
            return result & state.live
        return bitmaps.from_ids(query.docs(state.searcher), state.size) & state.live

    def _ranked(
        self, state: _SearcherState, built: _Query, allowed: int, start: int, per_page: int
    ) -> list[tuple[int, str, float]]:
        if built.query is wq.NullQuery:
            return []
        restrict = None if allowed == state.live else bitmaps.to_bitset(allowed, state.size)
        # Rank a few more than the page needs, then apply coordination: a case that matches
        # more of the words someone typed comes before one that matches fewer words strongly.
        limit = max(start + per_page, RERANK_DEPTH)
        results = state.searcher.search(built.query, limit=limit, filter=restrict)
        group_bitmaps = [
            bitmaps.to_bytes(
                _or(state.term_bitmap(term.fieldname, term.text) for term in group), state.size
            )
            for group in built.groups
            if group
        ]
        ranked = []
        for hit in results:
            matched = sum(bitmaps.contains(data, hit.docnum) for data in group_bitmaps)
            coord = matched / len(group_bitmaps) if group_bitmaps else 1.0
            ranked.append((hit.docnum, hit.score * (0.5 + 0.5 * coord)))
        published = state.column("published")
        # Equal scores: the newer appeal first, so ties never depend on segment order.
        ranked.sort(key=lambda pair: (-round(pair[1], 6), -published[pair[0]]))
        stored = state.searcher.stored_fields
        return [
            (int(stored(d)["case_id"]), stored(d)["public_id"], score)
            for d, score in ranked[start : start + per_page]
        ]

    def _facets(
        self, state: _SearcherState, matched: int, active: dict[str, int]
    ) -> dict[str, list[tuple[str, int]]]:
        counts: dict[str, list[tuple[str, int]]] = {}
        for fieldname in FACET_FIELDS:
            # A facet counts what its other filters allow, so every value stays choosable.
            base = matched & self._combine(state, active, without=fieldname)
            values = []
            for value in state.values(fieldname):
                count = (base & state.term_bitmap(fieldname, value)).bit_count()
                if count:
                    values.append((value, count))
            counts[fieldname] = values
        return counts


def _or(values: Any) -> int:
    result = 0
    for value in values:
        result |= value
    return result


def _leaves(query: Any) -> Any:
    if isinstance(query, wq.compound.CompoundQuery):
        for child in query.subqueries:
            yield from _leaves(child)
    else:
        yield query
