"""The portal end to end on S3 media: import stores objects over HTTP, pages serve them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from flask import Flask
from sqlalchemy import select

from portal import media
from portal.config import Settings
from portal.extensions import db
from portal.models import CaseImage
from portal.records.importer import import_file
from tests.conftest import running_app

pytestmark = pytest.mark.slow


@pytest.fixture
def s3_app(settings: Settings, s3_server: str, s3_bucket: str) -> Iterator[Flask]:
    s3_settings = dataclasses.replace(
        settings, media_url=f"s3://{s3_bucket}/portal", s3_endpoint_url=s3_server
    )
    with running_app(s3_settings) as app:
        yield app


def test_import_and_serve_through_s3(
    s3_app: Flask, records_dir: Path, s3_server: str, s3_bucket: str
) -> None:
    assert isinstance(media.get_media_store(), media.S3MediaStore)
    result = import_file(records_dir / "sample-records.jsonl")
    assert result.errors == []
    client = boto3.session.Session().client("s3", endpoint_url=s3_server)
    keys = [
        item["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=s3_bucket)
        for item in page.get("Contents", [])
    ]
    assert keys and all(key.startswith("portal/images/") for key in keys)
    for key in keys:
        body = client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
        assert b"EXIF-SENTINEL" not in body

    image = db.session.scalar(select(CaseImage))
    assert image is not None
    response = s3_app.test_client().get(f"/media/{image.token}/w{image.derivative_widths[0]}")
    assert response.status_code == 200
    assert response.data[:2] == b"\xff\xd8"


def test_unreachable_s3_is_a_503_not_a_500(
    s3_app: Flask, records_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_file(records_dir / "sample-records.jsonl")
    image = db.session.scalar(select(CaseImage))
    assert image is not None
    store = media.get_media_store()

    def unreachable(_key: str) -> bytes:
        raise media.MediaError("endpoint unreachable")

    monkeypatch.setattr(store, "get", unreachable)
    response = s3_app.test_client().get(f"/media/{image.token}/w{image.derivative_widths[0]}")
    assert response.status_code == 503
