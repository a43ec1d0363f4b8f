"""Surge: locust visitors and tipsters against gunicorn, PostgreSQL, Redis; each receipt checked.

Usage: PYTHONPATH=. .venv/bin/python scripts/verify_surge.py [--visitors 200] [--tipsters 20]
           [--seconds 120] [--quick] [--workers 4] [--keep DIR]
Starts the portal as the README's Deployment section does (production settings, PostgreSQL,
Redis for shared rate limits, gunicorn --workers 4, proxy_hops=1) on loopback, runs locust
headless, prints locust's per-route table and checks every acknowledged tip in the database.
Speed is reported, never asserted: the run fails on 5xx, failed requests, or a tip that was
acknowledged and then lost or stored twice.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import random
import re
import resource
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from bench_tips import machine_cpu_seconds, make_images, server_cpu_seconds
from flask import Flask
from loadkit import percentile
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from surgekit import RouteStats, read_stats_csv, stats_path
from verifykit import (
    Row,
    prepare_portal,
    print_rows,
    production_settings,
    save_rows,
    served,
    throwaway_postgres,
    work_folder,
)

from portal.attachments import sniff
from portal.config import PROJECT_ROOT
from portal.crypto import TipCipher, get_cipher
from portal.extensions import db
from portal.media import MediaStore, get_media_store
from portal.models import Case, CaseStatus, MarkType, Sex, Tip, TipAttachment
from portal.services import cases as case_service
from portal.services.tips import read_attachment, read_message
from portal.tips.forms import clean_text

SLUG = "surge"
PART = "Surge"
REDIS_URL = "redis://127.0.0.1:6379/14"
LOCUSTFILE = Path(__file__).with_name("locustfile_surge.py")
QUERIES = PROJECT_ROOT / "tests" / "fixtures" / "sample-queries.json"
# Tips a simulated address sends before it takes another: the default limit is 10 a minute.
POSTS_PER_ADDRESS = 6
PHOTO_RATIO = 0.3
# Users finish the page or tip they are on when the clock runs out, as people would.
STOP_TIMEOUT = 30
# Main route groups that get a row of their own in the summary table.
MAIN_ROUTES = (
    ("GET", "/"),
    ("GET", "/cases"),
    ("GET", "/cases/[id]"),
    ("GET", "/search"),
    ("GET", "/media/[token]/[variant]"),
    ("POST", "/cases/[id]/tips"),
)
_ALARMS = ("[ERROR]", "[CRITICAL]", "WORKER TIMEOUT", "[WARNING]")
# verifykit's access log format: '%(t)s "%(r)s" %(s)s %(b)s %(M)sms' (no client address).
_ACCESS = re.compile(r'"(GET|POST|HEAD|PUT|DELETE|OPTIONS) (\S+) HTTP/[\d.]+" (\d{3}) \S+ (\d+)ms')


@dataclass
class TipCheck:
    sent: int = 0
    acknowledged: int = 0
    stored: int = 0
    lost: int = 0
    duplicates: int = 0
    wrong_content: int = 0
    photos_expected: int = 0
    photos_missing: int = 0
    stored_without_receipt: int = 0
    rows_from_nowhere: int = 0

    @property
    def failures(self) -> int:
        return self.lost + self.duplicates + self.wrong_content + self.photos_missing


def plan_from_database(app: Flask, args: argparse.Namespace) -> dict[str, Any]:
    """What the simulated people pick from: real public ids, queries, filter values, photos."""
    with app.app_context():
        public = list(
            db.session.execute(
                select(Case.public_id, Case.status).where(
                    Case.status.in_((CaseStatus.PUBLISHED, CaseStatus.IDENTIFIED))
                )
            )
        )
        countries = case_service.public_countries()
    queries = json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]
    photos = make_images(6, random.Random(args.seed))  # noqa: S311 - a workload, not security
    per_page = 20
    return {
        "cases": [public_id for public_id, _status in public],
        "tip_cases": [pid for pid, status in public if status is CaseStatus.PUBLISHED],
        "list_pages": max(1, math.ceil(len(public) / per_page)),
        "queries": [{"q": q["q"], "filters": q.get("filters", {})} for q in queries],
        "filters": {
            "sex": [s.value for s in Sex if s is not Sex.UNKNOWN],
            "country": countries,
            "age": ["20-30", "25-40", "30", "40-60"],
            "mark": [MarkType.TATTOO.value, MarkType.SCAR.value, MarkType.PIERCING.value],
            "year_from": ["1990", "2000", "2010"],
            "has_photo": ["1"],
        },
        "tipsters": args.tipsters,
        "min_seconds": 3,
        "posts_per_address": POSTS_PER_ADDRESS,
        "photo_ratio": PHOTO_RATIO,
        "photos": [
            {
                "name": photo.name,
                "content_type": photo.content_type,
                "data": base64.b64encode(photo.data).decode(),
            }
            for photo in photos
        ],
    }


def check_tips(app: Flask, sent: list[dict[str, Any]], earlier_ids: set[int]) -> TipCheck:
    """Every receipt against the database, decrypted with the portal's own functions."""
    check = TipCheck(sent=len(sent))
    with app.app_context():
        cipher = get_cipher()
        store = get_media_store()
        rows = [
            tip
            for tip in db.session.scalars(select(Tip).options(selectinload(Tip.attachments)))
            if tip.id not in earlier_ids
        ]
        by_submission: dict[str, list[Tip]] = {}
        for tip in rows:
            by_submission.setdefault(tip.submission_id, []).append(tip)
        check.duplicates = sum(len(tips) - 1 for tips in by_submission.values() if len(tips) > 1)
        ours = {item["submission_id"] for item in sent}
        check.rows_from_nowhere = sum(1 for key in by_submission if key not in ours)
        for item in sent:
            found = by_submission.get(item["submission_id"], [])
            if item["reference"] is None:
                check.stored_without_receipt += bool(found)
                continue
            check.acknowledged += 1
            row = next((tip for tip in found if tip.reference == item["reference"]), None)
            if row is None:
                check.lost += 1
                continue
            check.stored += 1
            if (
                read_message(cipher, row) != clean_text(item["message"], multiline=True)
                or row.case.public_id != item["case_id"]
            ):
                check.wrong_content += 1
            if item["photo"]:
                check.photos_expected += 1
                readable = [a for a in row.attachments if photo_readable(cipher, store, a)]
                check.photos_missing += not readable
    return check


def photo_readable(cipher: TipCipher, store: MediaStore, attachment: TipAttachment) -> bool:
    try:
        return sniff(read_attachment(cipher, store, attachment)) in ("jpeg", "png")
    except Exception:  # any failure to read the photo back is what this check reports
        return False


@dataclass
class ServerSide:
    """What gunicorn and the machine did while locust ran."""

    seconds: float = 0.0
    gunicorn_cpu: float = 0.0
    locust_cpu: float = 0.0
    machine_cpu: float = 0.0  # every process, all cores
    statuses: Counter[str] = field(default_factory=Counter)  # "2xx": n, from the access log
    worker_ms: list[int] = field(default_factory=list)  # time in a worker, per request
    log_lines: list[str] = field(default_factory=list)  # lines that are not access lines
    tip_limit_hits: list[int] = field(default_factory=list)  # per client key, from Redis


def tip_limit_hits() -> list[int]:
    """The hourly tip counters Flask-Limiter keeps in Redis, one per (hashed) client address:
    proof that the shared limiter counted this run's tips, and under which keys."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    keys = list(client.scan_iter(match="LIMITS:LIMITER/recognise/*/tips.submit/*/1/hour"))
    return [int(value) for value in client.mget(keys) if value is not None] if keys else []


def read_server_log(log: Path, offset: int, side: ServerSide) -> None:
    """Status classes and worker times of gunicorn's access log from `offset` (the start of the
    run), and any line that is not an access line (errors, tracebacks, timeouts)."""
    with log.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode(errors="replace")
    for line in text.splitlines():
        match = _ACCESS.search(line)
        if match:
            side.statuses[match.group(3)[0] + "xx"] += 1
            side.worker_ms.append(int(match.group(4)))
        elif line.strip() and (not line.startswith("[") or any(w in line for w in _ALARMS)):
            side.log_lines.append(line)


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fmt_ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.0f}"


def route_table(routes: list[RouteStats], total: RouteStats | None) -> str:
    header = f"{'route':<34} {'requests':>8} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}"
    header += f" {'max':>6} {'failures':>8}"
    lines = [header, "-" * len(header)]
    for stats in sorted(routes, key=lambda s: -s.requests) + ([total] if total else []):
        lines.append(
            f"{stats.label[:34]:<34} {stats.requests:>8,} {stats.rps:>7.1f} {fmt_ms(stats.p50):>6}"
            f" {fmt_ms(stats.p95):>6} {fmt_ms(stats.p99):>6} {fmt_ms(stats.max):>6}"
            f" {stats.failures:>8,}"
        )
    return "\n".join(lines)


def warm_up(base_url: str, plan: dict[str, Any], workers: int) -> Counter[int]:
    """Each page kind a few times over, in parallel, before the clock starts: a surge meets a
    server that has been running (templates compiled, search index open in every worker)."""
    case_id = plan["tip_cases"][0]
    paths = [
        "/", "/cases", "/search?q=rose+tattoo", f"/cases/{case_id}", f"/cases/{case_id}/tips",
        "/feed.atom", "/api/v1/cases?q=anchor", f"/cases/{case_id}/poster.pdf",
    ]  # fmt: skip
    statuses: Counter[int] = Counter()

    def visit(_round: int) -> None:
        for path in paths:
            try:
                with urllib.request.urlopen(base_url + path, timeout=60) as reply:  # noqa: S310
                    reply.read()
                    statuses[reply.status] += 1
            except urllib.error.HTTPError as error:
                statuses[error.code] += 1
            except OSError:
                statuses[0] += 1

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(visit, range(workers * 2)))
    return statuses


def run_locust(
    args: argparse.Namespace, base_url: str, work: Path, plan_path: Path, out_path: Path
) -> int:
    users = args.visitors + args.tipsters
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--users", str(users), "--spawn-rate", str(args.spawn_rate),
        "--run-time", f"{args.seconds}s", "--stop-timeout", str(STOP_TIMEOUT),
        "--host", base_url, "--only-summary",
        "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    env = {
        **os.environ,
        "SURGE_PLAN": str(plan_path),
        "SURGE_OUT": str(out_path),
        "PYTHONPATH": os.pathsep.join([str(LOCUSTFILE.parent), str(PROJECT_ROOT)]),
    }
    with (work / "locust.log").open("wb") as log:
        # Our own interpreter and fixed arguments: nothing here comes from outside the script.
        return subprocess.run(  # noqa: S603
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        ).returncode


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--tipsters", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (README: 4)")
    parser.add_argument("--spawn-rate", type=float, default=20.0, help="users started a second")
    parser.add_argument("--quick", action="store_true", help="30 visitors, 5 tipsters, 20 s")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep the work folder (logs, locust CSV)")
    args = parser.parse_args()
    if args.quick:
        args.visitors, args.tipsters, args.seconds = 30, 5, 20
    if args.visitors < 0 or args.tipsters < 1 or args.seconds < 5:
        parser.error("--tipsters must be at least 1 and --seconds at least 5")
    started = time.monotonic()
    rows = run(args)
    print(f"\nWall time {time.monotonic() - started:.0f} s")
    save_rows(SLUG, rows)
    print_rows("Surge: the portal under a crowd of visitors and tipsters", rows)
    sys.exit(0 if rows and all(row.passed for row in rows) else 1)


def run(args: argparse.Namespace) -> list[Row]:
    label = f"{args.visitors} visitors + {args.tipsters} tipsters, {args.seconds} s"
    with throwaway_postgres("recognise_surge") as url, work_folder("surge-", args.keep) as work:
        settings = production_settings(work, url, redis_url=REDIS_URL)
        # Rate-limit counters of an earlier run must not count against this one.
        try:
            redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()
        except redis.RedisError as error:
            message = f"Redis at {REDIS_URL} is needed (production shares limits): {error}"
            raise SystemExit(message) from None
        app = prepare_portal(settings)
        plan = plan_from_database(app, args)
        with app.app_context():
            earlier_ids = set(db.session.scalars(select(Tip.id)))
        plan_path, out_path = work / "plan.json", work / "locust-out.json"
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
        cores = os.cpu_count() or 1
        print(
            f"Surge: {label}; gunicorn --workers {args.workers} (sync) as in the README's"
            f" Deployment section,\nproduction settings, PROXY_HOPS=1, PostgreSQL (throwaway"
            f" database), Redis {REDIS_URL} (flushed),\n{cores} CPUs shared with locust and"
            f" whatever else runs on this machine (load average {os.getloadavg()[0]:.2f})."
        )
        print(
            f"{len(plan['cases'])} public demo cases ({len(plan['tip_cases'])} open to tips),"
            f" {len(plan['queries'])} queries from {QUERIES.relative_to(PROJECT_ROOT)},"
            f" tips {PHOTO_RATIO:.0%} with a photo,\neach tipster address sends at most"
            f" {POSTS_PER_ADDRESS} tips (limit {settings.tip_rate_limit!r}); work folder {work}\n"
        )
        log = work / "gunicorn.log"
        with served(settings, log, workers=args.workers) as server:
            warm = warm_up(server.base_url, plan, args.workers)
            print(
                f"Warm-up before the clock: {warm.total()} requests ("
                + ", ".join(f"{code}: {n}" for code, n in sorted(warm.items()))
                + ")\n"
            )
            side = ServerSide()
            offset = log.stat().st_size
            before = (
                server_cpu_seconds(server.process.pid),
                children_cpu_seconds(),
                machine_cpu_seconds(),
                time.monotonic(),
            )
            code = run_locust(args, server.base_url, work, plan_path, out_path)
            side.seconds = time.monotonic() - before[3]
            side.gunicorn_cpu = server_cpu_seconds(server.process.pid) - before[0]
            side.locust_cpu = children_cpu_seconds() - before[1]
            side.machine_cpu = machine_cpu_seconds() - before[2]
        if code != 0 or not out_path.exists() or not stats_path(out_path).exists():
            tail = (work / "locust.log").read_text(errors="replace")[-3000:]
            print(f"locust exited {code}:\n{tail}")
            return [Row(PART, label, None, 1, f"locust did not run (exit {code})")]
        outcome = json.loads(out_path.read_text(encoding="utf-8"))
        routes, total = read_stats_csv(stats_path(out_path))
        read_server_log(log, offset, side)
        side.tip_limit_hits = tip_limit_hits()
        check = check_tips(app, outcome["receipts"], earlier_ids)
        return report(args, label, routes, total, outcome, side, check)


def report(
    args: argparse.Namespace,
    label: str,
    routes: list[RouteStats],
    total: RouteStats | None,
    outcome: dict[str, Any],
    side: ServerSide,
    check: TipCheck,
) -> list[Row]:
    by_status: Counter[str] = Counter()
    for key, count in outcome["statuses"].items():
        by_status[key.rsplit(" ", 1)[1]] += count
    client_5xx = sum(n for code, n in by_status.items() if code.startswith("5"))
    no_response = by_status.get("0", 0)
    print("locust's statistics per route (ms; req/s over the whole run, ramp-up and finish")
    print("included; a failure is a 4xx/5xx, no response, or a tip POST without a receipt):\n")
    print(route_table(routes, total))
    print(
        "\nStatus codes seen by locust (0: no response): "
        + ", ".join(f"{code}: {n:,}" for code, n in sorted(by_status.items()))
        + "\ngunicorn's access log: "
        + ", ".join(f"{cls}: {n:,}" for cls, n in sorted(side.statuses.items()))
        + f"; other log lines: {len(side.log_lines)}"
    )
    for line in sorted(set(side.log_lines))[:8]:
        print(f"  {line[:160]}")
    for error in sorted(outcome["errors"], key=lambda e: -e["count"])[:10]:
        where = f"{error['method']} {error['name']}"
        print(f"  failed {error['count']} x {where}: {error['error'][:100]}")
    cores = os.cpu_count() or 1
    seconds = max(side.seconds, 1e-9)
    others = max(0.0, side.machine_cpu - side.gunicorn_cpu - side.locust_cpu)
    busy = sum(side.worker_ms) / 1000 / (args.workers * seconds)
    print(
        f"\nWhere the time went, over the {side.seconds:.0f} s locust ran, in cores ({cores} in"
        f" all): gunicorn {side.gunicorn_cpu / seconds:.2f}, locust"
        f" {side.locust_cpu / seconds:.2f},\neverything else {others / seconds:.2f} (PostgreSQL,"
        f" Redis, other jobs on the machine); load average after {os.getloadavg()[0]:.2f}.\n"
        f"Time inside a worker (access log %(M)s): p50 {fmt_ms(percentile(side.worker_ms, 0.5))},"
        f" p95 {fmt_ms(percentile(side.worker_ms, 0.95))}, p99"
        f" {fmt_ms(percentile(side.worker_ms, 0.99))} ms; the {args.workers} workers were busy"
        f" {busy:.0%} of the time.\nWhat locust measures beyond that is the wait for a free"
        f" worker (a sync worker takes one request at a time)\nand for a core (every process"
        f" above competes for the same {cores})."
    )
    refused = ", ".join(f"{why}: {n}" for why, n in outcome["refused"].items()) or "none"
    print(
        f"\nTips, checked in PostgreSQL after gunicorn stopped (messages decrypted with"
        f" portal.services.tips.read_message):\n"
        f"  forms sent {check.sent:,}; acknowledged {check.acknowledged:,}; stored"
        f" {check.stored:,}; lost {check.lost:,}; duplicated {check.duplicates:,};"
        f" other content {check.wrong_content:,}\n"
        f"  photos sent with acknowledged tips {check.photos_expected:,}, missing or unreadable"
        f" {check.photos_missing:,}; not acknowledged: {refused}"
        f" ({check.stored_without_receipt} of them stored anyway)\n"
        f"  tip rows from no form of this run: {check.rows_from_nowhere}\n"
        f"  Redis's shared tip limiter counted {sum(side.tip_limit_hits):,} POSTs under"
        f" {len(side.tip_limit_hits)} client keys (at most {max(side.tip_limit_hits, default=0)}"
        f" from one; a tipster takes a new address after {POSTS_PER_ADDRESS})"
    )
    server_5xx = side.statuses.get("5xx", 0)
    # Every failed request counts (5xx, 4xx, no response, a tip without a receipt), plus any
    # 5xx the server logged that no client saw (an answer to a request locust gave up on).
    failures = (total.failures if total else 1) + max(0, server_5xx - client_5xx)
    rows = [
        Row(
            PART,
            label,
            total.requests if total else 0,
            failures,
            (
                f"{total.rps:.0f} req/s, p50/p95/p99 {fmt_ms(total.p50)}/{fmt_ms(total.p95)}/"
                f"{fmt_ms(total.p99)} ms; 5xx {max(client_5xx, server_5xx)},"
                f" no response {no_response}; {os.cpu_count()} CPUs, {args.workers} workers"
                if total
                else "no statistics"
            ),
        )
    ]
    for method, name in MAIN_ROUTES:
        stats = next((s for s in routes if s.method == method and s.name == name), None)
        if stats is None:
            continue
        rows.append(
            Row(
                PART,
                f"  {stats.label}",
                stats.requests,
                stats.failures,
                f"{stats.rps:.1f} req/s, p50/p95/p99 {fmt_ms(stats.p50)}/{fmt_ms(stats.p95)}/"
                f"{fmt_ms(stats.p99)} ms",
            )
        )
    rows.append(
        Row(
            PART,
            "tips acknowledged = stored (decrypted, once each)",
            check.acknowledged,
            check.failures,
            f"{check.acknowledged:,} acknowledged, {check.stored:,} stored, {check.lost} lost,"
            f" {check.duplicates} duplicated, {check.photos_expected} with a photo",
        )
    )
    return rows


if __name__ == "__main__":
    main()
