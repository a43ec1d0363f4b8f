"""A tipster in a real browser: the form on the case page, errors, the receipt, the follow-up."""

from __future__ import annotations

import re
from typing import Any

import pytest

from portal.records.importer import public_id_for
from tests.conftest import FIXTURES

pytestmark = pytest.mark.browser

PUBLISHED = public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")
PHOTO = FIXTURES / "be-1992-0603-tattoo.jpg"


def test_tipster_sends_a_tip_with_a_photo_and_follows_it_up(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/cases/{PUBLISHED}")
    form = page.locator("form.tip-form")
    # Contact fields appear only for someone who wants to be contacted.
    assert not page.get_by_label("Email address").is_visible()
    page.get_by_label("Yes, you can contact me").check()
    assert page.get_by_label("Email address").is_visible()
    page.get_by_label("Your name (optional)").fill("Marie Claes")

    # Sent without a message or a way to reach them: errors, focus, nothing lost.
    with page.expect_navigation():
        form.get_by_role("button", name="Send to the police").click()
    summary = page.locator(".error-summary")
    assert summary.evaluate("el => el === document.activeElement")
    assert "Enter what you know" in summary.inner_text()
    assert "Enter an email address or a phone number" in summary.inner_text()
    assert page.get_by_label("Your name (optional)").input_value() == "Marie Claes"
    summary.get_by_role("link", name=re.compile("Enter what you know")).click()
    assert page.evaluate("document.activeElement.id") == "message"

    page.get_by_label("What do you know?").fill(
        "The flower with green leaves and R'Nick underneath: my cousin had it."
    )
    page.get_by_label("I think they may be a member of my family").check()
    page.get_by_label("No, I want to stay anonymous").check()
    assert not page.get_by_label("Email address").is_visible()
    page.get_by_label("Photos or documents (optional)").set_input_files(str(PHOTO))
    with page.expect_navigation():
        page.get_by_role("button", name="Send to the police").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Your information has been sent"
    reference = page.locator("#tip-reference").inner_text()
    code = page.locator("#tip-followup-code").inner_text()
    assert re.fullmatch(r"TIP-\w{4}-\w{4}", reference)
    assert "and 1 file" in page.locator("main").inner_text()

    page.get_by_role("link", name="add more information or answer our questions").click()
    page.get_by_label("Reference").fill(reference.lower())
    page.get_by_label("Private follow-up code").fill(code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/tips/follow-up/tip$"))
    assert "Not read yet" in page.locator("#tip-status").inner_text()
    page.get_by_label("What do you want to add?").fill("She was born in Mechelen in 1966.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()
    assert "has been sent with your tip" in page.locator("main").inner_text()
    assert page.get_by_text("She was born in Mechelen in 1966.").is_visible()


def test_too_many_files_are_caught_before_uploading(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/cases/{PUBLISHED}/tips")
    page.get_by_label("What do you know?").fill("Photos of her tattoo")
    page.get_by_label("No, I want to stay anonymous").check()
    page.get_by_label("Photos or documents (optional)").set_input_files([str(PHOTO)] * 6)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.method))
    page.get_by_role("button", name="Send to the police").click()
    error = page.locator("#attachments-error")
    error.wait_for()
    assert "Choose at most 5 files" in error.inner_text()
    assert "POST" not in requests
    assert page.evaluate("document.activeElement.id") == "attachments"


@pytest.mark.parametrize(
    "path", [f"/cases/{PUBLISHED}", f"/cases/{PUBLISHED}/tips", "/tips/follow-up"]
)
def test_tip_pages_fit_a_phone(browser: Any, live_server: str, path: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(live_server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
    finally:
        context.close()
