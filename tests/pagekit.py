"""Every public page in each of its states, rendered through the test client, for page checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.records.importer import public_id_for
from tests.imagekit import import_case_with_face_and_scene
from tests.tipkit import open_form, receipt_codes, send_tip

PUBLISHED = public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")  # a photo and a Dutch translation
IDENTIFIED = public_id_for("BE-FPJ-ANTWERP", "BE-2014-0402")
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    status: int
    html: str


def _case(agency: str, record_id: str) -> str:
    return f"/cases/{public_id_for(agency, record_id)}"


def render_public_pages(app: Flask, client: FlaskClient, records_dir: Path) -> list[Page]:
    """Every public HTML page, in each state a visitor can reach it in (sample cases imported)."""
    pages: list[Page] = []

    def keep(name: str, url: str, response: TestResponse, status: int) -> None:
        html = response.get_data(as_text=True)
        code = response.status_code
        assert code == status, f"{name}: {url} answered {code}, not {status}"
        assert html.lstrip().lower().startswith("<!doctype html>"), f"{name} is not a page"
        pages.append(Page(name, url, status, html))

    def get(name: str, url: str, status: int = 200) -> None:
        keep(name, url, client.get(url), status)

    photo_case = f"/cases/{import_case_with_face_and_scene(records_dir)}"
    get("home", "/")
    get("home-dutch", "/?lang=nl")
    # Translations carry markup (links, <strong>): each language's pages are checked too.
    for language in ("fr", "nl", "de", "es", "it"):
        get(f"case-{language}", f"/cases/{PUBLISHED}?lang={language}")
        get(
            f"case-identified-{language}",
            _case("BE-FPJ-ANTWERP", "BE-2014-0402") + f"?lang={language}",
        )
        get(f"search-{language}", f"/search?q=tattoo&lang={language}")
        get(f"list-error-{language}", f"/cases?age=old&lang={language}", 400)
        get(f"tip-form-{language}", f"/cases/{PUBLISHED}/tips?lang={language}")
        get(f"follow-up-start-{language}", f"/tips/follow-up?lang={language}")
    get("list", "/cases")
    get("list-filtered", "/cases?sex=female&country=NL&year_from=1990&mark=tattoo")
    get("list-page-2", "/cases?page=2")
    get("list-filter-error", "/cases?age=old&year_from=12&sex=robot&country=Narnia", 400)
    get("search", "/search?q=tattoo")
    get("search-no-results", "/search?q=zzyzxquux")
    get("search-error", "/search?q=tattoo&age=old&year_to=12", 400)
    get("case-unidentified", _case("BE-FPJ-ANTWERP", "BE-2001-1117"))
    get("case-missing", _case("NL-LE-NOORD", "NL-2017-0214"))
    get("case-identified", _case("BE-FPJ-ANTWERP", "BE-2014-0402"))
    get("case-photo-warning", photo_case)
    get("case-photo-translation", f"/cases/{PUBLISHED}")
    get("case-translation-chinese", _case("TW-CIB", "TW-2019-0520"))
    get("case-many-marks", _case("NL-LE-NOORD", "NL-1999-0412"))
    get("tip-form", f"/cases/{PUBLISHED}/tips")

    url = f"/cases/{PUBLISHED}/tips"
    keep("tip-errors", url, send_tip(client, PUBLISHED, message="  ", contact_ok="yes"), 400)
    expired = {k: v for k, v in open_form(client, PUBLISHED).items() if k != "csrf_token"}
    keep("tip-expired-form", url, send_tip(client, PUBLISHED, fields=expired), 400)
    receipt = send_tip(client, PUBLISHED, message="She had the rose tattoo; I met her in 1990.")
    keep("tip-receipt", url, receipt, 200)
    reference, code = receipt_codes(receipt.get_data(as_text=True))

    get("follow-up-start", "/tips/follow-up")
    token = _CSRF.search(pages[-1].html)
    assert token, "no CSRF token on the follow-up start page"
    wrong = {"csrf_token": token.group(1), "reference": reference, "code": "WRONG-CODE"}
    start = "/tips/follow-up"
    keep("follow-up-start-error", start, client.post(start, data=wrong), 400)
    right = {**wrong, "code": code}
    assert client.post(start, data=right).status_code == 302
    get("follow-up", "/tips/follow-up/tip")

    get("error-404", "/cases/doesnotexist", 404)
    keep("error-400", url, send_tip(client, PUBLISHED, website="http://spam.example"), 400)
    keep("error-410", url, send_tip(client, IDENTIFIED, fields=open_form(client, PUBLISHED)), 410)
    # The limit is read per request (a new limit counts afresh): one tip passes, the next is 429.
    app.config["PORTAL_TIP_RATE_LIMIT"] = "1 per minute"
    assert send_tip(client, PUBLISHED).status_code == 200
    keep("tip-rate-limited", url, send_tip(client, PUBLISHED), 429)
    get("alert-form", "/alerts/new?q=tattoo&sex=female&location=arm")
    get("alert-form-empty-search", "/alerts/new", 400)
    get("sign-in", "/auth/login")
    return pages


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "link" and "stylesheet" in values.get("rel", "").split() and values.get("href"):
            self.urls.append(values["href"])
        elif tag == "script" and values.get("src"):
            self.urls.append(values["src"])


def stylesheets_and_scripts(html: str) -> list[str]:
    """The URLs of the stylesheets and scripts a page loads (images and fonts are not counted)."""
    reader = _Assets()
    reader.feed(html)
    return list(dict.fromkeys(reader.urls))
