"""Every route of the app has an entry in the access table, and each staff route obeys it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Role, User
from tests.modkit import add_tip, photo_jpeg
from tests.staffkit import csrf_token, make_staff, sign_in
from tests.verifycount import record

PERSONAS = ("anonymous", "moderator", "publisher", "admin", "other_moderator")
LOGIN = "login"  # redirected to /auth/login?next=...
OK = 200
FORBIDDEN = 403
NOT_FOUND = 404
# A POST sent with a valid CSRF token but no fields: the view ran (it redirected, or said
# what was missing with a 4xx), which is all this table checks. The views' own tests check
# what they do.
REACHED = "reached"

# Public endpoints: the explicit exception to "locked by default".
PUBLIC = {
    "public.index",
    "public.case_list",
    "public.case_detail",
    "public.poster",
    "public.search_page",
    "public.feed",
    "public.sitemap",
    "public.robots",
    "public.healthz",
    "public.media",
    "public.short",
    "public.language",
    "api.case_list",
    "api.case_detail",
    "tips.submit_form",
    "tips.submit",
    "tips.followup_start",
    "tips.followup",
    "tips.followup_close",
    "alerts.new",
    "alerts.create",
    "alerts.confirm",
    "alerts.confirm_post",
    "alerts.unsubscribe",
    "alerts.unsubscribe_post",
    "auth.login",
    "auth.two_factor",
    "auth.logout",
}


@dataclass(frozen=True)
class Route:
    """How to call a staff endpoint, and the outcome for each persona, in the order of PERSONAS.

    `path` may name {tip} (a tip on the moderator's agency's case), {attachment} (its photo),
    {user} (the moderator's account), {agency} (the moderator's agency) and {case} (the
    public id of the tip's case, which the publisher's agency owns).
    """

    path: str
    outcomes: tuple[int | str, ...]
    method: str = "GET"


MODERATORS_ONLY = (LOGIN, OK, FORBIDDEN, OK, OK)
# A tip of the moderator's agency: another agency's moderator is told it does not exist.
OWN_AGENCY_TIP = (LOGIN, OK, FORBIDDEN, OK, NOT_FOUND)
OWN_AGENCY_TIP_POST = (LOGIN, REACHED, FORBIDDEN, REACHED, NOT_FOUND)
MODERATORS_POST = (LOGIN, REACHED, FORBIDDEN, REACHED, REACHED)
ADMINS_ONLY = (LOGIN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN)
PUBLISHERS_ONLY = (LOGIN, FORBIDDEN, OK, OK, FORBIDDEN)
# A case of the publisher's agency (the same agency as the moderator's tip).
OWN_AGENCY_CASE = (LOGIN, FORBIDDEN, OK, OK, FORBIDDEN)
OWN_AGENCY_CASE_POST = (LOGIN, FORBIDDEN, REACHED, REACHED, FORBIDDEN)
OWN_AGENCY_CASE_MISSING = (LOGIN, FORBIDDEN, NOT_FOUND, NOT_FOUND, FORBIDDEN)
# Publishers and admins; an empty POST is answered 400 (no file, or nothing checked yet).
PUBLISHERS_POST = (LOGIN, FORBIDDEN, REACHED, REACHED, FORBIDDEN)

ACCESS: dict[str, Route] = {
    "moderation.queue": Route("/moderation/", MODERATORS_ONLY),
    "moderation.tip": Route("/moderation/tips/{tip}", OWN_AGENCY_TIP),
    "moderation.attachment": Route(
        "/moderation/tips/{tip}/attachments/{attachment}", OWN_AGENCY_TIP
    ),
    "moderation.set_status": Route("/moderation/tips/{tip}/status", OWN_AGENCY_TIP_POST, "POST"),
    "moderation.set_priority": Route(
        "/moderation/tips/{tip}/priority", OWN_AGENCY_TIP_POST, "POST"
    ),
    "moderation.assign": Route("/moderation/tips/{tip}/assign", OWN_AGENCY_TIP_POST, "POST"),
    "moderation.add_note": Route("/moderation/tips/{tip}/notes", OWN_AGENCY_TIP_POST, "POST"),
    "moderation.ask_question": Route(
        "/moderation/tips/{tip}/question", OWN_AGENCY_TIP_POST, "POST"
    ),
    # Showing contact details answers 200 with the page: the look itself is audited.
    "moderation.reveal_contact": Route(
        "/moderation/tips/{tip}/contact", (LOGIN, OK, FORBIDDEN, OK, NOT_FOUND), "POST"
    ),
    "moderation.take_over": Route("/moderation/tips/{tip}/claim", OWN_AGENCY_TIP_POST, "POST"),
    "moderation.release": Route("/moderation/tips/{tip}/release", OWN_AGENCY_TIP_POST, "POST"),
    "moderation.bulk": Route("/moderation/bulk", MODERATORS_POST, "POST"),
    "moderation.merge": Route("/moderation/tips/{tip}/merge", OWN_AGENCY_TIP_POST, "POST"),
    "moderation.unmerge": Route("/moderation/tips/{tip}/unmerge", OWN_AGENCY_TIP_POST, "POST"),
    "moderation.forward": Route("/moderation/tips/{tip}/forward", OWN_AGENCY_TIP_POST, "POST"),
    # The world has no forward: a forward id that is not the tip's is answered 404 to everyone.
    "moderation.retry_forward": Route(
        "/moderation/tips/{tip}/forwards/1/retry",
        (LOGIN, NOT_FOUND, FORBIDDEN, NOT_FOUND, NOT_FOUND),
        "POST",
    ),
    "moderation.dashboard": Route("/moderation/dashboard", MODERATORS_ONLY),
    "moderation.export": Route("/moderation/export", MODERATORS_POST, "POST"),
    "publishing.cases": Route("/publishing/", PUBLISHERS_ONLY),
    "publishing.case": Route("/publishing/cases/{case}", OWN_AGENCY_CASE),
    "publishing.identify": Route("/publishing/cases/{case}/identified", OWN_AGENCY_CASE),
    "publishing.new": Route("/publishing/new", (LOGIN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN)),
    "publishing.edit": Route("/publishing/cases/{case}/edit", OWN_AGENCY_CASE),
    "publishing.revision_list": Route("/publishing/cases/{case}/revisions", OWN_AGENCY_CASE),
    # The world's case has no revision 9 and no image "nope": a 404 for those who may look.
    "publishing.preview": Route(
        "/publishing/cases/{case}/revisions/9/preview", OWN_AGENCY_CASE_MISSING
    ),
    "publishing.publish_revision": Route(
        "/publishing/cases/{case}/revisions/9/publish", OWN_AGENCY_CASE_MISSING, "POST"
    ),
    "publishing.approve": Route(
        "/publishing/cases/{case}/revisions/9/approve", OWN_AGENCY_CASE_MISSING, "POST"
    ),
    "publishing.preview_media": Route(
        "/publishing/cases/{case}/media/nope/320", OWN_AGENCY_CASE_MISSING
    ),
    "publishing.export_case": Route("/publishing/cases/{case}/export", OWN_AGENCY_CASE),
    "publishing.export_all": Route("/publishing/export", PUBLISHERS_ONLY),
    "publishing.publish": Route("/publishing/cases/{case}/publish", OWN_AGENCY_CASE_POST, "POST"),
    "publishing.withdraw": Route("/publishing/cases/{case}/withdraw", OWN_AGENCY_CASE_POST, "POST"),
    # The form and the check share a URL: GET shows the form, POST checks the upload.
    "publishing.import_form": Route("/publishing/import", PUBLISHERS_ONLY),
    "publishing.import_check": Route("/publishing/import", PUBLISHERS_POST, "POST"),
    "publishing.import_confirm": Route("/publishing/import/confirm", PUBLISHERS_POST, "POST"),
    "admin.users": Route("/admin/", ADMINS_ONLY),
    "admin.user_new": Route("/admin/users/new", ADMINS_ONLY),
    "admin.user_edit": Route("/admin/users/{user}", ADMINS_ONLY),
    "admin.agencies": Route("/admin/agencies", ADMINS_ONLY),
    "admin.agency_new": Route("/admin/agencies/new", ADMINS_ONLY),
    "admin.agency_edit": Route("/admin/agencies/{agency}", ADMINS_ONLY),
    "admin.audit": Route("/admin/audit", ADMINS_ONLY),
    "admin.audit_export": Route("/admin/audit.csv", ADMINS_ONLY),
    "auth.account": Route("/auth/account", (LOGIN, OK, OK, OK, OK)),
}


def test_every_route_has_an_access_entry(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    missing = endpoints - PUBLIC - set(ACCESS)
    assert not missing, f"routes without an entry in the access table: {sorted(missing)}"
    stale = (PUBLIC | set(ACCESS)) - endpoints
    assert not stale, f"access table entries without a route: {sorted(stale)}"
    assert not PUBLIC & set(ACCESS)


@dataclass(frozen=True)
class World:
    clients: dict[str, FlaskClient]
    tip: int
    attachment: int
    user: int
    agency: int
    case: str


@pytest.fixture
def world(app: Flask, sample_cases: Path) -> Iterator[World]:
    from portal.services.tips import Upload

    staff = {
        "moderator": make_staff("mod@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP"),
        "publisher": make_staff("pub@example.org", Role.PUBLISHER, "BE-FPJ-ANTWERP"),
        "admin": make_staff("admin@example.org", Role.ADMIN),
        "other_moderator": make_staff("other@example.org", Role.MODERATOR, "NL-LE-NOORD"),
    }
    tip = add_tip("BE-1992-0603", uploads=[Upload("photo.jpg", photo_jpeg())])
    clients = {"anonymous": app.test_client()}
    for persona, account in staff.items():
        client = app.test_client()
        assert sign_in(client, account).status_code == 302
        clients[persona] = client
    moderator = db.session.get(User, staff["moderator"].user_id)
    assert moderator is not None and moderator.agency_id is not None
    yield World(
        clients,
        tip.id,
        tip.attachments[0].id,
        moderator.id,
        moderator.agency_id,
        tip.case.public_id,
    )


def test_staff_paths_are_the_routes_of_their_endpoints(app: Flask) -> None:
    adapter = app.url_map.bind("localhost")
    for endpoint, route in ACCESS.items():
        path = route.path.format(tip=1, attachment=1, user=1, agency=1, case="abc")
        assert adapter.match(path, method=route.method)[0] == endpoint


def _token(client: FlaskClient, persona: str) -> str:
    page = client.get("/auth/login" if persona == "anonymous" else "/auth/account")
    return csrf_token(page.get_data(as_text=True))


def test_each_staff_route_obeys_the_access_table(world: World) -> None:
    failures: list[str] = []
    tried = 0
    for endpoint, route in ACCESS.items():
        path = route.path.format(
            tip=world.tip,
            attachment=world.attachment,
            user=world.user,
            agency=world.agency,
            case=world.case,
        )
        for persona, outcome in zip(PERSONAS, route.outcomes, strict=True):
            client = world.clients[persona]
            if route.method == "GET":
                response = client.get(path)
            else:
                token = _token(client, persona)
                response = client.open(path, method=route.method, data={"csrf_token": token})
            tried += 1
            where = f"{route.method} {endpoint} as {persona}: {response.status_code}"
            if outcome == LOGIN:
                if response.status_code != 302 or not response.headers["Location"].startswith(
                    "/auth/login"
                ):
                    failures.append(f"{where}, not a redirect to sign in")
                continue
            if outcome == REACHED:
                if response.status_code not in {302, 303, 400, 409, 422}:
                    failures.append(f"{where}, the view was not reached")
            elif response.status_code != outcome:
                failures.append(f"{where}, not {outcome}")
            if response.headers.get("Cache-Control") != "no-store":
                failures.append(f"{where}: not Cache-Control: no-store")
    # Counted for `make verify` before asserting, so a failing run shows its count too.
    record("Access table: every staff route as every persona", tried, len(failures))
    assert not failures, "\n".join(failures)
