"""Languages: choosing one, keeping it, translated pages, case translations, dates and numbers."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext

from portal.i18n import LANGUAGES
from portal.records.importer import public_id_for
from portal.templating import number

FLOWER = ("BE-FPJ-ANTWERP", "BE-1992-0603")  # translations: nl (title, circumstances)
BUTTERFLY = ("DE-BKA-VERMISST", "DE-1995-0222")  # translations: de
FIXTURES = Path(__file__).parent.parent / "fixtures"


def record(record_id: str) -> dict[str, object]:
    for line in (FIXTURES / "sample-records.jsonl").read_text().splitlines():
        data = json.loads(line)
        if data["record_id"] == record_id:
            return data  # type: ignore[no-any-return]
    raise AssertionError(record_id)


def translated(app: Flask, language: str, message: str, **values: object) -> str:
    with app.test_request_context(), force_locale(language):
        text = str(gettext(message, **values))
    return text


def html_lang(body: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', body)
    assert match
    return match[1]


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) - {"en"}))
def test_every_language_has_its_own_words(app: Flask, language: str) -> None:
    # The compiled catalogue is read: a French page does not say "Search the appeals".
    assert translated(app, language, "Search the appeals") != "Search the appeals"


def test_the_browser_language_is_used(app: Flask, client: FlaskClient, sample_cases: Path) -> None:
    response = client.get("/", headers={"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"})
    body = response.get_data(as_text=True)
    assert html_lang(body) == "nl"
    assert response.headers["Content-Language"] == "nl"
    assert translated(app, "nl", "Do you recognise someone?") in body
    # The page depends on the request's languages and cookie: caches must keep one per each.
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    assert 'property="og:locale" content="nl"' in body


def test_a_language_we_do_not_have_falls_back_to_english(
    client: FlaskClient, sample_cases: Path
) -> None:
    body = client.get("/", headers={"Accept-Language": "ja,ko;q=0.8"}).get_data(as_text=True)
    assert html_lang(body) == "en"
    assert "Do you recognise someone?" in body


def test_the_language_in_the_url_wins_and_travels_with_the_links(
    app: Flask, client: FlaskClient, sample_cases: Path
) -> None:
    response = client.get("/cases?lang=de", headers={"Accept-Language": "fr"})
    body = response.get_data(as_text=True)
    assert html_lang(body) == "de"
    assert translated(app, "de", "Filter appeals") in body
    # Every page link keeps the language, so a CDN keys each language by its address.
    assert 'href="/search?lang=de"' in body
    assert re.search(r'href="/cases/[^"?]+\?lang=de"', body)
    # Files and feeds do not carry it.
    assert "/static/css/portal.css?" not in body
    # The address decides the language: cacheable without Vary, and no cookie is set.
    assert "Accept-Language" not in response.vary
    assert "Set-Cookie" not in response.headers
    assert response.cache_control.public


def test_the_switcher_remembers_the_choice(
    app: Flask, client: FlaskClient, sample_cases: Path
) -> None:
    page = client.get("/cases?sex=female").get_data(as_text=True)
    assert 'href="/language/es?next=/cases?sex%3Dfemale"' in page or ("/language/es?next=" in page)
    response = client.get("/language/es?next=/cases?sex=female")
    assert response.status_code == 303
    assert response.headers["Location"] == "/cases?sex=female&lang=es"
    assert "lang=es" in response.headers["Set-Cookie"]
    assert response.headers["Cache-Control"] == "no-store"
    # Later pages without a language in the URL use the remembered one.
    body = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html_lang(body) == "es"
    assert translated(app, "es", "Recent appeals") in body


def test_the_current_language_is_marked_in_the_switcher(
    client: FlaskClient, sample_cases: Path
) -> None:
    body = client.get("/?lang=it").get_data(as_text=True)
    assert '<span lang="it" aria-current="true">Italiano</span>' in body
    for code, name in LANGUAGES.items():
        if code != "it":
            assert f'lang="{code}" hreflang="{code}">{name}</a>' in body


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", ""]
)
def test_the_switcher_never_leaves_the_site(client: FlaskClient, target: str) -> None:
    response = client.get("/language/fr", query_string={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/?lang=fr"


def test_an_unknown_language_is_not_found(client: FlaskClient) -> None:
    assert client.get("/language/xx?next=/").status_code == 404
    # A made-up language in the URL is ignored, not an error.
    response = client.get("/?lang=xx", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    assert html_lang(response.get_data(as_text=True)) == "fr"


def test_staff_pages_stay_in_english(client: FlaskClient) -> None:
    client.get("/language/fr?next=/")
    body = client.get("/auth/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert html_lang(body) == "en"
    assert "/language/" not in body


def test_a_case_shows_its_translation_with_the_original_one_click_away(
    app: Flask, client: FlaskClient, sample_cases: Path
) -> None:
    data = record("BE-1992-0603")
    dutch = data["translations"]["nl"]  # type: ignore[index]
    url = f"/cases/{public_id_for(*FLOWER)}"
    body = client.get(url, query_string={"lang": "nl"}).get_data(as_text=True)
    assert f'<h1 class="heading-xl" id="case-title" lang="nl">{dutch["title"]}</h1>' in body
    assert dutch["circumstances"] in body
    original_link = re.search(r'<a href="([^"]*original=1[^"]*)">([^<]+)</a>', body)
    assert original_link
    assert original_link[2] == translated(app, "nl", "Show the original text")
    # The Dutch text is the page's main text, not repeated under "other languages".
    assert 'id="translations-title"' not in body
    assert f'property="og:title" content="{dutch["title"]}"' in body

    original = client.get(original_link[1].replace("&amp;", "&")).get_data(as_text=True)
    assert f'id="case-title">{data["title"]}</h1>' in original
    assert html_lang(original) == "nl"  # the interface stays in Dutch
    assert translated(app, "nl", "Show the translation") in original


def test_without_a_translation_the_original_is_shown_plainly(
    app: Flask, client: FlaskClient, sample_cases: Path
) -> None:
    data = record("BE-1992-0603")
    body = client.get(f"/cases/{public_id_for(*FLOWER)}?lang=fr").get_data(as_text=True)
    assert f'id="case-title">{data["title"]}</h1>' in body
    assert translated(app, "fr", "Show the original text") not in body
    # Other languages' versions are still offered, marked with their language.
    assert '<div class="translation" lang="nl">' in body


def test_dates_are_written_the_way_the_language_writes_them(
    client: FlaskClient, sample_cases: Path
) -> None:
    url = f"/cases/{public_id_for(*BUTTERFLY)}"
    found = date(1995, 2, 22)
    english = client.get(url, query_string={"lang": "en"}).get_data(as_text=True)
    assert "22 February 1995" in english
    for language in ("fr", "de", "es", "it", "nl"):
        body = client.get(url, query_string={"lang": language}).get_data(as_text=True)
        assert format_date(found, format="long", locale=language) in body, language


def test_numbers_and_countries_are_localised(app: Flask) -> None:
    with app.test_request_context("/?lang=de"):
        app.preprocess_request()
        assert number(1234567) == "1.234.567"
    with app.test_request_context("/?lang=fr"):
        app.preprocess_request()
        assert number(1234) == "1\u202f234"
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert number(1234) == "1,234"


def test_country_names_follow_the_language(client: FlaskClient, sample_cases: Path) -> None:
    url = f"/cases/{public_id_for(*FLOWER)}"
    assert "Belgium" in client.get(url + "?lang=en").get_data(as_text=True)
    assert "Belgique" in client.get(url + "?lang=fr").get_data(as_text=True)
    assert "België" in client.get(url + "?lang=nl").get_data(as_text=True)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_public_page_renders_in_every_language(
    client: FlaskClient, sample_cases: Path, language: str
) -> None:
    case = public_id_for(*FLOWER)
    for url in (
        "/",
        "/cases",
        "/cases?age=abc",
        "/search?q=flower+tattoo",
        "/search?q=zzqqxx",
        f"/cases/{case}",
        f"/cases/{case}/tips",
        "/tips/follow-up",
        "/feed.atom",
    ):
        response = client.get(url + ("&" if "?" in url else "?") + f"lang={language}")
        assert response.status_code in {200, 400}, (language, url)
        body = response.get_data(as_text=True)
        # A placeholder left unfilled, or a catalogue entry that broke the markup.
        assert "%(" not in body, (language, url)
        assert ")s" not in re.sub(r"<[^>]+>", "", body).replace("(s)", ""), (language, url)


def test_form_errors_are_in_the_page_language(
    app: Flask, client: FlaskClient, sample_cases: Path
) -> None:
    body = client.get("/cases?age=abc&lang=it").get_data(as_text=True)
    assert translated(app, "it", "Enter an age like 30, or a range like 25-35") in body
    assert translated(app, "it", "There is a problem") in body


def test_alert_descriptions_read_naturally_in_each_language(app: Flask) -> None:
    from portal.services import alerts

    filters, errors = alerts.search_filters({"mark": "tattoo", "location": "back"})
    assert not errors
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert alerts.describe(filters) == "with a tattoo, on the back"
    with app.test_request_context("/?lang=de"):
        app.preprocess_request()
        # German nouns keep their capital letter mid-sentence.
        assert "Rücken" in alerts.describe(filters)
    with app.test_request_context("/?lang=fr"):
        app.preprocess_request()
        assert "dos" in alerts.describe(filters)


def test_a_tipster_reads_form_and_file_errors_in_their_language(
    app: Flask, client: FlaskClient, sample_cases: Path
) -> None:
    from tests.tipkit import send_tip

    client.get("/language/fr?next=/")  # the cookie: the form posts without ?lang
    case = public_id_for(*FLOWER)
    empty = send_tip(client, case, message="   ").get_data(as_text=True)
    french = translated(
        app, "fr", "Enter what you know, even if you are not sure. A few words are enough."
    )
    assert french in empty.replace("&#39;", "'").replace("&rsquo;", "’")
    not_a_photo = send_tip(client, case, files=[(b"\xff\xd8\xff\xe0" + bytes(200), "photo.jpg")])
    assert not_a_photo.status_code == 400
    body = not_a_photo.get_data(as_text=True).replace("&#39;", "'")
    # Not an image at all: the photo check's own message, in French.
    message = translated(
        app, "fr", "This file is not a %(accepted)s image.", accepted="JPEG, PNG, WebP ou HEIC"
    )
    assert message.startswith("Ce fichier")
    assert message in body, re.findall(r"error-message.*", body)


def test_pages_name_their_other_language_versions(client: FlaskClient, sample_cases: Path) -> None:
    case = public_id_for(*FLOWER)
    body = client.get(f"/cases/{case}?lang=fr").get_data(as_text=True)
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', body))
    assert alternates["x-default"] == f"http://localhost/cases/{case}"
    for code in LANGUAGES:
        assert alternates[code] == f"http://localhost/cases/{case}?lang={code}"
