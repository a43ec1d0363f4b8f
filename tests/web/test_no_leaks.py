"""Restricted data never reaches a public response: pages, lists, API, feed, sitemap, errors."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from portal.extensions import db
from portal.models import CaseImage
from portal.records.importer import import_file
from tests import verifycount

SENTINEL = "ZZSENTINEL"


@pytest.fixture
def sentinel_cases(app: Flask, records_dir: Path) -> Path:
    """The sample records with a sentinel in every restricted place."""
    path = records_dir / "sample-records.jsonl"
    image = records_dir / "be-1992-0603-tattoo.jpg"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for index, record in enumerate(records):
        record["restricted"] = {
            "notes": f"{SENTINEL}-notes-{index}",
            "nested": {"dna": [f"{SENTINEL}-dna"]},
            f"{SENTINEL}-key": True,
        }
        private = f"{SENTINEL}-private-{index}.jpg"
        (records_dir / private).write_bytes(image.read_bytes())
        record.setdefault("images", []).append(
            {
                "file": private,
                "kind": "scene",
                "caption": f"{SENTINEL} scene caption",
                "publish": False,
            }
        )
        if (
            record.get("kind", "unidentified") == "unidentified"
            and record.get("status") != "identified"
        ):
            record["name"] = f"{SENTINEL} Name"
        if record.get("status") in ("draft", "withdrawn"):
            record["title"] = f"{SENTINEL} unpublished title"
            record["circumstances"] = f"{SENTINEL} unpublished circumstances"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = import_file(path)
    assert result.errors == []
    return path


def crawl(client: FlaskClient) -> dict[str, str]:
    """Every public URL reachable from the list, API and feeds, with its body."""
    bodies: dict[str, str] = {}
    queue = [
        "/search",
        "/search?q=tattoo",
        "/search?q=river",
        "/api/v1/cases?q=tattoo&per_page=100",
        "/",
        "/cases",
        "/api/v1/cases?per_page=100",
        "/feed.atom",
        "/sitemap.xml",
        "/robots.txt",
        "/healthz",
    ]
    while queue:
        url = queue.pop()
        if url in bodies:
            continue
        response = client.get(url)
        assert response.status_code in (200, 304), url
        if response.mimetype == "application/pdf":  # a case's poster: its text and metadata
            reader = PdfReader(io.BytesIO(response.get_data()))
            body = "".join(page.extract_text() for page in reader.pages) + str(reader.metadata)
        else:
            body = response.get_data(as_text=True) if response.mimetype != "image/jpeg" else ""
        bodies[url] = body
        for link in re.findall(r'(?:href|src)="(/[^"#]*)"', body):
            link = link.replace("&amp;", "&")
            if link.startswith(("/cases", "/media", "/api", "/search")) and link not in bodies:
                queue.append(link)
        for case_id in re.findall(r'"id": ?"([a-z0-9]{10})"', body):
            queue.append(f"/api/v1/cases/{case_id}")
    return bodies


def test_sentinel_appears_in_no_public_response(client: FlaskClient, sentinel_cases: Path) -> None:
    bodies = crawl(client)
    case_pages = [u for u in bodies if re.fullmatch(r"/cases/[a-z0-9]{10}", u)]
    api_pages = [u for u in bodies if u.startswith("/api/v1/cases/")]
    assert len(case_pages) == 16
    assert len(api_pages) == 16
    assert any(u.startswith("/cases?") for u in bodies), "pagination was followed"
    assert any(u.startswith("/media/") for u in bodies), "published images were fetched"
    assert sum(u.endswith("/poster.pdf") for u in bodies) == 16, "every poster was read"
    leaking = [url for url, body in bodies.items() if SENTINEL in body]
    verifycount.record("No leaks: restricted data in public responses", len(bodies), len(leaking))
    assert not leaking, leaking


def test_sentinel_is_not_found_by_text_filters(client: FlaskClient, sentinel_cases: Path) -> None:
    for url in (
        f"/search?q={SENTINEL}",
        f"/api/v1/cases?q={SENTINEL}",
        "/api/v1/cases?q=dna_profile",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert "ZZSENTINEL-" not in response.get_data(as_text=True)
    body = client.get(f"/api/v1/cases?q={SENTINEL}").json
    assert body is not None and body["total"] == 0


def test_error_pages_do_not_leak(client: FlaskClient, sentinel_cases: Path) -> None:
    for url in (
        f"/cases/{SENTINEL}",
        f"/api/v1/cases/{SENTINEL}",
        f"/media/{SENTINEL}/w320",
        f"/{SENTINEL}",
        f"/api/v1/cases?sex={SENTINEL}",
    ):
        response = client.get(url)
        assert 400 <= response.status_code < 500, url
        assert SENTINEL not in response.get_data(as_text=True), url


def test_private_images_are_never_served(
    app: Flask, client: FlaskClient, sentinel_cases: Path
) -> None:
    private = db.session.scalars(select(CaseImage).where(CaseImage.publish.is_(False))).all()
    assert len(private) == 18
    for image in private:
        for width in image.derivative_widths:
            assert client.get(f"/media/{image.token}/w{width}").status_code == 404


def test_tip_pages_and_receipts_do_not_leak(client: FlaskClient, sentinel_cases: Path) -> None:
    from tests.tipkit import send_tip

    case_ids = [
        u.rsplit("/", 1)[1] for u in crawl(client) if re.fullmatch(r"/cases/[a-z0-9]{10}", u)
    ]
    assert len(case_ids) == 16
    pages = 0
    for case_id in case_ids:
        form = client.get(f"/cases/{case_id}/tips")
        assert form.status_code in (200, 410)
        assert SENTINEL not in form.get_data(as_text=True)
        if form.status_code == 200:
            for values in ({}, {"message": ""}):  # a receipt, and the form with errors
                response = send_tip(client, case_id, **values)
                assert SENTINEL not in response.get_data(as_text=True), case_id
                pages += 1
    assert pages >= 28
