"""Tip submission over HTTP with CSRF on: the form, the receipt, bots, limits and nothing lost."""

from __future__ import annotations

import dataclasses
import io
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import stream_encode_multipart

from portal import media
from portal.crypto import get_cipher
from portal.extensions import db
from portal.models import AttachmentState, Relationship, Tip, TipAttachment
from portal.records.importer import public_id_for
from portal.services import tips as tip_service
from tests.conftest import FIXTURES, running_app
from tests.tipkit import form_fields, open_form, receipt_codes, send_tip

PUBLISHED = public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")
IDENTIFIED = public_id_for("BE-FPJ-ANTWERP", "BE-2014-0402")
DRAFT = public_id_for("UK-MPU", "UK-2020-0909")
WITHDRAWN = public_id_for("UK-MPU", "UK-2011-0615")
TATTOO_JPEG = (FIXTURES / "be-1992-0603-tattoo.jpg").read_bytes()


def tip_count() -> int:
    return int(db.session.scalar(select(func.count(Tip.id))) or 0)


def png(width: int = 40, height: int = 30, **info: str) -> bytes:
    from PIL import PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    for key, value in info.items():
        meta.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG", pnginfo=meta)
    return buffer.getvalue()


@pytest.fixture
def client(app: Flask, sample_cases: Path) -> FlaskClient:
    return app.test_client()


# ---------------------------------------------------------------------------
# The form


def test_case_page_carries_the_tip_form(client: FlaskClient) -> None:
    response = client.get(f"/cases/{PUBLISHED}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'action="/cases/{PUBLISHED}/tips"' in html
    for label in ('for="message"', 'for="attachments"', 'for="contact_ok-no"', 'for="email"'):
        assert label in html
    assert "stay anonymous" in html
    assert set(form_fields(html)) == {"csrf_token", "submission_id", "started"}
    # Per-visitor values: a shared cache must never hand one form id to two people.
    assert response.headers["Cache-Control"] == "no-store"


def test_each_rendering_gets_its_own_submission_id(client: FlaskClient) -> None:
    first = open_form(client, PUBLISHED)["submission_id"]
    second = open_form(client, PUBLISHED)["submission_id"]
    assert first != second


def test_identified_case_shows_no_form_and_refuses_tips(client: FlaskClient) -> None:
    html = client.get(f"/cases/{IDENTIFIED}").get_data(as_text=True)
    assert 'class="tip-form"' not in html
    fields = open_form(client, PUBLISHED)
    response = send_tip(client, IDENTIFIED, fields=fields)
    assert response.status_code == 410
    assert tip_count() == 0


@pytest.mark.parametrize("case_id", [DRAFT, WITHDRAWN, "nosuchcase0"])
def test_tips_on_unpublished_or_unknown_cases_are_404(client: FlaskClient, case_id: str) -> None:
    fields = open_form(client, PUBLISHED)
    assert client.get(f"/cases/{case_id}/tips").status_code == 404
    assert send_tip(client, case_id, fields=fields).status_code == 404
    assert tip_count() == 0


# ---------------------------------------------------------------------------
# A stored tip and its receipt


def test_anonymous_tip_is_stored_encrypted_and_receipted(app: Flask, client: FlaskClient) -> None:
    response = send_tip(
        client,
        PUBLISHED,
        message="The flower tattoo looks like my sister's.\r\nShe left in 1991.",
        relationship="family",
        contact_ok="no",
        # Typed, then the person chose to stay anonymous: none of it may be kept.
        name="Anne Example",
        email="anne@example.org",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    reference, code = receipt_codes(html)
    assert re.fullmatch(r"TIP-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", reference)
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}", code)
    tip = db.session.scalar(select(Tip))
    assert tip is not None and tip.reference == reference
    assert tip.relation is Relationship.FAMILY
    assert tip.contact_enc is None and not tip.has_contact and not tip.contact_ok
    assert b"sister" not in tip.message_enc
    message = tip_service.read_message(get_cipher(), tip)
    assert message == "The flower tattoo looks like my sister's.\nShe left in 1991."
    assert code not in tip.followup_digest


def test_tip_with_contact_details_keeps_them_encrypted(client: FlaskClient) -> None:
    response = send_tip(
        client,
        PUBLISHED,
        contact_ok="yes",
        name="Anne Example",
        email="anne@example.org",
        phone="+32 470 12 34 56",
    )
    assert response.status_code == 200
    tip = db.session.scalar(select(Tip))
    assert tip is not None and tip.has_contact and tip.contact_ok
    assert tip.contact_enc is not None and b"anne" not in tip.contact_enc
    contact = tip_service.read_contact(get_cipher(), tip)
    assert contact == tip_service.Contact("Anne Example", "anne@example.org", "+32 470 12 34 56")


# ---------------------------------------------------------------------------
# Validation keeps what was typed


def test_missing_message_is_a_400_that_keeps_everything_typed(client: FlaskClient) -> None:
    response = send_tip(
        client,
        PUBLISHED,
        message="   ",
        relationship="saw",
        contact_ok="yes",
        name="Zoë Ünal",
        email="zoe@example.org",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#message"' in html  # the error summary links to the field
    assert 'id="message-error"' in html
    assert 'value="Zoë Ünal"' in html and 'value="zoe@example.org"' in html
    assert (
        'value="saw" checked' in html
        and 'value="yes" aria-controls="contact-details" checked' in html
    )
    assert "<title>Error:" in html
    assert tip_count() == 0


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"contact_ok": ""}, "contact_ok", "Choose whether we can contact you"),
        ({"contact_ok": "yes"}, "email", "Enter an email address or a phone number"),
        ({"contact_ok": "yes", "email": "not-an-email"}, "email", "like name@example.com"),
        ({"contact_ok": "yes", "phone": "call me"}, "phone", "Enter a phone number"),
        ({"relationship": "cousin"}, "relationship", "Choose one of the options"),
        ({"message": "x" * 10_001}, "message", "10,000 characters or fewer"),
        ({"contact_ok": "yes", "email": "a@b.co", "name": "n" * 201}, "name", "200 characters"),
    ],
)
def test_field_errors_point_at_their_field(
    client: FlaskClient, values: dict[str, str], field: str, words: str
) -> None:
    response = send_tip(client, PUBLISHED, **values)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'href="#{field}"' in html
    assert f'id="{field}-error"' in html
    assert words in html
    assert tip_count() == 0


def test_rejected_file_names_the_file_and_asks_to_choose_again(client: FlaskClient) -> None:
    html_as_jpeg = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
    response = send_tip(
        client,
        PUBLISHED,
        message="See the photo",
        files=[(html_as_jpeg, "holiday.jpg")],
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#attachments"' in html and "holiday.jpg" in html
    assert "Choose your files again" in html
    assert ">See the photo</textarea>" in html
    assert tip_count() == 0


# ---------------------------------------------------------------------------
# CSRF, bots and limits: 4xx and no row


def test_missing_csrf_token_is_400_with_the_text_kept(client: FlaskClient) -> None:
    fields = open_form(client, PUBLISHED)
    del fields["csrf_token"]
    response = send_tip(client, PUBLISHED, fields=fields, message="Kept through the error")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Kept through the error</textarea>" in html
    assert form_fields(html)["csrf_token"]  # a fresh token to send it again with
    assert tip_count() == 0


def test_wrong_csrf_token_is_400_and_no_row(client: FlaskClient) -> None:
    fields = open_form(client, PUBLISHED)
    fields["csrf_token"] = "IjEyMzQ1Njc4OTAi.forged.token"
    assert send_tip(client, PUBLISHED, fields=fields).status_code == 400
    # A token from another visitor's session is as wrong as a forged one.
    other = client.application.test_client()
    assert send_tip(other, PUBLISHED, fields=open_form(client, PUBLISHED)).status_code == 400
    assert tip_count() == 0


def test_honeypot_is_refused_without_a_row(client: FlaskClient) -> None:
    response = send_tip(client, PUBLISHED, website="http://spam.example")
    assert response.status_code == 400
    assert tip_count() == 0


def test_too_fast_or_forged_start_time_is_refused_with_text_kept(
    settings: object, sample_cases: Path, app: Flask
) -> None:
    app.config["PORTAL_TIP_MIN_SECONDS"] = 3
    client = app.test_client()
    response = send_tip(client, PUBLISHED, message="Typed by a person")
    assert response.status_code == 400
    assert "Typed by a person</textarea>" in response.get_data(as_text=True)
    fields = open_form(client, PUBLISHED)
    fields["started"] = "1"
    assert send_tip(client, PUBLISHED, fields=fields).status_code == 400
    assert tip_count() == 0
    # The re-shown form carries a fresh start time: after the wait it goes through.
    app.config["PORTAL_TIP_MIN_SECONDS"] = 0
    assert send_tip(client, PUBLISHED).status_code == 200


def test_rate_limit_answers_429_keeps_the_text_and_stores_nothing(
    settings: object, sample_cases: Path, app: Flask
) -> None:
    app.config["PORTAL_TIP_RATE_LIMIT"] = "2 per minute"
    client = app.test_client()
    assert send_tip(client, PUBLISHED).status_code == 200
    assert send_tip(client, PUBLISHED).status_code == 200
    response = send_tip(client, PUBLISHED, message="Third one, kept")
    assert response.status_code == 429
    assert "Third one, kept</textarea>" in response.get_data(as_text=True)
    assert tip_count() == 2
    # Another client (address) has its own allowance.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    assert send_tip(other, PUBLISHED).status_code == 200


def test_oversized_request_is_413_with_no_row_and_no_temp_file(
    client: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    big = b"\xff\xd8\xff" + b"\0" * (9 * 1024 * 1024)
    data = MultiDict(dict(open_form(client, PUBLISHED), message="m", contact_ok="no"))
    for i in range(3):
        data.add("attachments", FileStorage(io.BytesIO(big), f"photo{i}.jpg", "attachments"))
    # Encoded in memory: the client would otherwise spool the body to a temporary file of its
    # own, which the server never reads when it refuses the request.
    body, _length, boundary = stream_encode_multipart(data, use_tempfile=False)
    response = client.post(
        f"/cases/{PUBLISHED}/tips",
        data=body.getvalue(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert "25 MB" in response.get_data(as_text=True)
    assert tip_count() == 0
    assert list(spool.iterdir()) == []


# ---------------------------------------------------------------------------
# Once and only once


def test_resubmitted_form_stores_one_tip_and_shows_the_same_receipt(client: FlaskClient) -> None:
    fields = open_form(client, PUBLISHED)
    first = send_tip(client, PUBLISHED, fields=fields, files=[(png(), "a.png")])
    second = send_tip(client, PUBLISHED, fields=fields, files=[(png(), "a.png")])
    assert first.status_code == second.status_code == 200
    assert receipt_codes(first.get_data(as_text=True)) == receipt_codes(
        second.get_data(as_text=True)
    )
    assert tip_count() == 1
    assert db.session.scalar(select(func.count(TipAttachment.id))) == 1


def test_resent_form_in_any_script_gets_the_same_receipt(client: FlaskClient) -> None:
    fields = open_form(client, PUBLISHED)
    message = "Ela morava em Gdańsk; 她的纹身是一朵玫瑰 — é ela."
    first = send_tip(client, PUBLISHED, fields=fields, message=message)
    second = send_tip(client, PUBLISHED, fields=fields, message=message)
    assert first.status_code == second.status_code == 200
    assert receipt_codes(first.get_data(as_text=True)) == receipt_codes(
        second.get_data(as_text=True)
    )
    assert tip_count() == 1


def test_same_form_with_another_message_is_a_conflict(client: FlaskClient) -> None:
    fields = open_form(client, PUBLISHED)
    assert send_tip(client, PUBLISHED, fields=fields, message="First").status_code == 200
    response = send_tip(client, PUBLISHED, fields=fields, message="Changed my mind")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Changed my mind</textarea>" in html
    assert form_fields(html)["submission_id"] != fields["submission_id"]
    assert tip_count() == 1


def test_ten_concurrent_submissions_of_one_form_store_one_tip(
    app: Flask, sample_cases: Path
) -> None:
    first = app.test_client()
    fields = open_form(first, PUBLISHED)
    cookie = first.get_cookie("session")
    assert cookie is not None
    results: list[tuple[int, tuple[str, str] | None]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(10)

    def submit() -> None:
        client = app.test_client()
        client.set_cookie("session", cookie.value)
        barrier.wait()
        with app.app_context():
            response = send_tip(client, PUBLISHED, fields=fields, files=[(png(), "p.png")])
            html = response.get_data(as_text=True)
            codes = receipt_codes(html) if response.status_code == 200 else None
            db.session.remove()
        with lock:
            results.append((response.status_code, codes))

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in results] == [200] * 10
    assert len({codes for _, codes in results}) == 1
    db.session.remove()
    assert tip_count() == 1
    assert db.session.scalar(select(func.count(TipAttachment.id))) == 1
    store = media.get_media_store()
    assert len(list(store.iter_keys("tips/"))) == 1


# ---------------------------------------------------------------------------
# Attachments: checked, cleaned, encrypted


def test_exif_and_gps_are_gone_from_the_stored_photo(client: FlaskClient) -> None:
    assert b"Exif" in TATTOO_JPEG
    response = send_tip(client, PUBLISHED, files=[(TATTOO_JPEG, "IMG_1234.jpg")])
    assert response.status_code == 200
    attachment = db.session.scalar(select(TipAttachment))
    assert attachment is not None and attachment.state is AttachmentState.STORED
    assert attachment.content_type == "image/jpeg" and attachment.kind == "photo"
    stored = media.get_media_store().get(attachment.storage_key)
    assert stored[:2] != b"\xff\xd8"  # what is on disk is ciphertext
    clean = tip_service.read_attachment(get_cipher(), media.get_media_store(), attachment)
    assert clean[:2] == b"\xff\xd8"
    assert b"Exif" not in clean and b"GPS" not in clean and b"http://ns.adobe.com" not in clean
    with Image.open(io.BytesIO(clean)) as image, Image.open(io.BytesIO(TATTOO_JPEG)) as source:
        assert not image.getexif()
        assert image.size == source.size
    assert tip_service.attachment_filename(get_cipher(), attachment) == "IMG_1234.jpg"


def test_marker_appears_nowhere_in_raw_storage_or_logs(
    app: Flask, client: FlaskClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    marker = "MARKER-7f3a9c-KAVANAGH"
    caplog.set_level("DEBUG")
    response = send_tip(
        client,
        PUBLISHED,
        message=f"Her name was {marker}",
        contact_ok="yes",
        name=marker,
        email=f"{marker.lower()}@example.org",
        phone="+44 20 7946 0018",
        files=[(png(Comment=marker), f"{marker}.png")],
    )
    assert response.status_code == 200
    reference, code = receipt_codes(response.get_data(as_text=True))
    client.post("/tips/follow-up", data={"reference": reference, "code": code})
    db.session.remove()
    needles = [marker.encode(), marker.lower().encode(), marker.encode("utf-16-le")]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        for path in tmp_path.glob("test.db*"):
            raw = path.read_bytes()
            assert not any(needle in raw for needle in needles), path.name
    else:
        from sqlalchemy import text

        for table in ("tips", "tip_attachments", "tip_thread"):
            # Table names from the fixed tuple above, never from input.
            query = text(f"SELECT t::text FROM {table} t")  # noqa: S608
            dump = db.session.execute(query).scalars().all()
            assert not any(marker.lower() in row.lower() for row in dump)
    for path in (tmp_path / "media").rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            assert not any(needle in raw for needle in needles), path
    assert marker.lower() not in caplog.text.lower()


# ---------------------------------------------------------------------------
# Storage failures: never a receipt without a tip, never a row without its bytes


def test_unreachable_store_parks_attachments_and_still_accepts_the_text(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = media.get_media_store()

    def down(*_args: object, **_kwargs: object) -> None:
        raise media.MediaError("connection refused")

    monkeypatch.setattr(store, "put", down)
    response = send_tip(client, PUBLISHED, files=[(png(), "a.png"), (TATTOO_JPEG, "b.jpg")])
    assert response.status_code == 200
    receipt_codes(response.get_data(as_text=True))
    attachments = db.session.scalars(select(TipAttachment)).all()
    assert [a.state for a in attachments] == [AttachmentState.PARKED] * 2
    assert list(store.iter_keys("tips/")) == []

    monkeypatch.undo()
    result = tip_service.retry_parked_attachments(store)
    assert (result.stored, result.still_parked) == (2, 0)
    db.session.expire_all()
    for attachment in db.session.scalars(select(TipAttachment)):
        assert attachment.state is AttachmentState.STORED and attachment.parked_data is None
        assert tip_service.read_attachment(get_cipher(), store, attachment)
    assert tip_service.reconcile_attachments(store).healthy


def test_store_failing_midway_parks_the_rest(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = media.get_media_store()
    real_put = store.put
    calls = {"n": 0}

    def flaky(key: str, data: bytes, content_type: str) -> None:
        calls["n"] += 1
        if calls["n"] >= 2:
            raise media.MediaError("timeout")
        real_put(key, data, content_type)

    monkeypatch.setattr(store, "put", flaky)
    response = send_tip(
        client, PUBLISHED, files=[(png(), "a.png"), (png(), "b.png"), (png(), "c.png")]
    )
    assert response.status_code == 200
    states = [a.state for a in db.session.scalars(select(TipAttachment).order_by(TipAttachment.id))]
    assert states == [AttachmentState.STORED, AttachmentState.PARKED, AttachmentState.PARKED]
    report = tip_service.reconcile_attachments(store)
    assert report.healthy and report.parked == 2


def test_failed_commit_shows_an_honest_error_and_leaves_nothing(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_commit() -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    fields = open_form(client, PUBLISHED)
    monkeypatch.setattr(db.session, "commit", broken_commit)
    response = send_tip(
        client, PUBLISHED, fields=fields, message="Please keep this", files=[(png(), "a.png")]
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "nothing was sent" in html and "Please keep this</textarea>" in html
    assert 'id="tip-reference"' not in html
    monkeypatch.undo()
    db.session.rollback()
    assert tip_count() == 0
    assert list(media.get_media_store().iter_keys("tips/")) == []
    # The same form, sent again once the database is back, goes through.
    again = send_tip(client, PUBLISHED, fields=fields, message="Please keep this")
    assert again.status_code == 200 and tip_count() == 1


def test_failed_cleanup_after_a_failed_commit_is_found_by_reconcile(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = media.get_media_store()

    def broken_commit() -> None:
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    def no_delete(_key: str) -> None:
        raise media.MediaError("store went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    monkeypatch.setattr(store, "delete", no_delete)
    assert send_tip(client, PUBLISHED, files=[(png(), "a.png")]).status_code == 503
    monkeypatch.undo()
    db.session.rollback()
    assert tip_count() == 0
    # Too recent to call an orphan (it could be a submission still committing) ...
    report = tip_service.reconcile_attachments(store)
    assert report.recent_unmatched == 1 and report.healthy
    # ... and an orphan two hours later, which --delete-orphans removes.
    later = tip_service.utcnow() + tip_service.ORPHAN_GRACE * 2
    report = tip_service.reconcile_attachments(store, now=later, delete_orphans=True)
    assert len(report.orphan_objects) == 1 and report.deleted == 1
    assert list(store.iter_keys("tips/")) == []


def test_reconcile_reports_a_row_whose_object_is_missing(client: FlaskClient) -> None:
    assert send_tip(client, PUBLISHED, files=[(png(), "a.png")]).status_code == 200
    attachment = db.session.scalar(select(TipAttachment))
    assert attachment is not None
    media.get_media_store().delete(attachment.storage_key)
    report = tip_service.reconcile_attachments(media.get_media_store())
    assert report.missing_objects == [attachment.storage_key] and not report.healthy


# ---------------------------------------------------------------------------
# Privacy of the sender


def test_no_address_or_user_agent_is_kept(
    app: Flask, client: FlaskClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    client.environ_base["REMOTE_ADDR"] = "203.0.113.77"
    client.environ_base["HTTP_USER_AGENT"] = "UniqueAgent/9.9"
    assert send_tip(client, PUBLISHED).status_code == 200
    db.session.remove()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        raw = b"".join(path.read_bytes() for path in tmp_path.glob("test.db*"))
        assert b"203.0.113.77" not in raw and b"UniqueAgent" not in raw
    assert "203.0.113.77" not in caplog.text and "UniqueAgent" not in caplog.text


def test_rate_limit_keys_are_salted_hashes(app: Flask) -> None:
    from portal.ratelimit import client_key

    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.77"}):
        key = client_key()
    assert "203.0.113" not in key and len(key) == 32
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.78"}):
        assert client_key() != key


@pytest.fixture
def proxied_app(settings: object) -> Iterator[Flask]:
    assert dataclasses.is_dataclass(settings)
    with running_app(dataclasses.replace(settings, proxy_hops=1)) as app:  # type: ignore[type-var]
        yield app


def test_behind_a_proxy_the_forwarded_address_is_the_client(proxied_app: Flask) -> None:
    from portal.records.importer import import_file

    assert import_file(FIXTURES / "sample-records.jsonl").errors == []
    proxied_app.config["PORTAL_TIP_RATE_LIMIT"] = "1 per minute"

    def send_from(forwarded: str) -> int:
        client = proxied_app.test_client()
        client.environ_base.update(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
        return send_tip(client, PUBLISHED).status_code

    # Everyone arrives from the load balancer's address; the limit still tells them apart.
    assert send_from("198.51.100.1") == 200
    assert send_from("198.51.100.2") == 200
    assert send_from("198.51.100.1") == 429


def test_bots_are_answered_without_touching_the_database(app: Flask, client: FlaskClient) -> None:
    from sqlalchemy import event

    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    fields = open_form(client, PUBLISHED)
    no_csrf = {k: v for k, v in fields.items() if k != "csrf_token"}
    app.config["PORTAL_TIP_MIN_SECONDS"] = 0
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        honeypot = send_tip(client, PUBLISHED, fields=fields, website="x")
        forged = send_tip(client, PUBLISHED, fields=dict(fields, started="forged"))
        csrf_missing = send_tip(client, PUBLISHED, fields=no_csrf)
        app.config["PORTAL_TIP_RATE_LIMIT"] = "0 per minute"
        limited = send_tip(client, PUBLISHED, fields=fields)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [r.status_code for r in (honeypot, forged, csrf_missing, limited)] == [
        400,
        400,
        400,
        429,
    ]
    assert statements == []
