"""Whole rebuilds: the segment builder writes what Whoosh's writer writes; failures are loud."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from whoosh import index as whoosh_index

from portal import search
from portal.demo.synthetic import generate_records, write_jsonl
from portal.extensions import db
from portal.models import Case
from portal.models.case import PUBLIC_STATUSES
from portal.records.importer import import_file
from portal.search import builder
from portal.search import index as index_module
from portal.search.builder import SegmentBuilder
from portal.search.index import _documents_from, _engine, build_schema

SYNTHETIC = 150


def all_documents(tmp_path: Path) -> list[dict[str, Any]]:
    """The sample cases and some synthetic ones (for variety), as the rebuild makes them."""
    path = tmp_path / "synthetic.jsonl"
    write_jsonl(generate_records(SYNTHETIC, seed=7), path)
    assert not import_file(path).errors
    ids = list(
        db.session.scalars(
            select(Case.id).where(Case.status.in_(PUBLIC_STATUSES)).order_by(Case.id)
        )
    )
    with _documents_from(_engine(db.session), os.getpid()) as documents:
        return documents(ids)


def postings(reader: Any, fieldname: str, term: bytes) -> list[tuple[Any, ...]]:
    matcher = reader.postings(fieldname, term)
    found = []
    while matcher.is_active():
        found.append(
            (
                matcher.id(),
                matcher.weight(),
                matcher.value(),
                matcher.block_min_length(),
                matcher.block_max_length(),
                matcher.block_max_weight(),
            )
        )
        matcher.next()
    return found


def term_statistics(reader: Any, fieldname: str, term: bytes) -> tuple[Any, ...]:
    info = reader.term_info(fieldname, term)
    return (
        info.weight(),
        info.doc_frequency(),
        info.min_length(),
        info.max_length(),
        info.max_weight(),
        info.min_id(),
        info.max_id(),
    )


def test_the_builder_writes_what_whoosh_writes(
    app: Flask, sample_cases: Path, tmp_path: Path
) -> None:
    documents = all_documents(tmp_path)
    assert len(documents) > SYNTHETIC
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "built").mkdir()
    expected = whoosh_index.create_in(str(tmp_path / "whoosh"), build_schema())
    actual = whoosh_index.create_in(str(tmp_path / "built"), build_schema())
    with expected.writer() as writer:
        for fields in documents:
            writer.add_document(**fields)
    builder = SegmentBuilder(actual)
    for fields in documents:
        builder.add(fields)
    segment = builder.finish()
    writer = actual.writer()
    writer.commit(mergetype=lambda _writer, _segments: [segment])

    with expected.reader() as want, actual.reader() as got:
        assert got.doc_count_all() == want.doc_count_all() == len(documents)
        assert sorted(got.indexed_field_names()) == sorted(want.indexed_field_names())
        for fieldname in want.indexed_field_names():
            terms = list(want.lexicon(fieldname))
            assert list(got.lexicon(fieldname)) == terms, fieldname
            assert got.field_length(fieldname) == want.field_length(fieldname), fieldname
            for term in terms:
                assert term_statistics(got, fieldname, term) == term_statistics(
                    want, fieldname, term
                ), (fieldname, term)
                assert postings(got, fieldname, term) == postings(want, fieldname, term), (
                    fieldname,
                    term,
                )
            for docnum in range(len(documents)):
                assert got.doc_field_length(docnum, fieldname) == want.doc_field_length(
                    docnum, fieldname
                )
        for docnum in range(len(documents)):
            assert got.stored_fields(docnum) == want.stored_fields(docnum)
        for fieldname in ("age_min", "age_max", "year", "published"):
            assert list(got.column_reader(fieldname)) == list(want.column_reader(fieldname))


def test_a_failing_worker_fails_the_rebuild_and_keeps_the_index(
    app: Flask, sample_cases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = search.get_index()
    index.rebuild(db.session)
    before = index.doc_count()
    real_document = index_module.document

    def broken(case: Any, case_db_id: int, change_seq: int) -> dict[str, Any]:
        if case.record_id == "TW-2019-0520":
            raise ValueError("a broken case")
        return real_document(case, case_db_id, change_seq)

    monkeypatch.setattr(index_module, "document", broken)
    monkeypatch.setattr(index_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(index_module, "REINDEX_BATCH", 3)
    monkeypatch.setattr(index_module, "worker_count", lambda: 2)
    with pytest.raises(RuntimeError, match="a broken case"):
        index.rebuild(db.session)
    assert index.doc_count() == before
    # The writer was let go: the next change is written at once.
    monkeypatch.setattr(index_module, "document", real_document)
    assert index.update_cases(db.session, list(db.session.scalars(select(Case.id))))


def test_a_worker_that_dies_fails_the_rebuild(
    app: Flask, sample_cases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = search.get_index()
    index.rebuild(db.session)
    parent = os.getpid()
    real_document = index_module.document

    def dying(case: Any, case_db_id: int, change_seq: int) -> dict[str, Any]:
        if os.getpid() != parent:
            os._exit(3)  # as the kernel's out-of-memory killer would end it: no report
        return real_document(case, case_db_id, change_seq)

    monkeypatch.setattr(index_module, "document", dying)
    monkeypatch.setattr(index_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(index_module, "REINDEX_BATCH", 3)
    monkeypatch.setattr(index_module, "worker_count", lambda: 2)
    with pytest.raises(RuntimeError, match="ended early"):
        index.rebuild(db.session)
    assert index.doc_count() == 16


def test_a_rebuild_with_nothing_public_leaves_an_empty_index(app: Flask) -> None:
    index = search.get_index()
    assert index.rebuild(db.session) == 0
    assert index.doc_count() == 0
    assert search.get_engine().search("anchor", search.SearchFilters()).total == 0


def test_a_worker_starts_new_segments_as_it_goes(
    app: Flask, client: FlaskClient, sample_cases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builder, "SEGMENT_DOCUMENTS", 4)
    monkeypatch.setattr(index_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(index_module, "REINDEX_BATCH", 2)
    monkeypatch.setattr(index_module, "worker_count", lambda: 2)
    index = search.get_index()
    assert index.rebuild(db.session) == 16
    with index.ix.searcher() as searcher:
        sizes = [leaf.doc_count_all() for leaf, _base in searcher.reader().leaf_readers()]
    assert sum(sizes) == 16 and len(sizes) >= 4 and max(sizes) <= 4
    monkeypatch.setattr(search, "CATCH_UP_INTERVAL_SECONDS", 0.0)
    body = client.get("/api/v1/cases", query_string={"q": "koi"}).json
    assert body is not None and body["results"][0]["record_id"] == "TW-2019-0520"
