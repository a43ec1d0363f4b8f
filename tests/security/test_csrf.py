"""Every state-changing route refuses a request without its CSRF token, and changes nothing."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from portal.extensions import csrf
from tests.security.conftest import CASE, World, database_state, fill, media_state, persona_for
from tests.staffkit import PASSWORD, csrf_token
from tests.tipkit import open_form
from tests.verifycount import record

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# What the refusal says: the app-wide CSRF error page, or the forms that check their own token
# and show what was typed again (tip form, alert sign-up, the unsubscribe button).
REFUSALS = (
    "Your form expired or was sent twice",
    "This page was open for a long time",
)
# Views CSRFProtect skips, each with why. Only the one-click unsubscribe accepts a POST without
# a token; the other two check the token themselves, which the test below proves.
EXEMPT = {
    "tips.submit": "checks its own token to keep the message typed",
    "alerts.create": "checks its own token to keep the address typed",
    "alerts.unsubscribe_post": "RFC 8058 one-click: the address's unguessable token authenticates",
}


def unsafe_rules(world: World) -> list[Rule]:
    rules = [r for r in world.app.url_map.iter_rules() if UNSAFE & (r.methods or set())]
    # Signing out ends the moderator's session: last, so the other checks still run signed in.
    return sorted(rules, key=lambda r: (r.endpoint == "auth.logout", r.endpoint))


def form_data(rule: Rule, world: World, client: FlaskClient) -> dict[str, Any]:
    """Fields a real form would send (all but the token), so only the token can be missing."""
    data: dict[str, Any] = {
        "message": "I saw her in 1991.",
        "contact_ok": "no",
        "text": "More information.",
        "email": world.staff["moderator"].email,
        "password": PASSWORD,
        "reference": world.reference,
        "code": world.followup_code,
        "status": "spam",
        "priority": "urgent",
        "note": "a note",
        "question": "a question",
        "tips": str(world.tip),
        "action": "spam",
        "format": "csv",
    }
    if rule.endpoint == "tips.submit":
        fields = open_form(client, CASE)
        data.update({k: v for k, v in fields.items() if k != "csrf_token"})
    if rule.endpoint == "tips.followup":
        data["submission_id"] = "0b4a4c1e-5a4d-4d8e-9a7e-0d6b1c2e3f40"
    return data


def session_token(client: FlaskClient, persona: str) -> str:
    """The token this client's pages carry (any page with a form will do)."""
    staff = persona in {"moderator", "publisher", "admin"}
    page = client.get("/auth/account" if staff else "/tips/follow-up")
    return csrf_token(page.get_data(as_text=True))


def other_sessions_token(world: World) -> str:
    """A genuine token, but from someone else's session: what a forging site could obtain."""
    page = world.app.test_client().get("/auth/login")
    return csrf_token(page.get_data(as_text=True))


def test_only_the_documented_views_skip_csrfprotect(app: Flask) -> None:
    exempt = {name.removeprefix("portal.").replace(".views.", ".") for name in csrf._exempt_views}
    assert exempt == set(EXEMPT), f"undocumented CSRF exemptions: {exempt ^ set(EXEMPT)}"
    assert not csrf._exempt_blueprints


def test_every_unsafe_route_needs_the_token(world: World) -> None:
    rules = unsafe_rules(world)
    assert len(rules) >= 30, "the url map was not enumerated"
    forged = other_sessions_token(world)
    failures: list[str] = []
    tried = 0
    for rule in rules:
        client = world.clients[persona_for(rule.endpoint)]
        path = fill(rule, world)
        method = sorted(UNSAFE & (rule.methods or set()))[0]
        for label, token in (("no token", None), ("wrong token", "x" * 40), ("forged", forged)):
            data = form_data(rule, world, client)
            if token is not None:
                data["csrf_token"] = token
            before = (database_state(), media_state(world.media_root))
            response = client.open(path, method=method, data=data)
            after = (database_state(), media_state(world.media_root))
            body = response.get_data(as_text=True)
            tried += 1
            where = f"{method} {rule.endpoint} ({label})"
            if response.status_code != 400:
                failures.append(f"{where}: {response.status_code}, not 400")
            elif not any(refusal in body for refusal in REFUSALS):
                failures.append(f"{where}: 400, but not for the token")
            if before != after:
                failures.append(f"{where}: the database or media store changed")
    # The positive control: the same requests with the page's own token are not refused for it.
    # Publishing changes (withdrawing the case) go after the tip and alert forms that need it.
    for rule in sorted(
        rules, key=lambda r: (r.endpoint.startswith("publishing."), r in rules[-1:])
    ):
        client = world.clients[persona_for(rule.endpoint)]
        data = form_data(rule, world, client)
        data["csrf_token"] = session_token(client, persona_for(rule.endpoint))
        method = sorted(UNSAFE & (rule.methods or set()))[0]
        response = client.open(fill(rule, world), method=method, data=data)
        if any(refusal in response.get_data(as_text=True) for refusal in REFUSALS):
            failures.append(f"{method} {rule.endpoint}: refused even with a valid token")
    record("CSRF: every POST route without or with a wrong token", tried, len(failures))
    assert not failures, "\n".join(failures)


def test_one_click_unsubscribe_is_safe_without_a_token(world: World) -> None:
    client = world.app.test_client()
    failures: list[str] = []
    tried = 0
    for token in ("nope", "1.deadbeef", world.alert_token[:-2] + "xx", "x" * 300):
        before = database_state()
        response = client.post(
            f"/alerts/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}
        )
        tried += 1
        if response.status_code != 404 or database_state() != before:
            failures.append(f"one-click with a guessed token {token!r}: {response.status_code}")
    # The real one-click works: that is the one thing the exemption is for.
    response = client.post(
        f"/alerts/unsubscribe/{world.alert_token}", data={"List-Unsubscribe": "One-Click"}
    )
    tried += 1
    if response.status_code != 200:
        failures.append(f"one-click with the real token: {response.status_code}")
    record("CSRF: one-click unsubscribe with guessed tokens", tried, len(failures))
    assert not failures, failures
