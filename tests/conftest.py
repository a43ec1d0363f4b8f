"""Shared fixtures: settings, app, database (SQLite or PostgreSQL), client and sample imports."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from portal import create_app
from portal.config import Settings
from portal.extensions import db

pytest_plugins = ["tests.s3", "tests.mailkit"]

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_RECORDS = FIXTURES / "sample-records.jsonl"
# A fixed key, so ciphertexts in a failing test can be inspected.
TIP_KEY = "dGVzdC10aXAta2V5LTAxMjM0NTY3ODlhYmNkZWYwMTI="
POSTGRES_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "").strip()


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL' if POSTGRES_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """The PostgreSQL test database, emptied once per run; None when testing on SQLite."""
    if not POSTGRES_URL:
        yield None
        return
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield POSTGRES_URL


@pytest.fixture
def settings(tmp_path: Path, postgres_url: str | None) -> Settings:
    return Settings(
        env="test",
        testing=True,
        secret_key="test-secret-key-0123456789abcdef0123456789",
        database_url=postgres_url or f"sqlite:///{tmp_path / 'test.db'}",
        media_url=f"file://{tmp_path / 'media'}",
        search_dir=str(tmp_path / "search"),
        per_page=5,
        tip_encryption_key=TIP_KEY,
        # Tests send many tips at once; the limits and the fill time have tests of their own.
        tip_rate_limit="10000 per minute",
        tip_min_seconds=0,
    )


@contextmanager
def running_app(settings: Settings) -> Iterator[Flask]:
    """An app with its schema created and an app context pushed; cleaned up afterwards."""
    app = create_app(settings)

    @app.before_request
    def _fresh_g() -> None:
        # Requests made while this test's app context is pushed share its `g`; in production
        # each request has its own. Emptying it keeps per-request state (CSRF token, ...) apart.
        for name in list(vars(g)):
            delattr(g, name)

    with app.app_context():
        db.create_all()
        try:
            yield app
        finally:
            db.session.remove()
            if settings.database_url.startswith("postgresql"):
                db.drop_all()
            db.engine.dispose()


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    with running_app(settings) as app:
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def records_dir(tmp_path: Path) -> Path:
    """A copy of the sample records and their image, safe to edit."""
    folder = tmp_path / "records"
    folder.mkdir()
    shutil.copy(SAMPLE_RECORDS, folder / "sample-records.jsonl")
    shutil.copy(FIXTURES / "be-1992-0603-tattoo.jpg", folder / "be-1992-0603-tattoo.jpg")
    return folder


@pytest.fixture
def sample_cases(app: Flask, records_dir: Path) -> Path:
    """The sample records imported; returns the records file."""
    from portal.records.importer import import_file

    path = records_dir / "sample-records.jsonl"
    result = import_file(path)
    assert result.errors == []
    assert result.imported == 18
    return path
