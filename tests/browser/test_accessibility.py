"""WCAG 2.1 AA in a real browser: axe-core on public pages, keyboard-only use, photo warnings."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from portal.records.importer import public_id_for
from tests.imagekit import import_case_with_face_and_scene

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PUBLISHED = public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core in the page (evaluate is not subject to the page's CSP)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async tags => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    report = "\n".join(
        f"{v['impact']}: {v['id']}: {v['help']} ({v['helpUrl']})\n"
        + "\n".join(
            f"    {', '.join(map(str, node['target']))}: {node['failureSummary']}"
            for node in v["nodes"]
        )
        for v in violations
    )
    assert not violations, f"axe found problems on {page.url}:\n{report}"


def tip_form_with_errors(page: Any, base: str) -> None:
    page.goto(f"{base}/cases/{PUBLISHED}/tips")
    with page.expect_navigation():
        page.locator("form.tip-form").get_by_role("button", name="Send to the police").click()
    page.locator(".error-summary").wait_for()


def tip_receipt(page: Any, base: str) -> None:
    page.goto(f"{base}/cases/{PUBLISHED}/tips")
    page.get_by_label("What do you know?").fill("I think I knew her from the market in Mechelen.")
    page.get_by_label("No, I want to stay anonymous").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send to the police").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your information has been sent"


def alert_form_with_errors(page: Any, base: str) -> None:
    page.goto(f"{base}/alerts/new?q=tattoo&sex=female")
    with page.expect_navigation():
        page.get_by_role("button", name="Send me a confirmation email").click()
    page.locator(".error-summary").wait_for()


def visit(path: str) -> Callable[[Any, str], None]:
    def go(page: Any, base: str) -> None:
        page.goto(base + path)

    return go


PAGES: dict[str, Callable[[Any, str], None]] = {
    "home": visit("/"),
    "list": visit("/cases"),
    "search": visit("/search?q=tattoo"),
    "case": visit(f"/cases/{PUBLISHED}"),
    "tip-errors": tip_form_with_errors,
    "receipt": tip_receipt,
    "follow-up": visit("/tips/follow-up"),
    "sign-in": visit("/auth/login"),
    "case-french": visit(f"/cases/{PUBLISHED}?lang=fr"),
    "alert-errors": alert_form_with_errors,
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_axe_violations(page: Any, live_server: str, name: str) -> None:
    PAGES[name](page, live_server)
    assert_accessible(page)


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("name", ["case", "tip-errors"])
def test_phone_page_has_no_serious_axe_violations(phone: Any, live_server: str, name: str) -> None:
    PAGES[name](phone, live_server)
    assert_accessible(phone)


def test_photo_warning_page_has_no_serious_axe_violations(
    page: Any, live_server: str, records_dir: Path
) -> None:
    page.goto(f"{live_server}/cases/{import_case_with_face_and_scene(records_dir)}")
    assert_accessible(page)
    page.locator("details.sensitive summary").first.click()
    assert_accessible(page)


def test_face_photo_is_not_loaded_until_the_reader_passes_the_warning(
    page: Any, live_server: str, records_dir: Path
) -> None:
    page.goto(f"{live_server}/cases/{import_case_with_face_and_scene(records_dir)}")
    page.wait_for_load_state("networkidle")
    warning = page.locator("details.sensitive").first
    image = warning.get_by_role(
        "img", name="Post-mortem photograph of his face", include_hidden=True
    )
    assert not image.is_visible()
    assert image.evaluate("img => img.naturalWidth") == 0
    warning.locator("summary").focus()
    page.keyboard.press("Enter")
    assert image.is_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    # The other warning stays closed.
    scene = page.locator("details.sensitive").nth(1).locator("img")
    assert scene.evaluate("img => img.naturalWidth") == 0


def tab_until(page: Any, condition: str, limit: int = 60) -> None:
    """Press Tab until the focused element satisfies the JavaScript condition on `el`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {condition}; }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {condition}")


def test_search_by_keyboard_only(page: Any, live_server: str) -> None:
    page.goto(live_server + "/")
    tab_until(page, "el.id === 'q'")
    page.keyboard.type("anchor")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/search\?q=anchor", page.url)
    tab_until(page, "el.matches('.case-card__link')")
    assert page.evaluate("document.activeElement === document.querySelector('.case-card__link')")
    title = page.locator(".case-card__title").first.inner_text()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1).inner_text() == title


def test_tip_by_keyboard_only(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/cases/{PUBLISHED}/tips")
    tab_until(page, "el.id === 'message'")
    page.keyboard.type("I think she worked at the market in Mechelen in 1991.")
    tab_until(page, "el.name === 'relationship'")
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")
    tab_until(page, "el.name === 'contact_ok'")
    # In a radio group the arrow keys move to the next choice; Space keeps it chosen.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.id") == "contact_ok-no"
    assert page.get_by_label("No, I want to stay anonymous").is_checked()
    tab_until(page, "el.matches('form.tip-form button[type=submit]')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1).inner_text() == "Your information has been sent"
    assert page.locator("#tip-reference").is_visible()
