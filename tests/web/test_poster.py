"""The printable poster: one A4 page of public data, the short URL as a QR code, no body photos."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import segno
from babel import Locale
from babel.dates import format_date
from flask import Flask, g
from flask.testing import FlaskClient
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from werkzeug.test import TestResponse

from portal import media, poster
from portal.records.importer import import_file, public_id_for
from portal.services import cases
from portal.urls import external_url
from tests.imagekit import import_case_with_face_and_scene
from tests.modkit import case_by_record
from tests.web.test_no_leaks import SENTINEL, sentinel_cases

__all__ = ["sentinel_cases"]  # a fixture, used by name below

TATTOO_CASE = ("BE-FPJ-ANTWERP", "BE-1992-0603")  # one published tattoo image, a Dutch title
PLAIN_CASE = ("BE-FPJ-ANTWERP", "BE-2001-1117")  # no images
MISSING_CASE = ("NL-LE-NOORD", "NL-2017-0214")
IDENTIFIED_CASE = ("BE-FPJ-ANTWERP", "BE-2014-0402")
CJK_CASE = ("TW-CIB", "TW-2019-0520")  # a tattoo inscription in Chinese characters
DRAFT_CASE = ("UK-MPU", "UK-2020-0909")
WITHDRAWN_CASE = ("UK-MPU", "UK-2011-0615")


def poster_url(agency_record: tuple[str, str], query: str = "") -> str:
    return f"/cases/{public_id_for(*agency_record)}/poster.pdf{query}"


def fetch(client: FlaskClient, url: str, **kwargs: object) -> TestResponse:
    response = client.get(url, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, url
    assert response.mimetype == "application/pdf"
    return response


def read(response: TestResponse) -> PdfReader:
    return PdfReader(io.BytesIO(response.get_data()))


def text_of(reader: PdfReader) -> str:
    """The page's text with line breaks and runs of spaces made single spaces."""
    return " ".join(reader.pages[0].extract_text().split())


def image_count(reader: PdfReader) -> int:
    resources = reader.pages[0]["/Resources"]
    assert isinstance(resources, DictionaryObject)
    xobjects = resources.get("/XObject")
    if xobjects is None:
        return 0
    return sum(
        1 for ref in xobjects.get_object().values() if ref.get_object()["/Subtype"] == "/Image"
    )


def test_poster_is_one_a4_page_with_the_case(client: FlaskClient, sample_cases: Path) -> None:
    public_id = public_id_for(*TATTOO_CASE)
    response = fetch(client, poster_url(TATTOO_CASE))
    assert response.headers["Content-Disposition"] == (
        f'inline; filename="appeal-{public_id}-poster.pdf"'
    )
    reader = read(response)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = text_of(reader)
    for expected in (
        "Do you recognise her?",
        "The woman with the flower tattoo",
        "BE-1992-0603",
        "Female",
        "25–35 years",
        "160–165 cm",
        "3 June 1992",
        "Antwerp, Belgium",
        "Tattoo, left forearm: black flower with green leaves",
        "R'Nick",
        "Clothing: jeans (blue, Levi's)",
        f"http://localhost/c/{public_id}",
        "Federal Judicial Police Antwerp",
        "identify@antwerp.police.example",
        f"on {format_date(datetime.now(UTC).date(), 'long', locale='en_GB')}",
    ):
        assert expected in text, expected
    assert image_count(reader) == 1
    assert reader.metadata is not None
    assert reader.metadata.title == "Do you recognise her? The woman with the flower tattoo"


def test_missing_person_poster_names_them(client: FlaskClient, sample_cases: Path) -> None:
    text = text_of(read(fetch(client, poster_url(MISSING_CASE))))
    assert "Have you seen her?" in text
    assert text.count("Sanne de Vries") == 1  # the title names her already
    assert "Last seen 14 February 2017" in text
    assert "Age when last seen" in text


def test_identified_case_poster_thanks_instead_of_asking(
    client: FlaskClient, sample_cases: Path
) -> None:
    text = text_of(read(fetch(client, poster_url(IDENTIFIED_CASE))))
    assert "This person has been identified" in text
    assert "Marie Lambert" in text
    assert "Her family thanks everyone who shared the appeal." in text
    assert "Thank you to everyone who shared the appeal." in text
    assert "stay anonymous" not in text and "Send information" not in text
    assert "This appeal was made by Federal Judicial Police Antwerp." in text
    assert "identify@antwerp.police.example" not in text


def test_case_page_links_to_the_poster(client: FlaskClient, sample_cases: Path) -> None:
    public_id = public_id_for(*TATTOO_CASE)
    html = client.get(f"/cases/{public_id}").get_data(as_text=True)
    assert f'<a href="/cases/{public_id}/poster.pdf" type="application/pdf">' in html
    assert "Print a poster (PDF, A4)" in html


@pytest.mark.parametrize("case", [DRAFT_CASE, WITHDRAWN_CASE])
def test_non_public_cases_have_no_poster(
    client: FlaskClient, sample_cases: Path, case: tuple[str, str]
) -> None:
    assert client.get(poster_url(case)).status_code == 404
    assert client.get(f"/cases/{public_id_for(*case)}").status_code == 404


def test_unknown_case_has_no_poster(client: FlaskClient, sample_cases: Path) -> None:
    assert client.get("/cases/nosuchcase/poster.pdf").status_code == 404
    assert client.get("/cases/NOT-VALID!/poster.pdf").status_code == 404


def test_poster_qr_code_is_the_short_url(client: FlaskClient, sample_cases: Path) -> None:
    """Read the QR code's modules back from the drawing and compare them with segno's code."""
    url = f"http://localhost/c/{public_id_for(*TATTOO_CASE)}"
    page = read(fetch(client, poster_url(TATTOO_CASE, "?lang=de"))).pages[0]
    contents = page.get_contents()
    assert contents is not None
    stream = contents.get_data().decode("latin-1")
    height = float(page.mediabox.height)
    expected = [list(row) for row in poster.qr_code(url).matrix_iter(scale=1, border=4)]
    size = len(expected)
    module = poster.QR_SIZE / size
    rects = [
        tuple(float(v) for v in match)
        for match in re.findall(r"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re f", stream)
    ]
    # fpdf2 draws from the bottom left with a negative height: y is the square's top edge.
    background = [r for r in rects if abs(r[2] - poster.QR_SIZE) < 0.02 and r[3] == -r[2]]
    assert background, "the QR code's white square"
    left, top = background[0][0], height - background[0][1]
    drawn = [[False] * size for _ in range(size)]
    for x, y, w, h in rects:
        if (x, y, w, h) == background[0]:
            continue
        col, row = round((x - left) / module), round((height - y - top) / module)
        if not (0 <= col < size and 0 <= row < size) or abs(abs(h) - module) > 0.02:
            continue  # not part of the code (the banner, the rule above the footer)
        for offset in range(round(w / module)):
            drawn[row][col + offset] = True
    assert drawn == [[bool(v) for v in row] for row in expected]


def test_qr_code_encodes_the_url() -> None:
    url = "https://recognise.example/c/abc123"
    code = poster.qr_code(url)
    assert code.matrix == segno.make(url, error="m", micro=False).matrix
    assert code.error == "M"
    assert not code.is_micro


def _import(records_dir: Path, record_id: str, images: list[tuple[str, str]]) -> str:
    """A published record with the given (kind, colour) photographs; its public id."""
    files = []
    for kind, colour in images:
        name = f"{record_id}-{kind}.jpg"
        Image.new("RGB", (400, 300), colour).save(records_dir / name, "JPEG")
        files.append({"file": name, "kind": kind, "caption": f"The {kind}", "publish": True})
    record = {
        "record_id": record_id,
        "agency": {
            "code": "BE-FPJ-ANTWERP",
            "name": "Federal Judicial Police Antwerp",
            "country": "BE",
        },
        "title": f"Case {record_id}",
        "kind": "unidentified",
        "status": "published",
        "sex": "unknown",
        "event": {"date": "2003-04-01", "date_precision": "month", "country": "BE"},
        "images": files,
    }
    path = records_dir / f"{record_id}.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert import_file(path).errors == []
    return public_id_for("BE-FPJ-ANTWERP", record_id)


def test_face_and_scene_photos_are_never_printed(client: FlaskClient, sample_cases: Path) -> None:
    public_id = _import(sample_cases.parent, "BE-2003-0401", [("face", "red"), ("scene", "green")])
    reader = read(fetch(client, f"/cases/{public_id}/poster.pdf"))
    assert image_count(reader) == 0
    text = text_of(reader)
    assert "Do you recognise this person?" in text
    assert "April 2003" in text
    assert "The face" not in text and "The scene" not in text


def test_poster_prints_the_first_photo_that_is_not_a_face(
    client: FlaskClient, sample_cases: Path
) -> None:
    public_id = import_case_with_face_and_scene(sample_cases.parent)
    reader = read(fetch(client, f"/cases/{public_id}/poster.pdf"))
    assert image_count(reader) == 1
    text = text_of(reader)
    assert "His jacket" in text
    assert "Post-mortem" not in text and "Where he was found" not in text


def test_poster_without_images_has_none(client: FlaskClient, sample_cases: Path) -> None:
    assert image_count(read(fetch(client, poster_url(PLAIN_CASE)))) == 0


@pytest.mark.parametrize("damage", ["garbage", "missing"])
def test_a_broken_photo_leaves_it_out(
    client: FlaskClient, sample_cases: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    image = case_by_record(TATTOO_CASE[1]).images[0]
    store = media.get_media_store()
    for width in image.derivative_widths:
        key = media.derivative_key(image.media_prefix, width)
        if damage == "garbage":
            store.put(key, b"not a jpeg at all", "image/jpeg")
        else:
            store.delete(key)
    with caplog.at_level(logging.WARNING, logger="portal.poster"):
        reader = read(fetch(client, poster_url(TATTOO_CASE)))
    assert image_count(reader) == 0
    assert "The woman with the flower tattoo" in text_of(reader)
    assert "poster photo unavailable" in caplog.text


def test_poster_in_french(client: FlaskClient, sample_cases: Path) -> None:
    response = fetch(client, poster_url(TATTOO_CASE, "?lang=fr"))
    assert response.headers["Content-Language"] == "fr"
    text = text_of(read(response))
    assert format_date(date(1992, 6, 3), "long", locale="fr") == "3 juin 1992"
    assert "3 juin 1992" in text
    assert format_date(datetime.now(UTC).date(), "long", locale="fr") in text
    assert "Antwerp, Belgique" in text  # the country in French, the locality as recorded


def test_poster_uses_the_published_translation(client: FlaskClient, sample_cases: Path) -> None:
    response = fetch(client, poster_url(TATTOO_CASE), headers={"Accept-Language": "nl"})
    assert response.headers["Content-Language"] == "nl"
    assert "Accept-Language" in response.headers["Vary"]
    text = text_of(read(response))
    assert "De vrouw met de bloementatoeage" in text
    assert "Het lichaam van een vrouw werd in het water van de rivier gevonden." in text
    assert "The woman with the flower tattoo" not in text
    assert "3 juni 1992" in text


def test_poster_prints_no_glyph_the_font_lacks(
    client: FlaskClient, sample_cases: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        text = text_of(read(fetch(client, poster_url(CJK_CASE))))
    assert "missing the following glyphs" not in caplog.text
    assert "right wrist: Chinese characters (lettering shown on the appeal page)" in text


def test_poster_is_cacheable_with_an_etag(client: FlaskClient, sample_cases: Path) -> None:
    first = fetch(client, poster_url(TATTOO_CASE))
    assert first.cache_control.public
    assert first.cache_control.max_age == 60
    etag = first.headers["ETag"]
    again = fetch(client, poster_url(TATTOO_CASE))
    assert again.headers["ETag"] == etag, "the same case gives the same bytes the same day"
    cached = client.get(poster_url(TATTOO_CASE), headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.get_data() == b""
    french = fetch(client, poster_url(TATTOO_CASE, "?lang=fr"))
    assert french.headers["ETag"] != etag


def test_restricted_data_never_reaches_a_poster(client: FlaskClient, sentinel_cases: Path) -> None:
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    ids = sorted(set(re.findall(r"/cases/([a-z0-9]{10})<", sitemap)))
    assert len(ids) == 16
    for public_id in ids:
        reader = read(fetch(client, f"/cases/{public_id}/poster.pdf"))
        assert SENTINEL not in text_of(reader), public_id
        assert SENTINEL not in str(reader.metadata), public_id


def test_event_dates_follow_their_precision(app: Flask) -> None:
    day = date(1988, 1, 1)
    for locale, by_day, by_month in [
        ("en_GB", "1 January 1988", "January 1988"),
        ("de", "1. Januar 1988", "Januar 1988"),
        ("fr", "1 janvier 1988", "janvier 1988"),
    ]:
        parsed = Locale.parse(locale)
        assert poster.event_date_text(day, "day", parsed) == by_day
        assert poster.event_date_text(day, "month", parsed) == by_month
        assert poster.event_date_text(day, "year", parsed) == "1988"


def test_printed_short_url_carries_no_language(app: Flask, sample_cases: Path) -> None:
    """Links keep the visitor's language, but a poster's readers each have their own."""
    case = cases.get_public_case(public_id_for(*TATTOO_CASE))
    with app.test_request_context(f"/cases/{case.id}/poster.pdf?lang=fr"):
        g.url_language = "fr"
        assert external_url("public.short", public_id=case.id).endswith("?lang=fr")
        assert poster.short_url(case) == f"http://localhost/c/{case.id}"


def test_posters_are_kept_but_not_without_their_photo(
    client: FlaskClient, sample_cases: Path
) -> None:
    image = case_by_record(TATTOO_CASE[1]).images[0]
    store = media.get_media_store()
    keys = [media.derivative_key(image.media_prefix, w) for w in image.derivative_widths]
    saved = {key: store.get(key) for key in keys}
    for key in keys:
        store.put(key, b"broken", "image/jpeg")
    assert image_count(read(fetch(client, poster_url(TATTOO_CASE)))) == 0
    for key, data in saved.items():
        store.put(key, data, "image/jpeg")
    # The poster without its photo was not kept: the next request prints the photo, and that
    # poster is kept (the store no longer matters for it).
    assert image_count(read(fetch(client, poster_url(TATTOO_CASE)))) == 1
    for key in keys:
        store.delete(key)
    assert image_count(read(fetch(client, poster_url(TATTOO_CASE)))) == 1
