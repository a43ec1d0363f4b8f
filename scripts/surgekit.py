"""Pure helpers of the surge load test: route names, page parsing, locust's CSV statistics."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path

_HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|submission_id|started)"[^>]*value="([^"]*)"')
_REFERENCE = re.compile(r'id="tip-reference">([^<]+)<')
_MEDIA_SRC = re.compile(r'<img[^>]*\ssrc="(/media/[^"]+)"')
_STATIC = re.compile(r'<(?:link|script)[^>]*\s(?:href|src)="(/static/[^"?]+)(?:\?[^"]*)?"')
# A path's first segments name its route; ids, tokens and file names become placeholders.
_ROUTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/cases/[^/]+/tips$"), "/cases/[id]/tips"),
    (re.compile(r"^/cases/[^/]+/poster\.pdf$"), "/cases/[id]/poster.pdf"),
    (re.compile(r"^/cases/[^/]+$"), "/cases/[id]"),
    (re.compile(r"^/api/v1/cases/[^/]+$"), "/api/v1/cases/[id]"),
    (re.compile(r"^/media/[^/]+/[^/]+$"), "/media/[token]/[variant]"),
    (re.compile(r"^/static/.+$"), "/static/[file]"),
    (re.compile(r"^/c/[^/]+$"), "/c/[id]"),
)


def route_name(path: str) -> str:
    """The route a request path belongs to, so locust's table has one line per route."""
    path = path.split("?", 1)[0].split("#", 1)[0] or "/"
    for pattern, name in _ROUTES:
        if pattern.match(path):
            return name
    return path


def hidden_fields(html: str) -> dict[str, str]:
    """The tip form's hidden csrf_token, submission_id and started values (first of each)."""
    fields: dict[str, str] = {}
    for name, value in _HIDDEN.findall(html):
        fields.setdefault(name, unescape(value))
    return fields


def receipt_reference(html: str) -> str | None:
    """The reference (TIP-XXXX-XXXX) a receipt page shows, or None when it is not a receipt."""
    found = _REFERENCE.search(html)
    return found.group(1).strip() if found else None


def page_assets(html: str) -> tuple[list[str], list[str]]:
    """The /media images (their `src`, the one a browser without srcset takes) and /static
    stylesheets and scripts a page refers to, each once, in page order."""
    media = list(dict.fromkeys(unescape(src) for src in _MEDIA_SRC.findall(html)))
    static = list(dict.fromkeys(unescape(src) for src in _STATIC.findall(html)))
    return media, static


@dataclass(frozen=True)
class RouteStats:
    """One line of locust's `<prefix>_stats.csv` (times in ms)."""

    method: str
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    max: float

    @property
    def label(self) -> str:
        return self.name if self.method == "" else f"{self.method} {self.name}"


def stats_path(out: Path) -> Path:
    """Where the locustfile leaves locust's final per-route statistics, beside its summary."""
    return out.with_name(out.stem + "_stats.csv")


def _number(value: str) -> float:
    # locust writes "N/A" for a percentile of a route without requests.
    try:
        return float(value)
    except ValueError:
        return float("nan")


def read_stats_csv(path: Path) -> tuple[list[RouteStats], RouteStats | None]:
    """Per-route lines and the "Aggregated" line of locust's `--csv` statistics file."""
    routes: list[RouteStats] = []
    total: RouteStats | None = None
    with path.open(newline="", encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            stats = RouteStats(
                method=line["Type"],
                name=line["Name"],
                requests=int(line["Request Count"]),
                failures=int(line["Failure Count"]),
                rps=_number(line["Requests/s"]),
                p50=_number(line["50%"]),
                p95=_number(line["95%"]),
                p99=_number(line["99%"]),
                max=_number(line["Max Response Time"]),
            )
            if line["Name"] == "Aggregated":
                total = stats
            else:
                routes.append(stats)
    return routes, total
