"""The Whoosh index: schema, rebuild, per-case updates and catch-up with the database."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session, scoped_session
from whoosh import index as whoosh_index
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.index import LockError

from portal.models import Case
from portal.models.case import PUBLIC_STATUSES
from portal.models.sync import CASE_CHANGES, current_value
from portal.publication import derive_public_case, with_public_view_loaded
from portal.search import vocabulary
from portal.search.analysis import plain_analyzer, text_analyzer
from portal.search.builder import Documents, build_segments, worker_count
from portal.search.documents import document

log = logging.getLogger(__name__)
# The request's scoped session or a plain one: both read and write the same way.
AnySession = Session | scoped_session[Any]

STATE_FILE = "recognise-state.json"
# How far back a catch-up looks, in change numbers, for changes committed out of order.
CATCH_UP_WINDOW = 1000
REINDEX_BATCH = 500
PARALLEL_FROM = 2000


def build_schema() -> Schema:
    text = text_analyzer(vocabulary.STOPWORDS)
    plain = plain_analyzer()
    return Schema(
        case_id=ID(stored=True, unique=True),
        public_id=STORED(),
        seq=STORED(),
        # Frequency-only text fields (phrase=False): smaller and faster; ranking needs no positions.
        title=TEXT(analyzer=text, phrase=False),
        name=TEXT(analyzer=text, phrase=False),
        marks=TEXT(analyzer=text, phrase=False),
        items=TEXT(analyzer=text, phrase=False),
        text=TEXT(analyzer=text, phrase=False),
        literal=TEXT(analyzer=plain, phrase=False),
        spell=TEXT(analyzer=plain, phrase=False),
        sex=ID(),
        country=ID(),
        kind=ID(),
        status=ID(),
        mark_types=KEYWORD(commas=True),
        regions=KEYWORD(commas=True),
        has_photo=ID(),
        # Columns only: filters read them whole into arrays, so no range terms are indexed.
        age_min=COLUMN(NumericColumn("i")),
        age_max=COLUMN(NumericColumn("i")),
        year=COLUMN(NumericColumn("i")),
        published=COLUMN(NumericColumn("q")),
    )


def _eager_cases(session: AnySession, ids: Iterable[int]) -> list[Case]:
    query = select(Case).where(Case.id.in_(list(ids)))
    return list(session.scalars(with_public_view_loaded(query)))


def _engine(session: AnySession) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def _shared_database(engine: Engine) -> bool:
    """Whether another process can open this database (an in-memory SQLite one it cannot)."""
    url = engine.url
    return url.get_backend_name() != "sqlite" or (
        url.database not in (None, "", ":memory:") and url.query.get("mode") != "memory"
    )


@contextmanager
def _documents_from(engine: Engine, owner: int) -> Iterator[Documents]:
    """Documents of public cases by id, read in a session of their own."""
    if os.getpid() != owner:
        # A forked worker: pooled connections are the parent's, in use there; make new ones.
        engine.dispose(close=False)
    # Batches are let go as they are written, without touching objects another session holds.
    with Session(engine) as reading:

        def documents(ids: Sequence[int]) -> list[dict[str, Any]]:
            batch = [
                document(derive_public_case(case), case.id, case.change_seq)
                for case in _eager_cases(reading, ids)
            ]
            reading.expunge_all()
            return batch

        yield documents


class SearchIndex:
    """One host's copy of the index, kept in step with the database it serves."""

    def __init__(self, directory: Path, *, write_timeout: float = 2.0) -> None:
        self.directory = directory
        self.write_timeout = write_timeout
        self._lock = threading.Lock()
        self._ix: Any = None

    # -- opening -------------------------------------------------------------------------

    @property
    def ix(self) -> Any:
        if self._ix is None:
            with self._lock:
                if self._ix is None:
                    self.directory.mkdir(parents=True, exist_ok=True)
                    if whoosh_index.exists_in(str(self.directory)):
                        self._ix = whoosh_index.open_dir(str(self.directory))
                        if set(self._ix.schema.names()) != set(build_schema().names()):
                            # Built by an older version of the portal: start again; the next
                            # catch-up sees a never-built index and rebuilds it whole.
                            self._ix = whoosh_index.create_in(str(self.directory), build_schema())
                            (self.directory / STATE_FILE).unlink(missing_ok=True)
                    else:
                        try:
                            self._ix = whoosh_index.create_in(str(self.directory), build_schema())
                        except LockError:
                            # Another process is creating it right now: use theirs.
                            time.sleep(0.5)
                            self._ix = whoosh_index.open_dir(str(self.directory))
        return self._ix

    def doc_count(self) -> int:
        with self.ix.searcher() as searcher:
            return int(searcher.doc_count())

    # -- state -----------------------------------------------------------------------------

    def applied_seq(self) -> int:
        try:
            return int(json.loads((self.directory / STATE_FILE).read_text())["applied_seq"])
        except (OSError, ValueError, KeyError, TypeError):
            return -1

    def _set_applied_seq(self, value: int) -> None:
        path = self.directory / STATE_FILE
        temporary = path.with_name(f".{STATE_FILE}.{os.getpid()}")
        temporary.write_text(json.dumps({"applied_seq": value}))
        os.replace(temporary, path)

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def _writer(self, timeout: float | None = None, **options: Any) -> Iterator[Any]:
        writer = self.ix.writer(
            timeout=self.write_timeout if timeout is None else timeout, **options
        )
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise

    def rebuild(
        self, session: AnySession, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Index every public case from scratch; returns how many were indexed."""
        seq_before = current_value(session, CASE_CHANGES)
        ids = list(
            session.scalars(
                select(Case.id).where(Case.status.in_(PUBLIC_STATUSES)).order_by(Case.id)
            )
        )
        engine = _engine(session)
        # Large builds run in a worker process per core, each reading its share of the cases
        # and writing its own segment; small ones stay in this process, which is quicker.
        parallel = len(ids) >= PARALLEL_FROM and _shared_database(engine)
        owner = os.getpid()
        with self._writer(timeout=60) as writer:
            segments = build_segments(
                self.ix,
                ids,
                lambda: _documents_from(engine, owner),
                batch=REINDEX_BATCH,
                processes=worker_count() if parallel else 1,
                progress=progress,
            )
            # The new segments replace every existing one (the writer's own stays empty).
            writer.commit(mergetype=lambda _writer, _segments: segments)
        self._set_applied_seq(seq_before)
        return len(ids)

    def update_cases(self, session: AnySession, case_ids: Iterable[int]) -> bool:
        """Bring the given cases up to date in the index (add, replace or remove).

        Returns False when another process holds the index writer past the timeout: the
        change is then left to catch_up, which any later request or `flask search sync` runs.
        """
        ids = sorted(set(case_ids))
        if not ids:
            return True
        try:
            with Session(session.get_bind()) as reading, self._writer() as writer:
                # In batches: a large import changes thousands of cases at once, more than
                # one SQL statement may list.
                for start in range(0, len(ids), REINDEX_BATCH):
                    batch = ids[start : start + REINDEX_BATCH]
                    cases = {case.id: case for case in _eager_cases(reading, batch)}
                    for case_id in batch:
                        case = cases.get(case_id)
                        if case is not None and case.is_public:
                            writer.update_document(
                                **document(derive_public_case(case), case.id, case.change_seq)
                            )
                        else:
                            writer.delete_by_term("case_id", str(case_id))
                    reading.expunge_all()
                writer.commit()
        except LockError:
            log.warning("search index busy: %d case(s) left to the catch-up step", len(ids))
            return False
        return True

    def catch_up(self, session: AnySession) -> int:
        """Apply changes other hosts or processes made; returns how many cases were updated."""
        latest = current_value(session, CASE_CHANGES)
        applied = self.applied_seq()
        if latest == applied:
            return 0
        if applied < 0:
            # Never built on this host (or its state was lost): build it whole.
            return self.rebuild(session)
        rows = session.execute(
            select(Case.id, Case.change_seq, Case.status).where(
                Case.change_seq > max(0, applied - CATCH_UP_WINDOW)
            )
        ).all()
        stale: list[int] = []
        with self.ix.searcher() as searcher:
            for case_id, seq, status in rows:
                stored = searcher.document(case_id=str(case_id))
                if status in PUBLIC_STATUSES:
                    if stored is None or stored.get("seq") != seq:
                        stale.append(case_id)
                elif stored is not None:
                    stale.append(case_id)
        if stale and not self.update_cases(session, stale):
            return 0
        self._set_applied_seq(latest)
        return len(stale)
