"""Whole-index builds: documents written straight into new Whoosh segments by worker processes."""

from __future__ import annotations

import multiprocessing
import os
import queue
import traceback
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from itertools import repeat
from typing import Any

import numpy as np
from whoosh.codec import default_codec
from whoosh.formats import Existence, Frequency
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte

from portal.search.analysis import WordCache

# Documents of one batch of cases, read in a session of the caller's choosing.
Documents = Callable[[Sequence[int]], Iterable[dict[str, Any]]]
# Opens a database session in a worker process; its documents come from there.
OpenDocuments = Callable[[], AbstractContextManager[Documents]]

# At most this many workers: each writes its own segment, and a search reads every segment.
MAX_PROCESSES = 4
# A worker starts a new segment after this many documents: a segment's postings wait in
# memory (some 15 MB per 10,000 documents) until it is written.
SEGMENT_DOCUMENTS = 100_000
_NO_VALUE = b""
_UINT = np.dtype(f"u{array('I').itemsize}")


class SegmentBuilder:
    """Writes documents into one new segment through Whoosh's codec, without its SegmentWriter.

    SegmentWriter spends most of a build on per-posting Python: analysers run a chain of
    generators per token, and every posting is sized, pooled, sorted, spilled to disk, read back
    and given its document's field length again on the way out. Here a document's terms are
    counted once, each term's postings wait in compact arrays, and whole blocks go to the codec's
    postings writer. The files are those SegmentWriter writes for the same documents (a test
    compares the two), so searches, merges and later updates see an ordinary segment.
    """

    def __init__(self, ix: Any) -> None:
        self.schema = ix.schema
        self.storage = ix.storage
        self.codec = default_codec()
        self.segment = self.codec.new_segment(self.storage, ix.indexname)
        self._perdoc = self.codec.per_document_writer(self.storage, self.segment)
        self._docnum = 0
        self._quantized: dict[int, int] = {}
        # Terms of small-vocabulary fields (sex, country ...) by value, analysed once.
        self._known: dict[tuple[str, Any], dict[bytes, int]] = {}
        # Per field, in name order (SegmentWriter's): what to do with a value.
        self._plan: list[_Field] = []
        for name, field in sorted(self.schema.items()):
            if field.vector or field.separate_spelling():
                raise TypeError(f"the segment builder writes no vectors or spelling: {name}")
            if field.indexed and type(field.format) not in (Frequency, Existence):
                raise TypeError(f"the segment builder writes no positions: {name}")
            words = WordCache.of(field.analyzer) if type(field.format) is Frequency else None
            self._plan.append(_Field(name, field, words))
        self._names = frozenset(self.schema.names())

    def __len__(self) -> int:
        return self._docnum

    # -- documents ---------------------------------------------------------------------------

    def add(self, fields: dict[str, Any]) -> None:
        """One document, with the same meaning as SegmentWriter.add_document(**fields)."""
        if not self._names.issuperset(fields):
            unknown = ", ".join(sorted(set(fields) - self._names))
            raise ValueError(f"not fields of the schema: {unknown}")
        docnum = self._docnum
        perdoc = self._perdoc
        perdoc.start_doc(docnum)
        for plan in self._plan:
            value = fields.get(plan.name)
            if value is None:
                continue
            field = plan.field
            length = self._index(plan, value, docnum) if plan.indexed else 0
            perdoc.add_field(plan.name, field, value if plan.stored else None, length)
            if plan.column:
                perdoc.add_column_value(plan.name, plan.column, field.to_column_value(value))
        perdoc.finish_doc()
        self._docnum += 1

    def _index(self, plan: _Field, value: Any, docnum: int) -> int:
        """Adds a field's postings; returns its length (its number of tokens, when scorable)."""
        words = plan.words
        counted = words.counts(value) if words is not None and isinstance(value, str) else None
        counts: dict[Any, int]
        if counted is not None:
            counts, length = counted
        else:
            counts = self._field_terms(plan.name, plan.field, value)
            length = sum(counts.values())
            if words is not None:
                # Terms of this field are kept as text, the cache's form.
                counts = {term.decode("utf-8"): freq for term, freq in counts.items()}
        plan.postings.add(docnum, counts)
        if not plan.scorable:
            return 0
        if length:
            lengths = plan.lengths
            if len(lengths) < docnum:
                lengths.extend(bytes(docnum - len(lengths)))
            lengths.append(self._quantize(length))
        return length

    def _field_terms(self, name: str, field: Any, value: Any) -> dict[bytes, int]:
        """Whoosh's own analysis of a field, remembered per value unless every value differs."""
        key = (name, value)
        known = None if field.unique else self._known.get(key)
        if known is None:
            known = {term: freq for term, freq, _weight, _value in field.index(value)}
            if not field.unique and len(self._known) < 10_000:
                self._known[key] = known
        return known

    def _quantize(self, length: int) -> int:
        # Block statistics hold the field length as read back from its one-byte column.
        quantized = self._quantized.get(length)
        if quantized is None:
            quantized = self._quantized[length] = byte_to_length(length_to_byte(length))
        return quantized

    # -- writing -----------------------------------------------------------------------------

    def finish(self) -> Any:
        """Writes the postings, closes the segment's files and returns the segment.

        None when no document was added: an index keeps no empty segments (their files are
        left for the next commit to clear away, as Whoosh does with a cancelled writer's).
        """
        self._perdoc.close()
        if not self._docnum:
            return None
        writer = self.codec.field_writer(self.storage, self.segment)
        for plan in self._plan:
            if not plan.postings.numbers:
                continue
            writer.start_field(plan.name, plan.field)
            lengths = plan.lengths
            if len(lengths) < self._docnum:
                lengths.extend(bytes(self._docnum - len(lengths)))
            boost = float(plan.field.format.field_boost)
            frequency = type(plan.field.format) is Frequency
            for term, docnums, freqs in plan.postings.by_term():
                writer.start_term(term)
                _write_postings(writer, docnums, freqs, lengths, boost, frequency=frequency)
                writer.finish_term()
            writer.finish_field()
            plan.postings = _Postings()
        writer.close()
        self.segment.set_doc_count(self._docnum)
        if self.segment.should_assemble():
            self.segment.create_compound_file(self.storage)
            self.segment.compound = True
        return self.segment

    def cancel(self) -> None:
        if not self._perdoc.is_closed:
            self._perdoc.close()


class _Field:
    """A schema field and, while a segment is built, its postings and document lengths."""

    def __init__(self, name: str, field: Any, words: WordCache | None) -> None:
        self.name = name
        self.field = field
        self.indexed: bool = field.indexed
        self.stored: bool = field.stored
        self.scorable: bool = field.scorable
        self.column = field.column_type
        # The cache of a Frequency field's analyser (None: Whoosh analyses each value).
        self.words = words
        self.postings = _Postings()
        # Each document's length as the segment stores it (one byte), read back.
        self.lengths = array("I")


class _Postings:
    """One field's postings as they arrive, document by document."""

    def __init__(self) -> None:
        self.numbers: dict[Any, int] = {}
        self.terms = array("I")
        self.docnums = array("I")
        self.freqs = array("I")

    def add(self, docnum: int, counts: dict[Any, int]) -> None:
        numbers = self.numbers
        if not numbers.keys() >= counts.keys():
            for term in counts:
                numbers.setdefault(term, len(numbers))
        self.terms.extend(map(numbers.__getitem__, counts))
        self.freqs.extend(counts.values())
        self.docnums.extend(repeat(docnum, len(counts)))

    def by_term(self) -> Iterator[tuple[bytes, Any, Any]]:
        """(term, docnums, frequencies) in Whoosh's term order, documents in the order added."""
        terms = np.frombuffer(self.terms, dtype=_UINT)
        # Stable: within a term, postings stay in document order.
        order = np.argsort(terms, kind="stable")
        docnums = np.frombuffer(self.docnums, dtype=_UINT)[order]
        freqs = np.frombuffer(self.freqs, dtype=_UINT)[order]
        bounds = np.searchsorted(terms[order], np.arange(len(self.numbers) + 1))
        for term, number in sorted((_term_bytes(term), n) for term, n in self.numbers.items()):
            start, end = bounds[number], bounds[number + 1]
            yield term, docnums[start:end], freqs[start:end]


def _term_bytes(term: str | bytes) -> bytes:
    # UTF-8 keeps code point order, so these sort as Whoosh sorts its terms.
    return term if isinstance(term, bytes) else term.encode("utf-8")


class _FrequencyBytes(dict[int, bytes]):
    """A frequency as Whoosh's Frequency format stores it, made once per number."""

    def __missing__(self, freq: int) -> bytes:
        value: bytes = pack_uint(freq)
        self[freq] = value
        return value


_FREQUENCY_BYTES = _FrequencyBytes()


def _write_postings(
    writer: Any,
    docnums: Any,
    freqs: Any,
    lengths: array[int],
    boost: float,
    *,
    frequency: bool,
) -> None:
    """A term's postings, a block at a time when the codec's postings writer allows it."""
    ids: list[int] = docnums.tolist()
    counts: list[int] = freqs.tolist()
    # Frequency: weight = frequency x field boost, value = the packed frequency; Existence:
    # weight = the field boost, no value. As the formats' word_values give them.
    weights = [freq * boost for freq in counts] if frequency else [boost] * len(counts)
    values = list(map(_FREQUENCY_BYTES.__getitem__, counts)) if frequency else []
    postings = writer._postwriter
    size = getattr(postings, "_blocklimit", None)
    if size is None or not hasattr(postings, "_write_block"):
        # Another codec: one posting at a time through the public interface.
        for docnum, weight, value in zip(ids, weights, values or repeat(_NO_VALUE), strict=False):
            writer.add(docnum, weight, value, lengths[docnum] or None)
        return
    total = len(ids)
    for start in range(0, total, size):
        block = ids[start : start + size]
        weighed = weights[start : start + size]
        present = [length for length in map(lengths.__getitem__, block) if length]
        # What W3PostingsWriter.add_posting gathers posting by posting, a block at once.
        postings._ids = array("I", block)
        postings._weights = array("f", weighed)
        postings._values = values[start : start + size]
        postings._maxweight = max(0.0, *weighed)
        postings._minlength = min(present) if present else None
        postings._maxlength = max(present, default=0)
        if start + size < total:
            postings._write_block()
        # finish_term writes the last block, marked as the last.


# -- building in worker processes --------------------------------------------------------------


def build_segments(
    ix: Any,
    ids: Sequence[int],
    open_documents: OpenDocuments,
    *,
    batch: int,
    processes: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """New segments holding the documents of these cases; the caller commits them.

    Each worker reads its own batches from the database, makes their documents and writes its
    own segments, so reading, redacting, analysing and writing all run on every core. Workers
    take the next batch when they are ready: a busy core does not hold the others back.
    """
    batches = [ids[start : start + batch] for start in range(0, len(ids), batch)]
    processes = max(1, min(processes, len(batches)))
    if processes == 1 or "fork" not in multiprocessing.get_all_start_methods():
        done = 0

        def finished(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress(done, len(ids))

        return list(_build(ix, batches, open_documents, finished))
    # fork: workers start with this process's schema, vocabulary and database settings, and
    # take their jobs (functions, not picklable data) as they are.
    context = multiprocessing.get_context("fork")
    next_batch = context.Value("i", 0)
    done_count = context.Value("i", 0)
    results = context.Queue()
    workers = [
        context.Process(
            target=_worker,
            args=(ix, batches, open_documents, next_batch, done_count, results),
            daemon=True,
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        return _collect(workers, results, done_count, len(ids), progress)
    except BaseException:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        raise
    finally:
        for worker in workers:
            worker.join(timeout=10)


def _build(
    ix: Any,
    batches: Iterable[Sequence[int]],
    open_documents: OpenDocuments,
    finished: Callable[[int], None],
) -> Iterator[Any]:
    """Segments of the documents of these batches, a new one every SEGMENT_DOCUMENTS."""
    builder = SegmentBuilder(ix)
    try:
        with open_documents() as documents:
            for batch in batches:
                for fields in documents(batch):
                    builder.add(fields)
                finished(len(batch))
                if len(builder) >= SEGMENT_DOCUMENTS:
                    yield builder.finish()
                    builder = SegmentBuilder(ix)
        segment = builder.finish()
    except BaseException:
        builder.cancel()
        raise
    if segment is not None:
        yield segment


def _next_batch(counter: Any, batches: list[Sequence[int]]) -> Iterator[Sequence[int]]:
    while True:
        with counter.get_lock():
            number = counter.value
            counter.value += 1
        if number >= len(batches):
            return
        yield batches[number]


def _worker(
    ix: Any,
    batches: list[Sequence[int]],
    open_documents: OpenDocuments,
    next_batch: Any,
    done: Any,
    results: Any,
) -> None:
    def finished(count: int) -> None:
        with done.get_lock():
            done.value += count

    try:
        for segment in _build(ix, _next_batch(next_batch, batches), open_documents, finished):
            results.put(("segment", segment))
        results.put(("done", None))
    except BaseException:
        results.put(("error", traceback.format_exc()))
    finally:
        results.close()
        results.join_thread()


def _collect(
    workers: list[Any],
    results: Any,
    done: Any,
    total: int,
    progress: Callable[[int, int], None] | None,
) -> list[Any]:
    """The workers' segments, once every worker has said it is done."""
    segments: list[Any] = []
    finished = 0
    reported = -1
    while finished < len(workers):
        try:
            kind, payload = results.get(timeout=0.5)
        except queue.Empty:
            # A worker killed outright (out of memory, a signal) reports nothing, and the
            # batch it was writing is lost: the build cannot be complete.
            codes = [worker.exitcode for worker in workers]
            if any(code not in (None, 0) for code in codes) or None not in codes:
                raise RuntimeError(
                    f"index build workers ended early (exit codes {codes})"
                ) from None
        else:
            if kind == "error":
                raise RuntimeError(f"index build worker failed:\n{payload}")
            if kind == "done":
                finished += 1
            else:
                segments.append(payload)
        if progress is not None and done.value != reported:
            reported = done.value
            progress(reported, total)
    if progress is not None and reported != total:
        progress(total, total)
    return segments


def worker_count() -> int:
    return max(1, min(MAX_PROCESSES, os.cpu_count() or 1))
