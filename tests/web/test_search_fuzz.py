"""Fuzzing the public search and list pages and the API: any query string gets an answer, no 5xx."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import event, given
from hypothesis import strategies as st

from tests.fuzzkit import counted, fuzz_settings, note_status
from tests.unit.search.test_query_fuzz import query_args

PATHS = ["/search", "/cases", "/api/v1/cases"]
# A list with words becomes the search (302); bad filters are a 400 with the form shown again.
EXPECTED = {"/search": {200, 400}, "/cases": {200, 302, 400}, "/api/v1/cases": {200, 400}}


@pytest.fixture
def client(app: Flask, sample_cases: Path) -> FlaskClient:
    return app.test_client()


def encode(pairs: list[tuple[str, str]], raw: bool) -> str:
    """A query string; `raw` leaves characters a browser would escape as they are."""
    if raw:
        return "&".join(f"{key}={value}" for key, value in pairs)
    return "&".join(f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in pairs)


@counted("hypothesis: search query parser")
@fuzz_settings(max_examples=50)
@given(path=st.sampled_from(PATHS), pairs=query_args(), raw=st.booleans())
def test_any_query_string_is_answered_without_a_5xx(
    client: FlaskClient, path: str, pairs: list[tuple[str, str]], raw: bool
) -> None:
    query = encode(pairs, raw)
    try:
        response = client.get(f"{path}?{query}")
    except UnicodeEncodeError:
        # A lone surrogate cannot be sent at all: no client can make this request.
        event("unsendable")
        return
    note_status(response.status_code)
    event(f"{path} {response.status_code}")
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    assert response.status_code in EXPECTED[path], response.status_code
    body = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
