"""Benchmark tip intake: concurrent tipsters post tips to gunicorn, then every receipt is checked.

Usage: .venv/bin/python scripts/bench_tips.py [--tipsters 50] [--seconds 30]
           [--attachment-ratio 0.5] [--repeat-ratio 0.05] [--workers 2] [--threads 1]
           [--phases mixed,attachment] [--posts-per-address 8] [--seed 0] [--keep DIR]
Prints figures with the targets beside them; asserts nothing about speed, but exits 1 if a tip
acknowledged to its sender was lost, stored twice or stored without its attachment.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import io
import os
import random
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from loadkit import FilePart, multipart, percentile
from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from verifykit import server_environment

from portal import create_app
from portal.attachments import sniff
from portal.config import PROJECT_ROOT, Settings
from portal.crypto import TipCipher, get_cipher, new_key
from portal.extensions import db
from portal.media import MediaStore, get_media_store
from portal.models import AttachmentState, Case, CaseStatus, Tip, TipAttachment
from portal.services.tips import ATTACHMENT_PREFIX, read_attachment, read_message
from portal.tips.forms import clean_text

TARGET_TIPS_PER_SECOND = 50.0
MIN_IMAGE_BYTES = 20 * 1024
MAX_IMAGE_BYTES = 60 * 1024
IMAGES = 24
FORMS_AHEAD = 8  # forms each tipster opens before the clock starts
MAX_FORMS_AHEAD = 16  # opened but not yet sent, per tipster
# Sent this long after the form page arrived: the server's own check is in whole seconds.
FORM_AGE_MARGIN = 0.05
HTTP_TIMEOUT = 60.0
PHASES: dict[str, float | None] = {"mixed": None, "attachment": 1.0}  # None: --attachment-ratio

_HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|submission_id|started)"[^>]*value="([^"]*)"')
_REFERENCE = re.compile(r'id="tip-reference">([^<]+)<')
# What a non-200 page says, in the words of portal/tips/views.py.
_NOTICES = {
    "sent very quickly": "too soon after the form",
    "open for a long time": "form token refused",
    "Several messages were sent": "rate limited",
    "already sent with a different": "conflict",
    "could not store your message": "not stored",
}

MESSAGES = (
    "I think this is my cousin {name}. She had a {motif} on her {place} like the one in the "
    "drawing, and we have not heard from her since {year}.",
    "The {motif} looks like one I saw at a tattoo studio in {town} around {year}. The artist "
    "might remember who had it done.",
    "My neighbour's son went missing in {year}. He wore a ring very much like this one and had "
    "a scar on his {place}.\r\nHis family still lives on the same street.",
    "I used to work with a man called {name} who had exactly this {motif} on his {place}. "
    "He left without notice in {year}.",
    "Not sure at all, but the jacket looks like the ones sold at the market in {town} in {year}."
    "\r\n\r\nI can send a photo of mine if that helps.",
    "Ceci est peut-être ma tante {name} : elle avait un tatouage {motif} sur le {place}.",
)
NAMES = ("Rosa", "Jan", "Aisha", "Tomás", "Marek", "Siobhán", "Chidi", "Lena", "Yusuf", "Mei")
MOTIFS = ("rose", "swallow", "anchor", "koi", "compass", "butterfly", "dragon", "skull")
PLACES = ("forearm", "wrist", "shoulder", "ankle", "neck", "hand", "calf", "back")
TOWNS = ("Leeds", "Ghent", "Lyon", "Utrecht", "Porto", "Cork", "Bremen", "Gdańsk")
RELATIONSHIPS = ("family", "knew", "recognise_item", "saw", "other")


# -- what is sent ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    name: str
    data: bytes
    content_type: str
    exif: bool

    @property
    def part(self) -> FilePart:
        return (self.name, self.content_type, self.data)


def _picture(width: int, height: int, sigma: float, rng: random.Random) -> Image.Image:
    """Something photo-like: gradients, noise and a few shapes, so it compresses like a photo."""
    noise = Image.effect_noise((width, height), sigma)
    across = Image.linear_gradient("L").resize((width, height))
    down = across.rotate(90).resize((width, height))
    image = Image.merge(
        "RGB", [Image.blend(across, noise, 0.5), Image.blend(down, noise, 0.4), noise]
    )
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.randrange(width), rng.randrange(height)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse([x, y, x + rng.randrange(20, 120), y + rng.randrange(20, 120)], fill=colour)
    return image


def _camera_exif(rng: random.Random) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "Canon EOS 80D"  # Model
    exif[0x0112] = rng.choice((1, 1, 6, 8))  # Orientation: some phones store rotated pixels
    exif.get_ifd(0x8825).update(  # GPS, which the portal must strip
        {1: "N", 2: (51.0, 30.0, rng.randrange(60) * 1.0), 3: "W", 4: (0.0, 7.0, 39.2)}
    )
    return exif


def make_images(count: int, rng: random.Random) -> list[Photo]:
    """JPEGs (half with camera EXIF and GPS) and PNGs of 20-60 KB."""
    images: list[Photo] = []
    attempts = 0
    while len(images) < count and attempts < count * 20:
        attempts += 1
        index = len(images)
        buffer = io.BytesIO()
        if index % 3 != 2:
            width = rng.choice((480, 560, 640))
            picture = _picture(width, width * 3 // 4, rng.uniform(20, 40), rng)
            with_exif = index % 2 == 0
            data = b""
            for quality in (85, 75, 65, 55, 45):
                buffer = io.BytesIO()
                options = {"exif": _camera_exif(rng)} if with_exif else {}
                picture.save(buffer, "JPEG", quality=quality, **options)
                data = buffer.getvalue()
                if len(data) <= MAX_IMAGE_BYTES:
                    break
            kind, content_type, exif = "jpg", "image/jpeg", with_exif
        else:
            width = rng.choice((160, 200, 240))
            _picture(width, width * 3 // 4, rng.uniform(10, 40), rng).save(buffer, "PNG")
            data = buffer.getvalue()
            kind, content_type, exif = "png", "image/png", False
        if MIN_IMAGE_BYTES <= len(data) <= MAX_IMAGE_BYTES:
            images.append(Photo(f"IMG_{4000 + index}.{kind}", data, content_type, exif))
    if not images:
        raise SystemExit("could not make test images of 20-60 KB")
    return images


def make_message(rng: random.Random) -> str:
    """What a tipster types, with the \\r\\n line breaks a browser sends from a textarea."""
    text = rng.choice(MESSAGES).format(
        name=rng.choice(NAMES),
        motif=rng.choice(MOTIFS),
        place=rng.choice(PLACES),
        town=rng.choice(TOWNS),
        year=rng.randrange(1985, 2024),
    )
    if rng.random() < 0.3:
        text += "\r\n\r\n" + " ".join(rng.choice(MESSAGES).split()[:40]) * rng.randrange(1, 6)
    return text


@dataclass(frozen=True)
class Reply:
    status: int  # 0: no response (connection refused, reset or timed out)
    body: str
    cookies: dict[str, str]
    ms: float


def http_request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> Reply:
    """One request on its own connection: gunicorn's sync workers close after each response."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        cookies = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            cookies[name.strip()] = value.strip()
        status = response.status
    except (OSError, http.client.HTTPException):
        return Reply(0, "", {}, (time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    return Reply(
        status, data.decode("utf-8", "replace"), cookies, (time.perf_counter() - started) * 1000
    )


def problem_of(reply: Reply) -> str:
    """Why a POST did not give a receipt, in a few words ("" when it did)."""
    if reply.status == 200:
        return "" if _REFERENCE.search(reply.body) else "200 without a receipt"
    if reply.status == 0:
        return "no response"
    if reply.status >= 500 and "could not store" not in reply.body:
        return f"{reply.status} server error"
    for phrase, label in _NOTICES.items():
        if phrase in reply.body:
            return f"{reply.status} {label}"
    return str(reply.status)


# -- tipsters ----------------------------------------------------------------------------------


class AddressPool:
    """Client addresses 10.x.y.z, each used for at most `per_address` POSTs in the whole run."""

    def __init__(self, per_address: int) -> None:
        self.per_address = per_address
        self._lock = threading.Lock()
        self._next = 0
        self.posts: collections.Counter[str] = collections.Counter()

    def new(self) -> str:
        with self._lock:
            self._next += 1
            while self._next & 255 in (0, 255):
                self._next += 1
            n = self._next
            return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"

    def count(self, address: str, posts: int) -> None:
        with self._lock:
            self.posts[address] += posts


@dataclass(frozen=True)
class OpenForm:
    """A tip form as a tipster's browser holds it, waiting to be sent."""

    case_id: str
    fields: dict[str, str]
    cookie: str
    address: str
    ready_at: float  # wall clock: the server compares its own time.time() with the form's
    repeat: str | None  # "retry" or "double click": sent twice


@dataclass(frozen=True)
class Outcome:
    status: int
    reference: str | None
    problem: str
    ms: float


@dataclass
class Sent:
    """One submitted form (one submission_id) and every answer it got."""

    submission_id: str
    case_id: str
    message: str
    image: Photo | None
    repeat: str | None
    first: Outcome | None = None
    repeats: list[Outcome] = field(default_factory=list)

    @property
    def references(self) -> set[str]:
        return {o.reference for o in [self.first, *self.repeats] if o and o.reference}


@dataclass
class PhaseResult:
    name: str
    ratio: float
    sent: list[Sent] = field(default_factory=list)
    form_ms: list[float] = field(default_factory=list)
    form_errors: int = 0
    waited_s: float = 0.0
    most_forms_open: int = 0
    seconds: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    other_cpu_s: float = 0.0  # other processes on the machine: another benchmark, a test run
    load_before: float = 0.0

    def firsts(self, with_file: bool | None = None) -> list[Outcome]:
        return [
            s.first
            for s in self.sent
            if s.first and (with_file is None or (s.image is not None) == with_file)
        ]

    @property
    def acknowledged(self) -> int:
        return sum(1 for o in self.firsts() if o.reference)

    @property
    def tips_per_second(self) -> float:
        return self.acknowledged / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Plan:
    port: int
    cases: list[str]
    images: list[Photo]
    pool: AddressPool
    ratio: float
    repeat_ratio: float
    min_seconds: float


class Tipster:
    """One person at a time behind one thread: opens forms, sends them when old enough."""

    def __init__(self, index: int, plan: Plan, seed: int) -> None:
        self.plan = plan
        self.rng = random.Random(seed * 100_003 + index)  # noqa: S311 - a seeded workload
        self.forms: collections.deque[OpenForm] = collections.deque()
        self.cookie = ""
        self.address = ""
        self.posts_left = 0
        self.lock = threading.Lock()
        self.sent: list[Sent] = []
        self.form_ms: list[float] = []
        self.form_errors = 0
        self.waited = 0.0
        self.most_open = 0

    def _reserve(self, posts: int) -> str:
        if self.posts_left < posts:
            self.address = self.plan.pool.new()
            self.posts_left = self.plan.pool.per_address
        self.posts_left -= posts
        self.plan.pool.count(self.address, posts)
        return self.address

    def open_form(self) -> None:
        case_id = self.rng.choice(self.plan.cases)
        repeat = None
        if self.rng.random() < self.plan.repeat_ratio:
            repeat = self.rng.choice(("retry", "double click"))
        address = self._reserve(2 if repeat else 1)
        headers = {"X-Forwarded-For": address, "Accept": "text/html"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        reply = http_request(self.plan.port, "GET", f"/cases/{case_id}/tips", headers)
        fields: dict[str, str] = {}
        for name, value in _HIDDEN.findall(reply.body):
            fields.setdefault(name, value)
        if reply.status != 200 or set(fields) != {"csrf_token", "submission_id", "started"}:
            self.form_errors += 1
            return
        self.form_ms.append(reply.ms)
        if "session" in reply.cookies:
            self.cookie = f"session={reply.cookies['session']}"
        ready = time.time() + self.plan.min_seconds + FORM_AGE_MARGIN
        self.forms.append(OpenForm(case_id, fields, self.cookie, address, ready, repeat))
        self.most_open = max(self.most_open, len(self.forms))

    def prefetch(self, count: int) -> None:
        for _ in range(count):
            self.open_form()

    def run(self, start_at: float, deadline: float) -> None:
        time.sleep(max(0.0, start_at - time.time()))
        while True:
            now = time.time()
            if now >= deadline:
                break
            if self.forms and self.forms[0].ready_at <= now:
                self.send(self.forms.popleft())
                self.open_form()  # every tip starts with someone opening the page
            elif len(self.forms) < MAX_FORMS_AHEAD:
                self.open_form()
            else:
                wait = min(self.forms[0].ready_at, deadline) - now
                self.waited += wait
                time.sleep(wait)

    def send(self, form: OpenForm) -> None:
        rng = self.rng
        image = rng.choice(self.plan.images) if rng.random() < self.plan.ratio else None
        message = make_message(rng)
        contact = rng.random() < 0.4
        values = [
            ("csrf_token", form.fields["csrf_token"]),
            ("submission_id", form.fields["submission_id"]),
            ("started", form.fields["started"]),
            ("website", ""),
            ("message", message),
        ]
        if rng.random() < 0.7:
            values.append(("relationship", rng.choice(RELATIONSHIPS)))
        values += [
            ("contact_ok", "yes" if contact else "no"),
            ("name", rng.choice(NAMES) if contact else ""),
            ("email", f"tipster{rng.randrange(10**6)}@example.org" if contact else ""),
            ("phone", "07700 900 982" if contact and rng.random() < 0.5 else ""),
        ]
        body, content_type = multipart(values, image.part if image else None)
        path = f"/cases/{form.case_id}/tips"
        headers = {
            "Content-Type": content_type,
            "Cookie": form.cookie,
            "X-Forwarded-For": form.address,
            "Referer": f"http://127.0.0.1:{self.plan.port}{path}",
            "Accept": "text/html",
        }
        sent = Sent(form.fields["submission_id"], form.case_id, message, image, form.repeat)

        def post() -> Outcome:
            reply = http_request(self.plan.port, "POST", path, headers, body)
            found = _REFERENCE.search(reply.body) if reply.status == 200 else None
            return Outcome(
                reply.status, found.group(1).strip() if found else None, problem_of(reply), reply.ms
            )

        twin: threading.Thread | None = None
        if form.repeat == "double click":
            # The second click goes out while the first request is still being answered.
            delay = rng.uniform(0.02, 0.2)

            def second() -> None:
                time.sleep(delay)
                outcome = post()
                with self.lock:
                    sent.repeats.append(outcome)

            twin = threading.Thread(target=second)
            twin.start()
        sent.first = post()
        if twin is not None:
            twin.join()
        if form.repeat == "retry":
            # Reload or resend after the answer (or after giving up on it): the same form again.
            time.sleep(rng.uniform(0.1, 1.0))
            sent.repeats.append(post())
        self.sent.append(sent)


def server_cpu_seconds(root: int) -> float:
    """User and system CPU time of gunicorn's master and its workers so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        if pid == root or int(fields[1]) == root:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def machine_cpu_seconds() -> float:
    """CPU time every process on the machine has used so far (all cores, idle excluded)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def client_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def run_phase(
    name: str, plan: Plan, tipsters: int, seconds: float, seed: int, server_pid: int
) -> PhaseResult:
    result = PhaseResult(name, plan.ratio, load_before=os.getloadavg()[0])
    people = [Tipster(index, plan, seed) for index in range(tipsters)]
    start_at = [0.0]

    def opened() -> None:
        # Runs once every tipster holds FORMS_AHEAD forms: the clock starts when the oldest
        # form of every tipster may be sent, so the first three seconds are not timed idle.
        start_at[0] = max((p.forms[0].ready_at for p in people if p.forms), default=time.time())

    barrier = threading.Barrier(tipsters, action=opened)

    def life(person: Tipster) -> None:
        try:
            person.prefetch(FORMS_AHEAD)
            barrier.wait()
        except BaseException:
            barrier.abort()  # the others stop waiting; the phase reports what it got
            raise
        person.run(start_at[0], start_at[0] + seconds)

    threads = [threading.Thread(target=life, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    # The CPU counters start with the clock, once every tipster has its first forms.
    while not start_at[0]:
        if barrier.broken:
            raise SystemExit("a tipster failed before the clock started")
        time.sleep(0.01)
    time.sleep(max(0.0, start_at[0] - time.time()))
    cpu_server, cpu_client = server_cpu_seconds(server_pid), client_cpu_seconds()
    cpu_machine = machine_cpu_seconds()
    for thread in threads:
        thread.join()
    result.seconds = time.time() - start_at[0]
    result.server_cpu_s = server_cpu_seconds(server_pid) - cpu_server
    result.client_cpu_s = client_cpu_seconds() - cpu_client
    result.other_cpu_s = (
        machine_cpu_seconds() - cpu_machine - result.server_cpu_s - result.client_cpu_s
    )
    for person in people:
        result.sent += person.sent
        result.form_ms += person.form_ms
        result.form_errors += person.form_errors
        result.waited_s += person.waited
        result.most_forms_open = max(result.most_forms_open, person.most_open)
    return result


# -- the server --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn_server(
    settings: Settings, workers: int, threads: int, log_path: Path
) -> Iterator[tuple[int | None, subprocess.Popen[bytes]]]:
    """The portal as `make run` serves it (gunicorn, app:app), on loopback only."""
    port = _free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:app",
    ]  # fmt: skip
    with log_path.open("w") as log:
        # Our own interpreter and fixed arguments: nothing here comes from outside the script.
        server = subprocess.Popen(  # noqa: S603
            command,
            cwd=PROJECT_ROOT,
            env=server_environment(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            ready = False
            while time.monotonic() < deadline and server.poll() is None:
                ready = http_request(port, "GET", "/healthz", {}).status == 200
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


# -- checking against the database -------------------------------------------------------------


@dataclass
class Check:
    acknowledged: int = 0
    stored: int = 0
    lost: int = 0
    wrong_content: int = 0
    duplicate_rows: int = 0
    split_receipts: int = 0
    stored_without_receipt: int = 0
    not_ours: int = 0
    unacknowledged: collections.Counter[str] = field(default_factory=collections.Counter)
    repeats: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    attachments_expected: int = 0
    attachment_rows: int = 0
    attachments_stored: int = 0
    attachments_parked: int = 0
    attachments_missing: int = 0
    objects_missing: int = 0
    objects_unreadable: int = 0
    orphan_objects: int = 0
    temp_files: int = 0

    @property
    def failed(self) -> bool:
        return bool(
            self.lost
            or self.wrong_content
            or self.duplicate_rows
            or self.split_receipts
            or self.attachments_missing
            or self.objects_missing
            or self.objects_unreadable
        )


def tips_by_submission() -> dict[str, Tip]:
    """Every stored tip, attachments loaded, by the submission id its form carried."""
    query = select(Tip).options(selectinload(Tip.attachments))
    return {tip.submission_id: tip for tip in db.session.scalars(query)}


def attachment_problem(cipher: TipCipher, store: MediaStore, attachment: TipAttachment) -> str:
    """What is wrong with a stored (not parked) attachment's object; "" when nothing is."""
    if not store.exists(attachment.storage_key):
        return "missing"
    try:
        data = read_attachment(cipher, store, attachment)
    except Exception:  # a partial or damaged object: exactly what the checks look for
        return "unreadable"
    return "" if sniff(data) in ("jpeg", "png") else "not a photo"


def check_database(app: Flask, media_root: Path, sent: list[Sent]) -> Check:
    """Every receipt against the rows and media objects the server left behind."""
    check = Check()
    with app.app_context():
        cipher = get_cipher()
        store = get_media_store()
        tips = tips_by_submission()
        check.duplicate_rows = sum(
            count - 1
            for (count,) in db.session.execute(
                select(func.count()).select_from(Tip).group_by(Tip.submission_id)
            )
            if count > 1
        )
        ours = {s.submission_id for s in sent}
        check.not_ours = sum(1 for key in tips if key not in ours)
        referenced: set[str] = set()
        for tip in tips.values():
            for attachment in tip.attachments:
                referenced.add(attachment.storage_key)
                check.attachment_rows += 1
                if attachment.state is AttachmentState.PARKED:
                    check.attachments_parked += 1
                    continue
                check.attachments_stored += 1
                problem = attachment_problem(cipher, store, attachment)
                check.objects_missing += problem == "missing"
                check.objects_unreadable += problem not in ("", "missing")
        for item in sent:
            outcomes = [o for o in [item.first, *item.repeats] if o]
            for outcome in item.repeats:
                kind = item.repeat or "repeat"
                check.repeats[(kind, "sent")] += 1
                if outcome.reference and item.first and item.first.reference:
                    same = outcome.reference == item.first.reference
                    check.repeats[(kind, "same reference" if same else "another reference")] += 1
                elif outcome.reference:
                    check.repeats[(kind, "a receipt where the first send got none")] += 1
                else:
                    check.repeats[(kind, f"no receipt ({outcome.problem})")] += 1
            row = tips.get(item.submission_id)
            references = item.references
            if len(references) > 1:
                check.split_receipts += 1
            if not references:
                for outcome in outcomes[:1]:
                    check.unacknowledged[outcome.problem] += 1
                check.stored_without_receipt += row is not None
                continue
            check.acknowledged += 1
            if row is None or row.reference not in references:
                check.lost += 1
                continue
            check.stored += 1
            expected = clean_text(item.message, multiline=True)
            if read_message(cipher, row) != expected or row.case.public_id != item.case_id:
                check.wrong_content += 1
            wanted = 1 if item.image else 0
            check.attachments_expected += wanted
            check.attachments_missing += max(0, wanted - len(row.attachments))
    folder = media_root / ATTACHMENT_PREFIX.rstrip("/")
    for path in folder.rglob("*") if folder.exists() else []:
        if not path.is_file():
            continue
        if path.name.endswith(".tmp"):
            check.temp_files += 1
        elif path.relative_to(media_root).as_posix() not in referenced:
            check.orphan_objects += 1
    return check


# -- the run -----------------------------------------------------------------------------------


def verdict(passed: bool) -> str:
    return "ok" if passed else "MISSED"


def latency_row(label: str, outcomes: list[Outcome], seconds: float | None) -> str:
    sent = len(outcomes)
    acked = [o.ms for o in outcomes if o.reference]
    rate = f"{len(acked) / seconds:8.1f}" if seconds else f"{'':>8}"
    return (
        f"{label:<28} {sent:>6} {len(acked):>6} {rate} {percentile(acked, 0.5):7.0f}"
        f" {percentile(acked, 0.95):7.0f} {percentile(acked, 0.99):7.0f}"
        f" {max(acked, default=float('nan')):7.0f}"
    )


def setup(work: Path) -> tuple[Settings, Flask, list[str]]:
    settings = Settings(
        env="production",
        secret_key=secrets.token_hex(32),
        database_url=f"sqlite:///{work / 'bench.db'}",
        media_url=f"file://{work / 'media'}",
        search_dir=str(work / "search"),
        tip_encryption_key=new_key(),
        proxy_hops=1,
    )
    settings.check()
    app = create_app(settings)
    with app.app_context():
        upgrade()
        has_cases = db.session.scalar(select(func.count()).select_from(Case))
        if not has_cases:
            result = app.test_cli_runner().invoke(args=["demo", "load"])
            if result.exit_code != 0:
                raise SystemExit(f"flask demo load failed:\n{result.output}")
        cases = list(
            db.session.scalars(select(Case.public_id).where(Case.status == CaseStatus.PUBLISHED))
        )
        earlier = db.session.scalar(select(func.count()).select_from(Tip))
    if not cases:
        raise SystemExit("no published cases to send tips about")
    if earlier:
        raise SystemExit(f"{work} already holds {earlier} tips: use an empty --keep folder")
    return settings, app, cases


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tipsters", type=int, default=50, help="concurrent tipsters")
    parser.add_argument("--seconds", type=float, default=30.0, help="timed seconds per phase")
    parser.add_argument(
        "--attachment-ratio", type=float, default=0.5, help="share of tips with one attachment"
    )
    parser.add_argument(
        "--repeat-ratio", type=float, default=0.05, help="forms sent twice (retry, double click)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument(
        "--phases", default="mixed,attachment", help="mixed (--attachment-ratio), attachment (1.0)"
    )
    parser.add_argument(
        "--posts-per-address", type=int, default=8, help="POSTs per simulated client address"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="work in (and keep) this empty folder")
    args = parser.parse_args()
    phases = [name.strip() for name in args.phases.split(",") if name.strip()]
    if not phases or any(name not in PHASES for name in phases):
        parser.error(f"--phases takes a comma-separated list of {', '.join(PHASES)}")
    if args.tipsters < 1 or args.seconds <= 0 or args.workers < 1 or args.threads < 1:
        parser.error("--tipsters, --seconds, --workers and --threads must be positive")
    if not 0 <= args.attachment_ratio <= 1 or not 0 <= args.repeat_ratio <= 1:
        parser.error("ratios are between 0 and 1")
    if not 2 <= args.posts_per_address <= 10:
        parser.error("--posts-per-address must be 2-10: the default limit is 10 per minute")

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        work = args.keep.resolve()
    else:
        work = Path(tempfile.mkdtemp(prefix="recognise-bench-tips-"))
    failed = False
    try:
        failed = run(args, work, phases)
    finally:
        if failed and not args.keep:
            print(f"\nKept for inspection (database, media, gunicorn.log): {work}")
        elif not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


def run(args: argparse.Namespace, work: Path, phases: list[str]) -> bool:
    settings, app, cases = setup(work)
    rng = random.Random(args.seed)  # noqa: S311 - a seeded workload, not security
    images = make_images(IMAGES, rng)
    sizes = [len(image.data) // 1024 for image in images]
    model = "sync" if args.threads == 1 else f"gthread, {args.threads} threads each"
    print(
        f"Tip intake benchmark: {args.tipsters} tipsters, {args.seconds:g} s per phase,"
        f" {args.workers} gunicorn workers ({model}), {os.cpu_count()} CPUs, {work}"
    )
    print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, load average"
          f" {os.getloadavg()[0]:.2f} before the run")  # fmt: skip
    print(
        f"{len(cases)} published demo cases; {len(images)} test images of {min(sizes)}-"
        f"{max(sizes)} KB ({sum(i.content_type == 'image/jpeg' for i in images)} JPEG,"
        f" {sum(i.exif for i in images)} of them with camera EXIF and GPS;"
        f" {sum(i.content_type == 'image/png' for i in images)} PNG)"
    )
    print(
        f"Server limits as deployed: PORTAL_TIP_RATE_LIMIT={settings.tip_rate_limit!r},"
        f" PORTAL_TIP_MIN_SECONDS={settings.tip_min_seconds}, PORTAL_PROXY_HOPS=1\n"
    )
    pool = AddressPool(args.posts_per_address)
    results: list[PhaseResult] = []
    log_path = work / "gunicorn.log"
    with gunicorn_server(settings, args.workers, args.threads, log_path) as (port, server):
        if port is None:
            raise SystemExit(f"gunicorn did not start; see {log_path}")
        for number, name in enumerate(phases):
            fixed = PHASES[name]
            ratio = args.attachment_ratio if fixed is None else fixed
            plan = Plan(
                port, cases, images, pool, ratio, args.repeat_ratio, settings.tip_min_seconds
            )
            results.append(
                run_phase(
                    name, plan, args.tipsters, args.seconds, args.seed * 10 + number, server.pid
                )
            )
            print(f"  {name}: {results[-1].acknowledged} tips acknowledged", flush=True)
    server_log = log_path.read_text(errors="replace")
    check = check_database(app, work / "media", [s for r in results for s in r.sent])

    print(
        "\nLatency in ms, client side: from sending the POST to the end of the receipt page,"
        "\nwaiting in gunicorn's queue included. tips/s = acknowledged first sends / timed"
        "\nseconds (repeats of a form are counted apart below).\n"
    )
    header = (
        f"{'phase':<28} {'sent':>6} {'acked':>6} {'tips/s':>8} {'p50':>7} {'p95':>7}"
        f" {'p99':>7} {'max':>7}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        label = f"{result.name} ({result.ratio:.0%} with a file)"
        print(latency_row(label, result.firsts(), result.seconds))
        if 0 < result.ratio < 1:
            print(latency_row("  with one file", result.firsts(True), None))
            print(latency_row("  without a file", result.firsts(False), None))
        repeats = [o for s in result.sent for o in s.repeats]
        if repeats:
            print(latency_row("  repeats of a sent form", repeats, None))
        forms = result.form_ms
        print(
            f"{'  form page GET':<28} {len(forms) + result.form_errors:>6} {len(forms):>6}"
            f" {len(forms) / result.seconds:8.1f} {percentile(forms, 0.5):7.0f}"
            f" {percentile(forms, 0.95):7.0f} {percentile(forms, 0.99):7.0f}"
            f" {max(forms, default=float('nan')):7.0f}"
        )

    cores = os.cpu_count() or 1
    print(
        f"\nCPU in the timed window, in cores ({cores} in all). The ceiling is what the CPU time"
        f"\nper tip (its form GET included) would allow with every core for the portal and this"
        f"\nclient; waits on fsync and the database are not in it, so it is an upper bound."
    )
    for result in results:
        tips = max(result.acknowledged, 1)
        seconds = max(result.seconds, 1e-9)
        per_tip = (result.server_cpu_s + result.client_cpu_s) / tips
        print(
            f"  {result.name:<11} gunicorn {result.server_cpu_s / seconds:4.2f}"
            f" ({result.server_cpu_s / tips * 1000:.0f} ms per tip), this client"
            f" {result.client_cpu_s / seconds:4.2f}, other processes"
            f" {max(0.0, result.other_cpu_s) / seconds:4.2f}; ceiling"
            f" {cores / per_tip:.0f} tips/s; load average before {result.load_before:.2f}"
        )

    tipster_seconds = sum(r.seconds for r in results) * args.tipsters
    waited = sum(r.waited_s for r in results)
    print(
        f"\nHow forms were timed: every tipster opened {FORMS_AHEAD} forms (GET /cases/<id>/tips,"
        f" keeping its session cookie, csrf_token,\nsubmission_id and started) before the clock"
        f" started, and opens a new one after each tip it sends.\nA form is sent only"
        f" {settings.tip_min_seconds} s + {FORM_AGE_MARGIN:g} s after its page arrived; a tipster"
        f" whose oldest form is younger\nopens another (up to {MAX_FORMS_AHEAD}) before it waits."
        f" Most forms open at once: {max(r.most_forms_open for r in results)};"
        f" time spent\nwaiting for a form to age: {waited:.1f} s of {tipster_seconds:.0f}"
        f" tipster-seconds ({waited / max(tipster_seconds, 1e-9):.1%})."
    )
    uses = pool.posts.values()
    print(
        f"Client addresses: {len(pool.posts)} addresses from 10.0.0.0/8 in X-Forwarded-For, at"
        f" most {max(uses, default=0)} POSTs each\n(repeats included) in the whole run, so none"
        f" reaches {settings.tip_rate_limit!r}; the GETs of a form use its address."
    )

    print("\nChecked against the database after gunicorn stopped:")
    unacked = ", ".join(f"{n} {why}" for why, n in check.unacknowledged.most_common()) or "none"
    kinds = sorted({kind for kind, _what in check.repeats})
    repeat_notes = "; ".join(
        f"{kind}: "
        + ", ".join(f"{n} {what}" for (k, what), n in sorted(check.repeats.items()) if k == kind)
        for kind in kinds
    )
    rows = [
        ("acknowledged (200 with a reference)", f"{check.acknowledged:,}"),
        ("stored (row with that reference)", f"{check.stored:,}"),
        ("lost (acknowledged, no such row)", f"{check.lost:,}"),
        ("stored with other content", f"{check.wrong_content:,}"),
        ("duplicated: rows per form > 1", f"{check.duplicate_rows:,}"),
        ("duplicated: forms with 2 references", f"{check.split_receipts:,}"),
        ("unacknowledged first sends", unacked),
        ("  of which stored anyway", f"{check.stored_without_receipt:,}"),
        ("rows from no form of this run", f"{check.not_ours:,}"),
        ("forms sent twice", repeat_notes or "none"),
        (
            "files of the stored tips",
            f"{check.attachments_expected:,} sent, {check.attachments_missing:,} missing",
        ),
        (
            "attachment rows",
            f"{check.attachment_rows:,}: {check.attachments_stored:,} stored,"
            f" {check.attachments_parked:,} parked",
        ),
        (
            "stored objects in the media folder",
            f"{check.objects_missing:,} missing, {check.objects_unreadable:,} unreadable,"
            f" {check.orphan_objects:,} orphans, {check.temp_files:,} temp files",
        ),
    ]
    for label, value in rows:
        print(f"  {label:<38} {value}")
    # At --log-level warning a healthy run logs nothing; traceback lines are indented.
    errors = [line for line in server_log.splitlines() if line.strip() and not line[0].isspace()]
    print(f"  {'server log records':<38} {len(errors)} (gunicorn.log)")
    for line in sorted(set(errors))[:5]:
        print(f"    {line[:160]}")

    print(f"\nTargets (2-core machine, SQLite, {args.workers} gunicorn workers):")
    lost = (
        check.lost
        + check.wrong_content
        + check.attachments_missing
        + check.objects_missing
        + check.objects_unreadable
    )
    targets: list[tuple[str, str, bool]] = []
    for result in results:
        if result.ratio == 1.0:
            targets.append(
                (
                    f"tips/s, one small file each >= {TARGET_TIPS_PER_SECOND:g}",
                    f"{result.tips_per_second:.1f}",
                    result.tips_per_second >= TARGET_TIPS_PER_SECOND,
                )
            )
    targets += [
        ("lost = 0 (tips, their text or files)", f"{lost}", not lost),
        ("duplicated = 0", f"{check.duplicate_rows + check.split_receipts}",
         not (check.duplicate_rows or check.split_receipts)),
    ]  # fmt: skip
    for label, figure, passed in targets:
        print(f"  {label:<38} {figure:>8}  {verdict(passed)}")
    return check.failed


if __name__ == "__main__":
    main()
