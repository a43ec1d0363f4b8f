"""The tipster's follow-up page: codes instead of an account, questions, answers, read status."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.crypto import get_cipher
from portal.extensions import db
from portal.models import ThreadAuthor, Tip, TipAttachment, TipThreadEntry
from portal.models.base import utcnow
from portal.records.importer import public_id_for
from portal.services import tips as tip_service
from portal.tips import views as tip_views
from tests.tipkit import receipt_codes, send_tip

PUBLISHED = public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')


@pytest.fixture
def client(app: Flask, sample_cases: Path) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def codes(client: FlaskClient) -> tuple[str, str]:
    response = send_tip(client, PUBLISHED, message="She had the rose tattoo; I met her in 1990.")
    assert response.status_code == 200
    return receipt_codes(response.get_data(as_text=True))


def csrf(client: FlaskClient, path: str) -> str:
    match = _CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, reference: str, code: str) -> FlaskClient:
    response = client.post(
        "/tips/follow-up",
        data={"csrf_token": csrf(client, "/tips/follow-up"), "reference": reference, "code": code},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert response.location.endswith("/tips/follow-up/tip")
    return client


def add(client: FlaskClient, text: str, **extra: str) -> tuple[int, str]:
    page = client.get("/tips/follow-up/tip").get_data(as_text=True)
    token = _CSRF.search(page)
    submission = _SUBMISSION.search(page)
    assert token and submission
    data = {"csrf_token": token.group(1), "submission_id": submission.group(1), "text": text}
    data.update(extra)
    response = client.post("/tips/follow-up/tip", data=data, follow_redirects=True)
    return response.status_code, response.get_data(as_text=True)


def test_codes_open_the_tip_in_any_reasonable_typing(app: Flask, codes: tuple[str, str]) -> None:
    reference, code = codes
    # Lower case, spaces instead of dashes, O typed for 0 and l for 1: still the same codes.
    typed_reference = reference.lower().replace("-", " ")
    typed_code = code.lower().replace("-", "").replace("0", "o").replace("1", "l")
    client = sign_in(app.test_client(), typed_reference, typed_code)
    page = client.get("/tips/follow-up/tip")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert reference in html and "Received" in html and "Not read yet" in html
    assert page.headers["Cache-Control"] == "no-store"
    # The first message and contact details are never shown back.
    assert "rose tattoo" not in html


@pytest.mark.parametrize("wrong", ["reference", "code"])
def test_wrong_codes_are_refused_with_one_message(
    app: Flask, codes: tuple[str, str], wrong: str
) -> None:
    reference, code = codes
    client = app.test_client()
    data = {
        "csrf_token": csrf(client, "/tips/follow-up"),
        "reference": "TIP-0000-0000" if wrong == "reference" else reference,
        "code": "AAAA-BBBB-CCCC-DDDD" if wrong == "code" else code,
    }
    response = client.post("/tips/follow-up", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    # The same words either way: the page does not tell which one exists.
    assert "do not match a tip" in html and 'href="#reference"' in html
    assert client.get("/tips/follow-up/tip").status_code == 302


def test_empty_codes_get_field_errors(client: FlaskClient) -> None:
    response = client.post(
        "/tips/follow-up",
        data={"csrf_token": csrf(client, "/tips/follow-up"), "reference": "", "code": ""},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#reference"' in html and 'href="#code"' in html


def test_guessing_codes_is_rate_limited(app: Flask, codes: tuple[str, str]) -> None:
    client = app.test_client()
    token = csrf(client, "/tips/follow-up")
    statuses = [
        client.post(
            "/tips/follow-up",
            data={"csrf_token": token, "reference": codes[0], "code": f"AAAA-BBBB-CCCC-{i:04d}"},
        ).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429, 429]


def test_adding_information_once_per_form(
    app: Flask, codes: tuple[str, str], client: FlaskClient
) -> None:
    sign_in(client, *codes)
    page = client.get("/tips/follow-up/tip").get_data(as_text=True)
    token = _CSRF.search(page)
    submission = _SUBMISSION.search(page)
    assert token and submission
    data = {
        "csrf_token": token.group(1),
        "submission_id": submission.group(1),
        "text": "I found an old photo of her; she lived in Mechelen in 1991.",
    }
    first = client.post("/tips/follow-up/tip", data=data)
    second = client.post("/tips/follow-up/tip", data=data)  # a double click
    assert first.status_code == second.status_code == 302
    entries = db.session.scalars(select(TipThreadEntry)).all()
    assert len(entries) == 1 and entries[0].author is ThreadAuthor.TIPSTER
    assert b"Mechelen" not in entries[0].body_enc
    html = client.get("/tips/follow-up/tip").get_data(as_text=True)
    assert "You added" in html and "Mechelen in 1991" in html
    assert "has been sent with your tip" in html


def test_empty_addition_is_an_error_beside_the_field(
    codes: tuple[str, str], client: FlaskClient
) -> None:
    sign_in(client, *codes)
    status, html = add(client, "   ")
    assert status == 400
    assert 'href="#text"' in html and 'id="text-error"' in html
    assert db.session.scalar(select(func.count(TipThreadEntry.id))) == 0


def test_a_question_appears_and_the_answer_is_linked_to_it(
    codes: tuple[str, str], client: FlaskClient
) -> None:
    tip = db.session.scalar(select(Tip))
    assert tip is not None
    question = tip_service.ask_question(get_cipher(), tip, "Do you remember the year she left?")
    sign_in(client, *codes)
    html = client.get("/tips/follow-up/tip").get_data(as_text=True)
    assert "We have a question for you" in html
    assert "Do you remember the year she left?" in html
    assert f'name="reply_to" value="{question.id}"' in html

    status, html = add(client, "It was the spring of 1991.", reply_to=str(question.id))
    assert status == 200
    answer = db.session.scalar(
        select(TipThreadEntry).where(TipThreadEntry.author == ThreadAuthor.TIPSTER)
    )
    assert answer is not None and answer.reply_to_id == question.id
    assert "We have a question for you" not in html  # answered
    assert "spring of 1991" in html


def test_answer_cannot_point_at_another_tips_question(
    app: Flask, codes: tuple[str, str], client: FlaskClient
) -> None:
    other_response = send_tip(app.test_client(), PUBLISHED, message="Another tip")
    assert other_response.status_code == 200
    other = db.session.scalars(select(Tip).order_by(Tip.id.desc())).first()
    assert other is not None
    foreign = tip_service.ask_question(get_cipher(), other, "Question for someone else")
    sign_in(client, *codes)
    status, _html = add(client, "Trying to answer", reply_to=str(foreign.id))
    assert status == 200
    answer = db.session.scalar(
        select(TipThreadEntry).where(TipThreadEntry.author == ThreadAuthor.TIPSTER)
    )
    assert answer is not None and answer.reply_to_id is None


def test_read_status_is_shown_and_nothing_more(codes: tuple[str, str], client: FlaskClient) -> None:
    tip = db.session.scalar(select(Tip))
    assert tip is not None
    tip.read_at = utcnow()
    db.session.commit()
    sign_in(client, *codes)
    html = client.get("/tips/follow-up/tip").get_data(as_text=True)
    assert "Read by our team on" in html
    assert "forwarded" not in html.lower() and "actionable" not in html.lower()


def test_attachments_can_be_added_later(codes: tuple[str, str], client: FlaskClient) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 10)).save(buffer, "PNG")
    sign_in(client, *codes)
    page = client.get("/tips/follow-up/tip").get_data(as_text=True)
    token = _CSRF.search(page)
    submission = _SUBMISSION.search(page)
    assert token and submission
    response = client.post(
        "/tips/follow-up/tip",
        data={
            "csrf_token": token.group(1),
            "submission_id": submission.group(1),
            "text": "Her school photo",
            "attachments": [(io.BytesIO(buffer.getvalue()), "school.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    attachment = db.session.scalar(select(TipAttachment))
    entry = db.session.scalar(select(TipThreadEntry))
    assert attachment is not None and entry is not None
    assert attachment.thread_entry_id == entry.id
    html = client.get("/tips/follow-up/tip").get_data(as_text=True)
    assert "with 1 file" in html


def test_follow_up_session_expires_and_can_be_closed(
    codes: tuple[str, str], client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client, *codes)
    assert client.get("/tips/follow-up/tip").status_code == 200
    later = time.time() + tip_views.FOLLOWUP_SESSION_SECONDS + 1
    monkeypatch.setattr(tip_views.time, "time", lambda: later)
    assert client.get("/tips/follow-up/tip").status_code == 302
    monkeypatch.undo()

    sign_in(client, *codes)
    token = csrf(client, "/tips/follow-up/tip")
    response = client.post("/tips/follow-up/close", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/tips/follow-up/tip").status_code == 302


def test_receipt_links_to_the_follow_up_page(client: FlaskClient) -> None:
    html = send_tip(client, PUBLISHED).get_data(as_text=True)
    assert 'href="/tips/follow-up"' in html
    assert "We do not keep the follow-up code" in html
