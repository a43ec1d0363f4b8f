"""The index follows the database: imports, withdrawals, other hosts, rebuilds, busy writers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import search
from portal.extensions import db
from portal.models import Case, CaseStatus
from portal.records.importer import import_file
from portal.search.index import SearchIndex


def ids(client: FlaskClient, q: str) -> list[str]:
    body = client.get("/api/v1/cases", query_string={"q": q, "per_page": 100}).json
    assert body is not None
    return [r["record_id"] for r in body["results"]]


def rewrite(path: Path, record_id: str, **changes: object) -> None:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for record in records:
        if record["record_id"] == record_id:
            record.update(changes)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_import_updates_the_index_at_once(client: FlaskClient, sample_cases: Path) -> None:
    assert ids(client, "anchor")[:2] != []
    rewrite(sample_cases, "UK-2020-0909", status="published")  # the spider-web draft
    assert import_file(sample_cases).updated == 1
    assert ids(client, "spider web")[0] == "UK-2020-0909"
    rewrite(sample_cases, "UK-2020-0909", status="withdrawn")
    import_file(sample_cases)
    assert "UK-2020-0909" not in ids(client, "spider web")


def test_edited_text_is_searchable(client: FlaskClient, sample_cases: Path) -> None:
    rewrite(sample_cases, "UK-1988-0101", title="The woman in the scarlet coat")
    import_file(sample_cases)
    assert ids(client, "scarlet") == ["UK-1988-0101"]


def test_a_host_whose_index_is_behind_catches_up(
    app: Flask, client: FlaskClient, sample_cases: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # Another host changes the database; this host's index was not told.
    case = db.session.scalar(select(Case).where(Case.record_id == "UK-1988-0101"))
    assert case is not None
    monkeypatch.setattr(search, "index_cases", lambda _ids: None)
    case.title = "The woman in the crimson coat"
    db.session.commit()
    monkeypatch.setattr(search, "CATCH_UP_INTERVAL_SECONDS", 0.0)
    assert ids(client, "crimson") == ["UK-1988-0101"]
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    assert ids(client, "crimson") == []


def test_a_new_host_builds_its_index_from_the_database(
    app: Flask, client: FlaskClient, sample_cases: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    directory = Path(app.config["PORTAL_SEARCH_DIR"])
    search.get_engine().close()
    shutil.rmtree(directory)
    fresh = search._Search(directory)
    app.extensions[search.EXTENSION] = fresh
    monkeypatch.setattr(search, "CATCH_UP_INTERVAL_SECONDS", 0.0)
    assert ids(client, "koi")[0] == "TW-2019-0520"
    assert fresh.index.doc_count() == 16


def test_an_index_of_an_older_schema_is_rebuilt(
    app: Flask, client: FlaskClient, sample_cases: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, Schema

    directory = Path(app.config["PORTAL_SEARCH_DIR"])
    search.get_engine().close()
    shutil.rmtree(directory)
    directory.mkdir()
    whoosh_index.create_in(str(directory), Schema(case_id=ID(stored=True, unique=True)))
    app.extensions[search.EXTENSION] = search._Search(directory)
    monkeypatch.setattr(search, "CATCH_UP_INTERVAL_SECONDS", 0.0)
    assert ids(client, "koi")[0] == "TW-2019-0520"


def test_reindex_command(app: Flask, sample_cases: Path) -> None:
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("indexed 16 public cases in ")
    assert search.get_index().doc_count() == 16
    synced = app.test_cli_runner().invoke(args=["search", "sync"])
    assert synced.output.strip() == "search index up to date (0 cases updated)"


def test_a_busy_writer_leaves_the_change_to_catch_up(
    app: Flask, client: FlaskClient, sample_cases: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    index: SearchIndex = search.get_index()
    index.write_timeout = 0.1
    holder = index.ix.writer()  # another process holds the writer
    try:
        rewrite(sample_cases, "UK-1988-0101", title="The woman in the maroon coat")
        result = import_file(sample_cases)  # must not fail
        assert result.updated == 1
    finally:
        holder.cancel()
    monkeypatch.setattr(search, "CATCH_UP_INTERVAL_SECONDS", 0.0)
    assert ids(client, "maroon") == ["UK-1988-0101"]


def test_restricted_and_unpublished_text_is_not_in_the_index(
    app: Flask, sample_cases: Path
) -> None:
    index = search.get_index()
    with index.ix.searcher() as searcher:
        reader = searcher.reader()
        every_term = " ".join(
            (term.decode() if isinstance(term, bytes) else str(term))
            for fieldname in ("title", "marks", "items", "text", "literal", "spell")
            for term in reader.lexicon(fieldname)
        )
    for secret in ("sentinel", "secret", "77812", "suspect", "imei", "spider", "ladybird"):
        assert secret not in every_term


def test_a_large_unbuilt_index_is_not_built_inside_a_request(
    app: Flask, client: FlaskClient, sample_cases: Path, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    directory = Path(app.config["PORTAL_SEARCH_DIR"])
    search.get_engine().close()
    shutil.rmtree(directory)
    app.extensions[search.EXTENSION] = search._Search(directory)
    monkeypatch.setattr(search, "CATCH_UP_INTERVAL_SECONDS", 0.0)
    monkeypatch.setattr(search, "IN_REQUEST_BUILD", 10)  # 16 public cases count as large
    assert ids(client, "koi") == []
    assert "run `flask search sync`" in caplog.text
    result = app.test_cli_runner().invoke(args=["search", "sync"])
    assert result.exit_code == 0
    assert ids(client, "koi")[0] == "TW-2019-0520"


def test_a_large_rebuild_writes_in_two_processes(
    app: Flask, client: FlaskClient, sample_cases: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import os

    from portal.search import index as index_module

    makers = tmp_path / "makers"
    real_document = index_module.document

    def document(*args):  # type: ignore[no-untyped-def]
        with makers.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return real_document(*args)

    monkeypatch.setattr(index_module, "document", document)
    monkeypatch.setattr(index_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(index_module, "REINDEX_BATCH", 3)  # several batches to share out
    monkeypatch.setattr(index_module, "worker_count", lambda: 2)
    monkeypatch.setattr(search, "CATCH_UP_INTERVAL_SECONDS", 0.0)
    assert search.get_index().rebuild(db.session) == 16
    assert search.get_index().doc_count() == 16
    # Every document was made in a worker process (which of the two took which batch varies).
    pids = makers.read_text().split()
    assert len(pids) == 16 and str(os.getpid()) not in pids
    assert ids(client, "koi")[0] == "TW-2019-0520"
    assert ids(client, "R'Nick")[0] == "BE-1992-0603"
