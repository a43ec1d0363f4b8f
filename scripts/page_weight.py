"""Page weight: the HTML, CSS and JS bytes (raw and gzipped) of each public page over demo data.

Usage: .venv/bin/python scripts/page_weight.py [--database-url URL] [--budget 102400]
Loads the demo dataset into a throwaway database and fetches pages through the test client.
Prints figures; the budget itself is asserted by tests/web/test_html_valid.py.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import re
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import select

from portal import create_app
from portal.config import Settings
from portal.demo.dataset import write_demo_records
from portal.extensions import db
from portal.models import Case, CaseKind, CaseStatus
from portal.records.importer import import_file

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_HIDDEN = re.compile(r'<input[^>]*name="(submission_id|started)"[^>]*value="([^"]*)"')


@dataclass
class Weight:
    page: str
    html: bytes
    css: list[bytes]
    js: list[bytes]

    @property
    def raw(self) -> int:
        return len(self.html) + sum(map(len, self.css)) + sum(map(len, self.js))

    @property
    def gzipped(self) -> int:
        # Each file travels compressed on its own, so each is compressed on its own.
        return sum(len(gzip.compress(body, 6)) for body in [self.html, *self.css, *self.js])


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.css: list[str] = []
        self.js: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "link" and "stylesheet" in values.get("rel", "").split() and values.get("href"):
            self.css.append(values["href"])
        elif tag == "script" and values.get("src"):
            self.js.append(values["src"])


def weigh(client: FlaskClient, page: str, html: bytes) -> Weight:
    assets = _Assets()
    assets.feed(html.decode("utf-8"))

    def fetch(urls: Iterable[str]) -> list[bytes]:
        bodies = []
        for url in dict.fromkeys(urls):
            response = client.get(url)
            bodies.append(response.get_data())
            response.close()
        return bodies

    return Weight(page, html, fetch(assets.css), fetch(assets.js))


def pages(client: FlaskClient) -> list[Weight]:
    """The public pages, with the heaviest case page of each kind."""
    weights: list[Weight] = []

    def get(page: str, url: str) -> bytes:
        response = client.get(url)
        assert response.status_code in (200, 400, 404), (url, response.status_code)
        html = response.get_data()
        weights.append(weigh(client, page, html))
        return html

    get("home", "/")
    get("list", "/cases")
    get("list (filtered)", "/cases?sex=female&mark=tattoo")
    get("list (page 2)", "/cases?page=2")
    get("list (filter error)", "/cases?age=old&sex=robot")
    get("search", "/search?q=tattoo")
    get("search (no results)", "/search?q=zzyzxquux")
    cases = db.session.scalars(
        select(Case).where(Case.status.in_([CaseStatus.PUBLISHED, CaseStatus.IDENTIFIED]))
    ).all()
    heaviest: dict[str, Weight] = {}
    for case in cases:
        kind = "identified" if case.status == CaseStatus.IDENTIFIED else case.kind.value
        response = client.get(f"/cases/{case.public_id}")
        weight = weigh(client, f"case ({kind}, heaviest)", response.data)
        if kind not in heaviest or weight.raw > heaviest[kind].raw:
            heaviest[kind] = weight
    weights += heaviest.values()
    published = next(
        c for c in cases if c.status == CaseStatus.PUBLISHED and c.kind == CaseKind.UNIDENTIFIED
    )
    form = get("tip form", f"/cases/{published.public_id}/tips").decode("utf-8")
    token = _CSRF.search(form)
    assert token, "no CSRF token in the tip form"
    fields = {"csrf_token": token.group(1), **dict(_HIDDEN.findall(form))}
    url = f"/cases/{published.public_id}/tips"
    errors = client.post(url, data={**fields, "message": "", "contact_ok": "yes"})
    weights.append(weigh(client, "tip form (errors)", errors.data))
    message = "I think I knew him from the market."
    receipt = client.post(url, data={**fields, "message": message, "contact_ok": "no"})
    assert receipt.status_code == 200, receipt.status_code
    weights.append(weigh(client, "tip receipt", receipt.data))
    get("follow-up start", "/tips/follow-up")
    get("404", "/cases/doesnotexist")
    get("staff sign-in", "/auth/login")
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--budget", type=int, default=100 * 1024)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="recognise-weight-") as folder:
        base = Path(folder)
        settings = Settings(
            env="test",
            database_url=args.database_url or f"sqlite:///{base / 'weight.db'}",
            media_url=f"file://{base / 'media'}",
            search_dir=str(base / "search"),
            tip_encryption_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            tip_min_seconds=0,
        )
        app = create_app(settings)
        with app.app_context():
            upgrade()
            result = import_file(write_demo_records(base / "demo"))
            print(f"demo data: {result.summary()}\n")
            weights = pages(app.test_client())

    print(f"{'page':<30} {'HTML':>8} {'CSS':>8} {'JS':>8} {'total':>8} {'gzip':>8}  budget")
    for weight in weights:
        css, js = sum(map(len, weight.css)), sum(map(len, weight.js))
        verdict = "ok" if weight.raw < args.budget else "OVER"
        print(
            f"{weight.page:<30} {len(weight.html):>8,} {css:>8,} {js:>8,} "
            f"{weight.raw:>8,} {weight.gzipped:>8,}  {verdict}"
        )
    print(f"\nbytes, uncompressed unless gzip; budget {args.budget:,} bytes of HTML, CSS and JS")


if __name__ == "__main__":
    main()
