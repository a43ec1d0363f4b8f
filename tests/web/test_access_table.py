"""Every route of the app has an entry in the access table, and each staff page obeys it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.models import Role
from tests.staffkit import make_staff, sign_in

PERSONAS = ("anonymous", "moderator", "publisher", "admin", "other_moderator")
LOGIN = "login"  # redirected to /auth/login?next=...
OK = 200
FORBIDDEN = 403

# Public endpoints: the explicit exception to "locked by default".
PUBLIC = {
    "public.index",
    "public.case_list",
    "public.case_detail",
    "public.search_page",
    "public.feed",
    "public.sitemap",
    "public.robots",
    "public.healthz",
    "public.media",
    "api.case_list",
    "api.case_detail",
    "tips.submit_form",
    "tips.submit",
    "tips.followup_start",
    "tips.followup",
    "tips.followup_close",
    "auth.login",
    "auth.two_factor",
    "auth.logout",
}

# Staff endpoints: the outcome of a GET for each persona, in the order of PERSONAS.
ACCESS: dict[str, dict[str, int | str]] = {
    "moderation.queue": dict(zip(PERSONAS, (LOGIN, OK, FORBIDDEN, OK, OK), strict=True)),
    "admin.users": dict(zip(PERSONAS, (LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN), strict=True)),
    "auth.account": dict(zip(PERSONAS, (LOGIN, OK, OK, OK, OK), strict=True)),
}
PATHS = {
    "moderation.queue": "/moderation/",
    "admin.users": "/admin/",
    "auth.account": "/auth/account",
}


def test_every_route_has_an_access_entry(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    missing = endpoints - PUBLIC - set(ACCESS)
    assert not missing, f"routes without an entry in the access table: {sorted(missing)}"
    stale = (PUBLIC | set(ACCESS)) - endpoints
    assert not stale, f"access table entries without a route: {sorted(stale)}"
    assert not PUBLIC & set(ACCESS)


def test_staff_paths_are_the_routes_of_their_endpoints(app: Flask) -> None:
    adapter = app.url_map.bind("localhost")
    for endpoint, path in PATHS.items():
        assert adapter.match(path, method="GET")[0] == endpoint


@pytest.fixture
def clients(app: Flask) -> Iterator[dict[str, FlaskClient]]:
    staff = {
        "moderator": make_staff("mod@example.org", Role.MODERATOR, "BE-A"),
        "publisher": make_staff("pub@example.org", Role.PUBLISHER, "BE-A"),
        "admin": make_staff("admin@example.org", Role.ADMIN),
        "other_moderator": make_staff("other@example.org", Role.MODERATOR, "NL-B"),
    }
    result = {"anonymous": app.test_client()}
    for persona, account in staff.items():
        client = app.test_client()
        assert sign_in(client, account).status_code == 302
        result[persona] = client
    yield result


def test_each_staff_page_obeys_the_access_table(clients: dict[str, FlaskClient]) -> None:
    for endpoint, expected in ACCESS.items():
        path = PATHS[endpoint]
        for persona, outcome in expected.items():
            response = clients[persona].get(path)
            where = f"{endpoint} as {persona}"
            if outcome == LOGIN:
                assert response.status_code == 302, where
                assert response.headers["Location"].startswith("/auth/login?next="), where
            else:
                assert response.status_code == outcome, where
                assert response.headers["Cache-Control"] == "no-store", where
