"""Browser fixtures: the portal on a real HTTP port, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from werkzeug.serving import make_server

from portal.records.importer import import_file
from tests.staffkit import Staff

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
# Flags for a closed network: no background calls home, no sandbox as root in CI.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        if os.environ.get("PORTAL_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app: Flask, records_dir: Path) -> Iterator[str]:
    """The portal with the sample records, served over HTTP on a free loopback port."""
    assert import_file(records_dir / "sample-records.jsonl").errors == []
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


def staff_sign_in(page: Any, live_server: str, staff: Staff, start: str, landing: str) -> None:
    """Sign in through the real pages (password, then a current TOTP code)."""
    page.goto(f"{live_server}{start}")
    page.wait_for_url(re.compile(r"/auth/login"))
    page.get_by_label("Email address").fill(staff.email)
    page.get_by_label("Password").fill(staff.password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(staff.secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(landing) + "$"))
