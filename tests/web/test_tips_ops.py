"""Operating tips: the retry and reconcile commands, keys, and limits shared through Redis."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import media
from portal.config import PROJECT_ROOT, Settings
from portal.crypto import DecryptionError, TipCipher, new_key
from portal.extensions import db
from portal.models import AttachmentState, TipAttachment
from portal.records.importer import public_id_for
from portal.services import tips as tip_service
from tests.conftest import TIP_KEY, running_app
from tests.tipkit import send_tip
from tests.web.test_tips import png

PUBLISHED = public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")
REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def client(app: Flask, sample_cases: Path) -> FlaskClient:
    return app.test_client()


def park_one(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    store = media.get_media_store()

    def down(*_args: object) -> None:
        raise media.MediaError("unreachable")

    monkeypatch.setattr(store, "put", down)
    assert send_tip(client, PUBLISHED, files=[(png(), "a.png")]).status_code == 200
    monkeypatch.undo()


def test_retry_command_moves_parked_attachments(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    park_one(client, monkeypatch)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tips", "retry-attachments"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "stored 1 parked attachments, 0 still parked"
    db.session.expire_all()
    attachment = db.session.scalar(select(TipAttachment))
    assert attachment is not None and attachment.state is AttachmentState.STORED


def test_retry_command_fails_while_the_store_is_down(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    park_one(client, monkeypatch)

    def down(*_args: object) -> None:
        raise media.MediaError("still unreachable")

    monkeypatch.setattr(media.get_media_store(), "put", down)
    result = app.test_cli_runner().invoke(args=["tips", "retry-attachments"])
    assert result.exit_code == 1
    assert "stored 0 parked attachments, 1 still parked" in result.output
    assert "Traceback" not in result.output


def test_reconcile_command_reports_and_exits_nonzero_on_problems(
    app: Flask, client: FlaskClient
) -> None:
    runner = app.test_cli_runner()
    assert send_tip(client, PUBLISHED, files=[(png(), "a.png")]).status_code == 200
    clean = runner.invoke(args=["tips", "reconcile"])
    assert clean.exit_code == 0, clean.output
    assert "0 missing, 0 orphaned, 0 parked" in clean.output

    store = media.get_media_store()
    store.put("tips/2020010100/" + "ab" * 16, b"left over", "application/octet-stream")
    attachment = db.session.scalar(select(TipAttachment))
    assert attachment is not None
    store.delete(attachment.storage_key)
    result = runner.invoke(args=["tips", "reconcile"])
    assert result.exit_code == 1
    assert f"missing object: {attachment.storage_key}" in result.output
    assert "orphan object: tips/2020010100/" in result.output

    deleted = runner.invoke(args=["tips", "reconcile", "--delete-orphans"])
    assert "(deleted)" in deleted.output
    assert not store.exists("tips/2020010100/" + "ab" * 16)


def test_new_key_command_prints_a_usable_key(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["tips", "new-key"])
    assert result.exit_code == 0
    key = result.output.strip()
    cipher = TipCipher.from_setting(f"{key},{TIP_KEY}")
    assert cipher.decrypt(cipher.encrypt(b"x", "c"), "c") == b"x"


def test_rotated_key_still_reads_old_tips(
    settings: object, client: FlaskClient, tmp_path: Path
) -> None:
    assert send_tip(client, PUBLISHED, message="Written under the old key").status_code == 200
    tip = db.session.scalar(select(tip_service.Tip))
    assert tip is not None
    rotated = TipCipher.from_setting(f"{new_key()},{TIP_KEY}")
    assert tip_service.read_message(rotated, tip) == "Written under the old key"
    # New writes use the new key: a ring holding only the old key cannot read them.
    sealed = rotated.encrypt(b"new", "context")
    with pytest.raises(DecryptionError):
        TipCipher.from_setting(TIP_KEY).decrypt(sealed, "context")


# ---------------------------------------------------------------------------
# Several processes share limits through Redis

_OTHER_PROCESS = """
import sys
from portal import create_app
from portal.config import Settings
from tests.tipkit import send_tip
app = create_app(Settings.from_env())
with app.app_context():
    print(send_tip(app.test_client(), sys.argv[1]).status_code)
"""


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture
def redis_url() -> str:
    if not _redis_available():
        pytest.skip(f"no Redis at {REDIS_URL} (set PORTAL_TEST_REDIS_URL)")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL  # type: ignore[misc]
    client.flushdb()


def test_processes_share_limits_through_redis(
    settings: object, sample_cases: Path, redis_url: str, tmp_path: Path
) -> None:
    assert dataclasses.is_dataclass(settings)
    shared = dataclasses.replace(  # type: ignore[type-var]
        settings, redis_url=redis_url, tip_rate_limit="2 per minute"
    )
    with running_app(shared) as app:
        assert sample_cases.exists()
        client = app.test_client()
        assert send_tip(client, PUBLISHED).status_code == 200
        assert send_tip(client, PUBLISHED).status_code == 200
        _third_from_another_process(shared, redis_url)


def _third_from_another_process(shared: Settings, redis_url: str) -> None:
    # Another process with the same settings: its own memory would let it through.
    env = dict(
        os.environ,
        PORTAL_ENV="test",
        PORTAL_SECRET_KEY=shared.secret_key,
        PORTAL_DATABASE_URL=shared.database_url,
        PORTAL_MEDIA_URL=shared.media_url,
        PORTAL_SEARCH_DIR=shared.search_dir,
        PORTAL_REDIS_URL=redis_url,
        PORTAL_TIP_RATE_LIMIT="2 per minute",
        PORTAL_TIP_MIN_SECONDS="0",
        PORTAL_TIP_ENCRYPTION_KEY=TIP_KEY,
    )
    result = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, PUBLISHED],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "429"
