"""Administrators manage staff accounts and agencies in the browser; every change is audited."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from portal import auth
from portal.crypto import get_cipher
from portal.extensions import db
from portal.models import Agency, AuditEvent, Role, User
from portal.services import accounts, agencies
from tests.staffkit import (
    PASSWORD,
    Staff,
    agency,
    csrf_token,
    make_staff,
    post_password,
    sign_in,
)

T0 = 1_900_000_020.0  # a fixed moment at the start of a TOTP step
NEW_PASSWORD = "a new colleague's passphrase"
_SECRET = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
_SHOWN_PASSWORD = re.compile(r'id="password">([^<]+)<')


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def next_step(self) -> float:
        """Move to the next TOTP step, so a second sign-in is not refused as a replay."""
        self.now += 30
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(auth, "now", clock)
    return clock


@pytest.fixture
def admin(app: Flask) -> Staff:
    agency("BE-A")
    agency("NL-B")
    return make_staff("admin@example.org", Role.ADMIN)


@pytest.fixture
def admin_client(app: Flask, admin: Staff, clock: Clock) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, admin, at=clock.now).status_code == 302
    return client


@pytest.fixture
def moderator(admin: Staff) -> Staff:
    return make_staff("mod@example.org", Role.MODERATOR, "BE-A")


def submit(client: FlaskClient, url: str, data: dict[str, str]) -> TestResponse:
    """Post `data` to `url` with the CSRF token of the page at `url`, as a browser would."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def events(action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def user(user_id: int) -> User:
    db.session.expire_all()  # see what the requests committed
    found = db.session.get(User, user_id)
    assert found is not None
    return found


def user_by_email(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def shown_secret(html: str) -> str:
    found = _SECRET.search(html)
    assert found, "no TOTP secret on the page"
    return found.group(1).replace(" ", "")


def new_account(admin_client: FlaskClient, **fields: str) -> TestResponse:
    data = {"email": "new@example.org", "role": "moderator", "agency": "", "password": ""}
    data.update(fields)
    return submit(admin_client, "/admin/users/new", data)


def expect_error(response: TestResponse, field: str, message: str) -> str:
    """A 400 page whose error summary links to `field` and says `message`; returns the HTML."""
    html = html_lib.unescape(response.get_data(as_text=True))
    assert response.status_code == 400, html
    assert "<title>Error:" in html
    assert f'href="#{field}"' in html and message in html, html
    assert f'id="{field}-error"' in html
    return html


# ---------------------------------------------------------------------------
# Creating accounts


@pytest.mark.parametrize(
    ("role", "agency_code", "landing"),
    [
        ("moderator", "BE-A", "/moderation/"),
        ("moderator", "", "/moderation/"),
        ("publisher", "NL-B", "/publishing/"),
        ("admin", "", "/admin/"),
    ],
)
def test_create_an_account_of_each_role_that_can_sign_in(
    app: Flask,
    admin: Staff,
    admin_client: FlaskClient,
    clock: Clock,
    role: str,
    agency_code: str,
    landing: str,
) -> None:
    response = new_account(
        admin_client,
        email=" New@Example.org ",
        role=role,
        agency=agency_code,
        password=NEW_PASSWORD,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert response.headers["Cache-Control"] == "no-store"
    assert "shown only once" in html and "new@example.org" in html
    assert "otpauth://totp/Recognise:new%40example.org?secret=" in html
    secret = shown_secret(html)
    assert len(secret) == 32
    assert NEW_PASSWORD not in html  # the admin typed it: it is not shown back

    created = user_by_email("new@example.org")
    assert created.role is Role(role) and created.active
    assert (created.agency.code if created.agency else "") == agency_code
    event = events("account.create")[-1]
    assert event.actor_id == admin.user_id and event.target_id == str(created.id)
    assert secret not in str(event.details) and NEW_PASSWORD not in str(event.details)

    person = app.test_client()
    signed_in = sign_in(person, Staff(created.email, NEW_PASSWORD, secret, created.id), at=T0)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == landing
    # Shown once: the account page never shows the secret again.
    again = admin_client.get(f"/admin/users/{created.id}").get_data(as_text=True)
    assert secret not in again and "otpauth" not in again


def test_a_generated_password_is_shown_once_and_works(
    app: Flask, admin_client: FlaskClient, clock: Clock
) -> None:
    response = new_account(admin_client, role="publisher", agency="BE-A")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    found = _SHOWN_PASSWORD.search(html)
    assert found
    password = found.group(1)
    assert len(password) >= accounts.MIN_PASSWORD_LENGTH
    created = user_by_email("new@example.org")
    person = app.test_client()
    staff = Staff(created.email, password, shown_secret(html), created.id)
    assert sign_in(person, staff, at=clock.now).status_code == 302


def test_the_create_form_has_labels_hints_and_choices(admin_client: FlaskClient) -> None:
    html = admin_client.get("/admin/users/new").get_data(as_text=True)
    for field in ("email", "agency", "password", "role-admin", "role-publisher", "role-moderator"):
        assert f'for="{field}"' in html
    assert 'id="role-publisher-hint"' in html
    assert "None – central team" in html and 'value="BE-A"' in html


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"password": "too short"}, "password", "at least 12 characters"),
        ({"email": "admin@example.org", "password": NEW_PASSWORD}, "email", "already exists"),
        ({"email": "ADMIN@example.org "}, "email", "already exists"),
        ({"role": "publisher", "agency": ""}, "agency", "Choose the agency"),
        ({"email": "not an address"}, "email", "Enter an email address like"),
        ({"email": ""}, "email", "Enter the person’s work email address"),
        ({"role": "superuser"}, "role", "Choose a role"),
        ({"role": ""}, "role", "Choose a role"),
        ({"agency": "XX-NOWHERE"}, "agency", "no agency with the code XX-NOWHERE"),
    ],
)
def test_create_refuses_bad_input(
    admin_client: FlaskClient, fields: dict[str, str], field: str, message: str
) -> None:
    typed = {"email": "typed@example.org", **fields}
    response = new_account(admin_client, **typed)
    html = expect_error(response, field, message)
    assert response.headers["Cache-Control"] == "no-store"
    # What was typed is kept, except the password.
    assert f'value="{typed["email"].strip()}"' in html or not typed["email"].strip()
    assert (typed.get("password") or "unlikely") not in html
    assert len(events("account.create")) == 1  # only the admin of the fixture


def test_create_keeps_the_chosen_role_and_agency_on_error(admin_client: FlaskClient) -> None:
    html = new_account(admin_client, role="publisher", agency="NL-B", password="short").get_data(
        as_text=True
    )
    assert 'value="publisher" aria-describedby="role-publisher-hint" checked' in html
    assert 'value="NL-B" selected' in html


# ---------------------------------------------------------------------------
# Changing accounts


def test_the_list_links_to_each_account_and_shows_its_state(
    admin_client: FlaskClient, moderator: Staff
) -> None:
    locked = user(moderator.user_id)
    locked.locked_until = auth_now_plus(600)
    gone = make_staff("gone@example.org", Role.PUBLISHER, "NL-B")
    accounts.deactivate(user(gone.user_id), actor=None)
    db.session.commit()
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/users/new"' in html
    assert f'href="/admin/users/{moderator.user_id}"' in html
    assert re.search(r"mod@example.org</a></td>\s*<td>moderator</td>\s*<td>Agency BE-A", html)
    assert re.search(r"gone@example.org</a>.*?Deactivated", html, re.S)
    assert re.search(r"mod@example.org</a>.*?Locked", html, re.S)
    assert re.search(r"admin@example.org</a>.*?All agencies.*?Active", html, re.S)


def auth_now_plus(seconds: float) -> Any:
    from datetime import timedelta

    from portal.models.base import utcnow

    return utcnow() + timedelta(seconds=seconds)


def test_change_role_and_agency_is_audited_from_and_to(
    admin: Staff, admin_client: FlaskClient, moderator: Staff
) -> None:
    url = f"/admin/users/{moderator.user_id}"
    page = admin_client.get(url).get_data(as_text=True)
    assert 'value="moderator" aria-describedby="role-moderator-hint" checked' in page
    assert 'value="BE-A" selected' in page
    response = submit(
        admin_client, url, {"action": "update", "role": "publisher", "agency": "NL-B"}
    )
    assert response.status_code == 302 and response.headers["Location"] == url
    changed = user(moderator.user_id)
    assert changed.role is Role.PUBLISHER and changed.agency is not None
    assert changed.agency.code == "NL-B"
    event = events("account.update")[-1]
    assert event.actor_id == admin.user_id and event.target_type == "user"
    assert event.target_id == str(moderator.user_id)
    assert event.details == {
        "from": {"role": "moderator", "agency": "BE-A"},
        "to": {"role": "publisher", "agency": "NL-B"},
    }
    assert "are saved" in admin_client.get(url).get_data(as_text=True)
    # Only what changed is recorded; saving the same again records nothing.
    submit(admin_client, url, {"action": "update", "role": "publisher", "agency": "BE-A"})
    assert events("account.update")[-1].details == {
        "from": {"agency": "NL-B"},
        "to": {"agency": "BE-A"},
    }
    submit(admin_client, url, {"action": "update", "role": "publisher", "agency": "BE-A"})
    assert len(events("account.update")) == 2


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"role": "publisher", "agency": ""}, "agency", "Choose the agency"),
        ({"role": "root", "agency": ""}, "role", "Choose a role"),
        ({"role": "moderator", "agency": "NOPE"}, "agency", "no agency with the code NOPE"),
    ],
)
def test_change_refuses_bad_input(
    admin_client: FlaskClient, moderator: Staff, fields: dict[str, str], field: str, message: str
) -> None:
    response = submit(
        admin_client, f"/admin/users/{moderator.user_id}", {"action": "update", **fields}
    )
    expect_error(response, field, message)
    assert user(moderator.user_id).role is Role.MODERATOR
    assert events("account.update") == []


def test_deactivating_ends_the_persons_session(
    app: Flask, admin: Staff, admin_client: FlaskClient, moderator: Staff, clock: Clock
) -> None:
    person = app.test_client()
    assert sign_in(person, moderator, at=clock.now).status_code == 302
    assert person.get("/moderation/").status_code == 200
    version = user(moderator.user_id).session_version

    url = f"/admin/users/{moderator.user_id}"
    response = submit(admin_client, url, {"action": "deactivate"})
    assert response.status_code == 302
    assert "deactivated" in admin_client.get(url).get_data(as_text=True)
    changed = user(moderator.user_id)
    assert not changed.active and changed.session_version == version + 1
    event = events("account.deactivate")[-1]
    assert event.actor_id == admin.user_id
    assert event.details == {"from": "active", "to": "deactivated"}

    ended = person.get("/moderation/")
    assert ended.status_code == 302
    assert ended.headers["Location"].startswith("/auth/login")
    assert post_password(person, moderator.email, PASSWORD).status_code == 400

    assert submit(admin_client, url, {"action": "reactivate"}).status_code == 302
    assert user(moderator.user_id).active
    assert events("account.reactivate")[-1].details == {"from": "deactivated", "to": "active"}
    assert sign_in(person, moderator, at=clock.next_step()).status_code == 302


def test_resetting_the_second_factor(
    app: Flask, admin: Staff, admin_client: FlaskClient, moderator: Staff, clock: Clock
) -> None:
    person = app.test_client()
    assert sign_in(person, moderator, at=clock.now).status_code == 302
    url = f"/admin/users/{moderator.user_id}"
    response = submit(admin_client, url, {"action": "reset_2fa"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "shown only once" in html
    new_secret = shown_secret(html)
    assert new_secret != moderator.secret
    assert "otpauth://totp/Recognise:mod%40example.org?secret=" + new_secret in html
    changed = user(moderator.user_id)
    assert changed.last_totp_step == 0
    assert accounts.totp_secret(get_cipher(), changed) == new_secret
    event = events("account.reset_2fa")[-1]
    assert event.actor_id == admin.user_id and event.target_id == str(moderator.user_id)
    assert new_secret not in str(event.details) and moderator.secret not in str(event.details)

    # Sessions ended; the old authenticator's codes are refused, the new one's work.
    assert person.get("/moderation/").status_code == 302
    clock.next_step()
    assert sign_in(person, moderator, at=clock.now).status_code == 400
    renewed = Staff(moderator.email, PASSWORD, new_secret, moderator.user_id)
    assert sign_in(person, renewed, at=clock.now).status_code == 302


def test_unlocking_an_account(
    app: Flask, admin: Staff, admin_client: FlaskClient, moderator: Staff, clock: Clock
) -> None:
    person = app.test_client()
    for _ in range(accounts.MAX_FAILURES):
        assert post_password(person, moderator.email, "not the password!").status_code == 400
    locked_until = user(moderator.user_id).locked_until
    assert locked_until is not None
    url = f"/admin/users/{moderator.user_id}"
    page = admin_client.get(url).get_data(as_text=True)
    assert "Locked after too many failed sign-ins" in page and 'id="unlock"' in page

    assert submit(admin_client, url, {"action": "unlock"}).status_code == 302
    changed = user(moderator.user_id)
    assert changed.locked_until is None and changed.failed_logins == 0
    event = events("account.unlock")[-1]
    assert event.actor_id == admin.user_id
    assert event.details["to"] == {"locked_until": None, "failed_logins": 0}
    assert event.details["from"]["locked_until"] is not None
    assert sign_in(person, moderator, at=clock.now).status_code == 302
    # Unlocking an unlocked account changes and records nothing.
    assert submit(admin_client, url, {"action": "unlock"}).status_code == 302
    assert len(events("account.unlock")) == 1


def test_an_admin_cannot_demote_or_deactivate_themselves(
    admin: Staff, admin_client: FlaskClient
) -> None:
    url = f"/admin/users/{admin.user_id}"
    page = admin_client.get(url).get_data(as_text=True)
    assert "You cannot deactivate your own account" in page and 'id="deactivate"' not in page
    demote = submit(admin_client, url, {"action": "update", "role": "moderator", "agency": ""})
    expect_error(demote, "role", "You cannot remove the administrator role from your own account")
    deactivate = submit(admin_client, url, {"action": "deactivate"})
    expect_error(deactivate, "deactivate", "You cannot deactivate your own account")
    me = user(admin.user_id)
    assert me.role is Role.ADMIN and me.active
    # An admin may still move themselves to an agency.
    moved = submit(admin_client, url, {"action": "update", "role": "admin", "agency": "BE-A"})
    assert moved.status_code == 302
    assert admin_client.get("/admin/").status_code == 200


def test_another_admin_can_be_demoted_but_never_the_last(
    admin: Staff, admin_client: FlaskClient
) -> None:
    other = make_staff("other-admin@example.org", Role.ADMIN)
    url = f"/admin/users/{other.user_id}"
    response = submit(admin_client, url, {"action": "update", "role": "moderator", "agency": ""})
    assert response.status_code == 302
    assert user(other.user_id).role is Role.MODERATOR
    # The portal must keep one active admin, whoever asks (here, the command line: no actor).
    last = user(admin.user_id)
    with pytest.raises(accounts.AccountError, match="last active administrator"):
        accounts.deactivate(last, actor=None)
    with pytest.raises(accounts.AccountError, match="last active administrator"):
        accounts.update_account(last, Role.MODERATOR, None, actor=None)
    # A deactivated admin does not count as one.
    back = user(other.user_id)
    accounts.update_account(back, Role.ADMIN, None, actor=None)
    accounts.deactivate(back, actor=last)
    with pytest.raises(accounts.AccountError, match="last active administrator"):
        accounts.deactivate(user(admin.user_id), actor=None)
    assert user(admin.user_id).active


@pytest.mark.parametrize("action", ["", "promote", "update-all"])
def test_unknown_actions_are_refused(
    admin_client: FlaskClient, moderator: Staff, action: str
) -> None:
    response = submit(admin_client, f"/admin/users/{moderator.user_id}", {"action": action})
    expect_error(response, "role", "Choose what to change")


def test_unknown_accounts_and_agencies_are_not_found(admin_client: FlaskClient) -> None:
    huge = "9" * 30  # beyond any database integer: still only "not found"
    for path in (
        "/admin/users/999999",
        "/admin/users/abc",
        f"/admin/users/{huge}",
        "/admin/agencies/999999",
        f"/admin/agencies/{huge}",
        "/admin/agencies/-1",
    ):
        assert admin_client.get(path).status_code == 404
    token = csrf_token(admin_client.get("/admin/users/new").get_data(as_text=True))
    response = admin_client.post("/admin/users/999999", data={"csrf_token": token})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/users/new", {"email": "x@example.org", "role": "admin", "password": NEW_PASSWORD}),
        ("/admin/users/{moderator}", {"action": "deactivate"}),
        ("/admin/agencies/new", {"code": "XX-1", "name": "X", "country": "BE"}),
    ],
)
def test_posts_without_the_csrf_token_are_refused(
    admin_client: FlaskClient, moderator: Staff, path: str, data: dict[str, str]
) -> None:
    response = admin_client.post(path.format(moderator=moderator.user_id), data=data)
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"
    assert user(moderator.user_id).active
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None
    assert db.session.scalar(select(Agency).where(Agency.code == "XX-1")) is None


# ---------------------------------------------------------------------------
# Agencies


def agency_by_code(code: str) -> Agency:
    db.session.expire_all()
    found = db.session.scalar(select(Agency).where(Agency.code == code))
    assert found is not None
    return found


def test_create_and_edit_an_agency(admin: Staff, admin_client: FlaskClient) -> None:
    response = submit(
        admin_client,
        "/admin/agencies/new",
        {
            "code": " fr-pj-lyon ",
            "name": "  Police judiciaire   Lyon ",
            "country": "fr",
            "tip_email": "tips@pj-lyon.example",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/agencies"
    created = agency_by_code("FR-PJ-LYON")
    assert (created.name, created.country, created.tip_email) == (
        "Police judiciaire Lyon",
        "FR",
        "tips@pj-lyon.example",
    )
    event = events("agency.create")[-1]
    assert event.actor_id == admin.user_id and event.target_type == "agency"
    assert event.details["code"] == "FR-PJ-LYON"
    listing = admin_client.get("/admin/agencies").get_data(as_text=True)
    assert f'href="/admin/agencies/{created.id}"' in listing and "Police judiciaire Lyon" in listing
    assert 'href="/admin/agencies/new"' in listing

    url = f"/admin/agencies/{created.id}"
    page = admin_client.get(url).get_data(as_text=True)
    assert 'value="FR-PJ-LYON"' in page and 'value="tips@pj-lyon.example"' in page
    # Without cases the code can still change.
    response = submit(
        admin_client,
        url,
        {"code": "FR-PJ-LYON-2", "name": "PJ Lyon", "country": "FR", "tip_email": ""},
    )
    assert response.status_code == 302
    edited = agency_by_code("FR-PJ-LYON-2")
    assert edited.id == created.id and edited.name == "PJ Lyon" and edited.tip_email is None
    assert events("agency.update")[-1].details == {
        "from": {
            "code": "FR-PJ-LYON",
            "name": "Police judiciaire Lyon",
            "tip_email": "tips@pj-lyon.example",
        },
        "to": {"code": "FR-PJ-LYON-2", "name": "PJ Lyon", "tip_email": None},
    }


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"tip_email": "tips at police"}, "tip_email", "Enter the email address tips are"),
        ({"country": "ZZ"}, "country", "ISO 3166 two-letter country code"),
        ({"country": "BEL"}, "country", "ISO 3166 two-letter country code"),
        ({"country": ""}, "country", "two-letter code"),
        ({"code": "BE A!"}, "code", "capital letters, digits or hyphens"),
        ({"code": ""}, "code", "Enter the agency’s code"),
        ({"code": "be-a"}, "code", "already an agency with the code BE-A"),
        ({"name": " "}, "name", "Enter the agency’s name"),
        ({"name": "x" * 201}, "name", "200 characters or fewer"),
    ],
)
def test_agency_form_refuses_bad_input(
    admin_client: FlaskClient, fields: dict[str, str], field: str, message: str
) -> None:
    data = {"code": "DE-BKA", "name": "BKA", "country": "DE", "tip_email": "tips@bka.example"}
    data.update(fields)
    html = expect_error(submit(admin_client, "/admin/agencies/new", data), field, message)
    if field != "name":
        assert 'value="BKA"' in html  # what was typed is kept
    assert events("agency.create") == []


def test_kosovo_is_accepted_like_in_records(admin_client: FlaskClient) -> None:
    data = {"code": "XK-PK", "name": "Kosovo Police", "country": "XK", "tip_email": ""}
    assert submit(admin_client, "/admin/agencies/new", data).status_code == 302


def test_the_code_cannot_change_once_cases_exist(
    admin_client: FlaskClient, sample_cases: Path
) -> None:
    antwerp = agency_by_code("BE-FPJ-ANTWERP")
    url = f"/admin/agencies/{antwerp.id}"
    page = admin_client.get(url).get_data(as_text=True)
    assert 'id="code"' not in page and "The code cannot change" in page
    response = submit(
        admin_client,
        url,
        {
            "code": "BE-RENAMED",
            "name": "Antwerp police",
            "country": "BE",
            "tip_email": "tips@antwerp.example",
        },
    )
    assert response.status_code == 302
    kept = agency_by_code("BE-FPJ-ANTWERP")
    assert kept.name == "Antwerp police"
    assert "code" not in events("agency.update")[-1].details["to"]
    # The service refuses it too, whoever asks.
    details = agencies.details("BE-RENAMED", "Antwerp police", "BE", None)
    with pytest.raises(agencies.AgencyError, match="cannot change"):
        agencies.update_agency(kept, details, actor=None)
    listing = admin_client.get("/admin/agencies").get_data(as_text=True)
    assert re.search(r"BE-FPJ-ANTWERP</a></td>.*?<td>\d+</td>", listing, re.S)


def test_an_agency_code_cannot_take_another_agencys(admin_client: FlaskClient) -> None:
    other = agency_by_code("NL-B")
    response = submit(
        admin_client,
        f"/admin/agencies/{other.id}",
        {"code": "BE-A", "name": "Agency NL-B", "country": "NL", "tip_email": ""},
    )
    expect_error(response, "code", "already an agency with the code BE-A")
    assert agency_by_code("NL-B").id == other.id


def test_an_admin_turns_four_eyes_on_for_an_agency(app: Flask, sample_cases: Path) -> None:
    admin = make_staff("four-eyes-admin@example.org", Role.ADMIN)
    client = app.test_client()
    sign_in(client, admin)
    agency = db.session.scalar(select(Agency).where(Agency.code == "BE-FPJ-ANTWERP"))
    assert agency is not None and not agency.requires_approval
    page = client.get(f"/admin/agencies/{agency.id}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "code": agency.code,
        "name": agency.name,
        "country": agency.country,
        "tip_email": agency.tip_email or "",
        "requires_approval": "y",
    }
    assert client.post(f"/admin/agencies/{agency.id}", data=data).status_code == 302
    db.session.refresh(agency)
    assert agency.requires_approval
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "agency.update")
    ).all()[-1]
    assert event.details == {
        "from": {"requires_approval": False},
        "to": {"requires_approval": True},
    }
