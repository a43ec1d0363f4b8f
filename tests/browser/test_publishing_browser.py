"""A publisher in a real browser: create an appeal with a tattoo photo, preview, publish,
find it through public search, and mark it identified."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portal.models import Role
from portal.records.importer import public_id_for
from tests.browser.conftest import staff_sign_in
from tests.conftest import FIXTURES
from tests.staffkit import Staff, make_staff

pytestmark = pytest.mark.browser

PHOTO = FIXTURES / "be-1992-0603-tattoo.jpg"


def sign_in(page: Any, live_server: str, staff: Staff) -> None:
    staff_sign_in(page, live_server, staff, "/auth/login", "/publishing/")


def test_publisher_creates_publishes_and_identifies_an_appeal(page: Any, live_server: str) -> None:
    publisher = make_staff("pub@example.org", Role.PUBLISHER, "BE-FPJ-ANTWERP")
    sign_in(page, live_server, publisher)
    page.get_by_role("link", name="Create an appeal").click()
    page.wait_for_url(re.compile(r"/publishing/new$"))

    page.fill("#record_id", "BE-2026-0077")
    page.fill("#title", "The man with the compass rose tattoo")
    page.select_option("#sex", "male")
    page.fill("#event-date-day", "2")
    page.fill("#event-date-month", "3")
    page.fill("#event-date-year", "2026")
    page.select_option("#event-date_precision", "day")
    page.select_option("#event-country", "BE")
    page.fill("#event-locality", "Antwerp")
    page.fill("#circumstances", "Found near the port of Antwerp.")
    # A mark row, added without JavaScript (the page reloads with everything kept).
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(r"^Add (a |another )?mark")).click()
    assert page.input_value("#title") == "The man with the compass rose tattoo"
    page.select_option("#marks-0-type", "tattoo")
    page.fill("#marks-0-location", "left shoulder")
    page.fill("#marks-0-description", "A compass rose with the letters N E S W")
    page.set_input_files("#new_image-0-upload", str(PHOTO))
    page.select_option("#new_image-0-kind", "tattoo")
    page.fill("#new_image-0-caption", "The compass rose tattoo")
    page.check("#new_image-0-publish")
    with page.expect_navigation():
        page.get_by_role("button", name="Preview").click()

    page.wait_for_url(re.compile(r"/revisions/1/preview$"))
    assert "The man with the compass rose tattoo" in page.locator("h1").first.inner_text()
    image = page.locator("article img").first
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()
    assert "Published" in page.locator(".notice").first.inner_text()

    # The public finds it through search.
    public_id = public_id_for("BE-FPJ-ANTWERP", "BE-2026-0077")
    page.goto(f"{live_server}/search?q=compass+rose")
    page.get_by_role("link", name=re.compile("compass rose tattoo")).first.click()
    page.wait_for_url(re.compile(rf"/cases/{public_id}$"))
    assert page.locator("form.tip-form").count() == 1

    # Identified: the appeal shows the statement and closes its tip form.
    page.goto(f"{live_server}/publishing/cases/{public_id}")
    page.get_by_role("link", name="Mark as identified").click()
    when = datetime.now(UTC).date() - timedelta(days=1)
    page.get_by_label("Name of the person").fill("Pieter Janssens")
    page.fill("#identified-day", str(when.day))
    page.fill("#identified-month", str(when.month))
    page.fill("#identified-year", str(when.year))
    page.get_by_label("Statement to publish").fill("Pieter's family thank everyone who helped.")
    page.get_by_label("The family agreed to publishing this name and statement").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Mark as identified").click()
    page.goto(f"{live_server}/cases/{public_id}")
    text = page.locator("main").inner_text()
    assert "Pieter Janssens" in text and "thank everyone who helped" in text
    assert page.locator("form.tip-form").count() == 0
