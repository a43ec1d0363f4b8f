"""Staff sign-in: password then TOTP code, throttling, sessions, timeouts, sign-out and audit."""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import auth
from portal.extensions import db
from portal.models import AuditEvent, AuditLogImmutable, Role, User
from portal.services import accounts
from tests.staffkit import (
    PASSWORD,
    Staff,
    csrf_token,
    make_staff,
    post_code,
    post_password,
    sign_in,
    sign_out,
)

T0 = 1_900_000_020.0  # a fixed moment at the start of a TOTP step


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(auth, "now", clock)
    return clock


@pytest.fixture
def moderator(app: Flask) -> Staff:
    return make_staff("Mod@Example.org", Role.MODERATOR, "BE-A")


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    yield app.test_client()


def actions() -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_password_then_code_signs_in(client: FlaskClient, moderator: Staff, clock: Clock) -> None:
    assert moderator.email == "mod@example.org"  # stored lower-cased
    response = sign_in(client, moderator, at=clock.now)
    assert response.status_code == 302
    assert response.headers["Location"] == "/moderation/"
    html = client.get("/moderation/").get_data(as_text=True)
    assert "Signed in as mod@example.org (moderator, Agency BE-A)" in html
    assert actions() == ["account.create", "signin.success"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "signin.success"))
    assert event is not None and event.actor_id == moderator.user_id


def test_totp_secret_is_encrypted_at_rest(app: Flask, moderator: Staff) -> None:
    user = db.session.get(User, moderator.user_id)
    assert user is not None
    assert moderator.secret.encode() not in user.totp_secret_enc
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("$argon2")


def test_wrong_password_is_refused_with_one_message(client: FlaskClient, moderator: Staff) -> None:
    for email, password in [
        (moderator.email, "wrong password here"),
        ("nobody@example.org", PASSWORD),
    ]:
        response = post_password(client, email, password)
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert accounts.SIGN_IN_FAILED in html and 'href="#email"' in html
        assert "<title>Error:" in html
        assert PASSWORD not in html
    # Without a password step the code page sends people back.
    assert client.get("/auth/two-factor").headers["Location"] == "/auth/login"
    assert actions() == ["account.create", "signin.failure", "signin.failure"]
    details = [e.details for e in db.session.scalars(select(AuditEvent))]
    assert all(PASSWORD not in str(d) and "nobody" not in str(d) for d in details)


def test_wrong_code_is_refused(client: FlaskClient, moderator: Staff, clock: Clock) -> None:
    assert post_password(client, moderator.email, PASSWORD).status_code == 302
    wrong = f"{(int(pyotp.TOTP(moderator.secret).at(clock.now)) + 1) % 1_000_000:06d}"
    response = post_code(client, wrong)
    assert response.status_code == 400
    assert accounts.SIGN_IN_FAILED in response.get_data(as_text=True)
    assert client.get("/moderation/").status_code == 302
    assert actions()[-1] == "signin.failure"


def test_a_used_code_is_refused(client: FlaskClient, moderator: Staff, clock: Clock) -> None:
    assert sign_in(client, moderator, at=clock.now).status_code == 302
    sign_out(client)
    replay = sign_in(client, moderator, at=clock.now)
    assert replay.status_code == 400
    assert client.get("/moderation/").status_code == 302
    # The next step's code is accepted.
    clock.now += 30
    assert sign_in(client, moderator, at=clock.now).status_code == 302


def test_five_failures_lock_the_account(
    client: FlaskClient, moderator: Staff, clock: Clock
) -> None:
    for _ in range(accounts.MAX_FAILURES):
        assert post_password(client, moderator.email, "not the password!").status_code == 400
    # Locked: even the right password gets the same message.
    response = post_password(client, moderator.email, PASSWORD)
    assert response.status_code == 400
    assert accounts.SIGN_IN_FAILED in response.get_data(as_text=True)
    assert "signin.locked" in actions()
    user = db.session.get(User, moderator.user_id)
    assert user is not None and user.locked_until is not None
    # When the lock has passed, the account signs in again.
    user.locked_until = None
    db.session.commit()
    assert sign_in(client, moderator, at=clock.now).status_code == 302


def test_wrong_codes_count_towards_the_lock(
    client: FlaskClient, moderator: Staff, clock: Clock
) -> None:
    assert post_password(client, moderator.email, PASSWORD).status_code == 302
    for _ in range(accounts.MAX_FAILURES):
        assert post_code(client, "000000").status_code == 400
    right = pyotp.TOTP(moderator.secret).at(clock.now)
    assert post_code(client, right).status_code == 400


def test_sign_in_starts_a_new_session(client: FlaskClient, moderator: Staff, clock: Clock) -> None:
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = session_cookie(client)
    assert sign_in(client, moderator, at=clock.now).status_code == 302
    assert session_cookie(client) != before
    with client.session_transaction() as session:
        assert "planted" not in session


def test_cookie_flags_and_no_remember_me(
    client: FlaskClient, moderator: Staff, clock: Clock
) -> None:
    response = sign_in(client, moderator, at=clock.now)
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("HttpOnly" in c and "SameSite=Lax" in c for c in cookies)
    assert client.get_cookie("remember_token") is None


def test_idle_timeout(client: FlaskClient, moderator: Staff, clock: Clock) -> None:
    sign_in(client, moderator, at=clock.now)
    clock.now += 29 * 60
    assert client.get("/moderation/").status_code == 200
    clock.now += 29 * 60  # activity above reset the idle clock
    assert client.get("/moderation/").status_code == 200
    clock.now += auth.IDLE_TIMEOUT_SECONDS + 1
    response = client.get("/moderation/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/moderation/"
    assert "session expired" in client.get("/auth/login").get_data(as_text=True)
    assert client.get("/moderation/").status_code == 302


def test_absolute_timeout(client: FlaskClient, moderator: Staff, clock: Clock) -> None:
    sign_in(client, moderator, at=clock.now)
    for _ in range(12 * 60 // 20):
        clock.now += 20 * 60
        assert client.get("/moderation/").status_code == 200
    clock.now += 20 * 60
    assert client.get("/moderation/").status_code == 302


def test_sign_out_kills_the_session(client: FlaskClient, moderator: Staff, clock: Clock) -> None:
    sign_in(client, moderator, at=clock.now)
    old = session_cookie(client)
    assert old is not None
    assert client.get("/auth/logout").status_code == 405
    response = sign_out(client)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert client.get("/moderation/").status_code == 302
    # A copy of the old cookie is worth nothing after sign-out.
    client.set_cookie("session", old)
    assert client.get("/moderation/").status_code == 302
    assert actions()[-1] == "signout"


def test_sign_out_needs_the_csrf_token(client: FlaskClient, moderator: Staff, clock: Clock) -> None:
    sign_in(client, moderator, at=clock.now)
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/moderation/").status_code == 200


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "javascript:alert(1)", "/\\evil.example"],
)
def test_unsafe_next_is_ignored(
    client: FlaskClient, moderator: Staff, clock: Clock, target: str
) -> None:
    page = client.get("/auth/login", query_string={"next": target}).get_data(as_text=True)
    assert "evil" not in page and "javascript" not in page
    response = sign_in(client, moderator, at=clock.now, next_url=target)
    assert response.headers["Location"] == "/moderation/"


def test_next_is_kept_through_both_steps(app: Flask, client: FlaskClient, clock: Clock) -> None:
    admin = make_staff("admin@example.org", Role.ADMIN)
    first = client.get("/moderation/?page=2")
    assert first.headers["Location"] == "/auth/login?next=/moderation/?page%3D2"
    response = sign_in(client, admin, at=clock.now, next_url="/moderation/?page=2")
    assert response.headers["Location"] == "/moderation/?page=2"


def test_audit_events_cannot_be_changed_or_deleted(moderator: Staff) -> None:
    event = db.session.scalar(select(AuditEvent))
    assert event is not None
    event.action = "something else"
    with pytest.raises(AuditLogImmutable):
        db.session.flush()
    db.session.rollback()
    event = db.session.scalar(select(AuditEvent))
    assert event is not None and event.action == "account.create"
    db.session.delete(event)
    with pytest.raises(AuditLogImmutable):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent)) is not None


def test_login_page_has_labels_and_the_token(client: FlaskClient) -> None:
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'for="email"' in html and 'for="password"' in html
    assert csrf_token(html)
    assert client.get("/auth/login").headers["Cache-Control"] == "no-store"


# ---------------------------------------------------------------------------
# The command line


def test_users_create_prints_the_provisioning_uri(app: Flask) -> None:
    from tests.staffkit import agency

    agency("BE-A")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Pub@Example.org",
            "--role",
            "publisher",
            "--agency",
            "BE-A",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "otpauth://totp/Recognise:pub%40example.org?secret=" in result.output
    listed = runner.invoke(args=["users", "list"])
    assert "pub@example.org\tpublisher\tBE-A\tactive" in listed.output


def test_users_create_prompts_twice_and_refuses_weak_passwords(app: Flask) -> None:
    runner = app.test_cli_runner()
    weak = runner.invoke(
        args=["users", "create", "a@example.org", "--role", "admin"], input="short\nshort\n"
    )
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output
    ok = runner.invoke(
        args=["users", "create", "a@example.org", "--role", "admin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert ok.exit_code == 0 and "otpauth://" in ok.output
    again = runner.invoke(
        args=["users", "create", "A@example.org", "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert again.exit_code != 0 and "already exists" in again.output
    unknown = runner.invoke(
        args=[
            "users",
            "create",
            "b@example.org",
            "--role",
            "moderator",
            "--agency",
            "XX",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
    )
    assert unknown.exit_code != 0 and "no agency with the code XX" in unknown.output


def test_sign_in_attempts_are_rate_limited_per_client(client: FlaskClient) -> None:
    statuses = [
        post_password(client, f"n{i}@example.org", "not the password!").status_code
        for i in range(31)
    ]
    assert statuses[:30] == [400] * 30
    assert statuses[30] == 429
