"""Sharing: OpenGraph and Twitter card metadata, the short URL and the share links."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import Case, CaseImage
from portal.models.case import ImageKind
from portal.publication import PublicImage
from portal.records.importer import public_id_for
from portal.services import cases
from portal.templating import share_image

TATTOO_CASE = ("BE-FPJ-ANTWERP", "BE-1992-0603")  # one published tattoo image
PLAIN_CASE = ("BE-FPJ-ANTWERP", "BE-2001-1117")  # no images
IDENTIFIED_CASE = ("BE-FPJ-ANTWERP", "BE-2014-0402")
DRAFT_CASE = ("UK-MPU", "UK-2020-0909")
WITHDRAWN_CASE = ("UK-MPU", "UK-2011-0615")


class _Page(HTMLParser):
    """The meta tags (by property or name) and links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.hrefs: list[str] = []
        self.inputs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "meta" and ("property" in values or "name" in values):
            key = values.get("property") or values["name"]
            self.meta.setdefault(key, []).append(values.get("content", ""))
        elif tag == "a" and "href" in values:
            self.hrefs.append(values["href"])
        elif tag == "input" and "id" in values:
            self.inputs[values["id"]] = values.get("value", "")


def parse(client: FlaskClient, url: str, status: int = 200) -> _Page:
    response = client.get(url)
    assert response.status_code == status, url
    page = _Page()
    page.feed(response.get_data(as_text=True))
    return page


def one(page: _Page, key: str) -> str:
    values = page.meta.get(key, [])
    assert len(values) == 1, (key, values)
    return values[0]


def case_id(agency_record: tuple[str, str]) -> str:
    return public_id_for(*agency_record)


def case_row(agency_record: tuple[str, str]) -> Case:
    found = db.session.scalar(select(Case).where(Case.public_id == case_id(agency_record)))
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("url", "canonical"),
    [("/", "http://localhost/"), ("/cases?page=2", "http://localhost/cases")],
)
def test_site_pages_have_website_metadata(
    app: Flask, client: FlaskClient, sample_cases: Path, url: str, canonical: str
) -> None:
    page = parse(client, url)
    assert one(page, "og:site_name") == app.config["PORTAL_SITE_NAME"]
    assert one(page, "og:type") == "website"
    assert one(page, "og:locale") == "en_GB"
    assert one(page, "og:url") == canonical
    assert one(page, "og:title") == one(page, "twitter:title")
    assert app.config["PORTAL_SITE_NAME"] in one(page, "og:title")
    assert one(page, "og:description") == one(page, "description")
    assert one(page, "twitter:description") == one(page, "description")
    assert one(page, "twitter:card") == "summary"
    assert "og:image" not in page.meta


def test_case_page_has_article_metadata_with_image(client: FlaskClient, sample_cases: Path) -> None:
    public_id = case_id(TATTOO_CASE)
    case = case_row(TATTOO_CASE)
    image = case.images[0]
    page = parse(client, f"/cases/{public_id}")
    assert one(page, "og:type") == "article"
    assert one(page, "og:title") == case.title
    assert one(page, "twitter:title") == case.title
    assert one(page, "og:url") == f"http://localhost/cases/{public_id}"
    description = one(page, "og:description")
    assert description == one(page, "description") == one(page, "twitter:description")
    assert description.startswith("Unidentified person. Found ")
    assert one(page, "twitter:card") == "summary_large_image"
    url = one(page, "og:image")
    match = re.fullmatch(rf"http://localhost/media/{image.token}/w(\d+)", url)
    assert match, url
    width = int(match[1])
    assert width == min(image.derivative_widths, key=lambda w: (abs(w - 1200), -w))
    assert one(page, "og:image:width") == str(width)
    assert int(one(page, "og:image:height")) == round(image.height * width / image.width)
    assert one(page, "og:image:alt") == (image.caption or "Image of the tattoo")
    assert one(page, "twitter:image") == url
    served = client.get(url.removeprefix("http://localhost"))
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"


def test_case_without_images_has_a_summary_card(client: FlaskClient, sample_cases: Path) -> None:
    page = parse(client, f"/cases/{case_id(PLAIN_CASE)}")
    assert one(page, "twitter:card") == "summary"
    assert not any(key.startswith(("og:image", "twitter:image")) for key in page.meta)


@pytest.mark.parametrize(
    ("kind", "publish"),
    [(ImageKind.FACE, True), (ImageKind.SCENE, True), (ImageKind.TATTOO, False)],
)
def test_no_og_image_for_face_scene_or_unpublished_images(
    client: FlaskClient, sample_cases: Path, kind: ImageKind, publish: bool
) -> None:
    image = db.session.scalar(
        select(CaseImage).where(CaseImage.case_id == case_row(TATTOO_CASE).id)
    )
    assert image is not None
    image.kind = kind
    image.publish = publish
    db.session.commit()
    html = client.get(f"/cases/{case_id(TATTOO_CASE)}").get_data(as_text=True)
    page = _Page()
    page.feed(html)
    assert one(page, "twitter:card") == "summary"
    assert not any(key.startswith(("og:image", "twitter:image")) for key in page.meta)
    assert image.token not in "".join(v for values in page.meta.values() for v in values)


def test_share_image_skips_face_and_scene_and_prefers_about_1200(
    app: Flask, sample_cases: Path
) -> None:
    case = cases.get_public_case(case_id(PLAIN_CASE))

    def image(token: str, kind: str, widths: tuple[int, ...]) -> PublicImage:
        return PublicImage(token, kind, None, 2000, 1000, widths)

    shown = dataclasses.replace(
        case,
        images=(
            image("face", "face", (320, 640, 1280)),
            image("scene", "scene", (320, 640, 1280)),
            image("coat", "clothing", (320, 640, 1280)),
            image("ring", "jewellery", (320, 640, 1280)),
        ),
    )
    with app.test_request_context("/"):
        chosen = share_image(shown)
        assert chosen is not None
        assert chosen.url == "http://localhost/media/coat/w1280"
        assert (chosen.width, chosen.height, chosen.alt) == (1280, 640, "Image of the clothing")
        app.config["PORTAL_BASE_URL"] = "https://recognise.example"
        behind_proxy = share_image(shown)
        assert behind_proxy is not None
        assert behind_proxy.url == "https://recognise.example/media/coat/w1280"
        only_bodies = dataclasses.replace(shown, images=shown.images[:2])
        assert share_image(only_bodies) is None


def test_meta_never_holds_restricted_data(client: FlaskClient, sample_cases: Path) -> None:
    ids = re.findall(r"/cases/([a-z0-9]{10})<", client.get("/sitemap.xml").get_data(as_text=True))
    assert len(ids) == 16
    for url in ["/", "/cases", "/search?q=tattoo", *(f"/cases/{i}" for i in ids)]:
        page = parse(client, url)
        content = "\n".join(v for values in page.meta.values() for v in values)
        assert "og:title" in page.meta, url
        assert "RESTRICTED-SENTINEL" not in content, url
        assert "SENTINEL" not in "".join(page.hrefs), url


def test_error_and_staff_pages_have_no_previews(client: FlaskClient, sample_cases: Path) -> None:
    for url, status in ((f"/cases/{case_id(DRAFT_CASE)}", 404), ("/auth/login", 200)):
        page = parse(client, url, status)
        assert not any(key.startswith(("og:", "twitter:")) for key in page.meta), url


@pytest.mark.parametrize("agency_record", [TATTOO_CASE, IDENTIFIED_CASE])
def test_short_url_redirects_permanently_to_the_case(
    client: FlaskClient, sample_cases: Path, agency_record: tuple[str, str]
) -> None:
    public_id = case_id(agency_record)
    response = client.get(f"/c/{public_id}")
    assert response.status_code == 301
    assert urlsplit(response.headers["Location"]).path == f"/cases/{public_id}"
    assert client.get(f"/c/{public_id}", follow_redirects=True).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        f"/c/{public_id_for(*DRAFT_CASE)}",
        f"/c/{public_id_for(*WITHDRAWN_CASE)}",
        "/c/zzzzzzzzzz",
        "/c/" + "a" * 5000,
        "/c/%00",
        "/c/abc%00def",
        "/c/ABCDEFGHIJ",
        "/c/%2e%2e",
        "/c/RESTRICTED-SENTINEL-001",
        "/c/",
    ],
)
def test_short_url_is_404_for_anything_not_public(
    client: FlaskClient, sample_cases: Path, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 404, path
    assert "Location" not in response.headers
    assert "RESTRICTED-SENTINEL" not in response.get_data(as_text=True)


def test_share_section_links_are_plain_and_encoded(client: FlaskClient, sample_cases: Path) -> None:
    public_id = case_id(TATTOO_CASE)
    title = case_row(TATTOO_CASE).title
    html = client.get(f"/cases/{public_id}").get_data(as_text=True)
    assert "Share this appeal" in html
    page = _Page()
    page.feed(html)
    short = f"http://localhost/c/{public_id}"
    assert page.inputs["share-link"] == short
    assert client.get(urlsplit(short).path).status_code == 301

    (email,) = [href for href in page.hrefs if href.startswith("mailto:")]
    assert re.fullmatch(r"mailto:\?subject=[A-Za-z0-9%._~-]+&body=[A-Za-z0-9%._~-]+", email)
    fields = parse_qs(email.removeprefix("mailto:?"))
    assert title in fields["subject"][0]
    assert short in fields["body"][0]

    (whatsapp,) = [href for href in page.hrefs if href.startswith("https://wa.me/")]
    assert re.fullmatch(r"https://wa\.me/\?text=[A-Za-z0-9%._~-]+", whatsapp)
    text = unquote(whatsapp.removeprefix("https://wa.me/?text="))
    assert title in text
    assert text.endswith(short)
    # No scripts or images from the share services.
    assert "wa.me/" not in "".join(re.findall(r'src="([^"]*)"', html))


def test_share_links_honour_the_base_url(
    app: Flask, client: FlaskClient, sample_cases: Path
) -> None:
    app.config["PORTAL_BASE_URL"] = "https://recognise.example"
    public_id = case_id(TATTOO_CASE)
    page = parse(client, f"/cases/{public_id}")
    assert page.inputs["share-link"] == f"https://recognise.example/c/{public_id}"
    assert one(page, "og:url") == f"https://recognise.example/cases/{public_id}"
    assert one(page, "og:image").startswith("https://recognise.example/media/")
