"""Several processes search one index while another writes to it: no errors, fresh results."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flask import Flask

from portal import search
from portal.extensions import db

pytestmark = pytest.mark.slow

READER = textwrap.dedent(
    """
    import sys
    from portal import create_app, search
    from portal.search import SearchFilters

    app = create_app()
    failures = 0
    with app.app_context():
        engine = search.get_engine()
        for number in range(150):
            for words in ("anchor", "rose tattoo on arm", "koi fish", "jeans", "tatoo"):
                try:
                    outcome = engine.search(words, SearchFilters(), per_page=5, facets=True)
                    if words == "anchor" and outcome.total < 2:
                        failures += 1
                        print("anchor found", outcome.total, file=sys.stderr)
                except Exception as error:  # report every failure, not only the first
                    failures += 1
                    print(type(error).__name__, error, file=sys.stderr)
    sys.exit(1 if failures else 0)
    """
)


def test_readers_keep_working_while_a_writer_updates(
    app: Flask, sample_cases: Path, tmp_path: Path
) -> None:
    index = search.get_index()
    index.rebuild(db.session)
    env = {
        **os.environ,
        "PORTAL_ENV": "test",
        "PORTAL_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_MEDIA_URL": app.config["PORTAL_MEDIA_URL"],
        "PORTAL_SEARCH_DIR": str(index.directory),
    }
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER],
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        from sqlalchemy import select

        from portal.models import Case

        ids = list(db.session.scalars(select(Case.id)))
        for _ in range(15):
            assert index.update_cases(db.session, ids)
        index.rebuild(db.session)
    finally:
        outputs = [reader.communicate(timeout=300) for reader in readers]
    for reader, (_out, errors) in zip(readers, outputs, strict=True):
        assert reader.returncode == 0, errors
