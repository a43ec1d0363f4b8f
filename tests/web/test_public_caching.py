"""Public pages can be cached by a CDN and revalidated; pages with forms or sessions never."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from portal.models import Role
from portal.records.importer import public_id_for
from tests.staffkit import make_staff, sign_in

CASE = public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")
CACHEABLE = ["/", "/cases", "/search?q=tattoo", "/feed.atom", "/sitemap.xml", "/api/v1/cases"]


def test_public_pages_are_cacheable_and_answer_304(client: FlaskClient, sample_cases: Path) -> None:
    for path in [*CACHEABLE, f"/api/v1/cases/{CASE}"]:
        first = client.get(path)
        assert first.status_code == 200, path
        assert first.headers["Cache-Control"] == "public, max-age=60", path
        etag = first.headers["ETag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.data == b""
        assert "Set-Cookie" not in first.headers, path


def test_pages_with_a_form_or_a_session_are_never_shared(
    app: Flask, client: FlaskClient, sample_cases: Path
) -> None:
    # The case page carries the tip form's CSRF token: it belongs to one visitor.
    page = client.get(f"/cases/{CASE}")
    assert page.headers["Cache-Control"] == "no-store"
    assert "ETag" not in page.headers
    assert client.get("/healthz").headers.get("Cache-Control") is None
    assert client.get("/cases/nonexistent").status_code == 404
    staff = app.test_client()
    sign_in(staff, make_staff("mod@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP"))
    for path in CACHEABLE:
        response = staff.get(path)
        assert "public" not in response.headers.get("Cache-Control", ""), path
