"""Publishers create and edit appeals in the browser: drafts, preview, publish, four eyes."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import Agency, AuditEvent, Case, CaseRevision, CaseStatus, RevisionState, Role
from portal.records.importer import public_id_for
from tests.formkit import form_values
from tests.modkit import photo_jpeg
from tests.staffkit import Staff, make_staff, sign_in

AGENCY = "BE-FPJ-ANTWERP"
PUBLISHED = public_id_for(AGENCY, "BE-1992-0603")
SENTINEL = "EDITOR-RESTRICTED-SENTINEL-91"


@pytest.fixture
def publisher(app: Flask, sample_cases: Path) -> Staff:
    return make_staff("pub@example.org", Role.PUBLISHER, AGENCY)


def signed_in(app: Flask, staff: Staff) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, staff).status_code == 302
    return client


@pytest.fixture
def client(app: Flask, publisher: Staff) -> FlaskClient:
    return signed_in(app, publisher)


def editor_form(client: FlaskClient, path: str) -> dict[str, str]:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return form_values(page.get_data(as_text=True), "editor-form")


def send(client: FlaskClient, path: str, values: dict[str, str], **files: bytes) -> object:
    data: dict[str, object] = dict(values)
    for name, content in files.items():
        data[name] = (io.BytesIO(content), "tattoo.jpg")
    return client.post(path, data=data, content_type="multipart/form-data")


def main_of(html: str) -> str:
    """The appeal itself: the article, without the tip form (which only the public page has)."""
    article = re.search(r"<article.*?</article>", html, re.S)
    assert article, "no article in the page"
    text = re.sub(
        r'<section class="case__section tip".*?</section>', "", article.group(0), flags=re.S
    )
    return re.sub(r"\s+", " ", text)


def new_appeal(client: FlaskClient, **changes: str) -> object:
    values = editor_form(client, "/publishing/new")
    values.update(
        {
            "action": "save",
            "record_id": "BE-2026-0042",
            "title": "The man with the swallow tattoo",
            "kind": "unidentified",
            "sex": "male",
            "age-min": "30",
            "age-max": "45",
            "event-date-day": "14",
            "event-date-month": "2",
            "event-date-year": "2026",
            "event-date_precision": "day",
            "event-place": "River Scheldt",
            "event-locality": "Antwerp",
            "event-country": "BE",
            "circumstances": "Found on the bank of the Scheldt near the Steen.",
            "marks-0-type": "tattoo",
            "marks-0-location": "right hand",
            "marks-0-description": "A swallow in flight",
            "marks-0-inscription": "MOM",
            "new_image-0-kind": "tattoo",
            "new_image-0-caption": "The swallow tattoo",
            "new_image-0-publish": "on",
            "restricted-0-key": "dna_profile",
            "restricted-0-value": SENTINEL,
        }
    )
    values.update(changes)
    return send(client, "/publishing/new", values, **{"new_image-0-upload": photo_jpeg("navy")})


def test_a_publisher_creates_previews_and_publishes_an_appeal(
    client: FlaskClient, app: Flask
) -> None:
    response = new_appeal(client)
    assert response.status_code == 302, response.get_data(as_text=True)  # type: ignore[attr-defined]
    public_id = public_id_for(AGENCY, "BE-2026-0042")
    case = db.session.scalar(select(Case).where(Case.public_id == public_id))
    assert case is not None and case.status is CaseStatus.DRAFT
    assert case.marks[0].inscription == "MOM"
    assert case.restricted is not None and case.restricted.data == {"dna_profile": SENTINEL}
    assert [image.publish for image in case.images] == [True]
    public = app.test_client()
    assert public.get(f"/cases/{public_id}").status_code == 404

    preview = client.get(f"/publishing/cases/{public_id}/revisions/1/preview")
    html = preview.get_data(as_text=True)
    assert "The man with the swallow tattoo" in html
    assert "Not published: police-only fields: dna_profile" in html
    assert SENTINEL not in html
    # The preview's image comes from the staff area and is really there.
    image_src = re.search(r'<img src="([^"]+)"', main_of(html))
    assert image_src and image_src.group(1).startswith(f"/publishing/cases/{public_id}/media/")
    assert client.get(image_src.group(1)).status_code == 200

    published = client.post(
        f"/publishing/cases/{public_id}/revisions/1/publish",
        data={"csrf_token": form_values(html, None).get("csrf_token", "")},
    )
    assert published.status_code == 302
    page = public.get(f"/cases/{public_id}").get_data(as_text=True)
    assert SENTINEL not in page
    # The preview was the published page: the same appeal, image addresses aside.
    assert _without_images(main_of(page)) == _without_images(main_of(html))
    assert public_id in public.get("/sitemap.xml").get_data(as_text=True)
    search = public.get("/api/v1/cases", query_string={"q": "swallow"}).get_json()
    assert public_id in {result["id"] for result in search["results"]}
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-2:] == ["case.revision", "case.publish"]


def _without_images(html: str) -> str:
    html = re.sub(r'(src|srcset|href)="[^"]*(/media/|/publishing/cases/)[^"]*"', "", html)
    # Dates of publication differ by the seconds between preview and publishing.
    return re.sub(r"Appeal published[^<]*", "", html)


def test_errors_point_at_the_fields_and_keep_what_was_typed(client: FlaskClient) -> None:
    response = new_appeal(client, title="", **{"marks-0-location": ""})
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert 'href="#title"' in html and 'href="#marks-0-location"' in html
    assert "A swallow in flight" in html  # nothing typed is lost
    assert "Pick the image files again" in html
    assert db.session.scalar(select(Case).where(Case.record_id == "BE-2026-0042")) is None


def test_a_reference_already_used_is_refused(client: FlaskClient) -> None:
    response = new_appeal(client, record_id="BE-1992-0603")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "already has an appeal with the reference" in response.get_data(as_text=True)  # type: ignore[attr-defined]


def test_rows_are_added_without_javascript(client: FlaskClient) -> None:
    values = editor_form(client, f"/publishing/cases/{PUBLISHED}/edit")
    marks = len({key.split("-")[1] for key in values if key.startswith("marks-")})
    values["action"] = "add:marks"
    html = send(client, f"/publishing/cases/{PUBLISHED}/edit", values).get_data(as_text=True)  # type: ignore[attr-defined]
    after = form_values(html, "editor-form")
    assert len({key.split("-")[1] for key in after if key.startswith("marks-")}) == marks + 1


def test_a_change_to_a_live_appeal_waits_for_publishing(client: FlaskClient, app: Flask) -> None:
    public = app.test_client()
    before = public.get(f"/cases/{PUBLISHED}").get_data(as_text=True)
    values = editor_form(client, f"/publishing/cases/{PUBLISHED}/edit")
    old_title = values["title"]
    values.update({"action": "preview", "title": "The woman with the black flower tattoo"})
    response = send(client, f"/publishing/cases/{PUBLISHED}/edit", values)
    assert response.headers["Location"].endswith("/revisions/1/preview")  # type: ignore[attr-defined]
    # The public page is unchanged (the tip form's one-time ids aside).
    assert main_of(public.get(f"/cases/{PUBLISHED}").get_data(as_text=True)) == main_of(before)
    case = db.session.scalar(select(Case).where(Case.public_id == PUBLISHED))
    assert case is not None and case.title == old_title
    preview = client.get(f"/publishing/cases/{PUBLISHED}/revisions/1/preview").get_data(
        as_text=True
    )
    assert "The woman with the black flower tattoo" in preview
    token = form_values(preview, None)["csrf_token"]
    client.post(f"/publishing/cases/{PUBLISHED}/revisions/1/publish", data={"csrf_token": token})
    after = public.get(f"/cases/{PUBLISHED}").get_data(as_text=True)
    assert "The woman with the black flower tattoo" in after
    # Every revision is kept, with the difference between them.
    diff = client.get(f"/publishing/cases/{PUBLISHED}/revisions").get_data(as_text=True)
    assert "The woman with the black flower tattoo" in diff and "diff__line--added" in diff
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-1] == "case.update"


def test_four_eyes(app: Flask, client: FlaskClient) -> None:
    agency = db.session.scalar(select(Agency).where(Agency.code == AGENCY))
    assert agency is not None
    agency.requires_approval = True
    db.session.commit()
    second = signed_in(app, make_staff("second@example.org", Role.PUBLISHER, AGENCY))
    values = editor_form(client, f"/publishing/cases/{PUBLISHED}/edit")
    values.update({"action": "save", "title": "Changed by the first publisher"})
    send(client, f"/publishing/cases/{PUBLISHED}/edit", values)
    page = client.get(f"/publishing/cases/{PUBLISHED}/revisions/1/preview").get_data(as_text=True)
    token = form_values(page, None)["csrf_token"]
    client.post(f"/publishing/cases/{PUBLISHED}/revisions/1/publish", data={"csrf_token": token})
    revision = db.session.scalar(select(CaseRevision))
    assert revision is not None and revision.state is RevisionState.AWAITING_APPROVAL
    public = app.test_client()
    assert "Changed by the first publisher" not in public.get(f"/cases/{PUBLISHED}").get_data(
        as_text=True
    )
    # The author cannot approve their own change.
    client.post(f"/publishing/cases/{PUBLISHED}/revisions/1/approve", data={"csrf_token": token})
    db.session.refresh(revision)
    assert revision.state is RevisionState.AWAITING_APPROVAL
    # The second publisher sees it waiting, and approves.
    assert "Waiting for your approval" in second.get("/publishing/").get_data(as_text=True)
    page = second.get(f"/publishing/cases/{PUBLISHED}/revisions/1/preview").get_data(as_text=True)
    assert "Approve and publish" in page
    token = form_values(page, None)["csrf_token"]
    second.post(
        f"/publishing/cases/{PUBLISHED}/revisions/1/approve",
        data={"csrf_token": token, "decision": "approve"},
    )
    db.session.refresh(revision)
    assert revision.state is RevisionState.PUBLISHED
    assert "Changed by the first publisher" in public.get(f"/cases/{PUBLISHED}").get_data(
        as_text=True
    )
    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-3:] == ["case.submit", "case.approve", "case.update"]


def test_an_edited_appeal_exports_and_imports_back_unchanged(
    client: FlaskClient, tmp_path: Path
) -> None:
    import zipfile

    from portal.records.importer import import_file

    new_appeal(client)
    public_id = public_id_for(AGENCY, "BE-2026-0042")
    data = client.get(f"/publishing/cases/{public_id}/export").data
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
    result = import_file(tmp_path / "records.jsonl")
    assert result.errors == []
    assert (result.imported, result.updated, result.unchanged) == (0, 0, 1)


def test_the_editor_refuses_forged_posts_and_other_agencies(
    client: FlaskClient, app: Flask
) -> None:
    values = editor_form(client, f"/publishing/cases/{PUBLISHED}/edit")
    values.pop("csrf_token")
    values.update({"action": "save", "title": "Forged"})
    assert send(client, f"/publishing/cases/{PUBLISHED}/edit", values).status_code == 400  # type: ignore[attr-defined]
    assert db.session.scalar(select(CaseRevision)) is None
    dutch = public_id_for("NL-LE-NOORD", "NL-1999-0412")
    assert client.get(f"/publishing/cases/{dutch}/edit").status_code == 404
    assert client.get(f"/publishing/cases/{dutch}/revisions").status_code == 404


def test_four_eyes_also_guard_a_first_publication_and_a_republication(
    app: Flask, client: FlaskClient
) -> None:
    agency = db.session.scalar(select(Agency).where(Agency.code == AGENCY))
    assert agency is not None
    agency.requires_approval = True
    db.session.commit()
    new_appeal(client)
    public_id = public_id_for(AGENCY, "BE-2026-0042")
    page = client.get(f"/publishing/cases/{public_id}").get_data(as_text=True)
    token = form_values(page, None)["csrf_token"]
    client.post(f"/publishing/cases/{public_id}/publish", data={"csrf_token": token})
    case = db.session.scalar(select(Case).where(Case.public_id == public_id))
    assert case is not None and case.status is CaseStatus.DRAFT
    second = signed_in(app, make_staff("second@example.org", Role.PUBLISHER, AGENCY))
    page = second.get(f"/publishing/cases/{public_id}/revisions/1/preview").get_data(as_text=True)
    second.post(
        f"/publishing/cases/{public_id}/revisions/1/approve",
        data={"csrf_token": form_values(page, None)["csrf_token"], "decision": "approve"},
    )
    db.session.expire_all()
    assert case.status is CaseStatus.PUBLISHED
    # Withdrawn, then published again: that too waits for the second publisher.
    client.post(f"/publishing/cases/{public_id}/withdraw", data={"csrf_token": token})
    client.post(f"/publishing/cases/{public_id}/publish", data={"csrf_token": token})
    db.session.expire_all()
    assert case.status is CaseStatus.WITHDRAWN
    pending = db.session.scalar(select(CaseRevision).where(CaseRevision.number == 2))
    assert pending is not None and pending.state is RevisionState.AWAITING_APPROVAL
