"""Forwarding a tip to its agency over a real SMTP conversation, failures and retries included."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from portal.config import Settings
from portal.crypto import get_cipher
from portal.extensions import db
from portal.media import get_media_store
from portal.models import AuditEvent, ForwardState, Role, Tip, TipForward, TipStatus, User
from portal.services import moderation
from portal.services import tips as tip_service
from portal.services.tips import Contact, Upload
from tests.mailkit import MailServer
from tests.modkit import add_tip, case_by_record, photo_jpeg
from tests.staffkit import Staff, csrf_token, make_staff, sign_in

ANTWERP = "identify@antwerp.police.example"
MAIL_FROM = "Recognise <tips@recognise.example>"
MESSAGE = "I think this is my aunt Rosa Verbeke; she had that rose tattoo."
FOLLOW_UP = "She worked at the bakery on the Kammenstraat in 1991."


@pytest.fixture
def settings(settings: Settings, smtp_server: MailServer) -> Settings:
    return dataclasses.replace(settings, smtp_url=smtp_server.url, mail_from=MAIL_FROM)


@pytest.fixture
def moderator(app: Flask, sample_cases: Path) -> Staff:
    return make_staff("mod@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP")


@pytest.fixture
def signed_in(client: FlaskClient, moderator: Staff) -> FlaskClient:
    assert sign_in(client, moderator).status_code == 302
    return client


def _user(staff: Staff) -> User:
    user = db.session.get(User, staff.user_id)
    assert user is not None
    return user


def _actionable(staff: Staff, tip: Tip) -> Tip:
    moderation.set_status(_user(staff), tip, TipStatus.ACTIONABLE)
    # Released, as if the moderator had moved on: the web request claims it again.
    tip.claimed_by_id = None
    tip.claim_expires_at = None
    db.session.commit()
    return tip


def _tip_with_everything(staff: Staff) -> Tip:
    tip = add_tip(
        "BE-1992-0603",
        MESSAGE,
        contact=Contact(name="Anna Peeters", email="anna@example.org", phone="+32 3 555 01 02"),
        uploads=[Upload("rosé at the fair.jpg", photo_jpeg("crimson"))],
    )
    tip_service.add_information(
        get_cipher(), get_media_store(), tip, submission_id=str(uuid.uuid4()), text=FOLLOW_UP
    )
    return _actionable(staff, tip)


def _post(client: FlaskClient, tip: Tip, path: str = "forward") -> TestResponse:
    page = client.get(f"/moderation/tips/{tip.id}")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(
        f"/moderation/tips/{tip.id}/{path}", data={"csrf_token": token, "back": "status=all"}
    )


def _page(client: FlaskClient, tip: Tip) -> str:
    return client.get(f"/moderation/tips/{tip.id}").get_data(as_text=True)


def _actions(tip: Tip) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.target_type == "tip", AuditEvent.target_id == str(tip.id))
            .order_by(AuditEvent.id)
        )
    )


def test_a_tip_is_sent_with_its_messages_contact_and_photo(
    signed_in: FlaskClient, moderator: Staff, smtp_server: MailServer
) -> None:
    tip = _tip_with_everything(moderator)
    page = _page(signed_in, tip)
    assert "Forward to the police" in page
    assert "Forward to Federal Judicial Police Antwerp" in page
    assert 'data-key="f"' in page
    assert ANTWERP in page

    response = _post(signed_in, tip)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/moderation/tips/{tip.id}?back=status%3Dall"
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received.rcpt_tos == [ANTWERP]
    assert received.mail_from == "tips@recognise.example"
    mail = received.message
    case = case_by_record("BE-1992-0603")
    assert mail["To"] == ANTWERP
    assert mail["From"] == MAIL_FROM
    assert mail["Reply-To"] == "mod@example.org"
    assert mail["Subject"] == f"Tip {tip.reference} about {case.public_id}: {case.title}"
    assert MESSAGE not in mail["Subject"]
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    for expected in (
        MESSAGE,
        FOLLOW_UP,
        tip.reference,
        case.public_id,
        "BE-1992-0603",
        "Anna Peeters",
        "anna@example.org",
        "+32 3 555 01 02",
        "agreed to be contacted",
        "rosé at the fair.jpg",
        "mod@example.org",
    ):
        assert expected in text, expected
    files = list(mail.iter_attachments())
    assert [part.get_filename() for part in files] == ["rosé at the fair.jpg"]
    stored = tip_service.read_attachment(get_cipher(), get_media_store(), tip.attachments[0])
    assert files[0].get_content() == stored
    assert files[0].get_content_type() == "image/jpeg"

    db.session.expire_all()
    forward = db.session.scalars(select(TipForward)).one()
    assert forward.state is ForwardState.SENT
    assert forward.attempts == 1
    assert forward.sent_by_id == moderator.user_id
    assert forward.requested_by_id == moderator.user_id
    assert forward.message_id == mail["Message-ID"]
    assert forward.message_id.endswith("@recognise.example>")
    assert tip.status is TipStatus.FORWARDED
    assert tip.forwarded_at is not None
    assert tip.forwarded_by_id == moderator.user_id
    events = _actions(tip)
    forwarded = [event for event in events if event.action == "tip.forward"]
    assert len(forwarded) == 1
    assert forwarded[0].details == {"forward": forward.id, "to": ANTWERP, "attempt": 1}
    assert forwarded[0].actor_id == moderator.user_id
    status_changes = [event.details for event in events if event.action == "tip.status"]
    assert status_changes[-1] == {"from": "actionable", "to": "forwarded"}
    # Nothing of the tip's content is in the audit log.
    assert all(MESSAGE not in str(event.details) for event in events)

    after = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Sent to {ANTWERP} at" in after
    assert "Forwarded on" in after
    assert "Forward again to Federal Judicial Police Antwerp" in after


def test_a_new_tip_is_refused_and_nothing_is_sent(
    signed_in: FlaskClient, smtp_server: MailServer
) -> None:
    tip = add_tip("BE-1992-0603", MESSAGE)
    assert "Mark the tip as actionable before forwarding it." in _page(signed_in, tip)

    response = _post(signed_in, tip)

    assert response.status_code == 400
    assert "Mark the tip as actionable before forwarding it." in response.get_data(as_text=True)
    assert smtp_server.messages == []
    assert db.session.scalars(select(TipForward)).all() == []
    db.session.expire_all()
    assert tip.status is TipStatus.NEW


def test_spam_is_not_forwarded(
    signed_in: FlaskClient, moderator: Staff, smtp_server: MailServer
) -> None:
    tip = add_tip("BE-1992-0603", MESSAGE)
    moderation.set_status(_user(moderator), tip, TipStatus.SPAM)

    response = _post(signed_in, tip)

    assert response.status_code == 400
    assert "marked as spam" in response.get_data(as_text=True)
    assert smtp_server.messages == []


def test_contact_details_stay_out_without_consent(
    signed_in: FlaskClient, moderator: Staff, smtp_server: MailServer
) -> None:
    tip = add_tip("BE-1992-0603", MESSAGE, contact=Contact(name="Anna Peeters", phone="0470"))
    # Stored from an older form that kept details without consent.
    tip.contact_ok = False
    _actionable(moderator, tip)
    anonymous = _actionable(moderator, add_tip("BE-1992-0603", "Another message"))

    assert _post(signed_in, tip).status_code == 302
    assert _post(signed_in, anonymous).status_code == 302

    first, second = (received.message for received in smtp_server.messages)
    text = first.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Anna Peeters" not in text
    assert "0470" not in text
    assert "The tipster did not agree to be contacted" in text
    other = second.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Sent anonymously" in other


def test_an_agency_without_an_address_is_refused(
    signed_in: FlaskClient, moderator: Staff, smtp_server: MailServer
) -> None:
    tip = _actionable(moderator, add_tip("BE-1992-0603", MESSAGE))
    tip.case.agency.tip_email = None
    db.session.commit()
    page = _page(signed_in, tip)
    assert "This agency (Federal Judicial Police Antwerp) has no address for tips." in page
    assert 'data-key="f"' not in page

    response = _post(signed_in, tip)

    assert response.status_code == 400
    assert "Federal Judicial Police Antwerp has no address for tips" in response.get_data(
        as_text=True
    )
    assert smtp_server.messages == []
    assert db.session.scalars(select(TipForward)).all() == []


def test_a_failed_send_is_visible_and_a_retry_sends_the_same_message(
    signed_in: FlaskClient,
    moderator: Staff,
    smtp_server: MailServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tip = _tip_with_everything(moderator)
    smtp_server.stop()

    response = _post(signed_in, tip)

    assert response.status_code == 302
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    reason = f"connection refused by 127.0.0.1:{smtp_server.port}"
    assert f"Sending failed: {reason}. The tip is unchanged; try again." in page
    assert "Try again" in page
    db.session.expire_all()
    forward = db.session.scalars(select(TipForward)).one()
    assert forward.state is ForwardState.FAILED
    assert forward.last_error == reason
    assert forward.attempts == 1
    assert tip.status is TipStatus.ACTIONABLE
    assert tip.forwarded_at is None
    failed = [event for event in _actions(tip) if event.action == "tip.forward.failed"]
    assert [event.details for event in failed] == [
        {"forward": forward.id, "to": ANTWERP, "reason": reason}
    ]
    # Neither the tip's words nor the tipster's details reach the logs.
    for secret in (MESSAGE, FOLLOW_UP, "Anna Peeters", "anna@example.org"):
        assert secret not in caplog.text
    first_id = forward.message_id

    smtp_server.start()
    response = _post(signed_in, tip, f"forwards/{forward.id}/retry")

    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0].message["Message-ID"] == first_id
    db.session.expire_all()
    assert forward.state is ForwardState.SENT
    assert forward.attempts == 2
    assert forward.last_error is None
    assert tip.status is TipStatus.FORWARDED
    assert tip.forwarded_by_id == moderator.user_id
    assert db.session.scalars(select(TipForward)).all() == [forward]
    assert "Sending failed" not in _page(signed_in, tip)


def test_forwarding_again_after_a_failure_reuses_the_failed_forward(
    signed_in: FlaskClient, moderator: Staff, smtp_server: MailServer
) -> None:
    tip = _actionable(moderator, add_tip("BE-1992-0603", MESSAGE))
    smtp_server.stop()
    _post(signed_in, tip)
    smtp_server.start()

    assert _post(signed_in, tip).status_code == 302

    forward = db.session.scalars(select(TipForward)).one()
    assert forward.state is ForwardState.SENT
    assert smtp_server.messages[0].message["Message-ID"] == forward.message_id


def test_a_refused_recipient_is_a_failure_with_the_servers_reason(
    signed_in: FlaskClient, moderator: Staff, smtp_server: MailServer
) -> None:
    tip = _actionable(moderator, add_tip("BE-1992-0603", MESSAGE))
    smtp_server.refuse(ANTWERP, "550 5.1.1 No such mailbox here")

    response = _post(signed_in, tip)

    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sending failed: recipient refused: 550 5.1.1 No such mailbox here." in page
    forward = db.session.scalars(select(TipForward)).one()
    assert forward.state is ForwardState.FAILED
    assert forward.last_error == "recipient refused: 550 5.1.1 No such mailbox here"
    assert smtp_server.messages == []


def test_no_smtp_url_is_a_failure_not_an_error(
    app: Flask, signed_in: FlaskClient, moderator: Staff
) -> None:
    app.extensions["portal_settings"] = dataclasses.replace(
        app.extensions["portal_settings"], smtp_url=None
    )
    tip = _actionable(moderator, add_tip("BE-1992-0603", MESSAGE))

    response = _post(signed_in, tip)

    assert response.status_code == 302
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Email is not set up: PORTAL_SMTP_URL is empty" in page


def test_another_agencys_moderator_gets_404(
    app: Flask, moderator: Staff, smtp_server: MailServer
) -> None:
    tip = _actionable(moderator, add_tip("BE-1992-0603", MESSAGE))
    other = make_staff("other@example.org", Role.MODERATOR, "NL-LE-NOORD")
    client = app.test_client()
    assert sign_in(client, other).status_code == 302
    token = csrf_token(client.get("/auth/account").get_data(as_text=True))

    assert (
        client.post(f"/moderation/tips/{tip.id}/forward", data={"csrf_token": token}).status_code
        == 404
    )
    assert smtp_server.messages == []


def test_a_forward_of_another_tip_cannot_be_retried_through_this_one(
    signed_in: FlaskClient, moderator: Staff, smtp_server: MailServer
) -> None:
    tip = _actionable(moderator, add_tip("BE-1992-0603", MESSAGE))
    smtp_server.stop()
    _post(signed_in, tip)
    smtp_server.start()
    forward = db.session.scalars(select(TipForward)).one()
    another = add_tip("BE-1992-0603", "Another message")

    response = _post(signed_in, another, f"forwards/{forward.id}/retry")

    assert response.status_code == 404
    assert smtp_server.messages == []


def test_forwarding_needs_the_csrf_token(
    signed_in: FlaskClient, moderator: Staff, smtp_server: MailServer
) -> None:
    tip = _actionable(moderator, add_tip("BE-1992-0603", MESSAGE))

    response = signed_in.post(f"/moderation/tips/{tip.id}/forward")

    assert response.status_code == 400
    assert smtp_server.messages == []


def test_a_tip_claimed_by_another_moderator_is_not_sent(
    signed_in: FlaskClient, moderator: Staff, smtp_server: MailServer
) -> None:
    tip = _actionable(moderator, add_tip("BE-1992-0603", MESSAGE))
    colleague = make_staff("colleague@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP")
    page = _page(signed_in, tip)
    moderation.claim(_user(colleague), tip, take_over=True)
    db.session.commit()

    response = signed_in.post(
        f"/moderation/tips/{tip.id}/forward", data={"csrf_token": csrf_token(page)}
    )

    assert response.status_code == 409
    assert smtp_server.messages == []


def test_the_retry_command_sends_failed_forwards(
    app: Flask, signed_in: FlaskClient, moderator: Staff, smtp_server: MailServer
) -> None:
    tip = _actionable(moderator, add_tip("BE-1992-0603", MESSAGE))
    smtp_server.stop()
    _post(signed_in, tip)
    runner = app.test_cli_runner()

    still_down = runner.invoke(args=["tips", "retry-forwards"])

    assert still_down.exit_code == 1
    assert "sent 0, still failing 1" in still_down.output

    smtp_server.start()
    result = runner.invoke(args=["tips", "retry-forwards"])

    assert result.exit_code == 0, result.output
    assert "sent 1, still failing 0" in result.output
    assert len(smtp_server.messages) == 1
    db.session.expire_all()
    forward = db.session.scalars(select(TipForward)).one()
    assert forward.state is ForwardState.SENT
    assert forward.attempts == 3
    assert forward.sent_by_id is None
    assert tip.status is TipStatus.FORWARDED
    # The moderator who asked for it forwarded it; the job only finished the sending.
    assert tip.forwarded_by_id == moderator.user_id
    sent = [event for event in _actions(tip) if event.action == "tip.forward"]
    assert sent[0].actor_id is None
    assert sent[0].details["by"] == "retry job"
    assert MESSAGE not in result.output


def test_an_interrupted_send_is_retried_by_the_command(
    app: Flask, moderator: Staff, smtp_server: MailServer
) -> None:
    tip = _actionable(moderator, add_tip("BE-1992-0603", MESSAGE))
    fresh = TipForward(tip=tip, to_address=ANTWERP, requested_by_id=moderator.user_id, attempts=1)
    db.session.add(fresh)
    db.session.commit()
    runner = app.test_cli_runner()

    # A send started a minute ago may still be under way: it is left alone.
    assert "sent 0, still failing 0" in runner.invoke(args=["tips", "retry-forwards"]).output
    fresh.requested_at = fresh.requested_at - timedelta(minutes=30)
    db.session.commit()
    result = runner.invoke(args=["tips", "retry-forwards"])

    assert "sent 1, still failing 0" in result.output
    assert len(smtp_server.messages) == 1
