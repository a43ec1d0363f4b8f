"""Publishers manage their agency's appeals: list, publish, withdraw, mark identified."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Case, CaseStatus, Role, TipStatus
from portal.records.importer import public_id_for
from tests.modkit import add_tip
from tests.staffkit import Staff, csrf_token, make_staff, sign_in

UK = "UK-MPU"
DRAFT = public_id_for(UK, "UK-2020-0909")
WITHDRAWN = public_id_for(UK, "UK-2011-0615")
PUBLISHED = public_id_for(UK, "UK-2015-0311")
BELGIAN = public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")
NEXT_YEAR = str(datetime.now(UTC).year + 1)


@pytest.fixture
def publisher(app: Flask, sample_cases: Path) -> Staff:
    return make_staff("pub@example.org", Role.PUBLISHER, UK)


@pytest.fixture
def client(app: Flask, publisher: Staff) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, publisher).status_code == 302
    return client


def post(client: FlaskClient, path: str, **data: str) -> object:
    token = csrf_token(client.get("/auth/account").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def case(public_id: str) -> Case:
    db.session.expire_all()
    found = db.session.scalar(select(Case).where(Case.public_id == public_id))
    assert found is not None
    return found


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_publisher_lands_on_their_agencys_appeals(
    app: Flask, publisher: Staff, sample_cases: Path
) -> None:
    fresh = app.test_client()
    assert sign_in(fresh, publisher).headers["Location"] == "/publishing/"
    html = fresh.get("/publishing/").get_data(as_text=True)
    records = re.findall(r'href="/publishing/cases/\w+">([\w-]+)<', html)
    assert sorted(records) == ["UK-1988-0101", "UK-2011-0615", "UK-2015-0311", "UK-2020-0909"]
    # Another agency's appeal does not exist for them.
    assert fresh.get(f"/publishing/cases/{BELGIAN}").status_code == 404
    assert post(fresh, f"/publishing/cases/{BELGIAN}/withdraw").status_code == 404  # type: ignore[attr-defined]
    assert case(BELGIAN).status is CaseStatus.PUBLISHED


def test_filters_by_status_and_words(client: FlaskClient) -> None:
    def shown(**args: str) -> list[str]:
        html = client.get("/publishing/", query_string=args).get_data(as_text=True)
        return sorted(re.findall(r'href="/publishing/cases/\w+">([\w-]+)<', html))

    assert shown(status="draft") == ["UK-2020-0909"]
    assert shown(q="2015") == ["UK-2015-0311"]
    assert shown(q="uk-2011") == ["UK-2011-0615"]
    assert shown(q="100%_\\") == []
    assert shown(status="nonsense") == shown()
    assert client.get("/publishing/?q=%00&page=x").status_code == 200


def test_an_admin_sees_every_agency(app: Flask, sample_cases: Path) -> None:
    admin = make_staff("admin@example.org", Role.ADMIN)
    client = app.test_client()
    sign_in(client, admin)
    assert "18 appeals" in client.get("/publishing/").get_data(as_text=True)
    assert client.get(f"/publishing/cases/{BELGIAN}").status_code == 200


def test_publishing_a_draft_makes_it_public_at_once(client: FlaskClient, app: Flask) -> None:
    public = app.test_client()
    assert public.get(f"/cases/{DRAFT}").status_code == 404
    title = case(DRAFT).title
    response = post(client, f"/publishing/cases/{DRAFT}/publish")
    assert response.headers["Location"] == f"/publishing/cases/{DRAFT}"  # type: ignore[attr-defined]
    assert "is published" in client.get(f"/publishing/cases/{DRAFT}").get_data(as_text=True)
    found = case(DRAFT)
    assert found.status is CaseStatus.PUBLISHED and found.first_published_at is not None
    assert public.get(f"/cases/{DRAFT}").status_code == 200
    assert DRAFT in public.get("/sitemap.xml").get_data(as_text=True)
    assert DRAFT in public.get("/feed.atom").get_data(as_text=True)
    words = title.split()[-1]
    search = public.get("/api/v1/cases", query_string={"q": words}).get_json()
    assert DRAFT in {result["id"] for result in search["results"]}
    assert audit_actions()[-1] == "case.publish"


def test_withdrawing_hides_the_appeal_and_keeps_its_tips(client: FlaskClient, app: Flask) -> None:
    tip = add_tip("UK-2015-0311", "I knew him")
    public = app.test_client()
    title = case(PUBLISHED).title
    post(client, f"/publishing/cases/{PUBLISHED}/withdraw")
    assert case(PUBLISHED).status is CaseStatus.WITHDRAWN
    assert public.get(f"/cases/{PUBLISHED}").status_code == 404
    assert public.get(f"/cases/{PUBLISHED}/tips").status_code == 404
    assert PUBLISHED not in public.get("/sitemap.xml").get_data(as_text=True)
    search = public.get("/api/v1/cases", query_string={"q": title}).get_json()
    assert PUBLISHED not in {result["id"] for result in search["results"]}
    db.session.refresh(tip)
    assert tip.status is TipStatus.NEW  # the tips stay in the queue
    # And back again.
    post(client, f"/publishing/cases/{PUBLISHED}/publish")
    assert case(PUBLISHED).status is CaseStatus.PUBLISHED
    assert audit_actions()[-2:] == ["case.withdraw", "case.publish"]


def test_transitions_that_are_not_allowed(client: FlaskClient) -> None:
    response = post(client, f"/publishing/cases/{DRAFT}/withdraw")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "cannot go from draft to withdrawn" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert client.get(f"/publishing/cases/{DRAFT}/identified").status_code == 400
    assert post(client, f"/publishing/cases/{PUBLISHED}/publish").status_code == 400  # type: ignore[attr-defined]
    # Without the CSRF token nothing happens.
    assert client.post(f"/publishing/cases/{DRAFT}/publish").status_code == 400
    assert case(DRAFT).status is CaseStatus.DRAFT


def identify(client: FlaskClient, **fields: str) -> object:
    data = {
        "name": "Thomas Reid",
        "identified-day": "3",
        "identified-month": "11",
        "identified-year": "2026",
        "statement": "Thomas's family thank everyone who shared his appeal.",
        "family_agreed": "yes",
    }
    data.update(fields)
    return post(client, f"/publishing/cases/{PUBLISHED}/identified", **data)


@pytest.mark.parametrize(
    ("fields", "message", "anchor"),
    [
        ({"name": " "}, "Enter the name of the person", "name"),
        ({"identified-day": ""}, "Enter the date the person was identified", "identified-day"),
        ({"identified-month": "13"}, "The date must be a real date", "identified-day"),
        ({"identified-year": "26"}, "The date must be numbers", "identified-day"),
        ({"identified-year": "2014"}, "after the person was found or last seen", "identified-day"),
        (
            {"identified-year": str(datetime.now(UTC).year + 1)},
            "today or in the past",
            "identified-day",
        ),
        ({"statement": ""}, "Enter the statement", "statement"),
        ({"family_agreed": ""}, "Confirm that the family agreed", "family_agreed"),
    ],
)
def test_identification_errors_point_at_the_field_and_keep_the_text(
    client: FlaskClient, fields: dict[str, str], message: str, anchor: str
) -> None:
    response = identify(client, **fields)
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert message in html
    assert f'href="#{anchor}"' in html
    if fields.get("statement") != "":
        assert "Thomas&#39;s family thank everyone" in html
    assert case(PUBLISHED).status is CaseStatus.PUBLISHED


def test_marking_identified_publishes_the_statement_and_closes_the_tip_form(
    client: FlaskClient, app: Flask
) -> None:
    tip = add_tip("UK-2015-0311", "I knew him")
    when = datetime.now(UTC).date() - timedelta(days=2)
    response = identify(
        client,
        **{
            "identified-day": str(when.day),
            "identified-month": str(when.month),
            "identified-year": str(when.year),
        },
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    found = case(PUBLISHED)
    assert found.status is CaseStatus.IDENTIFIED
    assert (found.name, found.identified_date) == ("Thomas Reid", when)
    public = app.test_client()
    page = public.get(f"/cases/{PUBLISHED}").get_data(as_text=True)
    assert "Thomas Reid" in page
    assert "thank everyone who shared his appeal" in page
    assert public.get(f"/cases/{PUBLISHED}/tips").status_code == 410
    db.session.refresh(tip)
    assert tip.status is TipStatus.NEW
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.identify"))
    assert event.details["identified_date"] == when.isoformat()
    # Final: no more changes through the workflow.
    assert post(client, f"/publishing/cases/{PUBLISHED}/withdraw").status_code == 400  # type: ignore[attr-defined]
    history = client.get(f"/publishing/cases/{PUBLISHED}").get_data(as_text=True)
    assert "Marked identified" in history and "pub@example.org" in history


def test_a_publisher_downloads_records_that_import_back_unchanged(
    client: FlaskClient, app: Flask, tmp_path: Path
) -> None:
    import io
    import zipfile

    from portal.records.importer import import_file

    response = client.get(f"/publishing/cases/{PUBLISHED}/export")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    records = archive.read("records.jsonl").decode()
    assert "UK-2015-0311" in records and "RESTRICTED-SENTINEL-004" in records
    everything = client.get("/publishing/export")
    folder = tmp_path / "export"
    zipfile.ZipFile(io.BytesIO(everything.data)).extractall(folder)
    text = (folder / "records.jsonl").read_text()
    assert text.count("\n") == 4 and "BE-1992-0603" not in text
    result = import_file(folder / "records.jsonl")
    assert (result.imported, result.updated, result.unchanged) == (0, 0, 4)
    details = [
        e.details for e in db.session.scalars(select(AuditEvent)) if e.action == "records.export"
    ]
    assert details == [{"cases": 1, "restricted": True}, {"cases": 4, "restricted": True}]


def test_an_admins_download_leaves_police_only_fields_out(app: Flask, sample_cases: Path) -> None:
    import io
    import zipfile

    admin = make_staff("admin@example.org", Role.ADMIN)
    client = app.test_client()
    sign_in(client, admin)
    data = client.get("/publishing/export").data
    text = zipfile.ZipFile(io.BytesIO(data)).read("records.jsonl").decode()
    assert text.count("\n") == 18
    assert "RESTRICTED-SENTINEL" not in text and '"restricted"' not in text
