"""Benchmark search on synthetic cases: the portal's engine beside an SQLite FTS5 reference.

Usage: .venv/bin/python scripts/bench_search.py [--count 10000] [--queries 300] [--seed 0]
           [--keep DIR] [--database-url URL] [--skip-http] [--profile]
Prints figures with the targets beside them; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import os
import pstats
import random
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlencode

from flask import Flask
from flask_migrate import upgrade
from loadkit import percentile
from sqlalchemy import func, select

from portal import create_app, search
from portal.config import PROJECT_ROOT, Settings
from portal.demo import synthetic
from portal.extensions import db
from portal.models import Case
from portal.models.case import PUBLIC_STATUSES
from portal.publication import derive_public_case
from portal.records.importer import import_file
from portal.search import index as search_index
from portal.search.documents import document
from portal.search.engine import FIELD_BOOSTS
from portal.search.index import _eager_cases  # the batch loading the real rebuild uses
from portal.search.vocabulary import STOPWORDS, words

PER_PAGE = 20
WARMUP_QUERIES = 30
HTTP_CLIENTS = 2
HTTP_WORKERS = 2  # one gunicorn worker per core on the 2-core target machine
HTTP_SECONDS = 10.0
HTTP_REQUESTS = 3000
REFERENCE_BATCH = 500
META_FIELDS = (
    "case_id", "sex", "country", "kind", "status", "age_min", "age_max", "year", "mark_types",
    "published",
)  # fmt: skip
TARGET_RATIO = 4.0
TARGET_PLAIN_MS = 50.0
TARGET_FACETS_MS = 150.0
TARGET_PAGE_MS = 15.0
TARGET_REBUILD_S = 60.0

# Short names people type for the generator's motifs ("koi", not "koi fish").
MOTIF_SHORT = {
    "lotus flower": "lotus",
    "heart with a banner": "heart",
    "three small stars": "stars",
    "nautical star": "star",
    "koi fish": "koi",
    "tribal band": "tribal",
    "wolf's head": "wolf",
    "infinity sign": "infinity",
    "clock without hands": "clock",
    "crescent moon and stars": "moon",
    "sailing ship": "ship",
    "playing cards": "cards",
    "hibiscus flower": "hibiscus",
    "Celtic knot": "celtic knot",
}
BODY_WORDS = (
    "forearm", "wrist", "hand", "neck", "shoulder", "back", "ankle", "calf", "chest", "arm",
    "upper arm", "fingers", "knuckles", "ear", "foot", "thigh", "hip", "abdomen", "leg",
)  # fmt: skip
OTHER_MARK_QUERIES = (
    "scar knee", "scar on right knee", "appendectomy scar", "caesarean scar", "scar eyebrow",
    "burn scar hand", "birthmark cheek", "port-wine stain", "strawberry mark neck",
    "piercing nose", "nose stud", "tongue piercing", "eyebrow piercing", "navel ring",
    "pacemaker", "hip replacement", "knee replacement", "missing finger", "freckles",
    "gap teeth",
)  # fmt: skip
DESCRIPTIVE_QUERIES = (
    "woman dragon tattoo", "man with anchor tattoo", "young man swallow tattoo",
    "older woman rose tattoo", "red hair", "blond hair blue eyes", "grey hair beard",
    "gold crown tooth", "full upper denture", "slim build", "stocky man tattoos",
    "girl butterfly tattoo", "man found riverbank", "woman found in woodland",
    "body found on the beach", "canal towpath", "railway embankment", "missing since 1999",
    "last seen railway station", "tattoo lettering", "name tattoo", "initials tattoo",
)  # fmt: skip
BELONGING_QUERIES = (
    "rosary", "pocket knife", "hearing aid", "inhaler", "reading glasses", "lottery ticket",
    "bus ticket", "brass lighter", "wallet", "photograph of a dog", "prayer beads", "keys",
    "mobile phone", "rucksack", "tobacco tin", "St Christopher", "locket", "charm bracelet",
)  # fmt: skip
TYPO_QUERIES = (
    "tatoo", "tattooo", "swalow", "swallo tattoo", "butterfy", "dragn tattoo", "ancor",
    "scorpian", "dophin", "hummingbrd", "forarm", "sholder tattoo", "jeens", "necklase",
    "braclet", "rosery", "skul", "compas", "eagel", "mandla",
)  # fmt: skip
FOREIGN_QUERIES = (
    "tatouage", "tatouage rose", "tatouage ancre", "Tätowierung", "Tätowierung Anker",
    "tatuaje", "tatuaje mariposa", "tatuaggio", "tatuaggio drago", "tatuaż", "cicatrice",
    "Narbe Knie", "bague en or", "anillo de oro", "collier", "papillon", "Schmetterling",
    "mariposa", "vlinder", "Anker", "Rose Unterarm", "cicatriz rodilla",
)  # fmt: skip


# -- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """A benchmark query's filters, in both engines' terms."""

    sex: str | None = None
    country: str | None = None
    age: tuple[int, int] | None = None

    def engine(self) -> search.SearchFilters:
        return search.SearchFilters(sex=self.sex, country=self.country, age=self.age)

    def args(self) -> dict[str, str]:
        values = {"sex": self.sex, "country": self.country}
        if self.age is not None:
            values["age"] = f"{self.age[0]}-{self.age[1]}"
        return {name: value for name, value in values.items() if value}


def _motif_name(motif: str) -> str:
    return MOTIF_SHORT.get(motif, motif).lower()


def realistic_queries(count: int, rng: random.Random) -> list[str]:
    """What visitors type: mostly marks, then clothing and jewellery, typos and other languages.

    Built from the generator's own vocabularies so most queries can match something.
    """
    motifs = [motif for motif, _palettes in synthetic._MOTIFS]
    locations = synthetic._TATTOO_LOCATIONS
    towns = [place.locality for agency in synthetic._AGENCIES for place in agency.places]
    jewellery = sorted({item for item, _description in synthetic._JEWELLERY})
    clothing = [item.lower() for item, _material, _system in synthetic._CLOTHING]
    inscriptions = [*synthetic._INSCRIPTIONS, *synthetic._ENGRAVINGS]

    def pick(items: Any) -> Any:
        return items[rng.randrange(len(items))]

    makers: list[tuple[int, Callable[[], str]]] = [
        (14, lambda: f"{_motif_name(pick(motifs))} tattoo on {pick(locations)}"),
        (12, lambda: f"{_motif_name(pick(motifs))} {pick(BODY_WORDS)}"),
        (10, lambda: _motif_name(pick(motifs))),
        (4, lambda: f"{_motif_name(pick(motifs))} tattoo"),
        (4, lambda: f"{pick(synthetic._COLOURS)} {_motif_name(pick(motifs))}"),
        (8, lambda: f"{pick(synthetic._COLOURS)} {pick(clothing)}"),
        (5, lambda: f"{pick(synthetic._BRANDS)} {pick(clothing)}"),
        (6, lambda: f"{pick(synthetic._METALS)} {pick(jewellery)}"),
        (7, lambda: pick(OTHER_MARK_QUERIES)),
        (6, lambda: pick(inscriptions)),
        (5, lambda: pick(DESCRIPTIVE_QUERIES)),
        (4, lambda: pick(BELONGING_QUERIES)),
        (4, lambda: pick(towns)),
        (2, lambda: f"tattoo {pick(towns)}"),
        (5, lambda: pick(TYPO_QUERIES)),
        (4, lambda: pick(FOREIGN_QUERIES)),
    ]
    weights = [weight for weight, _maker in makers]
    return [rng.choices(makers, weights=weights)[0][1]() for _ in range(count)]


def random_filters(count: int, rng: random.Random) -> list[Filters]:
    """One to three of sex, country and an age range, as people narrow a search."""
    countries = sorted({agency.country for agency in synthetic._AGENCIES})
    result = []
    for _ in range(count):
        sex = country = age = None
        while sex is None and country is None and age is None:
            if rng.random() < 0.6:
                sex = rng.choice(("female", "male"))
            if rng.random() < 0.5:
                country = rng.choice(countries)
            if rng.random() < 0.5:
                low = rng.randint(15, 70)
                age = (low, low + rng.choice((5, 10, 15)))
        result.append(Filters(sex, country, age))
    return result


# -- the FTS5 reference ------------------------------------------------------------------------


class Fts5Reference:
    """The same publishable text in SQLite FTS5: plain OR of the words, BM25, no expansion."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.connection: sqlite3.Connection | None = None
        # The engine's weighted text fields (title, marks, items, text ...), in a fixed order:
        # the reference indexes the same text and weighs each field the same.
        self.fields = tuple(FIELD_BOOSTS)
        self.weights = tuple(FIELD_BOOSTS[name] for name in self.fields)
        self.stopwords = STOPWORDS
        columns = ", ".join(self.fields)
        self.create_sql = (
            f"CREATE VIRTUAL TABLE docs USING fts5({columns},"
            " tokenize='unicode61 remove_diacritics 2')"
        )
        placeholders = ", ".join("?" * (len(self.fields) + 1))
        # Column names are the engine's own field names, never outside input.
        self.insert_sql = f"INSERT INTO docs (rowid, {columns}) VALUES ({placeholders})"  # noqa: S608

    def build(self, session: Any) -> int:
        self.path.unlink(missing_ok=True)
        connection = sqlite3.connect(self.path)
        connection.execute(self.create_sql)
        connection.executescript(
            """
            CREATE TABLE meta (
                id INTEGER PRIMARY KEY, sex TEXT, country TEXT, kind TEXT, status TEXT,
                age_min INTEGER, age_max INTEGER, year INTEGER, mark_types TEXT,
                published INTEGER
            );
            CREATE TABLE facet (doc INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL);
            """
        )
        ids = list(
            session.scalars(
                select(Case.id).where(Case.status.in_(PUBLIC_STATUSES)).order_by(Case.id)
            )
        )
        for start in range(0, len(ids), REFERENCE_BATCH):
            docs = [
                document(derive_public_case(case), case.id, case.change_seq)
                for case in _eager_cases(session, ids[start : start + REFERENCE_BATCH])
            ]
            session.expunge_all()
            connection.executemany(
                self.insert_sql,
                [(d["case_id"], *(d[name] for name in self.fields)) for d in docs],
            )
            connection.executemany(
                "INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [tuple(d[name] for name in META_FIELDS) for d in docs],
            )
            connection.executemany(
                "INSERT INTO facet VALUES (?, ?, ?)",
                [(d["case_id"], name, value) for d in docs for name, value in _facet_values(d)],
            )
        connection.execute("CREATE INDEX facet_doc ON facet (doc)")
        connection.commit()
        # Merge the FTS5 segments, as a finished Whoosh rebuild is one merged segment.
        connection.execute("INSERT INTO docs (docs) VALUES ('optimize')")
        connection.commit()
        connection.close()
        return len(ids)

    def open(self) -> None:
        """A new connection: the next query is the cold one."""
        if self.connection is not None:
            self.connection.close()
        self.connection = sqlite3.connect(self.path, check_same_thread=False)

    def match_expression(self, text: str) -> str:
        terms = dict.fromkeys(w for w in words(text) if w not in self.stopwords)
        return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)

    def search(self, text: str, filters: Filters, *, facets: bool = False) -> int:
        """Rank one page and count all matches (and facet counts); returns the total."""
        assert self.connection is not None
        expression = self.match_expression(text)
        if not expression:
            return 0
        clauses = ["docs MATCH ?"]
        params: list[Any] = [*self.weights, expression]
        if filters.sex:
            clauses.append("meta.sex = ?")
            params.append(filters.sex)
        if filters.country:
            clauses.append("meta.country = ?")
            params.append(filters.country)
        if filters.age:
            clauses.append("meta.age_min >= 0 AND meta.age_min <= ? AND meta.age_max >= ?")
            params += [filters.age[1], filters.age[0]]
        # bm25() cannot sit beside a window function, hence the inner query; CROSS JOIN keeps
        # FTS5 as the outer loop, where bm25() is allowed, whatever the filters are.
        sql = (
            "SELECT id, score, count(*) OVER () FROM ("  # noqa: S608 - values are bound parameters
            f"SELECT docs.rowid AS id, bm25(docs{', ?' * len(self.weights)}) AS score,"
            " meta.published"
            " FROM docs CROSS JOIN meta ON meta.id = docs.rowid WHERE "
            + " AND ".join(clauses)  # fixed clause text only
            + ") ORDER BY score, published DESC LIMIT ?"
        )
        rows = self.connection.execute(sql, [*params, PER_PAGE]).fetchall()
        total = int(rows[0][2]) if rows else 0
        if facets:
            self.connection.execute(
                "SELECT field, value, count(*) FROM facet WHERE doc IN "
                "(SELECT rowid FROM docs WHERE docs MATCH ?) GROUP BY field, value",
                (expression,),
            ).fetchall()
        return total

    def size(self) -> int:
        return self.path.stat().st_size


def _facet_values(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name in ("sex", "country", "kind", "status", "has_photo"):
        yield name, str(doc[name])
    for name in ("mark_types", "regions"):
        for value in filter(None, str(doc[name]).split(",")):
            yield name, value


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Group:
    name: str
    cold_ms: float
    times: list[float] = field(default_factory=list)
    ref_cold_ms: float | None = None
    ref_times: list[float] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        return percentile(self.times, 0.95)

    @property
    def ratio(self) -> float | None:
        if not self.ref_times:
            return None
        return self.p95 / max(percentile(self.ref_times, 0.95), 1e-6)


def millis(func: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = func()
    return (time.perf_counter() - started) * 1000, result


def reopen_search(app: Flask) -> None:
    """A fresh index and engine for the app, so the next query is the first after opening."""
    search.get_engine().close()
    search.init_app(app)


def engine_group(
    app: Flask,
    name: str,
    queries: list[tuple[str, Filters]],
    warmup: list[tuple[str, Filters]],
    reference: Fts5Reference,
    *,
    facets: bool,
) -> Group:
    reopen_search(app)
    reference.open()

    def portal(text: str, filters: Filters) -> Any:
        return search.get_engine().search(
            text, filters.engine(), page=1, per_page=PER_PAGE, facets=facets
        )

    def fts5(text: str, filters: Filters) -> int:
        return reference.search(text, filters, facets=facets)

    first_text, first_filters = queries[0]
    cold, _ = millis(lambda: portal(first_text, first_filters))
    ref_cold, _ = millis(lambda: fts5(first_text, first_filters))
    group = Group(name, cold, ref_cold_ms=ref_cold)
    for text, filters in warmup:
        portal(text, filters)
        fts5(text, filters)
    fuzzy = suggested = empty = 0
    for text, filters in queries:
        # Interleaved, so a burst of noise on the machine lands on both engines alike.
        elapsed, outcome = millis(lambda t=text, f=filters: portal(t, f))
        ref_elapsed, _ = millis(lambda t=text, f=filters: fts5(t, f))
        group.times.append(elapsed)
        group.ref_times.append(ref_elapsed)
        group.slowest.append((elapsed, _describe(text, filters)))
        fuzzy += outcome.fuzzy
        suggested += outcome.suggestion is not None
        empty += outcome.total == 0
    group.slowest = sorted(group.slowest, reverse=True)[:3]
    group.notes.append(
        f"{fuzzy} fuzzy fallbacks, {suggested} spelling suggestions, {empty} with no results"
    )
    return group


def page_group(app: Flask, queries: list[str], warmup: list[str]) -> Group:
    reopen_search(app)
    client = app.test_client()
    failures = 0

    def get(text: str) -> int:
        response = client.get("/search", query_string={"q": text})
        response.get_data()
        return response.status_code

    cold, status = millis(lambda: get(queries[0]))
    failures += status != 200
    group = Group("page /search", cold)
    for text in warmup:
        get(text)
    for text in queries:
        elapsed, status = millis(lambda t=text: get(t))
        failures += status != 200
        group.times.append(elapsed)
        group.slowest.append((elapsed, text))
    group.slowest = sorted(group.slowest, reverse=True)[:3]
    if failures:
        group.notes.append(f"{failures} responses were not 200")
    return group


def _describe(text: str, filters: Filters) -> str:
    args = filters.args()
    return f"{text!r} {args}" if args else repr(text)


def profile(label: str, work: Callable[[], None], *fragments: str) -> str:
    """Where warm time goes: cumulative time in our code and Whoosh, and the top own times."""
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, funcname), (_cc, calls, tottime, cumtime, _callers) in (
        stats.stats.items()  # type: ignore[attr-defined]
    ):
        short = filename.split("/site-packages/")[-1].split(f"{PROJECT_ROOT}/")[-1]
        rows.append((cumtime, tottime, calls, f"{short}:{line}({funcname})", filename))
    lines = [f"  {label}: {total * 1000:.0f} ms in all under the profiler"]
    lines.append(f"    {'cum ms':>8} {'own ms':>8} {'calls':>8}  function (by cumulative time)")
    ours = [row for row in rows if any(fragment in row[4] for fragment in fragments)]
    for cumtime, tottime, calls, name, _filename in sorted(ours, reverse=True)[:14]:
        lines.append(f"    {cumtime * 1000:8.0f} {tottime * 1000:8.0f} {calls:8d}  {name}")
    lines.append(f"    {'cum ms':>8} {'own ms':>8} {'calls':>8}  function (by own time)")
    for cumtime, tottime, calls, name, _filename in sorted(rows, key=lambda r: -r[1])[:8]:
        lines.append(f"    {cumtime * 1000:8.0f} {tottime * 1000:8.0f} {calls:8d}  {name}")
    return "\n".join(lines)


def profile_engine(queries: list[tuple[str, Filters]], *, facets: bool) -> None:
    engine = search.get_engine()
    for text, filters in queries:
        engine.search(text, filters.engine(), page=1, per_page=PER_PAGE, facets=facets)


def rebuild_in_process() -> None:
    with mock.patch.object(search_index, "PARALLEL_FROM", sys.maxsize):
        search.get_index().rebuild(db.session)


def profile_pages(app: Flask, queries: list[str]) -> None:
    client = app.test_client()
    for text in queries:
        client.get("/search", query_string={"q": text}).get_data()


def process_tree_peak_mb(root: int) -> float:
    """The largest peak resident memory (VmHWM) of a process and its direct children."""
    pids = [root]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == root:
            pids.append(int(stat.parent.name))
    peak = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


# -- HTTP --------------------------------------------------------------------------------------


@dataclass
class HttpResult:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def qps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn_server(
    settings: Settings, log_path: Path
) -> Iterator[tuple[int | None, subprocess.Popen[bytes]]]:
    """The portal as `make run` serves it (gunicorn, app:app), on loopback only."""
    port = _free_port()
    env = {
        **os.environ,
        "PORTAL_ENV": settings.env,
        "PORTAL_DATABASE_URL": settings.database_url,
        "PORTAL_MEDIA_URL": settings.media_url,
        "PORTAL_SEARCH_DIR": settings.search_dir,
    }
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(HTTP_WORKERS),
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:app",
    ]  # fmt: skip
    with log_path.open("w") as log:
        # Our own interpreter and fixed arguments: nothing here comes from outside the script.
        server = subprocess.Popen(  # noqa: S603
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 60
            ready = False
            while time.monotonic() < deadline and server.poll() is None:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    connection.request("GET", "/healthz")
                    ready = connection.getresponse().status == 200
                    connection.close()
                except OSError:
                    ready = False
                if ready:
                    break
                time.sleep(0.2)
            yield (port if ready else None), server
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def http_load(name: str, port: int, paths: list[str]) -> HttpResult:
    """Two clients, each one request at a time, until HTTP_REQUESTS or HTTP_SECONDS is reached."""
    lock = threading.Lock()
    issued = 0
    errors = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + HTTP_SECONDS

    def client() -> None:
        nonlocal issued, errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if issued >= HTTP_REQUESTS or time.perf_counter() >= deadline:
                    break
                path = paths[issued % len(paths)]
                issued += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors += not ok
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(HTTP_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return HttpResult(name, len(latencies), errors, time.perf_counter() - started, latencies)


def run_http(settings: Settings, work: Path, queries: list[str]) -> tuple[list[HttpResult], float]:
    api = [f"/api/v1/cases?{urlencode({'q': q, 'per_page': PER_PAGE})}" for q in queries]
    pages = [f"/search?{urlencode({'q': q})}" for q in queries]
    with gunicorn_server(settings, work / "gunicorn.log") as (port, server):
        if port is None:
            print(f"  gunicorn did not start; see {work / 'gunicorn.log'}")
            return [], 0.0
        # Every worker opens its index on its first search: warm both before timing.
        warm = http_load("warm-up", port, api[-40:])
        if warm.errors:
            print(f"  warm-up: {warm.errors} of {warm.requests} requests failed")
        results = [http_load("http api", port, api), http_load("http /search", port, pages)]
        # Read before gunicorn stops; RUSAGE_CHILDREN would count this process's size at fork.
        return results, process_tree_peak_mb(server.pid)


# -- the run -----------------------------------------------------------------------------------


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (user and system)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def folder_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def load_cases(work: Path, args: argparse.Namespace) -> None:
    """Generate and import the synthetic cases, unless a kept folder already holds them."""
    marker = work / "bench-cases.json"
    wanted = {"count": args.count, "seed": args.seed}
    reusable = args.database_url is None and marker.exists() and (work / "bench.db").exists()
    if reusable and json.loads(marker.read_text()) == wanted:
        print(f"{'import':<34} reusing the {args.count:,} cases already in {work}")
        return
    path = work / "synthetic.jsonl"
    seconds, written = millis(
        lambda: synthetic.write_jsonl(synthetic.generate_records(args.count, seed=args.seed), path)
    )
    print(f"{'generate records':<34} {seconds / 1000:8.1f} s  ({written:,} records)")
    # The import would index every case it writes; the timed rebuild below builds it once.
    with mock.patch.object(search, "index_cases", lambda _ids: None):
        seconds, result = millis(lambda: import_file(path))
    print(f"{'import (not timed as search)':<34} {seconds / 1000:8.1f} s  ({result.summary()})")
    if result.errors:
        raise SystemExit(f"import failed: {result.errors[:3]}")
    path.unlink()
    if args.database_url is None:
        marker.write_text(json.dumps(wanted))


def verdict(passed: bool) -> str:
    return "ok" if passed else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10_000, help="synthetic cases to generate")
    parser.add_argument("--queries", type=int, default=300, help="timed queries per group")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="work in (and keep) this folder")
    parser.add_argument("--database-url", help="default: an SQLite file in the work folder")
    parser.add_argument("--skip-http", action="store_true", help="no gunicorn queries/second")
    parser.add_argument("--profile", action="store_true", help="cProfile queries, pages, a rebuild")
    args = parser.parse_args()
    if args.queries < 1:
        parser.error("--queries must be at least 1")

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        work = args.keep.resolve()
    else:
        work = Path(tempfile.mkdtemp(prefix="recognise-bench-search-"))
    try:
        run(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> None:
    settings = Settings(
        env="test",
        database_url=args.database_url or f"sqlite:///{work / 'bench.db'}",
        media_url=f"file://{work / 'media'}",
        search_dir=str(work / "search"),
    )
    app = create_app(settings)
    print(f"Search benchmark: {args.count:,} synthetic cases, {os.cpu_count()} CPUs, {work}")
    print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}\n")
    with app.app_context():
        upgrade()
        load_cases(work, args)
        public = db.session.scalar(
            select(func.count()).select_from(Case).where(Case.status.in_(PUBLIC_STATUSES))
        )
        rss_after_import = peak_rss_mb()

        cpu_before = cpu_seconds()
        rebuild_s, indexed = millis(lambda: search.get_index().rebuild(db.session))
        rebuild_s /= 1000
        # On a shared machine the wall time depends on what else runs; the CPU time less so.
        rebuild_cpu_s = cpu_seconds() - cpu_before
        # The rebuild's worker processes have ended and been waited for: the largest of them.
        rss_rebuild_workers = peak_rss_mb(resource.RUSAGE_CHILDREN)
        rss_after_rebuild = peak_rss_mb()
        index_mb = folder_size(Path(settings.search_dir)) / 2**20
        reference = Fts5Reference(work / "fts5.db")
        ref_build_s, _ = millis(lambda: reference.build(db.session))
        ref_build_s /= 1000
        print(f"{'cases public / indexed':<34} {public:,} / {indexed:,}")
        print(
            f"{'rebuild (Whoosh)':<34} {rebuild_s:8.1f} s  {indexed / rebuild_s:,.0f} cases/s,"
            f" {rebuild_cpu_s:.1f} s of CPU in all its processes"
        )
        print(f"{'build (FTS5 reference)':<34} {ref_build_s:8.1f} s")
        print(f"{'index size (Whoosh)':<34} {index_mb:8.1f} MB")
        print(f"{'index size (FTS5 + filter tables)':<34} {reference.size() / 2**20:8.1f} MB")

        # Deterministic queries; random here is a seeded workload, not security.
        rng = random.Random(args.seed)  # noqa: S311
        texts = realistic_queries(args.queries, rng)
        filters = random_filters(args.queries, rng)
        warm_rng = random.Random(args.seed + 1)  # noqa: S311
        warm_texts = realistic_queries(WARMUP_QUERIES, warm_rng)
        warm_filters = random_filters(WARMUP_QUERIES, warm_rng)
        none = Filters()
        plain = [(text, none) for text in texts]
        plain_warm = [(text, none) for text in warm_texts]
        filtered = list(zip(texts, filters, strict=True))
        filtered_warm = list(zip(warm_texts, warm_filters, strict=True))
        print(f"{'distinct query texts':<34} {len(set(texts))} of {len(texts)}")

        groups = [
            engine_group(app, "plain", plain, plain_warm, reference, facets=False),
            engine_group(app, "filtered", filtered, filtered_warm, reference, facets=False),
            engine_group(app, "facets", plain, plain_warm, reference, facets=True),
            page_group(app, texts, warm_texts),
        ]
        profiles = []
        if args.profile:
            where = ("/portal/", "/whoosh/")
            profiles += [
                profile("plain", lambda: profile_engine(plain, facets=False), *where),
                profile("filtered", lambda: profile_engine(filtered, facets=False), *where),
                profile("facets", lambda: profile_engine(plain, facets=True), *where),
                profile(
                    "page /search", lambda: profile_pages(app, texts), "/portal/", "/templates/"
                ),
                # Last, as it replaces the index; the timed rebuild above ran unprofiled. In this
                # process: cProfile does not follow the worker processes, which run the same code.
                profile("rebuild, one process", rebuild_in_process, *where),
            ]
        rss_end = peak_rss_mb()

    http_results: list[HttpResult] = []
    http_peak_mb = 0.0
    if not args.skip_http:
        http_results, http_peak_mb = run_http(settings, work, texts)

    print(
        "\nLatency in ms. cold = first query after opening the index (its files in the OS cache;"
        "\nthe page's also compiles templates); warm = each query once after a warm-up;"
        "\nratio = portal engine p95 / FTS5 p95; http rows are client-side, under load.\n"
    )
    header = (
        f"{'group':<14} {'n':>5} {'cold':>8} {'p50':>8} {'p95':>8} {'max':>8}"
        f" {'fts5 cold':>10} {'fts5 p50':>9} {'fts5 p95':>9} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for group in groups:
        if group.ref_times:
            reference_cells = (
                f" {group.ref_cold_ms:10.1f} {statistics.median(group.ref_times):9.2f}"
                f" {percentile(group.ref_times, 0.95):9.2f} {group.ratio:6.2f}"
            )
        else:
            reference_cells = f" {'–':>10} {'–':>9} {'–':>9} {'–':>6}"
        print(
            f"{group.name:<14} {len(group.times):>5} {group.cold_ms:8.1f} {group.p50:8.2f}"
            f" {group.p95:8.2f} {max(group.times):8.1f}" + reference_cells
        )
    for result in http_results:
        if not result.latencies:
            continue
        print(
            f"{result.name:<14} {result.requests:>5} {'':>8}"
            f" {statistics.median(result.latencies):8.2f}"
            f" {percentile(result.latencies, 0.95):8.2f} {max(result.latencies):8.1f}"
            f"   {result.qps:.1f} requests/s over {result.seconds:.1f} s,"
            f" {HTTP_CLIENTS} clients, {HTTP_WORKERS} gunicorn workers, {result.errors} errors"
        )

    print("\nNotes and slowest warm queries:")
    for group in groups:
        print(f"  {group.name}: {'; '.join(group.notes) or '–'}")
        for elapsed, text in group.slowest:
            print(f"    {elapsed:8.1f} ms  {text}")
    if profiles:
        print("\nProfiles of the same warm queries (cProfile inflates Python-heavy code):")
    for text in profiles:
        print(text)

    print(f"\n{'peak RSS after import':<34} {rss_after_import:8.0f} MB")
    print(f"{'peak RSS after rebuild':<34} {rss_after_rebuild:8.0f} MB")
    print(f"{'peak RSS, largest rebuild worker':<34} {rss_rebuild_workers:8.0f} MB")
    print(f"{'peak RSS, this process':<34} {rss_end:8.0f} MB")
    if http_results:
        print(f"{'peak RSS, largest gunicorn process':<34} {http_peak_mb:8.0f} MB")

    big = args.count >= 100_000
    scale = "" if big else "  (set for 100,000 cases; indicative here)"
    by_name = {group.name: group for group in groups}
    print("\nTargets (2-core machine, all query expansion on):")
    rows: list[tuple[str, str, bool, str]] = []
    for name in ("plain", "filtered", "facets"):
        ratio = by_name[name].ratio or 0.0
        rows.append(
            (f"{name} warm p95 within {TARGET_RATIO:g}x FTS5", f"{ratio:.2f}x",
             ratio <= TARGET_RATIO, "")
        )  # fmt: skip
    plain_p95 = by_name["plain"].p95
    facets_p95 = by_name["facets"].p95
    page_p95 = by_name["page /search"].p95
    rows += [
        (f"plain p95 < {TARGET_PLAIN_MS:g} ms", f"{plain_p95:.1f} ms",
         plain_p95 < TARGET_PLAIN_MS, scale),
        (f"facets p95 < {TARGET_FACETS_MS:g} ms", f"{facets_p95:.1f} ms",
         facets_p95 < TARGET_FACETS_MS, scale),
        (f"search page p95 < {TARGET_PAGE_MS:g} ms", f"{page_p95:.1f} ms",
         page_p95 < TARGET_PAGE_MS,
         "" if args.count == 10_000 else "  (set for 10,000 cases; indicative here)"),
        (f"rebuild < {TARGET_REBUILD_S:g} s", f"{rebuild_s:.1f} s",
         rebuild_s < TARGET_REBUILD_S, scale),
    ]  # fmt: skip
    for label, figure, passed, note in rows:
        print(f"  {label:<34} {figure:>10}  {verdict(passed):<6}{note}")


if __name__ == "__main__":
    main()
