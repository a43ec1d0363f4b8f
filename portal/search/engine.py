"""Searching: query expansion, BM25F over numpy vectors, filters, facets, suggestions, fuzzy."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh.reading import ReaderClosed

from portal.search import vocabulary
from portal.search.analysis import squashed_forms, text_analyzer
from portal.search.vectors import Mask, Vectors

# How much a match in each field counts. Marks describe the body itself and are what relatives
# remember; the narrative mentions many words in passing.
FIELD_BOOSTS = {"marks": 3.0, "name": 4.0, "items": 2.0, "title": 1.5, "text": 1.0}
SYNONYM_WEIGHT = 0.7
CORRECTION_WEIGHT = 0.8
FUZZY_WEIGHT = 0.5
LOCATION_BOOST = 3.0
PAIR_BOOST = 4.0
LITERAL_BOOST = 5.0
MAX_WORDS = 12
DISMAX_TIEBREAK = 0.2
FUZZY_BELOW = 3  # fewer results than this and fuzzy matching joins in
FACET_FIELDS = ("sex", "country", "kind", "status", "mark_types", "regions", "has_photo")
# Mark types a query can pair with a body region ("tattoo on hand" -> tattoo_hand).
PAIRED_MARK_TYPES = frozenset({"tattoo", "scar", "birthmark", "piercing", "amputation", "implant"})

Term = tuple[str, str, float]  # (field, analysed text, boost)


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
    groups: list[list[Term]]  # per query word: its terms over fields, synonyms, corrections
    extra: list[Term]  # locations, motif classes, motif-location pairs, inscriptions
    terms: frozenset[str]
    words: list[str]
    suggestion: str | None


@dataclass
class _Matched:
    active: dict[str, Mask]  # each filter's mask
    allowed: Mask  # what the filters allow
    matched: Mask  # what the words match (every live document when there are none)
    built: _Query | None
    scores: Any
    fuzzy: bool


class _SearcherState:
    """A searcher and its vectors; replaced when the index changes."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.vectors = Vectors(self.reader, list(self.reader.all_doc_ids()))
        self._order: Any = None
        self._values: dict[str, list[str]] = {}

    def newest_first(self) -> Any:
        if self._order is None:
            published = self.vectors.column("published")
            docnums = np.flatnonzero(self.vectors.live)
            self._order = docnums[np.lexsort((-docnums, -published[docnums]))]
        return self._order

    def values(self, fieldname: str) -> list[str]:
        if fieldname not in self._values:
            self._values[fieldname] = [
                term.decode("utf-8") if isinstance(term, bytes) else term
                for term in self.reader.lexicon(fieldname)
            ]
        return self._values[fieldname]

    def stored(self, docnum: int) -> tuple[int, str]:
        fields = self.searcher.stored_fields(docnum)
        return int(fields["case_id"]), str(fields["public_id"])


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
                try:
                    fresh = self._state.searcher.refresh()
                except Exception:
                    fresh = self.search_index.ix.searcher()
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

    def _word_terms(self, state: _SearcherState, word: str, weight: float) -> list[Term]:
        return [
            (fieldname, token, boost * weight)
            for token in self.analyse(word)
            for fieldname, boost in FIELD_BOOSTS.items()
            if state.reader.doc_frequency(fieldname, token)
        ]

    def _present(
        self, state: _SearcherState, fieldname: str, word: str, boost: float
    ) -> list[Term]:
        return [
            (fieldname, token, boost)
            for token in self.analyse(word)
            if state.reader.doc_frequency(fieldname, token)
        ]

    def build(self, state: _SearcherState, text: str) -> _Query | None:
        all_words = vocabulary.words(text)
        words = [w for w in all_words if w not in vocabulary.STOPWORDS][:MAX_WORDS]
        literal = [
            ("literal", form, LITERAL_BOOST)
            for form in squashed_forms(text)
            if state.reader.doc_frequency("literal", form)
        ]
        if not words and not literal:
            return None
        groups: list[list[Term]] = []
        terms: set[str] = set()
        corrected: list[str] = []
        changed = False
        for word in words:
            group = self._word_terms(state, word, 1.0)
            for synonym in vocabulary.query_synonyms(word):
                group += self._word_terms(state, synonym, SYNONYM_WEIGHT)
            terms.update(self.analyse(word))
            if not group and len(word) > 2 and not word.isdigit():
                suggestion = self._suggest(state, word)
                if suggestion:
                    group += self._word_terms(state, suggestion, CORRECTION_WEIGHT)
                    terms.update(self.analyse(suggestion))
                    corrected.append(suggestion)
                    changed = True
                    groups.append(group)
                    continue
            corrected.append(word)
            groups.append(group)

        locations = vocabulary.location_query(all_words)
        motifs = vocabulary.motif_query(words)
        mark_words = [w for w in words if w in PAIRED_MARK_TYPES]
        extra: list[Term] = []
        for location in locations:
            extra += self._present(state, "marks", location, LOCATION_BOOST)
        for motif in {*motifs, *mark_words}:
            for location in locations:
                if not location.startswith(("left_", "right_")):
                    extra += self._present(state, "marks", f"{motif}_{location}", PAIR_BOOST)
        for motif in motifs:
            extra += self._present(state, "marks", motif, FIELD_BOOSTS["marks"])
        extra += literal
        suggestion = " ".join(corrected) if changed else None
        return _Query(groups, list(dict.fromkeys(extra)), frozenset(terms), words, suggestion)

    def _suggest(self, state: _SearcherState, word: str) -> str | None:
        corrector = state.reader.corrector("spell")
        maxdist = 1 if len(word) <= 4 else 2
        for suggestion in corrector.suggest(word, limit=1, maxdist=maxdist, prefix=1):
            return str(suggestion)
        return None

    def _fuzzy_groups(self, state: _SearcherState, words: list[str]) -> list[list[Term]]:
        """Per word, the index terms one edit away (swalow -> swallow), at a lower weight."""
        groups = []
        for word in words:
            if len(word) < 4:
                continue
            group: list[Term] = []
            for token in self.analyse(word):
                for fieldname, boost in FIELD_BOOSTS.items():
                    for near in state.reader.terms_within(fieldname, token, 1, prefix=1):
                        if near != token:
                            group.append((fieldname, near, boost * FUZZY_WEIGHT))
            if group:
                groups.append(group)
        return groups

    # -- scoring -----------------------------------------------------------------------------

    def _score(self, state: _SearcherState, built: _Query) -> Any:
        """BM25F: per word the best field (plus a little of the others), summed over words,
        times a coordination factor so that matching more of the words comes first."""
        vectors = state.vectors
        total = np.zeros(vectors.size, dtype=np.float32)
        covered = np.zeros(vectors.size, dtype=np.float32)
        counted = 0
        for group in built.groups:
            if not group:
                counted += 1
                continue
            best = np.zeros(vectors.size, dtype=np.float32)
            summed = np.zeros(vectors.size, dtype=np.float32)
            for fieldname, text, boost in group:
                ids, _weights, scores = vectors.postings(fieldname, text)
                if len(ids):
                    weighted = scores * boost
                    best[ids] = np.maximum(best[ids], weighted)
                    summed[ids] += weighted
            total += best + DISMAX_TIEBREAK * (summed - best)
            covered += best > 0
            counted += 1
        for fieldname, text, boost in built.extra:
            ids, _weights, scores = vectors.postings(fieldname, text)
            if len(ids):
                total[ids] += scores * boost
        if counted:
            total *= 0.5 + 0.5 * (covered / counted)
        return total

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

    def _filter_masks(self, state: _SearcherState, filters: SearchFilters) -> dict[str, Mask]:
        vectors = state.vectors
        active = {name: vectors.mask(name, value) for name, value in filters.by_field().items()}
        if filters.age is not None:
            low, high = filters.age
            age_min, age_max = vectors.column("age_min"), vectors.column("age_max")
            active["age"] = (age_min >= 0) & (age_min <= high) & (age_max >= low)
        if filters.years is not None:
            start, end = filters.years
            year = vectors.column("year")
            mask = np.ones(vectors.size, dtype=bool)
            if start is not None:
                mask &= year >= start
            if end is not None:
                mask &= year <= end
            active["years"] = mask
        return active

    @staticmethod
    def _combine(state: _SearcherState, masks: dict[str, Mask], without: str = "") -> Mask:
        result = state.vectors.live.copy()
        for name, mask in masks.items():
            if name != without:
                result &= mask
        return result

    def _match(self, state: _SearcherState, text: str, filters: SearchFilters) -> _Matched:
        """Which documents a search matches: the one decision the page and alerts share."""
        active = self._filter_masks(state, filters)
        allowed = self._combine(state, active)
        built = self.build(state, text) if text.strip() else None
        if built is None:
            return _Matched(active, allowed, state.vectors.live, None, None, False)
        scores = self._score(state, built)
        matched = scores > 0
        fuzzy = False
        if np.count_nonzero(matched & allowed) < FUZZY_BELOW:
            extra_groups = self._fuzzy_groups(state, built.words)
            if extra_groups:
                built.groups += extra_groups
                scores = self._score(state, built)
                matched = scores > 0
                fuzzy = True
        return _Matched(active, allowed, matched, built, scores, fuzzy)

    def matching_cases(self, text: str, filters: SearchFilters, among: Iterable[int]) -> set[int]:
        """Those of the cases `among` that `search(text, filters)` lists, on any of its pages.

        The same masks and the same fuzzy decision as a search, so a saved search reports
        exactly what the search page would show, without ranking or loading every result.
        """
        state = self.state()
        found = self._match(state, text, filters)
        selected = found.matched & found.allowed
        result = set()
        for case_id in among:
            docnum = state.searcher.document_number(case_id=str(case_id))
            if docnum is not None and bool(selected[docnum]):
                result.add(case_id)
        return result

    def _search(
        self, text: str, filters: SearchFilters, page: int, per_page: int, facets: bool
    ) -> SearchOutcome:
        state = self.state()
        found = self._match(state, text, filters)
        active, allowed, matched, built = found.active, found.allowed, found.matched, found.built
        start = (page - 1) * per_page

        if built is None:
            order = state.newest_first()
            selected = order[allowed[order]]
            hits = [(*state.stored(int(d)), 0.0) for d in selected[start : start + per_page]]
            outcome = SearchOutcome(hits, len(selected))
        else:
            scores, fuzzy = found.scores, found.fuzzy
            candidates = np.flatnonzero(matched & allowed)
            hits = self._top(state, scores, candidates, start, per_page)
            outcome = SearchOutcome(
                hits,
                len(candidates),
                suggestion=built.suggestion,
                fuzzy=fuzzy,
                terms=built.terms,
            )
        if facets:
            outcome.facets = self._facets(state, matched, active)
        return outcome

    def _top(
        self, state: _SearcherState, scores: Any, candidates: Any, start: int, per_page: int
    ) -> list[tuple[int, str, float]]:
        wanted = start + per_page
        if len(candidates) > wanted:
            chosen = np.argpartition(-scores[candidates], wanted - 1)[:wanted]
            candidates = candidates[chosen]
        published = state.vectors.column("published")
        # Equal scores: the newer appeal first, so ties never depend on segment order.
        order = np.lexsort((-published[candidates], -np.round(scores[candidates], 5)))
        ranked = candidates[order][start:wanted]
        return [(*state.stored(int(d)), float(scores[d])) for d in ranked]

    def _facets(
        self, state: _SearcherState, matched: Mask, active: dict[str, Mask]
    ) -> dict[str, list[tuple[str, int]]]:
        counts: dict[str, list[tuple[str, int]]] = {}
        for fieldname in FACET_FIELDS:
            # A facet counts what its other filters allow, so every value stays choosable.
            base = matched & self._combine(state, active, without=fieldname)
            values = []
            for value in state.values(fieldname):
                count = int(np.count_nonzero(base & state.vectors.mask(fieldname, value)))
                if count:
                    values.append((value, count))
            counts[fieldname] = values
        return counts
