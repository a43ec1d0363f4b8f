"""Postings as numpy arrays: BM25 scores, filters and facets over every document at C speed.

Whoosh stores and analyses; scoring tens of thousands of postings one Python call at a time
is what makes plain Whoosh slow. Here each term's postings are read once per index generation
into arrays, and a query adds arrays instead of walking matchers.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

K1 = 1.2
B = 0.75
TERM_CACHE = 4096
_BYTE_LENGTHS = np.array([byte_to_length(byte) for byte in range(256)], dtype=np.float32)

Ids = NDArray[np.int32]
Scores = NDArray[np.float32]
Mask = NDArray[np.bool_]


def _leaf_postings(leaf: Any, fieldname: str, text: str) -> tuple[list[int], list[float]]:
    """All (docnum, weight) postings of a term in one segment, read block by block."""
    matcher = leaf.postings(fieldname, text)
    ids: list[int] = []
    weights: list[float] = []
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        # Whoosh 2.7's block reader: whole blocks at once instead of one call per posting.
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
        return ids, weights
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def _leaf_lengths(leaf: Any, fieldname: str) -> Scores:
    """The field length of every document of one segment."""
    perdoc = getattr(leaf, "_perdoc", None)
    if perdoc is not None and hasattr(perdoc, "_cached_reader"):
        # Whoosh 2.7 keeps lengths as one byte per document: read the column whole.
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return np.zeros(leaf.doc_count_all(), dtype=np.float32)
        raw = np.asarray(list(column), dtype=np.uint8)
        lengths: Scores = _BYTE_LENGTHS[raw]
        return lengths
    return np.asarray(
        [leaf.doc_field_length(d, fieldname) for d in range(leaf.doc_count_all())],
        dtype=np.float32,
    )


class Vectors:
    """Everything numeric about one searcher's index generation, cached."""

    def __init__(self, reader: Any, live_ids: list[int]) -> None:
        self.reader = reader
        self.size = reader.doc_count_all()
        self.count = max(1, reader.doc_count())
        self.live = np.zeros(self.size, dtype=bool)
        self.live[np.asarray(live_ids, dtype=np.int64)] = True
        self._postings: OrderedDict[tuple[str, str], tuple[Ids, Scores, Scores]] = OrderedDict()
        self._lengths: dict[str, Scores] = {}
        self._columns: dict[str, NDArray[np.int64]] = {}
        self._masks: OrderedDict[tuple[str, str], Mask] = OrderedDict()

    def postings(self, fieldname: str, text: str) -> tuple[Ids, Scores, Scores]:
        """(docnums, weights, BM25 scores) of a term; empty arrays when absent."""
        key = (fieldname, text)
        cached = self._postings.get(key)
        if cached is not None:
            self._postings.move_to_end(key)
            return cached
        ids: list[int] = []
        weights: list[float] = []
        for leaf, base in self.reader.leaf_readers():
            if (fieldname, text) in leaf:
                leaf_ids, leaf_weights = _leaf_postings(leaf, fieldname, text)
                ids.extend(docnum + base for docnum in leaf_ids)
                weights.extend(leaf_weights)
        id_array = np.asarray(ids, dtype=np.int32)
        weight_array = np.asarray(weights, dtype=np.float32)
        if len(id_array):
            keep = self.live[id_array]
            id_array, weight_array = id_array[keep], weight_array[keep]
        scores = self._bm25(fieldname, id_array, weight_array)
        entry = (id_array, weight_array, scores)
        self._postings[key] = entry
        if len(self._postings) > TERM_CACHE:
            self._postings.popitem(last=False)
        return entry

    def _bm25(self, fieldname: str, ids: Ids, weights: Scores) -> Scores:
        if not len(ids):
            return np.zeros(0, dtype=np.float32)
        df = len(ids)
        idf = math.log(1 + (self.count - df + 0.5) / (df + 0.5))
        average = max(1.0, self.reader.field_length(fieldname) / self.count)
        lengths = self.lengths(fieldname)[ids]
        norm = K1 * (1 - B + B * lengths / average)
        scores: Scores = (idf * weights * (K1 + 1) / (weights + norm)).astype(np.float32)
        return scores

    def lengths(self, fieldname: str) -> Scores:
        if fieldname not in self._lengths:
            values = np.zeros(self.size, dtype=np.float32)
            for leaf, base in self.reader.leaf_readers():
                values[base : base + leaf.doc_count_all()] = _leaf_lengths(leaf, fieldname)
            self._lengths[fieldname] = values
        return self._lengths[fieldname]

    def column(self, fieldname: str) -> NDArray[np.int64]:
        if fieldname not in self._columns:
            if self.size == 0:
                # An index with no segment yet has no columns to read.
                self._columns[fieldname] = np.zeros(0, dtype=np.int64)
            else:
                self._columns[fieldname] = np.asarray(
                    list(self.reader.column_reader(fieldname)), dtype=np.int64
                )
        return self._columns[fieldname]

    def mask(self, fieldname: str, text: str) -> Mask:
        """The live documents holding a term (a filter or facet value)."""
        key = (fieldname, text)
        cached = self._masks.get(key)
        if cached is None:
            ids, _weights, _scores = self.postings(fieldname, text)
            cached = np.zeros(self.size, dtype=bool)
            cached[ids] = True
            self._masks[key] = cached
            if len(self._masks) > TERM_CACHE:
                self._masks.popitem(last=False)
        return cached
