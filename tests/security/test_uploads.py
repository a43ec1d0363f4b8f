"""Hostile file names on every upload: nothing lands outside the store, names never become keys."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.http import parse_options_header
from werkzeug.test import TestResponse

from portal.crypto import get_cipher
from portal.extensions import db
from portal.models import TipAttachment
from portal.ratelimit import limiter
from portal.services import tips as tip_service
from tests.modkit import photo_jpeg
from tests.security.conftest import CASE, SAMPLE_LINE, World
from tests.security.xsskit import Scan
from tests.staffkit import csrf_token
from tests.tipkit import browser_filename, send_tip
from tests.verifycount import record

MARK = "zqup"  # in every hostile name: a file written under one is found by searching for it
NAMES = [
    f"../../{MARK}-etc-passwd.jpg",
    f"../../../../../../etc/{MARK}-passwd.jpg",
    f"..\\..\\windows\\system32\\{MARK}.jpg",
    f"/etc/{MARK}-absolute.jpg",
    f"C:\\Windows\\{MARK}-win.ini.jpg",
    f"\\\\server\\share\\{MARK}.jpg",
    f"{MARK}-photo\x00.php.jpg",
    f"{MARK}-" + "a" * 5000 + ".jpg",
    f"{MARK}-photo\u202egpj.exe",
    f"<script>alert('{MARK}')</script>.jpg",
    f"\"><img src=x onerror=alert('{MARK}')>.jpg",
    f"{MARK}\r\nX-Injected: 1.jpg",
    "CON.jpg",
    "NUL",
    "aux.jpg",
    "COM1.jpg",
    "LPT9.jpg",
    ".htaccess",
    f"....//....//{MARK}.jpg",
    f"%2e%2e%2f%2e%2e%2f{MARK}.jpg",
    f"file:///etc/{MARK}.jpg",
    f"~/.ssh/{MARK}.jpg",
    f"{MARK}.jpg;.php",
    f" {MARK} .jpg. ",
]
# Object keys the portal makes: its own prefix, the hour, 32 random hex digits.
ATTACHMENT_KEY = re.compile(r"tips/\d{10}/[0-9a-f]{32}")


def stray_files(world: World) -> list[str]:
    """Files named after a hostile upload anywhere a traversal could have put them."""
    # This test session's folders (the media store's and its parents'), searched through; the
    # working folder, /etc and the system's temporary folder, where a climb would end.
    found = [str(p) for p in world.media_root.parent.parent.rglob(f"*{MARK}*")]
    for folder in (Path.cwd(), Path("/etc"), Path(tempfile.gettempdir())):
        found += [str(p) for p in folder.glob(f"*{MARK}*")]
    return found


def problems(response: TestResponse, where: str) -> list[str]:
    found = []
    if response.status_code >= 500:
        found.append(f"{where}: {response.status_code}")
    return found


def test_hostile_names_on_tip_and_follow_up_attachments(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limiter, "enabled", False)
    failures: list[str] = []
    tried = 0
    scan = Scan()
    before = {a.id for a in db.session.scalars(select(TipAttachment))}
    for index, typed in enumerate(NAMES):
        name = browser_filename(typed)  # what a browser sends for a file so named
        response = send_tip(world.app.test_client(), CASE, files=[(photo_jpeg(), name)])
        tried += 1
        failures += problems(response, f"tip attachment {name[:40]!r}")
        tipster = world.clients["tipster"]
        page = tipster.get("/tips/follow-up/tip").get_data(as_text=True)
        submission = re.search(r'name="submission_id" value="([^"]+)"', page)
        assert submission, "no follow-up form"
        response = tipster.post(
            "/tips/follow-up/tip",
            data={
                "csrf_token": csrf_token(page),
                "submission_id": submission.group(1),
                "text": f"photo {index}",
                "attachments": [(io.BytesIO(photo_jpeg()), name)],
            },
            content_type="multipart/form-data",
        )
        tried += 1
        failures += problems(response, f"follow-up attachment {name[:40]!r}")
    stored = [a for a in db.session.scalars(select(TipAttachment)) if a.id not in before]
    assert len(stored) == 2 * len(NAMES), "every photo is kept, whatever its name"
    cipher = get_cipher()
    shown: set[int] = set()
    for attachment in stored:
        if not ATTACHMENT_KEY.fullmatch(attachment.storage_key):
            failures.append(f"storage key {attachment.storage_key!r} is not the portal's own")
        kept = tip_service.attachment_filename(cipher, attachment)
        if any(ch in kept for ch in "/\\\x00\r\n\u202e") or len(kept) > 130:
            failures.append(f"kept name {kept[:60]!r} has a separator, a control or is too long")
        path = f"/moderation/tips/{attachment.tip_id}"
        if attachment.tip_id not in shown:
            shown.add(attachment.tip_id)
            page = world.clients["moderator"].get(path)
            failures += problems(page, path)
            scan.html(path, page.get_data(as_text=True), [], "file name")
        download = world.clients["moderator"].get(f"{path}/attachments/{attachment.id}")
        failures += problems(download, f"download of {kept[:40]!r}")
        disposition = download.headers.get("Content-Disposition", "")
        _value, options = parse_options_header(disposition)
        if "\r" in disposition or "\n" in disposition or not options.get("filename"):
            failures.append(f"download header {disposition[:80]!r}")
        tried += 1
    failures += scan.failures
    on_disk = world.media_root.rglob("*")
    for path in on_disk:
        if path.is_file() and MARK in str(path):
            failures.append(f"a media file named after the upload: {path}")
    failures += [f"written outside the store: {p}" for p in stray_files(world)]
    record("Uploads: hostile names on tip and follow-up attachments", tried, len(failures))
    assert not failures, "\n".join(failures[:30])


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return buffer.getvalue()


def test_hostile_names_on_the_records_import(world: World) -> None:
    publisher = world.clients["publisher"]
    failures: list[str] = []
    tried = 0
    scan = Scan()
    for typed in NAMES:
        name = browser_filename(typed)
        for kind, data in (
            ("records", SAMPLE_LINE.encode()),
            ("zip", _zip({"records.jsonl": SAMPLE_LINE.encode(), typed: b"x"})),
        ):
            token = csrf_token(publisher.get("/publishing/import").get_data(as_text=True))
            upload_name = name + (".zip" if kind == "zip" else ".jsonl")
            response = publisher.post(
                "/publishing/import",
                data={"csrf_token": token, "records_file": (io.BytesIO(data), upload_name)},
                content_type="multipart/form-data",
            )
            tried += 1
            failures += problems(response, f"import {kind} {name[:40]!r}")
            scan.html("import check", response.get_data(as_text=True), [], kind)
            # An entry that climbs out or starts at a root or a drive is refused outright.
            parts = typed.replace("\\", "/").split("/")
            escapes = ".." in parts or not parts[0] or re.match(r"[A-Za-z]:", parts[0])
            if kind == "zip" and escapes and response.status_code != 400:
                failures.append(f"zip entry {typed[:40]!r} was not refused")
    failures += scan.failures
    failures += [f"written outside the store: {p}" for p in stray_files(world)]
    record(
        "Uploads: hostile names on the records import (file and zip entries)", tried, len(failures)
    )
    assert not failures, "\n".join(failures[:30])
