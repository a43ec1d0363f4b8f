"""A moderator in a real browser: sign-in with a second factor, keyboard triage, bulk spam."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portal.config import Settings
from portal.extensions import db
from portal.models import Role, Tip, TipStatus
from portal.services.tips import Contact, Upload
from tests.browser.conftest import staff_sign_in
from tests.mailkit import MailServer
from tests.modkit import add_tip, photo_jpeg
from tests.staffkit import Staff, make_staff

pytestmark = pytest.mark.browser

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def settings(settings: Settings, smtp_server: MailServer) -> Settings:
    # Forwarding talks SMTP to a real local mail server.
    return dataclasses.replace(settings, smtp_url=smtp_server.url)


def sign_in(page: Any, live_server: str, staff: Staff) -> None:
    # Not signed in: the staff page sends the moderator to sign in, and back afterwards.
    staff_sign_in(page, live_server, staff, "/moderation/", "/moderation/")


def test_moderator_triages_a_surge_with_the_keyboard(page: Any, live_server: str) -> None:
    moderator = make_staff("mod@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP")
    first = add_tip("BE-1992-0603", "The flower tattoo is my cousin's", created_at=START)
    second = add_tip("BE-1992-0603", "Cheap watches here", created_at=START + timedelta(minutes=1))
    third = add_tip("BE-2001-1117", "I saw her by the canal", created_at=START + timedelta(hours=1))
    spam = [
        add_tip(
            "BE-1992-0603", f"Buy followers {n}", created_at=START + timedelta(hours=2, minutes=n)
        )
        for n in range(3)
    ]
    sign_in(page, live_server, moderator)

    rows = page.locator("[data-tip-link]")
    assert rows.all_inner_texts()[:3] == [first.reference, second.reference, third.reference]
    # j moves through the queue, Enter opens the tip.
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.textContent") == first.reference
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "The flower tattoo is my cousin's" in page.locator("#tip-message").inner_text()
    assert "You are working on this tip" in page.locator("#claim-notice").inner_text()

    # One key per status; "then open the next tip" is on, so triage flows on.
    with page.expect_navigation():
        page.keyboard.press("a")
    assert page.locator("#tip-heading").inner_text().startswith(second.reference)
    assert "marked as actionable" in page.locator(".notice").first.inner_text()
    with page.expect_navigation():
        page.keyboard.press("s")
    assert page.locator("#tip-heading").inner_text().startswith(third.reference)

    # n jumps to the note; typing there is not taken for shortcuts.
    page.keyboard.press("n")
    page.keyboard.type("Asked the canal team; s and a typed here are not shortcuts")
    assert page.evaluate("document.activeElement.id") == "note"
    with page.expect_navigation():
        page.get_by_role("button", name="Add note").click()
    assert "Asked the canal team" in page.locator("#notes ~ .thread").inner_text()

    # Back to the queue (q), select the spam wave with the keyboard and mark it at once.
    with page.expect_navigation():
        page.keyboard.press("q")
    page.get_by_role("link", name="New").first.click()
    page.wait_for_url(re.compile(r"status=new"))
    assert page.locator("[data-tip-link]").all_inner_texts() == [
        third.reference,
        *[tip.reference for tip in spam],
    ]
    page.keyboard.press("j")  # the first row: the tip about the canal, kept
    for _ in spam:
        page.keyboard.press("j")
        page.keyboard.press(" ")
    assert page.locator("[data-tip-row] input:checked").count() == 3
    with page.expect_navigation():
        page.get_by_role("button", name="Mark as spam").click()
    assert "3 tips marked as spam." in page.locator(".notice").first.inner_text()

    db.session.expire_all()
    statuses = {tip.reference: db.session.get(Tip, tip.id).status for tip in [first, second, *spam]}  # type: ignore[union-attr]
    assert statuses[first.reference] is TipStatus.ACTIONABLE
    assert statuses[second.reference] is TipStatus.SPAM
    assert {statuses[tip.reference] for tip in spam} == {TipStatus.SPAM}


def test_the_queue_works_on_a_phone(page: Any, live_server: str) -> None:
    moderator = make_staff("mod@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP")
    tip = add_tip("BE-1992-0603", "Seen on a phone", created_at=START)
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_server, moderator)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the page scrolls sideways"
    page.get_by_role("link", name=tip.reference).click()
    page.wait_for_url(re.compile(rf"/moderation/tips/{tip.id}"))
    page.get_by_role("button", name="In review").click()
    page.wait_for_load_state()
    assert "marked as in review" in page.locator(".notice").first.inner_text()


def test_moderator_forwards_a_tip_to_the_police(
    page: Any, live_server: str, smtp_server: MailServer
) -> None:
    moderator = make_staff("mod@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP")
    tip = add_tip(
        "BE-1992-0603",
        "The black flower with green leaves: my cousin Rosa had it done in 1990.",
        contact=Contact(name="Marie Claes", phone="+32 470 12 34 56"),
        uploads=[Upload("rosa-1990.jpg", photo_jpeg("navy"))],
        created_at=START,
    )
    sign_in(page, live_server, moderator)
    page.get_by_role("link", name=tip.reference).click()
    page.wait_for_url(re.compile(rf"/moderation/tips/{tip.id}"))
    # Forwarding waits until the tip is judged actionable.
    assert page.locator("[data-key=f]").count() == 0
    page.get_by_label("Then open the next tip").uncheck()
    with page.expect_navigation():
        page.keyboard.press("a")
    assert "ACTIONABLE" in page.locator("#tip-heading").inner_text().upper()

    # Looking at the tipster's contact details is deliberate (and audited).
    assert "Marie Claes" not in page.locator("main").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Show contact details").click()
    assert "+32 470 12 34 56" in page.locator("#tip-contact").inner_text()

    with page.expect_navigation():
        page.keyboard.press("f")
    assert "Sent to identify@antwerp.police.example" in page.locator(".notice").first.inner_text()
    assert "FORWARDED" in page.locator("#tip-heading").inner_text().upper()

    [received] = smtp_server.messages
    message = received.message
    assert message["To"] == "identify@antwerp.police.example"
    assert tip.reference in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "my cousin Rosa had it done in 1990" in body
    assert "Marie Claes" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "rosa-1990.jpg"
