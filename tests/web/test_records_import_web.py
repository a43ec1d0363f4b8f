"""Importing a records file in the browser: upload, the check (dry run), confirm, the result."""

from __future__ import annotations

import html
import io
import json
import re
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from portal import media
from portal.extensions import db
from portal.models import Agency, AuditEvent, Case, CaseStatus, Role
from portal.records.importer import import_file, public_id_for
from portal.services import imports
from tests.staffkit import Staff, csrf_token, make_staff, sign_in

ANTWERP = "BE-FPJ-ANTWERP"
ANTWERP_RECORDS = ["BE-1992-0603", "BE-2001-1117", "BE-2014-0402"]
IMAGE = "be-1992-0603-tattoo.jpg"
SECRET = "BE-DNA-77812-SECRET"  # a restricted field of BE-1992-0603
CONFIRM = 'action="/publishing/import/confirm"'


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def antwerp_zip(records_dir: Path, **changes: Any) -> bytes:
    records = [
        r for r in load(records_dir / "sample-records.jsonl") if r["agency"]["code"] == ANTWERP
    ]
    for record in records:
        record.update(changes.get(record["record_id"], {}))
    image = (records_dir / IMAGE).read_bytes()
    return zip_of({"export/antwerp.jsonl": jsonl(records), f"export/{IMAGE}": image})


def signed_in(app: Flask, staff: Staff) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, staff).status_code == 302
    return client


@pytest.fixture
def publisher(app: Flask) -> FlaskClient:
    staff = make_staff("pub@example.org", Role.PUBLISHER, ANTWERP)
    # The agency as an administrator set it up: the same details the records carry.
    agency = db.session.scalar(select(Agency).where(Agency.code == ANTWERP))
    assert agency is not None
    agency.name = "Federal Judicial Police Antwerp"
    agency.tip_email = "identify@antwerp.police.example"
    db.session.commit()
    return signed_in(app, staff)


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    return signed_in(app, make_staff("admin@example.org", Role.ADMIN))


def token(client: FlaskClient) -> str:
    page = client.get("/publishing/import")
    assert page.status_code == 200
    return csrf_token(page.get_data(as_text=True))


def check(client: FlaskClient, data: bytes | None, name: str = "upload.zip") -> TestResponse:
    form: dict[str, Any] = {"csrf_token": token(client)}
    if data is not None:
        form["records_file"] = (io.BytesIO(data), name)
    return client.post("/publishing/import", data=form, content_type="multipart/form-data")


def confirm(client: FlaskClient) -> TestResponse:
    return client.post("/publishing/import/confirm", data={"csrf_token": token(client)})


def text(response: TestResponse) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def summary(response: TestResponse) -> str:
    found = re.search(r'id="import-summary">([^<]*)<', response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)
    return found.group(1)


def error_lines(response: TestResponse) -> list[str]:
    found = re.findall(r'<code class="record-error">([^<]*)<', response.get_data(as_text=True))
    return [html.unescape(line) for line in found]


def stored_uploads() -> list[str]:
    return list(media.get_media_store().iter_keys(imports.UPLOAD_PREFIX))


def cases_of(agency: str | None = None) -> list[str]:
    db.session.expire_all()
    query = select(Case.record_id).order_by(Case.record_id)
    if agency:
        query = query.where(Case.public_id.in_([public_id_for(agency, r) for r in ANTWERP_RECORDS]))
    return list(db.session.scalars(query))


def test_the_appeals_page_links_to_the_import(publisher: FlaskClient) -> None:
    page = publisher.get("/publishing/").get_data(as_text=True)
    assert 'href="/publishing/import">Import a records file</a>' in page
    form = publisher.get("/publishing/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form
    assert "Check the file" in form
    assert '<input type="hidden" name="csrf_token"' in form


def test_a_publisher_checks_then_imports_their_agencys_zip(
    app: Flask, publisher: FlaskClient, records_dir: Path
) -> None:
    checked = check(publisher, antwerp_zip(records_dir))
    assert checked.status_code == 200
    assert summary(checked) == "3 new, 0 changed, 0 unchanged"
    page = text(checked)
    assert CONFIRM in page
    assert "Import 3 new and 0 changed appeals" in page
    for record_id in ANTWERP_RECORDS:
        assert f"<li>{record_id}</li>" in page
    assert cases_of() == [], "the check writes nothing"
    # The upload waits in the media store, where every web host can read it, sealed.
    [key] = stored_uploads()
    with publisher.session_transaction() as session:
        pending = session["records_import"]
    assert key == imports.UPLOAD_PREFIX + pending["token"]
    assert pending["name"] == "upload.zip"
    assert SECRET.encode() not in media.get_media_store().get(key)

    done = confirm(publisher)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "3 appeals imported, 0 updated, 0 unchanged" in text(done)
    assert cases_of() == ANTWERP_RECORDS
    public_id = public_id_for(ANTWERP, "BE-1992-0603")
    assert f'href="/publishing/cases/{public_id}">BE-1992-0603</a>' in done.get_data(as_text=True)
    case = db.session.scalar(select(Case).where(Case.public_id == public_id))
    assert case is not None and case.status is CaseStatus.PUBLISHED and len(case.images) == 1
    identified = db.session.scalar(select(Case).where(Case.record_id == "BE-2014-0402"))
    assert identified is not None and identified.status is CaseStatus.IDENTIFIED
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "records.import"))
    assert event.details == {"file": "upload.zip", "imported": 3, "updated": 0, "unchanged": 0}
    assert SECRET not in json.dumps(event.details)
    assert stored_uploads() == [], "the stored upload is deleted after the import"
    with publisher.session_transaction() as session:
        assert "records_import" not in session
    # The same confirmation again finds nothing to import.
    assert confirm(publisher).status_code == 400

    again = check(publisher, antwerp_zip(records_dir))
    assert again.status_code == 200
    assert summary(again) == "0 new, 0 changed, 3 unchanged"
    assert "Nothing to change" in text(again)
    assert CONFIRM not in text(again)
    assert stored_uploads() == []

    changed = check(publisher, antwerp_zip(records_dir, **{"BE-2001-1117": {"title": "New"}}))
    assert summary(changed) == "0 new, 1 changed, 2 unchanged"
    assert "Import 0 new and 1 changed appeals" in text(changed)
    assert "0 appeals imported, 1 updated, 2 unchanged" in text(confirm(publisher))
    updated = db.session.scalar(select(Case).where(Case.record_id == "BE-2001-1117"))
    assert updated is not None and updated.title == "New"


def test_a_records_file_alone_can_be_imported(publisher: FlaskClient, records_dir: Path) -> None:
    records = [
        r
        for r in load(records_dir / "sample-records.jsonl")
        if r["agency"]["code"] == ANTWERP and not r.get("images")
    ]
    checked = check(publisher, jsonl(records), "antwerp.jsonl")
    assert summary(checked) == "2 new, 0 changed, 0 unchanged"
    assert "2 appeals imported, 0 updated, 0 unchanged" in text(confirm(publisher))
    assert cases_of() == ["BE-2001-1117", "BE-2014-0402"]


def whole_sample(records_dir: Path) -> bytes:
    return zip_of(
        {
            "sample-records.jsonl": (records_dir / "sample-records.jsonl").read_bytes(),
            IMAGE: (records_dir / IMAGE).read_bytes(),
        }
    )


def test_another_agencys_records_are_errors_for_a_publisher(
    publisher: FlaskClient, records_dir: Path
) -> None:
    checked = check(publisher, whole_sample(records_dir))
    assert checked.status_code == 200
    lines = error_lines(checked)
    assert len(lines) == 15
    assert (
        "NL-1999-0412: agency.code: belongs to agency NL-LE-NOORD; you publish for BE-FPJ-ANTWERP"
        in lines
    )
    page = text(checked)
    assert "15 errors in 15 records" in page
    assert summary(checked).startswith("3 new, 0 changed, 0 unchanged")
    assert CONFIRM not in page
    assert "Upload a corrected file" in page
    assert stored_uploads() == []
    refused = confirm(publisher)
    assert refused.status_code == 400
    assert "There is no checked file to import" in text(refused)
    assert cases_of() == []


def test_an_admin_imports_every_agency(admin: FlaskClient, records_dir: Path) -> None:
    checked = check(admin, whole_sample(records_dir))
    assert summary(checked) == "18 new, 0 changed, 0 unchanged"
    assert error_lines(checked) == []
    # Long lists fold away.
    assert '<details class="details">' in checked.get_data(as_text=True)
    assert "18 appeals imported, 0 updated, 0 unchanged" in text(confirm(admin))
    assert len(cases_of()) == 18


def test_invalid_records_show_the_lines_the_cli_prints(
    app: Flask, publisher: FlaskClient, records_dir: Path
) -> None:
    path = records_dir / "bad.jsonl"
    records = [
        r for r in load(records_dir / "sample-records.jsonl") if r["agency"]["code"] == ANTWERP
    ]
    records[1]["sex"] = "x"
    records[1]["marks"][0]["location"] = ""
    records[2]["colour"] = "blue"
    path.write_bytes(jsonl(records[1:]) + b"not json\n")
    cli = app.test_cli_runner().invoke(args=["records", "validate", str(path)])
    assert cli.exit_code == 1
    expected = cli.output.splitlines()
    assert len(expected) == 4
    checked = check(publisher, path.read_bytes(), "bad.jsonl")
    assert checked.status_code == 200
    assert error_lines(checked) == expected
    assert "4 errors in 3 records" in text(checked)
    assert CONFIRM not in text(checked)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("upload.zip", None, "Choose a records file (.jsonl or .json) or a zip file to check."),
        ("records.jsonl", b"", "The selected file is empty."),
        ("notes.txt", b"{}", "The selected file must be a .jsonl, .json or .zip file."),
        ("upload.zip", b"not a zip at all", "is not a zip file that can be opened"),
        ("upload.zip", zip_of({"../evil.jsonl": b"{}"}), "'../evil.jsonl' points outside"),
        ("upload.zip", zip_of({"/evil.jsonl": b"{}"}), "has an absolute path"),
        (
            "upload.zip",
            zip_of({"r.jsonl": b"{}", "bomb.jpg": bytes(30 * 1024 * 1024)}),
            "refused as a possible zip bomb",
        ),
        ("upload.zip", zip_of({"a.jsonl": b"{}", "b.json": b"[]"}), "holds 2 records files"),
        ("upload.zip", zip_of({"a.jpg": b"x"}), "holds no records file"),
    ],
)
def test_refused_uploads_are_400_with_a_message(
    publisher: FlaskClient, name: str, data: bytes | None, message: str
) -> None:
    response = check(publisher, data, name)
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page
    assert message in page
    assert 'href="#records_file"' in page
    assert stored_uploads() == []


@pytest.mark.parametrize(
    ("name", "data", "line"),
    [
        ("garbage.jsonl", bytes(range(256)) * 4, "garbage.jsonl: (file): is not UTF-8 text"),
        ("latin.json", '[{"title": "Café"}]'.encode("latin-1"), "latin.json: (file): is not"),
        ("blank.jsonl", b"\n\n   \n", "blank.jsonl: (file): is empty: no records found"),
        ("upload.zip", zip_of({"r.jsonl": b"\x00\xff"}), "r.jsonl: (file): is not UTF-8 text"),
        ("upload.zip", zip_of({"r.json": b"{not json"}), "line 1: (record): invalid JSON"),
    ],
)
def test_unreadable_records_are_reported_never_a_500(
    publisher: FlaskClient, name: str, data: bytes, line: str
) -> None:
    response = check(publisher, data, name)
    assert response.status_code == 200
    [found] = error_lines(response)
    assert found.startswith(line)
    assert CONFIRM not in text(response)


def test_confirm_without_a_check_or_after_expiry_is_refused(
    publisher: FlaskClient, records_dir: Path
) -> None:
    missing = confirm(publisher)
    assert missing.status_code == 400
    assert "There is no checked file to import" in text(missing)
    assert 'href="/publishing/import"' in missing.get_data(as_text=True)

    assert check(publisher, antwerp_zip(records_dir)).status_code == 200
    assert len(stored_uploads()) == 1
    with publisher.session_transaction() as session:
        pending = dict(session["records_import"])
        session["records_import"] = {**pending, "at": time.time() - 3601}
    expired = confirm(publisher)
    assert expired.status_code == 400
    assert "The checked file has expired" in text(expired)
    assert stored_uploads() == [], "an expired upload is deleted"
    assert cases_of() == []

    # An upload that is gone from the store (another host swept it) is refused as well.
    assert check(publisher, antwerp_zip(records_dir)).status_code == 200
    [key] = stored_uploads()
    media.get_media_store().delete(key)
    gone = confirm(publisher)
    assert gone.status_code == 400
    assert "no longer here" in text(gone)
    assert cases_of() == []


def test_an_abandoned_upload_is_swept_by_a_later_check(
    publisher: FlaskClient, records_dir: Path
) -> None:
    old = imports.store_upload(b"old", now=time.time() - 7200)
    recent = imports.store_upload(b"recent")
    check(publisher, antwerp_zip(records_dir))
    keys = stored_uploads()
    assert imports.UPLOAD_PREFIX + old not in keys
    assert imports.UPLOAD_PREFIX + recent in keys
    assert len(keys) == 2


def test_a_new_check_replaces_the_pending_upload(publisher: FlaskClient, records_dir: Path) -> None:
    check(publisher, antwerp_zip(records_dir))
    [first] = stored_uploads()
    check(publisher, antwerp_zip(records_dir, **{"BE-2001-1117": {"title": "New"}}))
    [second] = stored_uploads()
    assert first != second


def test_changes_since_the_check_are_shown_before_importing(
    publisher: FlaskClient, records_dir: Path
) -> None:
    assert summary(check(publisher, antwerp_zip(records_dir))) == "3 new, 0 changed, 0 unchanged"
    # Meanwhile someone imports two of the three.
    path = records_dir / "two.jsonl"
    records = load(records_dir / "sample-records.jsonl")
    path.write_bytes(jsonl([r for r in records if r["record_id"] in ANTWERP_RECORDS[1:]]))
    assert import_file(path).imported == 2
    changed = confirm(publisher)
    assert changed.status_code == 409
    assert "changed since you checked" in text(changed)
    assert summary(changed) == "1 new, 0 changed, 2 unchanged"
    assert "Import 1 new and 0 changed appeals" in text(changed)
    assert "1 appeal imported, 0 updated, 2 unchanged" in text(confirm(publisher))
    assert cases_of() == ANTWERP_RECORDS


def test_csrf_is_required(publisher: FlaskClient, records_dir: Path) -> None:
    response = publisher.post(
        "/publishing/import",
        data={"records_file": (io.BytesIO(antwerp_zip(records_dir)), "upload.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert stored_uploads() == []
    assert check(publisher, antwerp_zip(records_dir)).status_code == 200
    assert publisher.post("/publishing/import/confirm").status_code == 400
    assert cases_of() == []
    assert len(stored_uploads()) == 1


def test_a_publisher_cannot_change_the_agencys_tip_address(
    publisher: FlaskClient, records_dir: Path
) -> None:
    hijacked = {
        "code": ANTWERP,
        "name": "Federal Judicial Police Antwerp",
        "country": "BE",
        "tip_email": "someone@elsewhere.example",
    }
    checked = check(publisher, antwerp_zip(records_dir, **{"BE-1992-0603": {"agency": hijacked}}))
    assert CONFIRM not in checked.get_data(as_text=True)
    assert any("only an administrator changes those" in line for line in error_lines(checked))


def test_four_eyes_agencies_import_drafts_only(publisher: FlaskClient, records_dir: Path) -> None:
    agency = db.session.scalar(select(Agency).where(Agency.code == ANTWERP))
    assert agency is not None
    agency.requires_approval = True
    db.session.commit()
    checked = check(publisher, antwerp_zip(records_dir))
    assert CONFIRM not in checked.get_data(as_text=True)
    assert any("second publisher's approval" in line for line in error_lines(checked))
    # New appeals as drafts pass: a second publisher sees them before they go live.
    records = [
        r for r in load(records_dir / "sample-records.jsonl") if r["agency"]["code"] == ANTWERP
    ]
    for record in records:
        record["status"] = "draft"
        record.pop("identified", None)
    image = (records_dir / IMAGE).read_bytes()
    data = zip_of({"export/antwerp.jsonl": jsonl(records), f"export/{IMAGE}": image})
    assert CONFIRM in check(publisher, data).get_data(as_text=True)
