"""Tip attachments on S3 over HTTP: ciphertext only, parked while S3 is down, reconciled after."""

from __future__ import annotations

import dataclasses
import io
import re
import secrets
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from portal import crypto, media
from portal.config import Settings
from portal.crypto import get_cipher
from portal.extensions import db
from portal.media import MediaError, S3MediaStore
from portal.models import AttachmentState, Tip, TipAttachment
from portal.models.base import utcnow
from portal.records.importer import import_file, public_id_for
from portal.services import tips as tip_service
from tests.conftest import FIXTURES, running_app
from tests.tipkit import receipt_codes, send_tip

pytestmark = pytest.mark.slow

PUBLISHED = public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")
TATTOO_JPEG = (FIXTURES / "be-1992-0603-tattoo.jpg").read_bytes()
MARKER = "MARKER-S3-5b1e-OKAFOR"
# What plaintext photos and their metadata look like; ciphertext carries none of it.
SIGNATURES = (
    b"\xff\xd8\xff",
    b"JFIF",
    b"Exif",
    b"EXIF-SENTINEL",
    b"ExampleCam",
    b"\x89PNG",
    b"IHDR",
    b"IDAT",
    b"%PDF",
)
STORAGE_KEY = re.compile(r"tips/\d{10}/[0-9a-f]{32}")


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def s3_client(endpoint: str) -> Any:
    return boto3.session.Session().client("s3", endpoint_url=endpoint)


def bucket_objects(endpoint: str, bucket: str, prefix: str = "") -> dict[str, bytes]:
    client = s3_client(endpoint)
    return {
        item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
    }


def closed_port() -> int:
    """A local port nothing listens on: connections to it are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def assert_ciphertext(body: bytes) -> None:
    assert body[:1] == crypto.ENVELOPE_VERSION
    needles = [MARKER.encode(), MARKER.lower().encode(), MARKER.encode("utf-16-le")]
    for needle in [*needles, *SIGNATURES]:
        assert needle not in body, needle


def assert_clean_photo(data: bytes, size: tuple[int, int]) -> None:
    assert data[:3] == b"\xff\xd8\xff"
    assert b"Exif" not in data and b"EXIF-SENTINEL" not in data and b"ExampleCam" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == size
        assert not image.getexif()


def import_sample_cases(app: Flask, records_dir: Path, tmp_path: Path) -> None:
    """The sample records, their case images kept on disk whatever store the app has."""
    store = app.extensions[media.EXTENSION_NAME]
    app.extensions[media.EXTENSION_NAME] = media.LocalMediaStore(tmp_path / "case-images")
    try:
        result = import_file(records_dir / "sample-records.jsonl")
    finally:
        app.extensions[media.EXTENSION_NAME] = store
    assert result.errors == []


@pytest.fixture
def s3_app(
    settings: Settings, s3_server: str, s3_bucket: str, records_dir: Path, tmp_path: Path
) -> Iterator[Flask]:
    s3_settings = dataclasses.replace(
        settings, media_url=f"s3://{s3_bucket}/portal", s3_endpoint_url=s3_server
    )
    with running_app(s3_settings) as app:
        import_sample_cases(app, records_dir, tmp_path)
        yield app


def test_tip_attachments_reach_s3_as_ciphertext_only(
    s3_app: Flask, s3_server: str, s3_bucket: str
) -> None:
    store = media.get_media_store()
    assert isinstance(store, S3MediaStore) and store.endpoint_url == s3_server
    response = send_tip(
        s3_app.test_client(),
        PUBLISHED,
        message=f"The tattoo is my cousin's. {MARKER}",
        contact_ok="yes",
        name=MARKER,
        email=f"{MARKER.lower()}@example.org",
        files=[(TATTOO_JPEG, f"{MARKER}.jpg"), (png(), f"{MARKER}-2.png")],
    )
    assert response.status_code == 200
    receipt_codes(response.get_data(as_text=True))

    objects = bucket_objects(s3_server, s3_bucket, "portal/tips/")
    assert len(objects) == 2
    client = s3_client(s3_server)
    for key, body in objects.items():
        assert STORAGE_KEY.fullmatch(key.removeprefix("portal/")), key
        assert MARKER.lower() not in key.lower()
        assert_ciphertext(body)
        head = client.head_object(Bucket=s3_bucket, Key=key)
        # Neither the type nor the name of the file is told to S3.
        assert head["ContentType"] == "application/octet-stream"
        assert head.get("Metadata", {}) == {}

    attachments = db.session.scalars(select(TipAttachment).order_by(TipAttachment.id)).all()
    assert [a.state for a in attachments] == [AttachmentState.STORED] * 2
    assert all(a.parked_data is None for a in attachments)
    assert {f"portal/{a.storage_key}" for a in attachments} == set(objects)
    cipher = get_cipher()
    photo, picture = (tip_service.read_attachment(cipher, store, a) for a in attachments)
    assert_clean_photo(photo, (480, 360))
    assert picture[:8] == b"\x89PNG\r\n\x1a\n" and MARKER.encode() not in picture
    assert tip_service.attachment_filename(cipher, attachments[0]) == f"{MARKER}.jpg"
    # A ciphertext is bound to its key: copied under another key, it does not open.
    sealed = objects[f"portal/{attachments[0].storage_key}"]
    with pytest.raises(crypto.DecryptionError):
        cipher.decrypt(sealed, f"attachment:{attachments[1].storage_key}")


def test_unreachable_s3_parks_the_attachment_and_retry_moves_it(
    settings: Settings,
    s3_server: str,
    s3_bucket: str,
    records_dir: Path,
    tmp_path: Path,
) -> None:
    down = f"http://127.0.0.1:{closed_port()}"
    down_settings = dataclasses.replace(
        settings, media_url=f"s3://{s3_bucket}/portal", s3_endpoint_url=down
    )
    with running_app(down_settings) as app:
        import_sample_cases(app, records_dir, tmp_path)
        store = media.get_media_store()
        assert isinstance(store, S3MediaStore) and store.endpoint_url == down
        # The same endpoint without retries: botocore's backoff would wait 15 s on average.
        store.client = S3MediaStore(s3_bucket, "portal", endpoint_url=down, max_retries=0).client
        with pytest.raises(MediaError):
            store.put("tips/probe", b"x", "application/octet-stream")

        response = send_tip(
            app.test_client(), PUBLISHED, message=MARKER, files=[(TATTOO_JPEG, "IMG_1.jpg")]
        )
        assert response.status_code == 200
        reference, code = receipt_codes(response.get_data(as_text=True))
        tip = db.session.scalar(select(Tip).where(Tip.reference == reference))
        assert tip is not None and tip_service.open_followup(reference, code) == tip
        (attachment,) = tip.attachments
        assert attachment.state is AttachmentState.PARKED
        assert attachment.parked_data is not None
        parked = attachment.parked_data
        assert_ciphertext(parked)
        assert bucket_objects(s3_server, s3_bucket, "portal/tips/") == {}
        # Moderators can already open it from its parking place.
        assert_clean_photo(tip_service.read_attachment(get_cipher(), store, attachment), (480, 360))
        # A store that cannot be listed is an error, never a clean report.
        with pytest.raises(MediaError):
            tip_service.reconcile_attachments(store)
        # While S3 is still down, a retry leaves it parked and says so.
        assert tip_service.retry_parked_attachments(store) == tip_service.RetryResult(0, 1)

        real = S3MediaStore(s3_bucket, "portal", endpoint_url=s3_server)
        result = tip_service.retry_parked_attachments(real)
        assert (result.stored, result.still_parked) == (1, 0)
        db.session.expire_all()
        moved = db.session.get(TipAttachment, attachment.id)
        assert moved is not None
        assert moved.state is AttachmentState.STORED and moved.parked_data is None
        objects = bucket_objects(s3_server, s3_bucket, "portal/tips/")
        assert objects == {f"portal/{moved.storage_key}": parked}
        assert_clean_photo(tip_service.read_attachment(get_cipher(), real, moved), (480, 360))
        report = tip_service.reconcile_attachments(real)
        assert report.healthy
        assert (report.checked_rows, report.checked_objects, report.parked) == (1, 1, 0)
        # Nothing is left to retry.
        assert tip_service.retry_parked_attachments(real) == tip_service.RetryResult(0, 0)


def test_reconcile_finds_an_orphan_put_straight_into_the_bucket(
    s3_app: Flask, s3_server: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = media.get_media_store()
    assert isinstance(store, S3MediaStore)
    monkeypatch.setattr(store, "list_page_size", 2)  # several pages of listing
    response = send_tip(s3_app.test_client(), PUBLISHED, files=[(png(), "a.png"), (png(), "b.png")])
    assert response.status_code == 200
    assert tip_service.reconcile_attachments(store).healthy

    now = utcnow()
    old = f"tips/{now - timedelta(hours=5):%Y%m%d%H}/{secrets.token_hex(16)}"
    recent = f"tips/{now:%Y%m%d%H}/{secrets.token_hex(16)}"
    client = s3_client(s3_server)
    for key in (old, recent):
        client.put_object(Bucket=s3_bucket, Key=f"portal/{key}", Body=b"\x01" + b"\0" * 40)
    # Not tip attachments: another part of the store, and a bucket path outside the prefix.
    client.put_object(Bucket=s3_bucket, Key="portal/images/stray/w320.jpg", Body=b"x")
    client.put_object(Bucket=s3_bucket, Key=f"{old}", Body=b"x")

    report = tip_service.reconcile_attachments(store)
    assert report.orphan_objects == [old]
    assert report.recent_unmatched == 1
    assert (report.checked_rows, report.checked_objects) == (2, 4)
    assert report.missing_objects == [] and not report.healthy

    report = tip_service.reconcile_attachments(store, delete_orphans=True)
    assert report.deleted == 1 and report.orphan_objects == [old]
    remaining = set(bucket_objects(s3_server, s3_bucket))
    assert f"portal/{old}" not in remaining
    assert {f"portal/{recent}", "portal/images/stray/w320.jpg", old} <= remaining
    assert tip_service.reconcile_attachments(store).healthy
    # Hours later the recent one is an orphan too.
    later = tip_service.reconcile_attachments(store, now=now + tip_service.ORPHAN_GRACE * 2)
    assert later.orphan_objects == [recent] and later.recent_unmatched == 0
