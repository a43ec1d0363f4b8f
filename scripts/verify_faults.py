"""Fault drills: tips sent while gunicorn is killed, the database refuses, S3 hangs, the disk fills.

Usage: python scripts/verify_faults.py [--quick] [--kills 10] [--runs 3] [--seed 0] [--keep DIR]
       [--drills sigkill,database,s3,disk]

Each drill serves the portal with gunicorn (production settings, a throwaway PostgreSQL
database), has tipsters send tips (some with a photo) over HTTP and records every answer. After
recovery it does what an operator does (`flask tips retry-attachments`) and checks every receipt
against the database and the media store: each receipted tip stored once with its message and
photo readable, no row pointing at a missing object, and only honest answers meanwhile (a receipt
or a 503 that says nothing was sent and keeps the text; never a 500). Exits 1 if any check failed
or a drill could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import http.server
import logging
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import bench_tips
import boto3
from flask import Flask
from loadkit import multipart
from markupsafe import escape
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from verifykit import (
    Row,
    Server,
    postgres_admin_url,
    prepare_portal,
    print_rows,
    production_settings,
    save_rows,
    start_gunicorn,
    stop,
    throwaway_postgres,
    wait_until_healthy,
    work_folder,
)

from portal import create_app
from portal.config import Settings
from portal.crypto import get_cipher
from portal.extensions import db
from portal.media import MediaError, get_media_store
from portal.models import AttachmentState, Case, CaseStatus, TipAttachment
from portal.services.tips import read_message, reconcile_attachments
from portal.tips.forms import clean_text

PART = "Faults"
MIN_SECONDS = 3  # the production minimum fill time: a form is sent this long after it opened
FORMS_AHEAD = 3  # forms a tipster holds open at once
RESENDS = 2  # times a tipster sends a form again after no answer or an honest 503
HONEST = "nothing was sent"
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


# -- tipsters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One POST of a form and what came back."""

    started: float  # time.monotonic()
    ended: float
    status: int  # 0: no answer (refused, reset, timed out)
    reference: str | None
    honest: bool  # a 503 saying nothing was sent, with the typed text kept

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Sent:
    submission_id: str
    case_id: str
    message: str
    photo: bool
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def references(self) -> set[str]:
        return {a.reference for a in self.attempts if a.reference}


@dataclass(frozen=True)
class FormPage:
    fields: dict[str, str]
    cookie: str
    address: str
    case_id: str
    ready_at: float  # wall clock, as the server's own check


class Tipsters:
    """Threads that open tip forms and send them, resending after no answer or a 503."""

    def __init__(self, port: int, cases: list[str], count: int, photo_ratio: float, seed: int):
        self.port = port
        self.cases = cases
        self.count = count
        self.photo_ratio = photo_ratio
        self.seed = seed
        self.images = bench_tips.make_images(6, random.Random(seed))  # noqa: S311 - workload
        self.sent: list[Sent] = []
        self.form_answers: Counter[int] = Counter()
        self.form_log: list[tuple[float, int]] = []  # (monotonic, status) of each GET
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []
        self._address = 0

    def _new_address(self) -> str:
        # One client address a form: the per-client rate limit is not what these drills test.
        with self.lock:
            self._address += 1
            n = self._address
        return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n % 250 + 1}"

    def start(self) -> None:
        for index in range(self.count):
            thread = threading.Thread(target=self._life, args=(index,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def finish(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def _open(self, rng: random.Random) -> FormPage | None:
        case_id = rng.choice(self.cases)
        address = self._new_address()
        headers = {"X-Forwarded-For": address, "Accept": "text/html"}
        reply = bench_tips.http_request(self.port, "GET", f"/cases/{case_id}/tips", headers)
        with self.lock:
            self.form_answers[reply.status] += 1
            self.form_log.append((time.monotonic(), reply.status))
        fields: dict[str, str] = {}
        for name, value in bench_tips._HIDDEN.findall(reply.body):
            fields.setdefault(name, value)
        if reply.status != 200 or set(fields) != {"csrf_token", "submission_id", "started"}:
            return None
        cookie = f"session={reply.cookies['session']}" if "session" in reply.cookies else ""
        ready = time.time() + MIN_SECONDS + 0.05
        return FormPage(fields, cookie, address, case_id, ready)

    def _life(self, index: int) -> None:
        rng = random.Random(self.seed * 7919 + index)  # noqa: S311 - a seeded workload
        forms: list[FormPage] = []
        while not self.stop_event.is_set():
            if forms and forms[0].ready_at <= time.time():
                self._send(forms.pop(0), rng)
            elif len(forms) < FORMS_AHEAD:
                form = self._open(rng)
                if form is None:
                    self.stop_event.wait(0.3)  # the server is down: look again shortly
                else:
                    forms.append(form)
            else:
                self.stop_event.wait(max(0.0, forms[0].ready_at - time.time()))

    def _send(self, form: FormPage, rng: random.Random) -> None:
        photo = rng.choice(self.images) if rng.random() < self.photo_ratio else None
        message = bench_tips.make_message(rng)
        values = [
            ("csrf_token", form.fields["csrf_token"]),
            ("submission_id", form.fields["submission_id"]),
            ("started", form.fields["started"]),
            ("website", ""),
            ("message", message),
            ("relationship", rng.choice(bench_tips.RELATIONSHIPS)),
            ("contact_ok", "no"),
        ]
        body, content_type = multipart(values, photo.part if photo else None)
        path = f"/cases/{form.case_id}/tips"
        headers = {
            "Content-Type": content_type,
            "Cookie": form.cookie,
            "X-Forwarded-For": form.address,
            "Accept": "text/html",
        }
        sent = Sent(form.fields["submission_id"], form.case_id, message, photo is not None)
        typed = str(escape(message[:40]))
        for attempt in range(1 + RESENDS):
            started = time.monotonic()
            reply = bench_tips.http_request(self.port, "POST", path, headers, body)
            found = bench_tips._REFERENCE.search(reply.body) if reply.status == 200 else None
            honest = reply.status == 503 and HONEST in reply.body and typed in reply.body
            sent.attempts.append(
                Attempt(
                    started,
                    time.monotonic(),
                    reply.status,
                    found.group(1).strip() if found else None,
                    honest,
                )
            )
            if found or reply.status not in (0, 503) or attempt == RESENDS:
                break
            # What a person does after no answer or "send it again in a minute": wait, resend.
            if self.stop_event.wait(rng.uniform(1.0, 2.5)):
                break
        with self.lock:
            self.sent.append(sent)


# -- checking what was stored ------------------------------------------------------------------


@dataclass
class Check:
    receipted: int = 0
    unacknowledged: int = 0  # no receipt for any send of the form: the tipster saw none
    stored_unreceipted: int = 0  # committed, but the answer never reached the tipster
    lost: int = 0
    wrong_content: int = 0
    split_receipts: int = 0
    photos_expected: int = 0
    photos_missing: int = 0
    attachment_rows: int = 0
    parked: int = 0
    dangling: int = 0  # rows saying "stored" whose object is missing
    unreadable: int = 0
    orphans: int = 0  # objects no row points at (uploads of submissions that never committed)
    problems: list[str] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return (
            self.lost
            + self.wrong_content
            + self.split_receipts
            + self.photos_missing
            + self.dangling
            + self.unreadable
        )

    def report(self, label: str = "") -> None:
        """The summary line and the first problems, as each drill reports them."""
        print(f"  {label}{self.summary()}")
        for problem in self.problems[:10]:
            print(f"    PROBLEM {problem}")

    def summary(self) -> str:
        return (
            f"{self.receipted} receipted, {self.lost} lost, {self.wrong_content} wrong content, "
            f"{self.split_receipts} split receipts, {self.photos_missing}/{self.photos_expected} "
            f"photos missing; {self.unacknowledged} unacknowledged ({self.stored_unreceipted} "
            f"of them stored all the same); {self.attachment_rows} attachment rows, "
            f"{self.parked} parked, {self.dangling} dangling, {self.unreadable} unreadable, "
            f"{self.orphans} orphan objects"
        )


def check_stored(app: Flask, sent: list[Sent]) -> Check:
    """Every receipt against the database and the media store; every row against its object."""
    check = Check()
    with app.app_context():
        cipher = get_cipher()
        store = get_media_store()
        tips = bench_tips.tips_by_submission()
        for tip in tips.values():
            try:
                read_message(cipher, tip)
            except Exception:  # any failure to read a stored message is what this reports
                check.unreadable += 1
                check.problems.append(f"message of {tip.reference} unreadable")
            for attachment in tip.attachments:
                check.attachment_rows += 1
                if attachment.state is AttachmentState.PARKED:
                    check.parked += 1
                    continue
                problem = bench_tips.attachment_problem(cipher, store, attachment)
                if problem:
                    check.dangling += problem == "missing"
                    check.unreadable += problem != "missing"
                    check.problems.append(f"{attachment.storage_key} {problem} ({tip.reference})")
        for item in sent:
            row = tips.get(item.submission_id)
            if len(item.references) > 1:
                check.split_receipts += 1
                check.problems.append(f"{item.submission_id}: receipts {sorted(item.references)}")
            if not item.references:
                check.unacknowledged += 1
                check.stored_unreceipted += row is not None
                continue
            check.receipted += 1
            if row is None or row.reference not in item.references:
                check.lost += 1
                check.problems.append(f"receipt {sorted(item.references)} not stored")
                continue
            if read_message(cipher, row) != clean_text(item.message, multiline=True):
                check.wrong_content += 1
            if item.photo:
                check.photos_expected += 1
                if len(row.attachments) != 1:
                    check.photos_missing += 1
                    check.problems.append(f"{row.reference}: photo row missing")
        with contextlib.suppress(MediaError):
            report = reconcile_attachments(store)
            # Young unmatched objects are what a kill between the put and the commit leaves;
            # reconcile reports (and may delete) them once they are two hours old.
            check.orphans = report.recent_unmatched + len(report.orphan_objects)
            if report.missing_objects:
                check.problems.append(f"reconcile: {len(report.missing_objects)} missing")
    return check


def operator_retry(app: Flask) -> str:
    """`flask tips retry-attachments`, as the README tells an operator to run after an outage."""
    result = app.test_cli_runner().invoke(args=["tips", "retry-attachments"])
    return f"retry-attachments (exit {result.exit_code}): {result.output.strip()}"


def published_cases(app: Flask) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(select(Case.public_id).where(Case.status == CaseStatus.PUBLISHED))
        )


def answered(sent: list[Sent], within: tuple[float, float] | None = None) -> list[Attempt]:
    attempts = [a for s in sent for a in s.attempts]
    if within is None:
        return attempts
    start, end = within
    return [a for a in attempts if a.started < end and a.ended > start]


# -- one prepared portal, copied for each drill -----------------------------------------------


@dataclass(frozen=True)
class Base:
    """A portal prepared once (migrated, demo cases, search index), to copy for each drill."""

    settings: Settings
    work: Path


@contextlib.contextmanager
def prepared_base(work: Path) -> Iterator[Base]:
    with throwaway_postgres("recognise_faults") as url:
        settings = production_settings(work, url)
        app = prepare_portal(settings)
        with app.app_context():
            # A template database must have no connections while it is copied.
            db.engine.dispose()
        yield Base(settings, work)


@contextlib.contextmanager
def copy_portal(
    base: Base, work: Path, *, media_dir: Path | None = None, **overrides: Any
) -> Iterator[tuple[Settings, Flask]]:
    """A copy of the prepared portal: its database (a template copy), media and search index."""
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    template = make_url(base.settings.database_url)
    name = f"{template.database}_{secrets.token_hex(3)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"'))
    try:
        media_dir = media_dir or work / "media"
        shutil.copytree(base.work / "media", media_dir, dirs_exist_ok=True)
        shutil.copytree(base.work / "search", work / "search", dirs_exist_ok=True)
        values: dict[str, Any] = {
            "database_url": template.set(database=name).render_as_string(hide_password=False),
            "media_url": f"file://{media_dir}",
            "search_dir": str(work / "search"),
        }
        settings = replace(base.settings, **{**values, **overrides})
        app = create_app(settings)
        try:
            yield settings, app
        finally:
            with app.app_context():
                db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_log_figures(log: Path) -> tuple[float, int]:
    """The longest a worker spent on one tip POST (s), and workers gunicorn killed as hung."""
    text = log.read_text(errors="replace") if log.exists() else ""
    times = [int(m) for m in re.findall(r'"POST /cases/[^ ]+/tips [^"]*" \d+ \S+ (\d+)ms', text)]
    return max(times, default=0) / 1000, text.count("WORKER TIMEOUT")


# -- drill 1: SIGKILL --------------------------------------------------------------------------


def server_processes(master: int) -> list[int]:
    """The gunicorn master and its workers (children of the master)."""
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(stat.parent.name))
    return pids


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def crash(server: Server) -> int:
    """SIGKILL the master and every worker at once, as a power cut or the OOM killer would."""
    pids = server_processes(server.process.pid)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.process.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(pids)


def drill_sigkill(args: argparse.Namespace, base: Base, work: Path) -> Row:
    print(f"\n== SIGKILL during tip submissions: {args.kills} kills x {args.runs} runs ==")
    rng = random.Random(args.seed)  # noqa: S311 - seeded kill moments, reproducible
    total = Check()
    receipts = cut = honest = errors = kills = 0
    with copy_portal(base, work) as (settings, app):
        cases = published_cases(app)
        port = 0
        everything: list[Sent] = []
        for run in range(args.runs):
            log = work / f"gunicorn-kill-{run}.log"
            server = start_gunicorn(settings, log, workers=2, port=port or None)
            port = server.port
            if not wait_until_healthy(server.base_url):
                raise SystemExit(f"gunicorn did not start:\n{log.read_text()[-2000:]}")
            tipsters = Tipsters(port, cases, args.tipsters, 0.5, args.seed * 31 + run)
            tipsters.start()
            try:
                for kill in range(args.kills):
                    time.sleep(rng.uniform(1.5, 4.0))
                    count = crash(server)
                    kills += 1
                    down = time.monotonic()
                    server = start_gunicorn(settings, log, workers=2, port=port)
                    if not wait_until_healthy(server.base_url):
                        raise SystemExit(f"gunicorn did not restart:\n{log.read_text()[-2000:]}")
                    print(
                        f"  run {run + 1} kill {kill + 1}: {count} processes killed, "
                        f"serving again after {time.monotonic() - down:.1f} s"
                    )
                time.sleep(MIN_SECONDS + 2.0)  # resends after the last kill get their answer
            finally:
                tipsters.finish()
                stop(server)
            everything += tipsters.sent
            attempts = answered(tipsters.sent)
            receipts += sum(1 for s in tipsters.sent if s.references)
            cut += sum(1 for a in attempts if a.status == 0)
            honest += sum(1 for a in attempts if a.honest)
            errors += sum(1 for a in attempts if a.status >= 500 and not a.honest)
            print(f"  run {run + 1}: {operator_retry(app)}")
            check = check_stored(app, everything)
            check.report(f"run {run + 1}: {len(tipsters.sent)} forms sent; ")
            total = check
    failures = total.failures + errors
    figures = (
        f"{args.kills} kills x {args.runs} runs, {receipts} receipts, {cut} sends cut "
        f"({total.unacknowledged} forms never acknowledged, {total.stored_unreceipted} of them "
        f"stored), {total.lost} lost, {total.dangling} dangling rows, {errors} 5xx, "
        f"{total.orphans} orphan objects left for reconcile"
    )
    return Row(PART, "SIGKILL during tip submissions", kills, failures, figures)


# -- drill 2: the database refusing connections ------------------------------------------------


class TcpProxy:
    """A TCP forwarder we can switch off: refused connections and reset sessions, then back."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.listener: socket.socket | None = None
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.accepting = False

    def open(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]
        listener.listen(64)
        self.listener = listener
        self.accepting = True
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def refuse(self) -> None:
        """Close the port (new connections are refused) and reset every open session."""
        self.accepting = False
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            for sock in self.connections:
                with contextlib.suppress(OSError):
                    # Linger 0: close with a reset, as a crashed server's kernel answers.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                    sock.close()
            self.connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self.accepting:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.connections |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.close()
            with self.lock:
                self.connections -= {source, sink}


def health_poller(port: int, stop_event: threading.Event) -> list[tuple[float, int]]:
    seen: list[tuple[float, int]] = []

    def poll() -> None:
        while not stop_event.wait(0.25):
            reply = bench_tips.http_request(port, "GET", "/healthz", {})
            seen.append((time.monotonic(), reply.status))

    threading.Thread(target=poll, daemon=True).start()
    return seen


def drill_database(args: argparse.Namespace, base: Base, work: Path) -> Row:
    print(f"\n== Database refusing connections for {args.outage:.0f} s during submissions ==")
    with copy_portal(base, work) as (settings, app):
        url = settings.database_url
        cases = published_cases(app)
        parsed = make_url(url)
        proxy = TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        proxy.open()
        served = replace(settings, database_url=parsed.set(port=proxy.port).render_as_string(False))
        log = work / "gunicorn-db.log"
        server = start_gunicorn(served, log, workers=2)
        tipsters = Tipsters(server.port, cases, args.tipsters, 0.3, args.seed + 101)
        stop_event = threading.Event()
        try:
            if not wait_until_healthy(server.base_url):
                raise SystemExit(f"gunicorn did not start:\n{log.read_text()[-2000:]}")
            health = health_poller(server.port, stop_event)
            tipsters.start()
            time.sleep(MIN_SECONDS + 2.0)
            outage_start = time.monotonic()
            proxy.refuse()
            print("  proxy refusing connections")
            time.sleep(args.outage)
            proxy.open()
            outage_end = time.monotonic()
            print(f"  proxy forwarding again after {outage_end - outage_start:.1f} s")
            recovered_at = None
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and recovered_at is None:
                if bench_tips.http_request(server.port, "GET", "/healthz", {}).status == 200:
                    recovered_at = time.monotonic()
                time.sleep(0.2)
            time.sleep(MIN_SECONDS + 3.0)
        finally:
            stop_event.set()
            tipsters.finish()
            stop(server)
            proxy.refuse()
        during = answered(tipsters.sent, (outage_start, outage_end))
        after = [a for a in answered(tipsters.sent) if a.started > outage_end]
        statuses = Counter(a.status for a in during)
        forms = Counter(s for t, s in tipsters.form_log if outage_start <= t <= outage_end)
        checks = Counter(s for t, s in health if outage_start + 0.5 <= t <= outage_end)
        honest = sum(1 for a in during if a.honest)
        receipted_during = sum(1 for a in during if a.reference)
        bad = [a for a in during if not a.reference and not a.honest]
        bad_forms = sum(n for s, n in forms.items() if s not in (200, 503))
        bad_health = sum(n for s, n in checks.items() if s != 503)
        check = check_stored(app, tipsters.sent)
        recovered = sum(1 for a in after if a.reference)
        print(f"  tip POSTs during the outage: {dict(statuses)} ({honest} honest 503s)")
        print(f"  form GETs during the outage: {dict(forms)}; /healthz: {dict(checks)}")
        print(f"  after recovery: {recovered} receipts of {len(after)} sends")
        check.report()
    not_recovered = 0 if recovered_at is not None and recovered else 1
    failures = len(bad) + bad_forms + bad_health + check.failures + not_recovered
    tried = len(during) + sum(forms.values())
    figures = (
        f"{args.outage:.0f} s outage: {len(during)} tips sent, {honest} honest 503s, "
        f"{receipted_during} receipts (all stored: {check.lost == 0}), {len(bad)} other answers; "
        f"{sum(forms.values())} form pages ({forms.get(503, 0)} were 503); /healthz 503 "
        f"{checks.get(503, 0)}/{sum(checks.values())}; {recovered} receipts after recovery, "
        f"{check.lost} lost"
    )
    return Row(PART, "database refusing connections", tried, failures, figures)


# -- drill 3: S3 answering 503 or hanging ------------------------------------------------------


class S3Fault(http.server.ThreadingHTTPServer):
    """An HTTP proxy in front of the S3 server: forwards, answers 503 SlowDown, or hangs."""

    daemon_threads = True

    def __init__(self, upstream: tuple[str, int]) -> None:
        super().__init__(("127.0.0.1", 0), _S3FaultHandler)
        self.upstream = upstream
        self.mode = "forward"
        self.counts: Counter[str] = Counter()
        self.released = threading.Event()


class _S3FaultHandler(http.server.BaseHTTPRequestHandler):
    server: S3Fault
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        mode = self.server.mode
        self.server.counts[mode] += 1
        if mode == "hang":
            # Never answer: the client's read timeout must give up, not wait for minutes.
            self.server.released.wait(120)
            self.close_connection = True
            return
        if mode == "503":
            error = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"  # noqa: E501
            self.send_response(503)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(error)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(error)
            return
        connection = http.client.HTTPConnection(*self.server.upstream, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            reply = connection.getresponse()
            data = reply.read()
        finally:
            connection.close()
        self.send_response(reply.status)
        for name, value in reply.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


@contextlib.contextmanager
def s3_environment() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in S3_ENV}
    os.environ.update(S3_ENV)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def drill_s3(args: argparse.Namespace, base: Base, work: Path) -> Row:
    from moto.server import ThreadedMotoServer

    # moto's server logs every request it serves; the fault proxy's counts say enough.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    print(
        f"\n== S3 answering 503 for {args.s3_503:.0f} s, then hanging for {args.s3_hang:.0f} s =="
    )
    with s3_environment(), contextlib.ExitStack() as stack:
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        stack.callback(moto.stop)
        host, moto_port = moto.get_host_and_port()
        fault = S3Fault((host, moto_port))
        threading.Thread(target=fault.serve_forever, daemon=True).start()
        stack.callback(fault.shutdown)
        endpoint = f"http://127.0.0.1:{fault.server_address[1]}"
        boto3.session.Session().client("s3", endpoint_url=endpoint).create_bucket(Bucket="tips")
        # Case images stay in the local copy: tip attachments are what this drill is about.
        settings, app = stack.enter_context(
            copy_portal(base, work, media_url="s3://tips/portal", s3_endpoint_url=endpoint)
        )
        cases = published_cases(app)
        log = work / "gunicorn-s3.log"
        extra = {**S3_ENV, "PORTAL_S3_ENDPOINT_URL": endpoint}
        server = start_gunicorn(settings, log, workers=3, extra_env=extra)
        tipsters = Tipsters(server.port, cases, args.tipsters, 1.0, args.seed + 202)
        try:
            if not wait_until_healthy(server.base_url):
                raise SystemExit(f"gunicorn did not start:\n{log.read_text()[-2000:]}")
            tipsters.start()
            time.sleep(MIN_SECONDS + 1.0)
            windows: dict[str, tuple[float, float]] = {}
            for mode, seconds in (("503", args.s3_503), ("hang", args.s3_hang)):
                fault.mode = mode
                start = time.monotonic()
                print(f"  S3 {mode} for {seconds:.0f} s")
                time.sleep(seconds)
                windows[mode] = (start, time.monotonic())
            fault.mode = "forward"
            fault.released.set()
            print("  S3 forwarding again")
            time.sleep(MIN_SECONDS + 2.0)
        finally:
            tipsters.finish()
            stop(server)
        with app.app_context():
            parked = TipAttachment.state == AttachmentState.PARKED
            count = select(func.count()).select_from(TipAttachment).where(parked)
            parked_before = db.session.scalar(count) or 0
        retry = operator_retry(app)
        print(f"  {parked_before} attachments parked; {retry}")
        check = check_stored(app, tipsters.sent)
        check.report()
        figures_by_mode = []
        failures = check.failures + check.parked
        tried = 0
        for mode, window in windows.items():
            during = answered(tipsters.sent, window)
            tried += len(during)
            statuses = Counter(a.status for a in during)
            bad = [a for a in during if not a.reference and not a.honest]
            failures += len(bad)
            slowest = max((a.seconds for a in during), default=0.0)
            print(
                f"  during S3 {mode}: {dict(statuses)}, slowest answer {slowest:.1f} s (queueing "
                f"included), {len(bad)} neither a receipt nor an honest 503"
            )
            figures_by_mode.append(
                f"{mode}: {len(during)} tips, {sum(1 for a in during if a.reference)} receipts"
            )
        print(f"  fault proxy requests: {dict(fault.counts)}")
        held, timeouts = server_log_figures(log)
        print(
            f"  longest a worker spent on a tip: {held:.1f} s; workers killed as hung: {timeouts}"
        )
        failures += timeouts
    figures = (
        "; ".join(figures_by_mode)
        + f"; longest worker hold {held:.0f} s, {timeouts} hung workers killed"
        + f"; {parked_before} parked, {check.parked} still parked after retry-attachments, "
        f"{check.lost} lost, {check.dangling} dangling"
    )
    return Row(PART, "S3 answering 503, then hanging", tried, failures, figures)


# -- drill 4: a full media disk ----------------------------------------------------------------


def mount_tmpfs(path: Path, size: str) -> str | None:
    """Mount a tmpfs of `size` at `path`; the error text when that is not permitted."""
    path.mkdir(parents=True, exist_ok=True)
    # Fixed arguments and our own folder: nothing here comes from outside.
    result = subprocess.run(  # noqa: S603
        ["/bin/mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if result.returncode == 0 else (result.stderr.strip() or "mount failed")


def fill(path: Path, leave: int) -> int:
    """Write a filler file until about `leave` bytes are free; returns the bytes written."""
    filler = path / "filler.bin"
    written = 0
    with filler.open("wb") as handle:
        while True:
            free = os.statvfs(path).f_bavail * os.statvfs(path).f_frsize
            if free <= leave:
                break
            chunk = min(1024 * 1024, max(4096, free - leave))
            try:
                handle.write(b"\0" * chunk)
                handle.flush()
            except OSError:
                break
            written += chunk
    return written


def drill_disk(args: argparse.Namespace, base: Base, work: Path) -> Row:
    print("\n== Media disk full during submissions ==")
    media_dir = work / "disk-media"
    problem = mount_tmpfs(media_dir, "64m")
    if problem:
        print(f"  could not mount a tmpfs: {problem}")
        return Row(PART, "media disk full", None, 1, f"drill could not run: mount: {problem}")
    try:
        with copy_portal(base, work, media_dir=media_dir) as (settings, app):
            cases = published_cases(app)
            log = work / "gunicorn-disk.log"
            server = start_gunicorn(settings, log, workers=2)
            tipsters = Tipsters(server.port, cases, args.tipsters, 1.0, args.seed + 303)
            try:
                if not wait_until_healthy(server.base_url):
                    raise SystemExit(f"gunicorn did not start:\n{log.read_text()[-2000:]}")
                # Nearly full, not quite: some photos fit, some fail part-way through the write.
                filled = fill(media_dir, 150 * 1024)
                print(f"  filled {filled / 1e6:.1f} MB, about 150 KB left")
                start = time.monotonic()
                tipsters.start()
                time.sleep(args.disk_full)
                end = time.monotonic()
                (media_dir / "filler.bin").unlink()
                print("  space freed")
                time.sleep(MIN_SECONDS + 2.0)
            finally:
                tipsters.finish()
                stop(server)
            retry = operator_retry(app)
            print(f"  {retry}")
            check = check_stored(app, tipsters.sent)
            check.report()
            temp_files = sum(1 for p in media_dir.rglob(".*.tmp"))
            during = answered(tipsters.sent, (start, end))
            statuses = Counter(a.status for a in during)
            bad = [a for a in during if not a.reference and not a.honest]
            print(f"  during the full disk: {dict(statuses)}; {temp_files} temporary files left")
    finally:
        subprocess.run(["/bin/umount", "-l", str(media_dir)], check=False)  # noqa: S603
    failures = check.failures + check.parked + len(bad) + temp_files
    figures = (
        f"{len(during)} tips with a photo on a full disk, "
        f"{sum(1 for a in during if a.reference)} receipts, {len(bad)} other answers; "
        f"{retry.split(': ', 1)[-1]}; {check.lost} lost, {check.dangling} dangling, "
        f"{check.unreadable} unreadable, {temp_files} partial files"
    )
    return Row(PART, "media disk full", len(during), failures, figures)


# -- main --------------------------------------------------------------------------------------

DRILLS: dict[str, Callable[[argparse.Namespace, Base, Path], Row]] = {
    "sigkill": drill_sigkill,
    "database": drill_database,
    "s3": drill_s3,
    "disk": drill_disk,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer kills and shorter outages")
    parser.add_argument("--kills", type=int, help="SIGKILLs a run (10; 4 with --quick)")
    parser.add_argument("--runs", type=int, help="runs of the SIGKILL drill (3; 1 with --quick)")
    parser.add_argument("--tipsters", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--drills", default=",".join(DRILLS), help="which drills, in order")
    parser.add_argument("--keep", type=Path, help="keep the work folder (logs) here")
    args = parser.parse_args()
    args.kills = args.kills or (3 if args.quick else 10)
    args.runs = args.runs or (1 if args.quick else 3)
    args.outage = 5.0 if args.quick else 12.0
    args.s3_503 = 3.0 if args.quick else 8.0
    # Longer than gunicorn's 30 s worker timeout: a client that waited out the hang would have
    # its worker killed mid-request and the tipster would get no answer at all.
    args.s3_hang = 32.0 if args.quick else 40.0
    args.disk_full = 5.0 if args.quick else 15.0
    started = time.monotonic()
    rows: list[Row] = []
    with work_folder("recognise-faults-", args.keep) as root:
        (root / "base").mkdir(exist_ok=True)
        with prepared_base(root / "base") as base:
            print(f"portal prepared in {time.monotonic() - started:.0f} s")
            for name in args.drills.split(","):
                work = root / name.strip()
                work.mkdir(exist_ok=True)
                try:
                    rows.append(DRILLS[name.strip()](args, base, work))
                except (SystemExit, Exception) as exc:
                    # A drill that cannot run is a failure of the table, never a silent pass.
                    traceback.print_exc()
                    rows.append(Row(PART, name, None, 1, f"drill could not run: {exc!r}"[:300]))
    save_rows("faults", rows)
    print_rows(f"Faults ({time.monotonic() - started:.0f} s)", rows)
    raise SystemExit(0 if rows and all(row.passed for row in rows) else 1)


if __name__ == "__main__":
    main()
