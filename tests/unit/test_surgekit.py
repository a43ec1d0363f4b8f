"""The surge load test's helpers: route names, tip form and receipt parsing, locust's CSV."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from scripts.surgekit import (
    hidden_fields,
    page_assets,
    read_stats_csv,
    receipt_reference,
    route_name,
    stats_path,
)


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/", "/"),
        ("/?lang=fr", "/"),
        ("/cases", "/cases"),
        ("/cases?page=2&sex=female", "/cases"),
        ("/cases/NL-ZWB-1999-0412", "/cases/[id]"),
        ("/cases/NL-ZWB-1999-0412/tips", "/cases/[id]/tips"),
        ("/cases/NL-ZWB-1999-0412/poster.pdf", "/cases/[id]/poster.pdf"),
        ("/search?q=rose+tattoo", "/search"),
        ("/media/AbC_123/w640", "/media/[token]/[variant]"),
        ("/static/css/portal.css", "/static/[file]"),
        ("/api/v1/cases?q=anchor", "/api/v1/cases"),
        ("/api/v1/cases/NL-ZWB-1999-0412", "/api/v1/cases/[id]"),
        ("/c/NL-ZWB-1999-0412", "/c/[id]"),
        ("/feed.atom", "/feed.atom"),
    ],
)
def test_route_name_groups_ids_and_drops_queries(path: str, route: str) -> None:
    assert route_name(path) == route


def test_hidden_fields_of_the_tip_form() -> None:
    html = (
        '<form method="post"><input id="csrf_token" name="csrf_token" type="hidden" '
        'value="Ijk&#34;x.y"><input name="submission_id" type="hidden" value="5f0c-uuid">'
        '<input name="started" type="hidden" value="s.t"><input name="message" value="no">'
        '<input name="csrf_token" type="hidden" value="second"></form>'
    )
    assert hidden_fields(html) == {
        "csrf_token": 'Ijk"x.y',
        "submission_id": "5f0c-uuid",
        "started": "s.t",
    }
    assert hidden_fields("<p>Not found</p>") == {}


def test_receipt_reference() -> None:
    page = '<strong class="code" id="tip-reference">TIP-7KQ3-M9XD</strong>'
    assert receipt_reference(page) == "TIP-7KQ3-M9XD"
    assert receipt_reference("<p>Several messages were sent from your connection</p>") is None


def test_page_assets_take_src_once_and_static_without_version() -> None:
    html = (
        '<link rel="stylesheet" href="/static/css/portal.css?v=abc">'
        '<script defer src="/static/js/tips.js"></script>'
        '<img src="/media/tok1/w320" srcset="/media/tok1/w160 160w, /media/tok1/w640 640w">'
        '<a href="/media/tok2/w1280"><img loading="lazy" src="/media/tok2/w640"></a>'
        '<img src="/media/tok1/w320"><img src="https://elsewhere.example/x.png">'
    )
    media, static = page_assets(html)
    assert media == ["/media/tok1/w320", "/media/tok2/w640"]
    assert static == ["/static/css/portal.css", "/static/js/tips.js"]


def test_read_stats_csv(tmp_path: Path) -> None:
    out = stats_path(tmp_path / "locust-out.json")
    assert out.name == "locust-out_stats.csv"
    percentiles = ["50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%"]
    header = [
        "Type", "Name", "Request Count", "Failure Count", "Median Response Time",
        "Average Response Time", "Min Response Time", "Max Response Time",
        "Average Content Size", "Requests/s", "Failures/s", *percentiles, "100%",
    ]  # fmt: skip
    lines = [
        header,
        ["GET", "/cases/[id]", "52", "1", "58", "90.1", "12", "607", "9000", "1.8", "0", "58",
         "70", "80", "90", "200", "430", "500", "610", "607", "607", "607"],
        ["POST", "/cases/[id]/tips", "0", "0", "0", "0", "0", "0", "0", "0", "0", "N/A", "N/A",
         "N/A", "N/A", "N/A", "N/A", "N/A", "N/A", "N/A", "N/A", "N/A"],
        ["", "Aggregated", "52", "1", "58", "90.1", "12", "607", "9000", "1.8", "0", "58", "70",
         "80", "90", "200", "430", "500", "610", "607", "607", "607"],
    ]  # fmt: skip
    out.write_text("\n".join(",".join(line) for line in lines) + "\n", encoding="utf-8")
    routes, total = read_stats_csv(out)
    assert [r.label for r in routes] == ["GET /cases/[id]", "POST /cases/[id]/tips"]
    case = routes[0]
    assert (case.requests, case.failures, case.rps) == (52, 1, 1.8)
    assert (case.p50, case.p95, case.p99, case.max) == (58, 430, 610, 607)
    assert math.isnan(routes[1].p95)
    assert total is not None and total.label == "Aggregated" and total.requests == 52
