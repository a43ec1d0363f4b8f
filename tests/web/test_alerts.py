"""Search alerts over real HTTP and a real SMTP server: sign-up, confirm, notify, unsubscribe."""

from __future__ import annotations

import dataclasses
import logging
import re
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from werkzeug.test import TestResponse

from portal.config import Settings
from portal.crypto import get_cipher
from portal.extensions import db
from portal.models import AlertNotification, Role, SavedSearch, User
from portal.models.base import utcnow
from portal.services import alerts, cases, publishing
from portal.services import search as search_service
from tests.mailkit import MailServer
from tests.modkit import case_by_record
from tests.staffkit import csrf_token, make_staff

BASE_URL = "https://recognise.example"
MAIL_FROM = "Recognise <alerts@recognise.example>"
FAMILY = "family.member@example.org"
OTHER = "someone.else@example.org"
# The draft sample appeal: a man with a spider-web tattoo on his neck, found at Crewe.
DRAFT = "UK-2020-0909"
MATCHING = "q=spider+web&sex=male"
NOT_MATCHING = "q=spider+web&sex=female"
RESTRICTED = "RESTRICTED-SENTINEL-005"


@pytest.fixture
def settings(settings: Settings, smtp_server: MailServer) -> Settings:
    return dataclasses.replace(
        settings, smtp_url=smtp_server.url, mail_from=MAIL_FROM, base_url=BASE_URL
    )


@pytest.fixture
def publisher(app: Flask, sample_cases: Path) -> User:
    staff = make_staff("pub@example.org", Role.PUBLISHER, "UK-MPU")
    user = db.session.get(User, staff.user_id)
    assert user is not None
    return user


def _sign_up(client: FlaskClient, email: str, query: str) -> TestResponse:
    page = client.get(f"/alerts/new?{query}")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(f"/alerts/new?{query}", data={"email": email, "csrf_token": token})


def _link(message: EmailMessage, kind: str) -> str:
    body = message.get_content()
    found = re.search(rf"{re.escape(BASE_URL)}/alerts/{kind}/\S+", body)
    assert found, body
    return found.group(0)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _confirm(client: FlaskClient, smtp_server: MailServer, email: str, query: str) -> str:
    """Sign up and confirm; returns the confirmation link's path."""
    before = len(smtp_server.messages)
    assert _sign_up(client, email, query).status_code == 200
    assert len(smtp_server.messages) == before + 1
    path = _path(_link(smtp_server.messages[-1].message, "confirm"))
    page = client.get(path)
    response = client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 200, response.get_data(as_text=True)
    return path


def _to(server: MailServer, address: str) -> list[EmailMessage]:
    return [m.message for m in server.messages if address in m.rcpt_tos]


def _publish_draft(publisher: User) -> None:
    publishing.publish(publisher, case_by_record(DRAFT))


def test_search_page_links_to_the_alert_form_with_the_search(
    client: FlaskClient, sample_cases: Path
) -> None:
    body = client.get("/search?q=tattoo&sex=female").get_data(as_text=True)
    assert "Get an email when a new appeal matches this search" in body
    assert 'href="/alerts/new?q=tattoo&amp;sex=female"' in body
    # Nothing searched, nothing to be alerted about.
    assert "/alerts/new" not in client.get("/search").get_data(as_text=True)


def test_the_form_shows_the_search_in_plain_words(client: FlaskClient, sample_cases: Path) -> None:
    response = client.get("/alerts/new?q=tattoo&mark=tattoo&location=arm&sex=female&age=25-35")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "“tattoo”, with a tattoo, on the arm, female, aged 25–35" in body
    assert '<label class="label" for="email">Email address</label>' in body
    assert response.headers["Cache-Control"] == "no-store"


def test_sign_up_errors_keep_what_was_typed(
    client: FlaskClient, sample_cases: Path, smtp_server: MailServer
) -> None:
    empty = _sign_up(client, "", "q=tattoo")
    assert empty.status_code == 400
    body = empty.get_data(as_text=True)
    assert '<a href="#email">Enter your email address.</a>' in body
    assert 'id="email-error"' in body

    bad = _sign_up(client, "not an address", "q=tattoo")
    assert bad.status_code == 400
    body = bad.get_data(as_text=True)
    assert '<a href="#email">Enter an email address like name@example.com.</a>' in body
    assert 'value="not an address"' in body
    assert "“tattoo”" in body

    nothing = _sign_up(client, FAMILY, "")
    assert nothing.status_code == 400
    body = nothing.get_data(as_text=True)
    assert '<a href="#search">Your search is empty' in body
    assert f'value="{FAMILY}"' in body

    assert smtp_server.messages == []
    assert db.session.scalar(select(func.count()).select_from(SavedSearch)) == 0


def test_confirmation_email_link_get_shows_a_button_and_post_confirms(
    client: FlaskClient, sample_cases: Path, smtp_server: MailServer
) -> None:
    response = _sign_up(client, FAMILY, MATCHING)
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    (received,) = smtp_server.messages
    assert received.rcpt_tos == [FAMILY]
    message = received.message
    assert message["Subject"] == "Confirm your search alert"
    assert "“spider web”, male" in message.get_content()
    assert message["List-Unsubscribe"] == f"<{_link(message, 'unsubscribe')}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = _path(_link(message, "confirm"))

    page = client.get(path)
    assert page.status_code == 200
    assert ">Confirm</button>" in page.get_data(as_text=True)
    alert = db.session.scalar(select(SavedSearch))
    assert alert is not None and alert.confirmed_at is None  # a mail scanner's GET confirms nothing

    token = csrf_token(page.get_data(as_text=True))
    confirmed = client.post(path, data={"csrf_token": token})
    assert confirmed.status_code == 200
    assert "Your search alert is on" in confirmed.get_data(as_text=True)
    db.session.expire_all()
    alert = db.session.scalar(select(SavedSearch))
    assert alert is not None and alert.confirmed_at is not None
    assert alert.search_args == {"q": "spider web", "sex": "male"}
    assert alert.language == "en"


def test_the_answer_is_the_same_whether_or_not_the_address_has_alerts(
    client: FlaskClient, sample_cases: Path, smtp_server: MailServer
) -> None:
    _confirm(client, smtp_server, FAMILY, MATCHING)
    known = _sign_up(client, FAMILY, MATCHING)
    unknown = _sign_up(client, OTHER, MATCHING)
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
    # Confirming the same search again keeps one alert.
    path = _path(_link(_to(smtp_server, FAMILY)[-1], "confirm"))
    page = client.get(path)
    client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(SavedSearch)
            .where(SavedSearch.confirmed_at.is_not(None))
        )
        == 1
    )


def test_unknown_or_expired_links_are_a_clear_404(
    client: FlaskClient, sample_cases: Path, smtp_server: MailServer
) -> None:
    for path in (
        "/alerts/confirm/nonsense",
        "/alerts/unsubscribe/nonsense",
        "/alerts/unsubscribe/1.abc",
        # Not ids: a superscript digit, and one past PostgreSQL's integer range (were 500s).
        "/alerts/unsubscribe/%C2%B2.abc",
        "/alerts/confirm/99999999999.abc",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Alert not found" in response.get_data(as_text=True)
    _sign_up(client, FAMILY, MATCHING)
    path = _path(_link(smtp_server.messages[-1].message, "confirm"))
    assert alerts.purge_unconfirmed(utcnow() + timedelta(days=8)) == 1
    assert client.get(path).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(SavedSearch)) == 0


def test_a_new_matching_appeal_sends_one_email_once(
    client: FlaskClient, publisher: User, smtp_server: MailServer
) -> None:
    _confirm(client, smtp_server, FAMILY, MATCHING)
    _confirm(client, smtp_server, OTHER, NOT_MATCHING)
    # Signed up but never confirmed: told nothing.
    _sign_up(client, "unconfirmed@example.org", MATCHING)
    sent_before = len(smtp_server.messages)

    _publish_draft(publisher)  # the best-effort send right after publishing

    new = smtp_server.messages[sent_before:]
    assert [m.rcpt_tos for m in new] == [[FAMILY]]
    message = new[0].message
    case = case_by_record(DRAFT)
    assert message["Subject"] == "New appeal matching your search: Draft appeal not yet public"
    body = message.get_content()
    assert f"{BASE_URL}/cases/{case.public_id}?lang=en" in body
    unsubscribe = _link(message, "unsubscribe")
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert RESTRICTED not in new[0].data.decode("utf-8", "replace")
    assert RESTRICTED not in body

    # The cron job and a later publish find nothing more to say.
    report = alerts.send_alerts(get_cipher())
    assert (report.emails, report.failed) == (0, 0)
    assert len(smtp_server.messages) == sent_before + 1
    assert db.session.scalar(select(func.count()).select_from(AlertNotification)) == 1


def test_the_cron_command_sends_what_publishing_did_not(
    app: Flask, client: FlaskClient, publisher: User, smtp_server: MailServer, settings: Settings
) -> None:
    _confirm(client, smtp_server, FAMILY, MATCHING)
    sent_before = len(smtp_server.messages)
    # As if the inline send had been skipped (no SMTP while publishing).
    app.extensions["portal_settings"] = dataclasses.replace(settings, smtp_url=None)
    _publish_draft(publisher)
    app.extensions["portal_settings"] = settings
    assert len(smtp_server.messages) == sent_before

    result = app.test_cli_runner().invoke(args=["alerts", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1 emails about 1 appeals, failed 0" in result.output
    assert [m.rcpt_tos for m in smtp_server.messages[sent_before:]] == [[FAMILY]]
    again = app.test_cli_runner().invoke(args=["alerts", "send"])
    assert "sent 0 emails" in again.output
    assert len(smtp_server.messages) == sent_before + 1


def test_smtp_down_leaves_the_alert_for_the_next_run(
    client: FlaskClient, publisher: User, smtp_server: MailServer
) -> None:
    _confirm(client, smtp_server, FAMILY, MATCHING)
    sent_before = len(smtp_server.messages)
    smtp_server.stop()
    _publish_draft(publisher)  # the publish itself succeeds
    assert case_by_record(DRAFT).status.value == "published"
    failed = alerts.send_alerts(get_cipher())
    assert (failed.emails, failed.failed) == (0, 1)
    assert db.session.scalar(select(func.count()).select_from(AlertNotification)) == 0

    smtp_server.start()
    retried = alerts.send_alerts(get_cipher())
    assert (retried.emails, retried.appeals, retried.failed) == (1, 1, 0)
    assert [m.rcpt_tos for m in smtp_server.messages[sent_before:]] == [[FAMILY]]
    assert alerts.send_alerts(get_cipher()).emails == 0


def test_one_click_unsubscribe_needs_no_csrf_token_and_deletes_the_address(
    app: Flask, client: FlaskClient, publisher: User, smtp_server: MailServer
) -> None:
    _confirm(client, smtp_server, FAMILY, MATCHING)
    _publish_draft(publisher)
    header = _to(smtp_server, FAMILY)[-1]["List-Unsubscribe"]
    path = _path(header.strip("<>"))
    # A mail program's POST: no cookies, no page, no CSRF token.
    response = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(SavedSearch)) == 0
    assert db.session.scalar(select(func.count()).select_from(AlertNotification)) == 0
    assert app.test_client().post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_unsubscribe_page_asks_before_it_deletes(
    client: FlaskClient, sample_cases: Path, smtp_server: MailServer
) -> None:
    path = _confirm(client, smtp_server, FAMILY, MATCHING).replace("/confirm/", "/unsubscribe/")
    page = client.get(path)
    assert page.status_code == 200
    assert "Stop the alert" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SavedSearch)) == 1
    # Without the page's token (and not a one-click request) nothing happens.
    assert client.post(path, data={}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(SavedSearch)) == 1
    done = client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert done.status_code == 200
    assert "We have deleted your email address" in done.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SavedSearch)) == 0
    assert client.get(path).status_code == 404


def test_the_address_is_never_logged_nor_stored_in_plain_text(
    client: FlaskClient,
    publisher: User,
    smtp_server: MailServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    _confirm(client, smtp_server, FAMILY, MATCHING)
    _publish_draft(publisher)
    smtp_server.stop()
    _sign_up(client, FAMILY, "q=anchor")  # fails to send: logged without the address
    # Everything the portal (and the libraries it calls) logged; "mail.log" is the test's own
    # SMTP server (aiosmtpd), which plays the part of the outside world.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    assert "alert" in logged
    assert FAMILY not in logged
    assert "family.member" not in logged
    rows = db.session.execute(text("SELECT * FROM saved_searches")).all()
    assert len(rows) == 1
    for row in rows:
        for value in row:
            raw = bytes(value) if isinstance(value, (bytes, memoryview)) else str(value).encode()
            assert FAMILY.encode() not in raw
            assert b"family.member" not in raw


def test_only_public_data_reaches_the_email(
    client: FlaskClient, publisher: User, smtp_server: MailServer
) -> None:
    _confirm(client, smtp_server, FAMILY, "q=spider")
    _publish_draft(publisher)
    (message,) = [m for m in smtp_server.messages if m.message["Subject"].startswith("New appeal")]
    raw = message.data.decode("utf-8", "replace")
    assert RESTRICTED not in raw
    assert "draft not for publication" not in raw


def test_emails_are_in_the_language_of_the_sign_up(
    client: FlaskClient, publisher: User, smtp_server: MailServer
) -> None:
    _sign_up(client, FAMILY, MATCHING + "&lang=fr")
    alert = db.session.scalar(select(SavedSearch))
    assert alert is not None and alert.language == "fr"
    assert "lang=fr" in _link(smtp_server.messages[-1].message, "confirm")


@pytest.mark.parametrize(
    "query",
    [
        "q=tattoo",
        "q=tatoo",
        "sex=female&age=20-30",
        "q=rose&country=GB",
        "mark=tattoo&location=arm",
        "q=woman&year_from=1990&year_to=2005",
        "q=zzzz",
    ],
)
def test_alert_matching_is_what_the_search_page_lists(
    app: Flask, sample_cases: Path, query: str
) -> None:
    from urllib.parse import parse_qsl

    parsed = cases.parse_filters(dict(parse_qsl(query)))
    assert not parsed.errors
    listed = search_service.search_cases(parsed.filters, 1, 100)
    public = {case.id: case.public_id for case in [case_by_record(r) for r in _public_records()]}
    matched = search_service.matching_case_ids(parsed.filters, sorted(public))
    assert sorted(public[i] for i in matched) == sorted(view.id for view in listed.items)


def _public_records() -> list[str]:
    from portal.models import Case
    from portal.models.case import PUBLIC_STATUSES

    return list(db.session.scalars(select(Case.record_id).where(Case.status.in_(PUBLIC_STATUSES))))


def test_sign_ups_are_rate_limited_per_client(
    client: FlaskClient, sample_cases: Path, smtp_server: MailServer
) -> None:
    statuses = [_sign_up(client, f"person{i}@example.org", "q=rose").status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]
    limited = _sign_up(client, "late@example.org", "q=rose")
    assert limited.status_code == 429
    body = limited.get_data(as_text=True)
    assert "Wait a few minutes" in body
    assert 'value="late@example.org"' in body
    assert 'name="csrf_token"' in body  # the form can be sent again once the limit passes
    assert len(smtp_server.messages) == 5


def test_the_confirmation_email_can_delete_the_address_at_once(
    app: Flask, client: FlaskClient, sample_cases: Path, smtp_server: MailServer
) -> None:
    _sign_up(client, FAMILY, MATCHING)
    path = _path(_link(smtp_server.messages[-1].message, "unsubscribe"))
    response = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(SavedSearch)) == 0
