"""Security headers on every response: pages, errors, static files, media, feed, API, PDF."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from flask import Flask
from werkzeug.test import TestResponse

from portal import create_app
from portal.config import Settings
from portal.extensions import db
from tests.security.conftest import CASE, IDENTIFIED, World, fill, persona_for
from tests.tipkit import send_tip
from tests.verifycount import record


def header_problems(response: TestResponse, *, https: bool) -> list[str]:
    """What is missing or weak in `response`'s security headers."""
    problems: list[str] = []
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    if not policy:
        problems.append("no Content-Security-Policy")
    if "'unsafe-inline'" in policy or "'unsafe-eval'" in policy:
        problems.append(f"CSP allows unsafe-inline or unsafe-eval: {policy}")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append("CSP lacks frame-ancestors 'none'")
    if "script-src" not in directives and "default-src" not in directives:
        problems.append("CSP does not restrict scripts")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    hsts = headers.get("Strict-Transport-Security", "")
    if https and "max-age=" not in hsts:
        problems.append("no Strict-Transport-Security over HTTPS")
    if not https and hsts:
        problems.append("Strict-Transport-Security over plain HTTP")
    return problems


def get_routes(world: World) -> list[tuple[str, str, str]]:
    """(name, persona, path) for every GET route of the app, each filled with a real object."""
    routes = []
    for rule in world.app.url_map.iter_rules():
        if "GET" in (rule.methods or set()):
            routes.append((rule.endpoint, persona_for(rule.endpoint), fill(rule, world)))
    return routes


def error_requests(world: World) -> list[tuple[str, int, Callable[[], TestResponse]]]:
    """(name, expected status, request) for each kind of error answer."""
    anonymous = world.clients["anonymous"]
    moderator = world.clients["moderator"]
    app = world.app

    def rate_limited() -> TestResponse:
        app.config["PORTAL_TIP_RATE_LIMIT"] = "1 per minute"
        client = app.test_client()
        send_tip(client, CASE)
        response = send_tip(client, CASE)
        app.config["PORTAL_TIP_RATE_LIMIT"] = "10000 per minute"
        return response

    def too_large() -> TestResponse:
        # The declared length is refused before anything is read, as a real server would.
        return anonymous.post(
            "/tips/follow-up",
            data=b"--x--",
            content_type="multipart/form-data; boundary=x",
            environ_overrides={"CONTENT_LENGTH": str(64 * 1024 * 1024)},
        )

    def crash() -> TestResponse:
        view = app.view_functions["public.robots"]
        app.view_functions["public.robots"] = lambda: 1 / 0
        try:
            return anonymous.get("/robots.txt")
        finally:
            app.view_functions["public.robots"] = view

    return [
        ("404 page", 404, lambda: anonymous.get("/no-such-page")),
        ("404 API", 404, lambda: anonymous.get("/api/v1/cases/nope")),
        ("404 static", 404, lambda: anonymous.get("/static/nope.css")),
        ("404 media", 404, lambda: anonymous.get("/media/nope/w320")),
        ("405", 405, lambda: anonymous.get("/auth/logout")),
        ("400 CSRF", 400, lambda: moderator.post(f"/moderation/tips/{world.tip}/notes")),
        ("400 filters", 400, lambda: anonymous.get("/cases?age=old")),
        ("400 API", 400, lambda: anonymous.get("/api/v1/cases?sex=robot")),
        ("403", 403, lambda: moderator.get("/admin/")),
        ("410", 410, lambda: anonymous.get(f"/cases/{IDENTIFIED}/tips")),
        ("413", 413, too_large),
        ("429", 429, rate_limited),
        ("500", 500, crash),
        ("302 to sign-in", 302, lambda: anonymous.get("/moderation/")),
        ("304 media", 304, lambda: media_revalidated(world)),
    ]


def media_revalidated(world: World) -> TestResponse:
    path = f"/media/{world.image_token}/w{world.image_width}"
    etag = world.clients["anonymous"].get(path).headers["ETag"]
    return world.clients["anonymous"].get(path, headers={"If-None-Match": etag})


def test_every_response_carries_the_security_headers(world: World) -> None:
    failures: list[str] = []
    tried = 0
    kinds: set[str] = set()
    for https in (False, True):
        base = "https://localhost" if https else "http://localhost"
        for endpoint, persona, path in get_routes(world):
            response = world.clients[persona].get(path, base_url=base)
            tried += 1
            kinds.add(response.mimetype)
            if response.status_code >= 500:
                failures.append(f"GET {path} as {persona}: {response.status_code}")
            failures += [f"{endpoint} {base}: {p}" for p in header_problems(response, https=https)]
            response.close()  # a static file's handle
    for name, status, send in error_requests(world):
        response = send()
        tried += 1
        if response.status_code != status:
            failures.append(f"{name}: {response.status_code}, not {status}")
        failures += [f"{name}: {p}" for p in header_problems(response, https=False)]
    expected = {"text/html", "application/json", "application/pdf", "text/css", "image/jpeg"}
    assert expected <= kinds, f"not every kind of response was fetched: {expected - kinds}"
    record("Headers: every GET route (HTTP and HTTPS) and every error", tried, len(failures))
    assert not failures, "\n".join(failures)


def test_hsts_behind_a_proxy_only_when_trusted(app: Flask, world: World) -> None:
    settings: Settings = app.extensions["portal_settings"]
    proxied = create_app(dataclasses.replace(settings, proxy_hops=1))
    failures: list[str] = []
    tried = 0
    paths = ["/", f"/cases/{CASE}", "/static/css/portal.css", "/api/v1/cases", "/nope"]
    for path in paths:
        forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        # Behind the one trusted proxy the original scheme counts: HSTS is sent.
        behind = proxied.test_client().get(path, headers=forwarded)
        # Without a trusted proxy, a client's own X-Forwarded-Proto is not believed.
        direct = app.test_client().get(path, headers=forwarded)
        tried += 2
        failures += [f"{path} via proxy: {p}" for p in header_problems(behind, https=True)]
        failures += [f"{path} direct: {p}" for p in header_problems(direct, https=False)]
        behind.close()
        direct.close()
    with proxied.app_context():
        db.engine.dispose()
    record("Headers: HSTS behind a trusted proxy, not from a forged header", tried, len(failures))
    assert not failures, "\n".join(failures)
