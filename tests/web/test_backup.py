"""The restore drill: back up a portal, restore it into a fresh one, and prove nothing changed."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from portal import media
from portal.config import Settings
from portal.crypto import TipCipher
from portal.extensions import db
from portal.media import LocalMediaStore, get_media_store
from portal.models import Agency, Case, CaseImage, Role, Tip, TipAttachment
from portal.models.tip import AttachmentState
from portal.records.importer import import_file
from portal.services import tips as tip_service
from portal.services.backup import MANIFEST_NAME, libpq_target
from portal.services.tips import Contact, Upload
from tests.conftest import TIP_KEY, running_app
from tests.modkit import add_tip, photo_jpeg
from tests.staffkit import Staff, make_staff, sign_in
from tests.verifycount import record

pytestmark = pytest.mark.slow

ROSE = "BE-1992-0603"
CANAL = "BE-2001-1117"
DUTCH = "NL-1999-0412"
MEDIA_URL = re.compile(r"/media/[0-9a-f]+/[A-Za-z0-9._-]+")
# Tip text and contact details that must never appear in the command's output.
SECRET_TEXT = "MARKER-BACKUP-7f3c: the woman is my neighbour Ilse"
SECRET_EMAIL = "marker-backup-7f3c@example.org"
DIALECTS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass(frozen=True)
class Snapshot:
    """Everything the drill compares, read from one portal."""

    api_list: Any
    api_details: dict[str, Any]
    page_status: dict[str, int]
    images: dict[str, bytes]
    messages: dict[str, str]
    contacts: dict[str, Contact]
    attachments: dict[str, bytes]
    search: Any


def snapshot(app: Flask) -> Snapshot:
    """Read the public API, case pages, images, and every tip decrypted with the test key."""
    client = app.test_client()
    api_list = client.get("/api/v1/cases?per_page=100").json
    assert api_list is not None and api_list["total"] > 0
    details: dict[str, Any] = {}
    images: dict[str, bytes] = {}
    for item in api_list["results"]:
        response = client.get(f"/api/v1/cases/{item['id']}")
        assert response.status_code == 200
        details[item["id"]] = response.json
        for url in MEDIA_URL.findall(response.get_data(as_text=True)):
            image = client.get(url)
            assert image.status_code == 200, url
            images[url] = image.data
    with app.app_context():
        cases = db.session.scalars(select(Case).order_by(Case.public_id)).all()
        page_status = {
            case.public_id: client.get(f"/cases/{case.public_id}").status_code for case in cases
        }
        cipher = TipCipher.from_setting(TIP_KEY)
        store = get_media_store()
        tips = db.session.scalars(select(Tip).order_by(Tip.reference)).all()
        messages = {tip.reference: tip_service.read_message(cipher, tip) for tip in tips}
        contacts = {tip.reference: tip_service.read_contact(cipher, tip) for tip in tips}
        attachments = {
            attachment.storage_key: tip_service.read_attachment(cipher, store, attachment)
            for attachment in db.session.scalars(select(TipAttachment))
        }
        db.session.remove()
    search = client.get("/api/v1/cases?q=rose+tattoo&per_page=100").json
    return Snapshot(api_list, details, page_status, images, messages, contacts, attachments, search)


def assert_no_dangling_media(app: Flask) -> None:
    """Every attachment row and every case image points at an object the store holds."""
    with app.app_context():
        store = get_media_store()
        for attachment in db.session.scalars(select(TipAttachment)):
            assert attachment.state is AttachmentState.STORED
            assert store.exists(attachment.storage_key), attachment.storage_key
        for image in db.session.scalars(select(CaseImage)):
            assert store.exists(media.original_key(image.media_prefix, image.extension))
            for width in image.derivative_widths:
                assert store.exists(media.derivative_key(image.media_prefix, width))
        db.session.remove()


def add_tips() -> None:
    """Tips with photos, a contact and a follow-up thread, through the real intake."""
    add_tip(ROSE, uploads=[Upload("rose.jpg", photo_jpeg("teal"))])
    add_tip(
        CANAL,
        SECRET_TEXT,
        contact=Contact(name="Ilse Marker", email=SECRET_EMAIL),
        uploads=[Upload("a.jpg", photo_jpeg("red")), Upload("b.jpg", photo_jpeg("navy"))],
    )
    add_tip(DUTCH, "Saw him at the station in 1999.")


def invoke(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=list(args))
    output = result.output
    assert SECRET_TEXT not in output and SECRET_EMAIL not in output and TIP_KEY not in output
    return result


@pytest.fixture
def restore_database_url(tmp_path: Path, postgres_url: str | None) -> Iterator[str]:
    """A second, empty database to restore into: a file on SQLite, a throwaway PostgreSQL one."""
    if postgres_url is None:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url = make_url(postgres_url)
    name = f"{url.database}_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def target_settings(settings: Settings, restore_database_url: str, tmp_path: Path) -> Settings:
    """A fresh portal: another database, an empty media folder and no search index yet."""
    return dataclasses.replace(
        settings,
        database_url=restore_database_url,
        media_url=f"file://{tmp_path / 'restored-media'}",
        search_dir=str(tmp_path / "restored-search"),
    )


@pytest.fixture
def staff(app: Flask, sample_cases: Path) -> Staff:
    return make_staff("backup-admin@example.org", Role.ADMIN)


@pytest.fixture
def backup(app: Flask, sample_cases: Path, staff: Staff, tmp_path: Path) -> Path:
    add_tips()
    db.session.remove()
    folder = tmp_path / "backup"
    result = invoke(app, "backup", "create", str(folder))
    assert result.exit_code == 0, result.output
    assert "NOT in the backup" in result.output
    return folder


def test_a_restored_portal_serves_the_same_cases_and_tips(
    app: Flask, backup: Path, staff: Staff, target_settings: Settings
) -> None:
    before = snapshot(app)
    manifest = json.loads((backup / MANIFEST_NAME).read_text())
    assert manifest["counts"] == {"cases": 18, "tips": 3, "attachments": 3, "users": 1}
    assert manifest["media_count"] == len(list(get_media_store().iter_keys()))
    assert manifest["dialect"] == db.engine.dialect.name
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in manifest["media"].values())
    # Tip content is encrypted in the dump and the media copies alike.
    for path in backup.rglob("*"):
        if path.is_file():
            assert SECRET_TEXT.encode() not in path.read_bytes(), path
            assert SECRET_EMAIL.encode() not in path.read_bytes(), path

    with running_app(target_settings) as target:
        db.session.remove()
        result = invoke(target, "backup", "restore", str(backup))
        assert result.exit_code == 0, result.output
        assert "restored 18 cases, 3 tips, 3 attachments, 1 users" in result.output
        assert "search index rebuilt" in result.output
        assert isinstance(get_media_store(), LocalMediaStore)
        after = snapshot(target)
        compared = [
            (before.api_details, after.api_details),
            (before.page_status, after.page_status),
            (before.images, after.images),
            (before.messages, after.messages),
            (before.contacts, after.contacts),
            (before.attachments, after.attachments),
        ]
        differing = sum(
            1
            for old, new in compared
            for key in old.keys() | new.keys()
            if old.get(key) != new.get(key)
        )
        record(
            f"restore drill ({DIALECTS[db.engine.dialect.name]}):"
            " cases, pages, images, tips, attachments identical",
            sum(len(old) for old, _ in compared),
            differing + int(after.api_list != before.api_list) + int(after.search != before.search),
            f"{len(before.api_details)} public cases, {len(before.messages)} tips,"
            f" {len(before.attachments)} attachments, {len(before.images)} images",
        )
        assert_no_dangling_media(target)

        assert after.api_list == before.api_list
        assert after.api_details == before.api_details
        assert after.page_status == before.page_status
        assert set(before.page_status.values()) > {200}  # drafts and withdrawn cases too
        assert after.images == before.images and before.images
        assert after.messages == before.messages
        assert SECRET_TEXT in after.messages.values()
        assert after.contacts == before.contacts
        assert after.attachments == before.attachments and len(after.attachments) == 3
        assert after.search == before.search and after.search["total"] > 0

        # A moderator of the restored portal signs in and is served each attachment's bytes.
        client = target.test_client()
        assert sign_in(client, staff).status_code == 302
        with target.app_context():
            rows = db.session.scalars(select(TipAttachment)).all()
            served = {
                row.storage_key: client.get(f"/moderation/tips/{row.tip_id}/attachments/{row.id}")
                for row in rows
            }
            db.session.remove()
        assert {key: response.status_code for key, response in served.items()} == dict.fromkeys(
            before.attachments, 200
        )
        assert {key: response.data for key, response in served.items()} == before.attachments


def test_a_tampered_media_file_is_refused_before_anything_changes(
    app: Flask, backup: Path, target_settings: Settings
) -> None:
    manifest = json.loads((backup / MANIFEST_NAME).read_text())
    key = next(key for key in manifest["media"] if key.startswith("tips/"))
    path = backup / "media" / key
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    with running_app(target_settings) as target:
        db.session.remove()
        result = invoke(target, "backup", "restore", str(backup))
        assert result.exit_code != 0
        assert "do not match their checksums" in result.output
        assert "nothing was restored" in result.output
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0
        assert list(get_media_store().iter_keys()) == []
        db.session.remove()


def test_a_missing_manifest_or_media_file_is_refused(
    app: Flask, backup: Path, target_settings: Settings
) -> None:
    manifest = json.loads((backup / MANIFEST_NAME).read_text())
    (backup / "media" / next(iter(manifest["media"]))).unlink()
    with running_app(target_settings) as target:
        db.session.remove()
        result = invoke(target, "backup", "restore", str(backup))
        assert result.exit_code != 0 and "are missing" in result.output
        (backup / MANIFEST_NAME).unlink()
        result = invoke(target, "backup", "restore", str(backup))
        assert result.exit_code != 0 and "not a complete backup" in result.output
        assert list(get_media_store().iter_keys()) == []


def test_a_non_empty_database_is_replaced_only_with_force(
    app: Flask, backup: Path, target_settings: Settings
) -> None:
    with running_app(target_settings) as target:
        db.session.add(Agency(code="XX-OTHER", name="Another portal's agency", country="BE"))
        db.session.commit()
        db.session.remove()
        result = invoke(target, "backup", "restore", str(backup))
        assert result.exit_code != 0
        assert "not empty" in result.output and "--force" in result.output
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0
        assert list(get_media_store().iter_keys()) == []
        db.session.remove()

        result = invoke(target, "backup", "restore", "--force", str(backup))
        assert result.exit_code == 0, result.output
        codes = set(db.session.scalars(select(Agency.code)))
        assert "XX-OTHER" not in codes and "BE-FPJ-ANTWERP" in codes
        db.session.remove()
        assert_no_dangling_media(target)


def test_backup_refuses_a_folder_that_is_not_empty(app: Flask, tmp_path: Path) -> None:
    folder = tmp_path / "used"
    folder.mkdir()
    (folder / "keep.txt").write_text("an earlier backup")
    result = invoke(app, "backup", "create", str(folder))
    assert result.exit_code != 0 and "is not empty" in result.output
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_the_libpq_url_drops_the_driver_and_keeps_the_password_off_the_command_line() -> None:
    url, env = libpq_target(make_url("postgresql+psycopg://portal:s3cr%40t@db.example:5433/rec"))
    assert url == "postgresql://portal@db.example:5433/rec"
    assert env == {"PGPASSWORD": "s3cr@t"}


def test_backup_from_s3_restores_into_a_local_folder(
    settings: Settings,
    s3_server: str,
    s3_bucket: str,
    records_dir: Path,
    target_settings: Settings,
    tmp_path: Path,
) -> None:
    s3_settings = dataclasses.replace(
        settings, media_url=f"s3://{s3_bucket}/portal", s3_endpoint_url=s3_server
    )
    folder = tmp_path / "s3-backup"
    with running_app(s3_settings) as source:
        assert isinstance(get_media_store(), media.S3MediaStore)
        assert import_file(records_dir / "sample-records.jsonl").errors == []
        add_tips()
        db.session.remove()
        result = invoke(source, "backup", "create", str(folder))
        assert result.exit_code == 0, result.output
        assert "s3://" in result.output
        keys = list(get_media_store().iter_keys())
        assert any(key.startswith("tips/") for key in keys)
        assert any(key.startswith("images/") for key in keys)
        before = snapshot(source)
        # The backup folder holds the store's keys, not the bucket's prefix.
        assert sorted(json.loads((folder / MANIFEST_NAME).read_text())["media"]) == keys
        with running_app(target_settings) as target:
            db.session.remove()
            result = invoke(target, "backup", "restore", str(folder))
            assert result.exit_code == 0, result.output
            assert sorted(get_media_store().iter_keys()) == keys
            after = snapshot(target)
            assert_no_dangling_media(target)
    assert after == before


def test_a_manifest_key_outside_the_media_folder_is_refused(
    app: Flask, backup: Path, target_settings: Settings, tmp_path: Path
) -> None:
    manifest = json.loads((backup / MANIFEST_NAME).read_text())
    (tmp_path / "outside").write_bytes(b"not from the backup")
    key = next(iter(manifest["media"]))
    manifest["media"]["../../outside"] = manifest["media"].pop(key)
    (backup / MANIFEST_NAME).write_text(json.dumps(manifest))
    with running_app(target_settings) as target:
        db.session.remove()
        result = invoke(target, "backup", "restore", str(backup))
        assert result.exit_code != 0 and "not a plain relative key" in result.output
        assert list(get_media_store().iter_keys()) == []


def test_a_failed_backup_leaves_no_half_written_folder(
    app: Flask, sample_cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(self: LocalMediaStore, key: str) -> bytes:
        raise media.MediaError("the store is unreachable")

    monkeypatch.setattr(LocalMediaStore, "get", unreachable)
    folder = tmp_path / "failed"
    result = invoke(app, "backup", "create", str(folder))
    assert result.exit_code != 0 and "the store is unreachable" in result.output
    assert not folder.exists()
