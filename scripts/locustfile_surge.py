"""Locust users of the surge test: visitors browse, search and read cases; tipsters send tips.

Run by scripts/verify_surge.py, which writes the plan (case ids, queries, photos) this file reads
from $SURGE_PLAN and reads back the receipts and status counts it leaves in $SURGE_OUT.
"""

from __future__ import annotations

import base64
import csv
import itertools
import json
import os
import random
import secrets
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from loadkit import multipart
from locust import FastHttpUser, between, events, task
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV
from surgekit import hidden_fields, page_assets, receipt_reference, route_name, stats_path

PLAN: dict[str, Any] = json.loads(Path(os.environ["SURGE_PLAN"]).read_text(encoding="utf-8"))
OUT = Path(os.environ["SURGE_OUT"])
PHOTOS: list[tuple[str, str, bytes]] = [
    (photo["name"], photo["content_type"], base64.b64decode(photo["data"]))
    for photo in PLAN["photos"]
]
# Each simulated person has its own address; the server trusts one proxy hop (PROXY_HOPS=1).
_ADDRESSES = itertools.count(1)
_LOCK = threading.Lock()
STATUSES: Counter[str] = Counter()
SENT: list[dict[str, Any]] = []
REFUSED: Counter[str] = Counter()
POSTS_PER_ADDRESS = int(PLAN["posts_per_address"])

MESSAGES = (
    "I think this is my cousin. She had a {motif} tattoo like the one in the picture and we "
    "have not heard from her since {year}.",
    "The {motif} looks like one I saw at a tattoo studio around {year}.\r\nThe artist might "
    "remember who had it done.",
    "My neighbour's son went missing in {year}. He wore something very like this.",
    "Not sure at all, but the jacket looks like the ones sold at the market in {year}.",
)
MOTIFS = ("rose", "swallow", "anchor", "koi", "compass", "butterfly", "dragon")


def new_address(first: int) -> str:
    """A client address never handed out before in this run (no .0 or .255 host part)."""
    with _LOCK:
        n = next(_ADDRESSES)
        while n & 255 in (0, 255):
            n = next(_ADDRESSES)
    return f"{first}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


@events.request.add_listener
def _count_status(
    request_type: str, name: str, response: Any = None, exception: Any = None, **_: Any
) -> None:
    status = getattr(response, "status_code", 0) or 0
    STATUSES[f"{request_type} {name} {status}"] += 1


@events.quitting.add_listener
def _write_results(environment: Environment, **_: Any) -> None:
    # Fired once every user has stopped: locust's own statistics, final (its --csv writer
    # rewrites its file every second and can miss the last requests).
    with stats_path(OUT).open("w", newline="", encoding="utf-8") as handle:
        StatsCSV(environment, PERCENTILES_TO_REPORT).requests_csv(csv.writer(handle))
    errors = [
        {"method": e.method, "name": e.name, "error": str(e.error), "count": e.occurrences}
        for e in environment.stats.errors.values()
    ]
    summary = {
        "statuses": dict(STATUSES),
        "refused": dict(REFUSED),
        "errors": errors,
        "receipts": SENT,
    }
    OUT.write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")


class Browsing(FastHttpUser):
    """Shared by both kinds of people: a page and then what the browser fetches for it."""

    abstract = True

    def on_start(self) -> None:
        self.rng = random.Random(secrets.randbits(64))  # noqa: S311 - a workload, not security
        self.seen: set[str] = set()  # what this browser has cached
        self.address = new_address(self.first_octet)
        self.language = self.rng.choice(("en-GB,en;q=0.8", "en-GB,en;q=0.8", "fr,en;q=0.5"))

    first_octet = 10

    def headers(self, **extra: str) -> dict[str, str]:
        return {
            "X-Forwarded-For": self.address,
            "Accept-Language": self.language,
            "Accept": "text/html,*/*;q=0.8",
            **extra,
        }

    def page(self, path: str, params: dict[str, str] | None = None) -> str:
        """GET a page, then its images and stylesheets not yet in this browser's cache."""
        with self.client.get(
            path, params=params, name=route_name(path), headers=self.headers(), catch_response=True
        ) as response:
            if response.status_code == 200:
                response.success()
            else:
                response.failure(f"status {response.status_code}")
            html = response.text or ""
        media, static = page_assets(html)
        for url in static + media[: self.rng.randint(2, 8)]:
            if url not in self.seen:
                self.seen.add(url)
                self.client.get(url, name=route_name(url), headers=self.headers())
        return html


class Visitor(Browsing):
    """Someone who heard of an appeal: reads pages a few seconds each."""

    wait_time = between(2, 8)
    first_octet = 172

    def case_id(self) -> str:
        return str(self.rng.choice(PLAN["cases"]))

    @task(8)
    def home(self) -> None:
        self.page("/")

    @task(12)
    def case_list(self) -> None:
        args = [f"page={self.rng.randint(1, PLAN['list_pages'])}"]
        if self.rng.random() < 0.4:
            args = [self.filter_arg()]
        self.page("/cases?" + "&".join(args))

    @task(30)
    def case(self) -> None:
        self.page(f"/cases/{self.case_id()}")

    @task(20)
    def search(self) -> None:
        query = self.rng.choice(PLAN["queries"])
        args = {"q": query["q"], **query.get("filters", {})}
        if self.rng.random() < 0.3:
            key, _, value = self.filter_arg().partition("=")
            args[key] = value
        self.page("/search", params=args)

    @task(4)
    def api_search(self) -> None:
        query = self.rng.choice(PLAN["queries"])
        self.client.get(
            "/api/v1/cases",
            params={"q": query["q"], **query.get("filters", {})},
            name="/api/v1/cases",
            headers=self.headers(Accept="application/json"),
        )

    @task(3)
    def feed(self) -> None:
        self.client.get("/feed.atom", name="/feed.atom", headers=self.headers())

    @task(2)
    def poster(self) -> None:
        path = f"/cases/{self.case_id()}/poster.pdf"
        self.client.get(path, name=route_name(path), headers=self.headers())

    def filter_arg(self) -> str:
        key = self.rng.choice(sorted(PLAN["filters"]))
        return f"{key}={self.rng.choice(PLAN['filters'][key])}"


class Tipster(Browsing):
    """Someone who recognises a person: reads the case, fills in the form, keeps the receipt."""

    fixed_count = int(PLAN["tipsters"])
    wait_time = between(5, 15)
    first_octet = 10

    def on_start(self) -> None:
        super().on_start()
        self.posts = 0

    @task
    def send_tip(self) -> None:
        case_id = str(self.rng.choice(PLAN["tip_cases"]))
        self.page(f"/cases/{case_id}")
        form_path = f"/cases/{case_id}/tips"
        if self.posts >= POSTS_PER_ADDRESS:
            # A new connection (a phone moving between networks): stays under the limit.
            self.address = new_address(self.first_octet)
            self.posts = 0
        html = self.page(form_path)
        fields = hidden_fields(html)
        cookie = next((c for c in self.client.cookiejar if c.name == "session"), None)
        if set(fields) != {"csrf_token", "submission_id", "started"} or cookie is None:
            with _LOCK:
                REFUSED["form without token or session"] += 1
            return
        # Reading and typing take longer than the server's minimum fill time.
        time.sleep(PLAN["min_seconds"] + self.rng.uniform(1.0, 10.0))
        message = self.rng.choice(MESSAGES).format(
            motif=self.rng.choice(MOTIFS), year=self.rng.randrange(1985, 2024)
        )
        photo = self.rng.choice(PHOTOS) if self.rng.random() < PLAN["photo_ratio"] else None
        body, content_type = multipart(
            [
                ("csrf_token", fields["csrf_token"]),
                ("submission_id", fields["submission_id"]),
                ("started", fields["started"]),
                ("website", ""),
                ("message", message),
                ("relationship", self.rng.choice(("family", "knew", "saw", "other"))),
                ("contact_ok", "no"),
            ],
            photo,
        )
        self.posts += 1
        with self.client.post(
            form_path,
            data=body,
            name=route_name(form_path),
            headers=self.headers(
                **{
                    "Content-Type": content_type,
                    # The session cookie is Secure; a browser behind TLS sends it, so do we.
                    "Cookie": f"session={cookie.value}",
                    "Referer": f"{self.host}{form_path}",
                }
            ),
            catch_response=True,
        ) as response:
            reference = receipt_reference(response.text or "")
            if response.status_code == 200 and reference:
                response.success()
                with _LOCK:
                    SENT.append(
                        {
                            "reference": reference,
                            "submission_id": fields["submission_id"],
                            "case_id": case_id,
                            "message": message,
                            "photo": photo is not None,
                        }
                    )
            else:
                response.failure(f"no receipt (status {response.status_code})")
                with _LOCK:
                    REFUSED[f"status {response.status_code}"] += 1
                    # Kept so that a tip stored without its receipt is found, not counted lost.
                    SENT.append(
                        {
                            "reference": None,
                            "submission_id": fields["submission_id"],
                            "case_id": case_id,
                            "message": message,
                            "photo": photo is not None,
                        }
                    )
