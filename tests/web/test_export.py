"""Export of selected tips as CSV and JSON: content, scope, spreadsheet safety and the audit."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from portal.crypto import get_cipher
from portal.extensions import db
from portal.media import get_media_store
from portal.models import AuditEvent, Role, Tip
from portal.services import export as export_service
from portal.services import tips as tip_service
from portal.services.tips import Contact, Upload
from tests.modkit import add_tip, photo_jpeg
from tests.staffkit import csrf_token, make_staff, sign_in

MESSAGE_WITH_CONTACT = "C’est ma tante Zoë, elle portait un sac Kånken jaune."
MESSAGE_WITHOUT_CONTACT = '=HYPERLINK("http://evil.example/","click") she lived in Gent'
LATER = "@also: she had a scar on her left hand"
ANSWER = "-She was 1m70, I think."
QUESTION = "How tall was she?"
OTHER_AGENCY_MESSAGE = "A tip for the Dutch police only"
FILENAME = re.compile(r'attachment; filename="recognise-tips-\d{8}-\d{4}\.(csv|json)"')


@dataclass(frozen=True)
class Tips:
    with_contact: Tip
    without_contact: Tip
    other_agency: Tip


@pytest.fixture
def moderator_client(app: Flask, sample_cases: Path) -> FlaskClient:
    staff = make_staff("mod@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP")
    client = app.test_client()
    assert sign_in(client, staff).status_code == 302
    return client


@pytest.fixture
def tips(moderator_client: FlaskClient) -> Tips:
    cipher = get_cipher()
    with_contact = add_tip(
        "BE-1992-0603",
        MESSAGE_WITH_CONTACT,
        contact=Contact(name="Zoë Dupré", email="zoe@example.org", phone="+32 470 12 34 56"),
        uploads=[Upload("sac-kånken.jpg", photo_jpeg())],
    )
    tip_service.add_information(
        cipher, get_media_store(), with_contact, submission_id=str(uuid.uuid4()), text=LATER
    )
    question = tip_service.ask_question(cipher, with_contact, QUESTION)
    tip_service.add_information(
        cipher,
        get_media_store(),
        with_contact,
        submission_id=str(uuid.uuid4()),
        text=ANSWER,
        reply_to_id=question.id,
    )
    without_contact = add_tip("BE-2001-1117", MESSAGE_WITHOUT_CONTACT)
    other_agency = add_tip(
        "NL-1999-0412", OTHER_AGENCY_MESSAGE, contact=Contact(name="Someone Else")
    )
    return Tips(with_contact, without_contact, other_agency)


def post_export(client: FlaskClient, ids: list[int], export_format: str) -> TestResponse:
    token = csrf_token(client.get("/moderation/").get_data(as_text=True))
    data = {"csrf_token": token, "tip": [str(tip_id) for tip_id in ids], "format": export_format}
    return client.post("/moderation/export", data=data)


def all_ids(tips: Tips) -> list[int]:
    return [tips.with_contact.id, tips.without_contact.id, tips.other_agency.id]


def export_events() -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == "tip.export").order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def test_csv_export(moderator_client: FlaskClient, tips: Tips) -> None:
    response = post_export(moderator_client, all_ids(tips), "csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert FILENAME.fullmatch(response.headers["Content-Disposition"])
    assert response.headers["Content-Disposition"].endswith('.csv"')
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # Excel opens the accents right
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0]) == list(export_service.COLUMNS)
    # Another agency's tip was asked for and is silently absent.
    by_reference = {row["reference"]: row for row in rows}
    assert set(by_reference) == {tips.with_contact.reference, tips.without_contact.reference}
    assert OTHER_AGENCY_MESSAGE not in body.decode("utf-8-sig")

    first = by_reference[tips.with_contact.reference]
    assert first["message"] == MESSAGE_WITH_CONTACT
    assert first["record_id"] == "BE-1992-0603"
    assert first["agency"] == "BE-FPJ-ANTWERP"
    assert first["case"] == tips.with_contact.case.public_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["received"])
    assert first["status"] == "new" and first["priority"] == "normal"
    assert first["contact_name"] == "Zoë Dupré"
    assert first["contact_email"] == "zoe@example.org"
    assert first["contact_phone"] == "'+32 470 12 34 56"  # a leading + would be a formula
    assert first["attachment_count"] == "1"
    assert first["attachment_names"] == "sac-kånken.jpg"
    entries = first["later_entries"].split("\n")
    assert len(entries) == 2
    assert entries[0].endswith(f"added] {LATER}") and entries[0].startswith("[")
    assert entries[1].endswith(f"answer] {ANSWER}")
    assert QUESTION not in body.decode("utf-8-sig")  # the moderator's words are not the tip's

    second = by_reference[tips.without_contact.reference]
    assert second["message"] == "'" + MESSAGE_WITHOUT_CONTACT  # defused
    assert second["contact_name"] == second["contact_email"] == second["contact_phone"] == ""
    assert second["attachment_count"] == "0" and second["later_entries"] == ""
    assert second["merged_into"] == "" and second["forwarded_at"] == ""


def test_json_export(moderator_client: FlaskClient, tips: Tips) -> None:
    response = post_export(moderator_client, all_ids(tips), "json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].endswith('.json"')
    assert FILENAME.fullmatch(response.headers["Content-Disposition"])
    assert "Zoë".encode() in response.get_data()  # UTF-8, not \u escapes
    document = json.loads(response.get_data())
    assert list(document) == ["exported_at", "exported_by", "tips"]
    assert document["exported_by"] == "mod@example.org"
    assert document["exported_at"].endswith("Z")
    by_reference = {tip["reference"]: tip for tip in document["tips"]}
    assert set(by_reference) == {tips.with_contact.reference, tips.without_contact.reference}
    first = by_reference[tips.with_contact.reference]
    assert list(first) == list(export_service.COLUMNS)
    assert first["message"] == MESSAGE_WITH_CONTACT
    assert first["contact_phone"] == "+32 470 12 34 56"  # JSON is not a spreadsheet
    assert [entry["text"] for entry in first["later_entries"]] == [LATER, ANSWER]
    assert [entry["answers_question"] for entry in first["later_entries"]] == [False, True]
    assert first["attachment_count"] == 1 and first["attachment_names"] == ["sac-kånken.jpg"]
    second = by_reference[tips.without_contact.reference]
    assert second["message"] == MESSAGE_WITHOUT_CONTACT
    assert second["contact_name"] is None and second["later_entries"] == []
    assert second["merged_into"] is None and second["forwarded_at"] is None


def test_contact_is_left_out_without_consent(moderator_client: FlaskClient, tips: Tips) -> None:
    tips.with_contact.contact_ok = False
    db.session.commit()
    document = json.loads(post_export(moderator_client, [tips.with_contact.id], "json").data)
    exported = document["tips"][0]
    assert exported["contact_name"] is exported["contact_email"] is None
    assert exported["message"] == MESSAGE_WITH_CONTACT


def test_merged_and_forwarded_tips_say_so(moderator_client: FlaskClient, tips: Tips) -> None:
    tips.without_contact.merged_into_id = tips.with_contact.id
    tips.with_contact.forwarded_at = datetime(2026, 3, 1, 12, 30, 5, tzinfo=UTC)
    db.session.commit()
    ids = [tips.with_contact.id, tips.without_contact.id]
    document = json.loads(post_export(moderator_client, ids, "json").data)
    by_reference = {tip["reference"]: tip for tip in document["tips"]}
    merged = by_reference[tips.without_contact.reference]
    assert merged["merged_into"] == tips.with_contact.reference
    assert by_reference[tips.with_contact.reference]["forwarded_at"] == "2026-03-01T12:30:05Z"


def test_export_is_audited_once_without_content(moderator_client: FlaskClient, tips: Tips) -> None:
    assert post_export(moderator_client, all_ids(tips), "csv").status_code == 200
    assert post_export(moderator_client, [tips.without_contact.id], "json").status_code == 200
    first, second = export_events()
    assert first.details == {
        "format": "csv",
        "count": 2,
        "tips": sorted([tips.with_contact.id, tips.without_contact.id]),
    }
    assert second.details == {"format": "json", "count": 1, "tips": [tips.without_contact.id]}
    assert first.target_type is None
    everything = " ".join(str(event.details) for event in db.session.scalars(select(AuditEvent)))
    for secret in (MESSAGE_WITH_CONTACT, "Zoë", "zoe@example.org", LATER, "HYPERLINK"):
        assert secret not in everything


def test_nothing_selected_goes_back_to_the_queue(moderator_client: FlaskClient, tips: Tips) -> None:
    for ids, export_format, message in [
        ([], "csv", "Select at least one tip to export."),
        ([tips.other_agency.id], "csv", "Select at least one tip to export."),
        ([tips.with_contact.id], "xlsx", "Choose CSV or JSON for the export."),
        ([tips.with_contact.id], "", "Choose CSV or JSON for the export."),
    ]:
        response = post_export(moderator_client, ids, export_format)
        assert response.status_code == 302
        assert response.headers["Location"] == "/moderation/"
        assert message in moderator_client.get("/moderation/").get_data(as_text=True)
    assert export_events() == []


def test_tampered_ids_are_ignored(moderator_client: FlaskClient, tips: Tips) -> None:
    token = csrf_token(moderator_client.get("/moderation/").get_data(as_text=True))
    values = ["abc", "-1", "99999999999999999999999", "²", str(tips.without_contact.id)]
    response = moderator_client.post(
        "/moderation/export", data={"csrf_token": token, "tip": values, "format": "json"}
    )
    assert response.status_code == 200
    assert len(json.loads(response.data)["tips"]) == 1


def test_export_needs_the_csrf_token(moderator_client: FlaskClient, tips: Tips) -> None:
    response = moderator_client.post(
        "/moderation/export", data={"tip": [str(tips.with_contact.id)], "format": "csv"}
    )
    assert response.status_code == 400
    assert MESSAGE_WITH_CONTACT.encode() not in response.data
    assert export_events() == []


def test_spreadsheet_safe() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert export_service.spreadsheet_safe(text) == "'" + text
    for text in ("1-1", "Zoë", "", " =1", "'quoted"):
        assert export_service.spreadsheet_safe(text) == text
