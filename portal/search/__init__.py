"""Full-text search over published cases: one index per host, kept in step with the database."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from pathlib import Path

from flask import Flask, current_app

from portal.extensions import db
from portal.logs import log_failure
from portal.search.engine import Engine, SearchFilters, SearchOutcome
from portal.search.index import SearchIndex

log = logging.getLogger(__name__)

EXTENSION = "search"
# A host checks the database for changes made elsewhere at most this often.
CATCH_UP_INTERVAL_SECONDS = 2.0
# A host with no index builds it inside a request only when that takes a few seconds at most.
IN_REQUEST_BUILD = 2000

__all__ = [
    "Engine",
    "SearchFilters",
    "SearchIndex",
    "SearchOutcome",
    "catch_up",
    "get_engine",
    "get_index",
    "index_cases",
    "init_app",
]


class _Search:
    def __init__(self, directory: Path) -> None:
        self.index = SearchIndex(directory)
        self.engine = Engine(self.index)
        self.last_catch_up = 0.0


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = _Search(Path(app.config["PORTAL_SEARCH_DIR"]))


def _search() -> _Search:
    search: _Search = current_app.extensions[EXTENSION]
    return search


def get_index() -> SearchIndex:
    return _search().index


def get_engine() -> Engine:
    return _search().engine


def index_cases(case_ids: Iterable[int]) -> None:
    """Update the index for cases just committed; never fails the operation that changed them.

    If the index cannot be written now (another process holds it, a disk error), the catch-up
    step applies the change later: the database stays the source of truth.
    """
    try:
        get_index().update_cases(db.session, case_ids)
    except Exception as error:
        log_failure(log, "search index update failed; left to the catch-up step", error)


def _public_count() -> int:
    from sqlalchemy import func, select

    from portal.models import Case
    from portal.models.case import PUBLIC_STATUSES

    query = select(func.count()).select_from(Case).where(Case.status.in_(PUBLIC_STATUSES))
    return int(db.session.scalar(query) or 0)


def catch_up(*, force: bool = False) -> int:
    """Apply changes committed elsewhere, at most every few seconds per process."""
    search = _search()
    now = time.monotonic()
    if not force and now - search.last_catch_up < CATCH_UP_INTERVAL_SECONDS:
        return 0
    search.last_catch_up = now
    try:
        if not force and search.index.applied_seq() < 0 and _public_count() > IN_REQUEST_BUILD:
            # A whole build would outlast the request (and gunicorn's timeout): it belongs to
            # `flask search sync`, which `make run` and deployments run before serving.
            log.warning("search index not built on this host: run `flask search sync`")
            return 0
        return search.index.catch_up(db.session)
    except Exception as error:
        log_failure(log, "search catch-up failed", error)
        db.session.rollback()
        return 0
