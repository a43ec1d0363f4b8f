"""A visitor in a real browser: search from the home page, read a case, use the filters."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_search_from_home_and_read_the_case(page: Any, live_server: str) -> None:
    page.goto(live_server + "/")
    page.get_by_label("Search the appeals").fill("anchor")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/search\?q=anchor"))
    assert page.locator(".results-count").inner_text().startswith("2 appeals for “anchor”")
    page.get_by_role("link", name="Man with the anchor tattoo found in the Waal").click()
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Man with the anchor tattoo found in the Waal"
    assert page.get_by_text("Tattoo on the back of the right hand").is_visible()


def test_tattoo_photo_loads(page: Any, live_server: str) -> None:
    page.goto(live_server + "/cases?has_photo=1")
    page.get_by_role("link", name="The woman with the flower tattoo").click()
    image = page.get_by_role("img", name="Drawing of the flower tattoo")
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.evaluate("img => img.naturalWidth") > 0


def test_keyboard_user_can_skip_to_content_and_filter(page: Any, live_server: str) -> None:
    page.goto(live_server + "/cases")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Age", exact=True).fill("old")
    page.get_by_label("Age", exact=True).press("Enter")
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    assert "Enter an age like 30, or a range like 25-35" in summary.inner_text()
    assert page.get_by_label("Age", exact=True).input_value() == "old"
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "age"
    page.get_by_label("Age", exact=True).fill("30-32")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"age=30-32"))
    assert page.locator(".results-count").inner_text().startswith("4 appeals")


@pytest.mark.parametrize("path", ["/", "/cases", "/cases?q=tattoo"])
def test_no_sideways_scrolling_on_a_phone(browser: Any, live_server: str, path: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        link = page.get_by_role("link").filter(has_text=re.compile("tattoo|woman|man", re.I))
        with page.expect_navigation():
            link.first.click()
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
