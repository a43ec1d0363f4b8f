"""Public pages: home, list with filters and pagination, case pages, media, feed, sitemap."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import Case, CaseImage
from portal.records.importer import public_id_for


def case_url(record_id: str, agency: str) -> str:
    return f"/cases/{public_id_for(agency, record_id)}"


def test_home_explains_and_lists_recent_appeals(client: FlaskClient, sample_cases: Path) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Do you recognise someone?" in html
    assert "How it works" in html
    assert html.count('<li class="case-card') == 6
    assert "15</strong> open appeals" in html
    assert "1</strong> person identified" in html


def test_home_works_with_no_cases(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "There are no open appeals" in response.get_data(as_text=True)


def test_case_list_paginates(client: FlaskClient, sample_cases: Path) -> None:
    first = client.get("/cases").get_data(as_text=True)
    assert "16 appeals, page 1 of 4" in first
    assert first.count('<li class="case-card') == 5
    last = client.get("/cases?page=4").get_data(as_text=True)
    assert last.count('<li class="case-card') == 1
    beyond = client.get("/cases?page=99")
    assert beyond.status_code == 200
    assert "page 4 of 4" in beyond.get_data(as_text=True)


def titles(html: str) -> list[str]:
    return re.findall(r'class="case-card__title">([^<]+)<', html)


def test_case_list_filters(client: FlaskClient, sample_cases: Path) -> None:
    def get(query: str) -> list[str]:
        response = client.get(f"/cases?per_page=50&{query}")
        assert response.status_code == 200, query
        return titles(response.get_data(as_text=True))

    assert "Man found in the Rhine at Düsseldorf" in get("sex=male&country=DE")
    assert all("Woman" not in t for t in get("sex=male"))
    assert get("country=TW") == ["Man found on Keelung harbour breakwater"]
    # age overlap: 17-24 and 18-25 and 19 overlap with 20
    assert sorted(get("age=20&sex=female")) == sorted(
        [
            "Young woman found in a Rotterdam park",
            "Woman with a heart tattoo and the name &#39;Tommy&#39;",
            "Woman found on Benidorm beach",
        ]
    ), "Sanne (19) does not overlap 20"
    assert get("year_from=1985&year_to=1989") == [
        "The woman in the red coat",
        "Unknown man in Hamburg harbour",
    ] or sorted(get("year_from=1985&year_to=1989")) == sorted(
        ["The woman in the red coat", "Unknown man in Hamburg harbour"]
    )
    assert get("kind=missing") == ["Missing since Valentine&#39;s Day 2017: Sanne de Vries"]
    assert get("status=identified") == ["Woman found in the Meuse, now identified"]
    amputation = get("mark=amputation")
    assert amputation == ["Man with a tattoo of the Virgin Mary"]
    assert get("has_photo=1") == ["The woman with the flower tattoo"]


def test_bad_filters_show_an_error_summary_and_keep_input(
    client: FlaskClient, sample_cases: Path
) -> None:
    response = client.get("/cases?age=old&year_from=12&sex=robot&country=Narnia")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert '<a href="#age">Enter an age like 30, or a range like 25-35</a>' in html
    assert 'href="#year_from"' in html and 'href="#sex"' in html and 'href="#country"' in html
    assert 'value="old"' in html, "what the person typed is kept"
    assert "<title>Error: " in html


def test_numbers_that_are_digits_but_not_whole_numbers_are_a_400(
    client: FlaskClient, sample_cases: Path
) -> None:
    # Found by tests/web/test_search_fuzz.py: "²".isdigit() is true, int("²") fails (a 500).
    for path in ("/cases", "/search", "/api/v1/cases"):
        for value in ("²", "①", "9" * 5000):
            for name in ("year_from", "year_to", "page", "per_page"):
                response = client.get(path, query_string={name: value})
                assert response.status_code == 400, (path, value, name, response.status_code)


def test_case_page_shows_everything_publishable_in_order(
    client: FlaskClient, sample_cases: Path
) -> None:
    response = client.get(case_url("BE-1992-0603", "BE-FPJ-ANTWERP"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    html = html[html.index("<article") :]
    order = [
        "The woman with the flower tattoo",
        "Where and when found",
        "3 June 1992",
        "Estimated age",
        "25–35 years",
        "Tattoo on the left forearm",
        "R&#39;Nick",
        "Drawing of the flower tattoo",
        "Clothing",
        "Levi&#39;s",
        "Available for comparison",
        "DNA available",
        "Police force responsible",
        "Federal Judicial Police Antwerp",
        "Do you recognise her?",
    ]
    position = 0
    for text in order:
        found = html.find(text, position)
        assert found >= 0, f"{text!r} missing or out of order"
        position = found
    assert "openstreetmap.org/?mlat=51.2311&amp;mlon=4.4681" in html
    assert "De vrouw met de bloementatoeage" in html
    assert 'lang="nl"' in html


def test_missing_person_shows_name_and_last_seen(client: FlaskClient, sample_cases: Path) -> None:
    html = client.get(case_url("NL-2017-0214", "NL-LE-NOORD")).get_data(as_text=True)
    assert "Sanne de Vries" in html
    assert "Where and when last seen" in html
    assert "Age when last seen" in html


def test_identified_case_shows_statement_prominently(
    client: FlaskClient, sample_cases: Path
) -> None:
    html = client.get(case_url("BE-2014-0402", "BE-FPJ-ANTWERP")).get_data(as_text=True)
    assert "Identified on 15 March 2024" in html
    assert "Thanks to a tip from the public" in html
    assert html.find("Identified on") < html.find("Where and when found")
    assert "Marie Lambert" in html
    assert "This appeal is closed" in html


def test_drafts_withdrawn_and_unknown_cases_are_404(
    client: FlaskClient, sample_cases: Path
) -> None:
    for url in (
        case_url("UK-2020-0909", "UK-MPU"),
        case_url("UK-2011-0615", "UK-MPU"),
        "/cases/doesnotexist",
        "/cases/" + "a" * 300,
        "/cases/%00",
        "/cases/..%2f..%2fetc",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.get_data(as_text=True)


def test_published_image_is_served_and_private_one_is_not(
    app: Flask, client: FlaskClient, sample_cases: Path
) -> None:
    image = db.session.scalar(select(CaseImage))
    assert image is not None
    width = image.derivative_widths[0]
    url = f"/media/{image.token}/w{width}"
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert b"EXIF-SENTINEL" not in response.data
    assert "public" in response.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(f"/media/{image.token}/w7").status_code == 404
    assert client.get(f"/media/{image.token}/w%C2%B2").status_code == 404  # "²": was a 500
    assert client.get(f"/media/{image.token}/original").status_code == 404
    image.publish = False
    db.session.commit()
    assert client.get(url).status_code == 404


def test_image_of_a_withdrawn_case_is_not_served(
    app: Flask, client: FlaskClient, sample_cases: Path
) -> None:
    from portal.models import CaseStatus

    image = db.session.scalar(select(CaseImage))
    assert image is not None
    url = f"/media/{image.token}/w{image.derivative_widths[0]}"
    case = db.session.get(Case, image.case_id)
    assert case is not None
    case.status = CaseStatus.WITHDRAWN
    db.session.commit()
    assert client.get(url).status_code == 404


def test_feed_and_sitemap_list_public_cases(client: FlaskClient, sample_cases: Path) -> None:
    feed = client.get("/feed.atom")
    assert feed.status_code == 200
    assert feed.mimetype == "application/atom+xml"
    tree = ElementTree.fromstring(feed.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = tree.findall("a:entry", ns)
    assert len(entries) == 16
    titles_ = [e.findtext("a:title", namespaces=ns) for e in entries]
    assert "Identified: Woman found in the Meuse, now identified" in titles_
    assert "Draft appeal not yet public" not in titles_

    sitemap = client.get("/sitemap.xml")
    assert sitemap.status_code == 200
    locs = [
        el.text
        for el in ElementTree.fromstring(sitemap.data).iter(
            "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"
        )
    ]
    assert len(locs) == 16 + 2
    assert f"http://localhost{case_url('BE-1992-0603', 'BE-FPJ-ANTWERP')}" in locs
    assert "Sitemap: http://localhost/sitemap.xml" in client.get("/robots.txt").get_data(
        as_text=True
    )


def test_base_url_is_used_for_absolute_links(
    app: Flask, client: FlaskClient, sample_cases: Path
) -> None:
    app.config["PORTAL_BASE_URL"] = "https://recognise.example"
    assert b"https://recognise.example/cases/" in client.get("/sitemap.xml").data


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(
    app: Flask, client: FlaskClient, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import OperationalError

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable"}


def test_security_headers_on_pages_and_errors(client: FlaskClient) -> None:
    for url in ("/", "/cases/nope", "/static/css/portal.css"):
        response = client.get(url)
        response.close()
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_method_not_allowed_and_unexpected_errors_are_friendly(
    app: Flask,
    client: FlaskClient,
    monkeypatch,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    assert client.post("/cases").status_code in (400, 405)
    from portal.services import cases

    secret = "-".join(["RESTRICTED", "SENTINEL", "XYZ"])

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"secret detail {secret}")

    monkeypatch.setattr(cases, "recent_public_cases", explode)
    response = client.get("/")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in html
    assert "RESTRICTED-SENTINEL-XYZ" not in html
    assert "RESTRICTED-SENTINEL-XYZ" not in caplog.text
    assert "RuntimeError" in caplog.text
