"""A database refusing connections: honest 503 pages, the typed tip kept, nothing half stored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from portal.extensions import db
from portal.models import Tip
from portal.records.importer import public_id_for
from tests.tipkit import open_form, receipt_codes, send_tip

PUBLISHED = public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")
MESSAGE = "I saw a man with this rose tattoo at the market in Ghent, MARKER-OUTAGE-71c2."


@pytest.fixture
def client(app: Flask, sample_cases: Path) -> FlaskClient:
    return app.test_client()


@contextmanager
def database_refusing(app: Flask) -> Iterator[None]:
    """Every new connection fails as the driver fails when the server refuses it."""
    engine = db.engine
    refused = engine.dialect.loaded_dbapi.OperationalError

    def refuse(*_args: Any) -> None:
        raise refused("connection refused (simulated outage)")

    # Pooled connections would hide the outage: drop them so each request must connect.
    db.session.remove()
    engine.dispose()
    event.listen(engine, "do_connect", refuse)
    try:
        yield
    finally:
        event.remove(engine, "do_connect", refuse)
        db.session.remove()
        engine.dispose()


def tips_stored() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Tip)) or 0)


def test_pages_answer_503_not_500_while_the_database_refuses(
    app: Flask, client: FlaskClient
) -> None:
    with database_refusing(app):
        health = client.get("/healthz")
        case_page = client.get(f"/cases/{PUBLISHED}")
        form_page = client.get(f"/cases/{PUBLISHED}/tips")
        api = client.get("/api/v1/cases")
    assert health.status_code == 503
    assert case_page.status_code == 503
    assert "temporarily unavailable" in case_page.get_data(as_text=True)
    assert form_page.status_code == 503
    assert api.status_code == 503
    assert api.get_json()["error"]["status"] == 503
    assert client.get("/healthz").status_code == 200


def test_a_tip_sent_during_the_outage_is_refused_honestly_and_kept_for_resending(
    app: Flask, client: FlaskClient
) -> None:
    fields = open_form(client, PUBLISHED)
    with database_refusing(app):
        refused = send_tip(client, PUBLISHED, fields=fields, message=MESSAGE)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 503
    assert "nothing was sent" in page
    assert "MARKER-OUTAGE-71c2" in page  # the typed text is still in the form
    assert 'id="tip-reference"' not in page
    assert tips_stored() == 0
    # The page kept the same form: sending it again once the database is back stores one tip.
    again = send_tip(client, PUBLISHED, fields=fields, message=MESSAGE)
    assert again.status_code == 200
    reference, _code = receipt_codes(again.get_data(as_text=True))
    assert db.session.scalar(select(Tip.reference)) == reference
    assert tips_stored() == 1
