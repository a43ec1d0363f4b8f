"""Sessions: a planted session is never the signed-in one, steps cannot be skipped, cookie flags."""

from __future__ import annotations

import dataclasses
import time
from http.cookies import SimpleCookie

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from portal import create_app
from portal.config import Settings
from portal.extensions import db
from tests.security.conftest import World
from tests.staffkit import csrf_token, post_code, post_password, sign_in, sign_out
from tests.verifycount import record

PROTECTED = ["/moderation/", "/auth/account", "/admin/", "/publishing/"]


def session_of(app: Flask, client: FlaskClient) -> dict[str, object]:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return {}
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None
    return dict(serializer.loads(cookie.value))


def signed_in(app: Flask, cookie_value: str) -> bool:
    """Whether a browser holding only this session cookie would be let into staff pages."""
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie_value)
    return client.get("/auth/account").status_code == 200


def test_a_planted_session_is_not_the_signed_in_one(world: World) -> None:
    app, failures, tried = world.app, [], 0
    name = app.config["SESSION_COOKIE_NAME"]
    for persona in ("moderator", "publisher", "admin"):
        client = app.test_client()
        # An attacker's session: a CSRF token they know and a value of their own.
        client.get("/auth/login")
        with client.session_transaction() as session:
            session["planted"] = "by an attacker"
        planted = session_of(app, client)
        planted_cookie = client.get_cookie(name)
        assert planted_cookie is not None
        # The world signed in at this TOTP step; a code already used is refused, so the next.
        assert sign_in(client, world.staff[persona], at=time.time() + 30).status_code == 302
        after = session_of(app, client)
        tried += 1
        if "planted" in after or after.get("csrf_token") == planted.get("csrf_token"):
            failures.append(f"{persona}: the session from before sign-in was carried over")
        if signed_in(app, planted_cookie.value):
            failures.append(f"{persona}: the planted cookie is signed in")
        # Sign-out ends it: the cookie copied just before is refused afterwards.
        copied = client.get_cookie(name)
        assert copied is not None and signed_in(app, copied.value)
        sign_out(client)
        tried += 1
        if signed_in(app, copied.value) or "_user_id" in session_of(app, client):
            failures.append(f"{persona}: a copy of the session works after signing out")
    # The tipster's follow-up: opening a tip starts a new session too.
    client = app.test_client()
    page = client.get("/tips/follow-up").get_data(as_text=True)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = session_of(app, client)
    data = {"csrf_token": csrf_token(page), "reference": world.reference}
    assert (
        client.post("/tips/follow-up", data={**data, "code": world.followup_code}).status_code
        == 302
    )
    after = session_of(app, client)
    tried += 1
    if "planted" in after or after.get("csrf_token") == before.get("csrf_token"):
        failures.append("follow-up: the session from before opening the tip was carried over")
    record("Sessions: fixation at sign-in, sign-out and follow-up", tried, len(failures))
    assert not failures, failures


def test_the_code_step_cannot_be_skipped(world: World) -> None:
    app, failures, tried = world.app, [], 0
    staff = world.staff["moderator"]
    client = app.test_client()
    # Straight to the code step, with a right code, but no password step.
    for response in (
        client.get("/auth/two-factor"),
        post_code(client, pyotp.TOTP(staff.secret).now())
        if client.get("/auth/two-factor").status_code == 200
        else client.get("/auth/two-factor"),
    ):
        tried += 1
        if response.status_code != 302 or "/auth/login" not in response.headers["Location"]:
            failures.append(f"the code step opened without a password: {response.status_code}")
    # After the password only: no staff page opens.
    assert post_password(client, staff.email, staff.password).status_code == 302
    for path in PROTECTED:
        response = client.get(path)
        tried += 1
        if response.status_code != 302 or "/auth/login" not in response.headers["Location"]:
            failures.append(f"{path} opened after the password alone: {response.status_code}")
    # A session forged with the half-signed-in state's keys is refused: the cookie is signed.
    forged = app.test_client()
    forged.set_cookie(app.config["SESSION_COOKIE_NAME"], "eyJfdXNlcl9pZCI6IjEifQ.forged.sig")
    for path in PROTECTED:
        tried += 1
        if forged.get(path).status_code != 302:
            failures.append(f"{path} opened with a forged cookie")
    record("Sessions: the second factor cannot be skipped", tried, len(failures))
    assert not failures, failures


def _flags(header: str) -> tuple[str, dict[str, str | bool]]:
    cookie = SimpleCookie()
    cookie.load(header)
    (name, morsel), *_ = cookie.items()
    return name, {key: morsel[key] for key in ("secure", "httponly", "samesite")}


def test_cookie_flags_in_production_over_https(app: Flask, world: World) -> None:
    settings: Settings = app.extensions["portal_settings"]
    production = create_app(dataclasses.replace(settings, env="production"))
    failures: list[str] = []
    tried = 0
    try:
        client = production.test_client()
        # Every request of this browser over HTTPS, the sign-in steps included.
        client.environ_base["wsgi.url_scheme"] = "https"
        # Flask-WTF checks the Referer of HTTPS form posts: a browser sends the form's page.
        client.environ_base["HTTP_REFERER"] = "https://localhost/auth/login"
        responses = [
            client.get("/auth/login", base_url="https://portal.example"),
            sign_in(client, world.staff["moderator"], at=time.time() + 30),
            client.get("/language/fr?next=/", base_url="https://portal.example"),
        ]
        # Over HTTPS in production every cookie is Secure; none is readable by scripts.
        for response in responses:
            for header in response.headers.getlist("Set-Cookie"):
                name, flags = _flags(header)
                tried += 1
                if not flags["secure"] or not flags["httponly"]:
                    failures.append(f"{name}: {header}")
                if str(flags["samesite"]).lower() not in {"lax", "strict"}:
                    failures.append(f"{name} SameSite: {header}")
                if name.startswith("remember"):
                    failures.append(f"a remember-me cookie was set: {header}")
        assert tried >= 3, "no cookies were set"
        # Plain HTTP in development: still HttpOnly and SameSite, only not Secure.
        plain = app.test_client().get("/language/fr?next=/")
        for header in plain.headers.getlist("Set-Cookie"):
            name, flags = _flags(header)
            tried += 1
            if not flags["httponly"] or str(flags["samesite"]).lower() != "lax":
                failures.append(f"{name} over HTTP: {header}")
    finally:
        with production.app_context():
            db.engine.dispose()
    record("Sessions: cookie flags (Secure, HttpOnly, SameSite)", tried, len(failures))
    assert not failures, failures
