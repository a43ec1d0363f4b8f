"""The moderation dashboard: counts within each moderator's scope, periods, cases; no content."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import Role, Tip, TipStatus, User
from portal.records.importer import public_id_for
from portal.services import dashboard as dashboard_service
from portal.services.tips import Contact
from tests.modkit import add_tip
from tests.staffkit import Staff, make_staff, sign_in

SENTINEL = "SENTINEL-dashboard-7731 she had a rose tattoo"
SENTINEL_EMAIL = "sentinel-7731@example.org"
ROSA = public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")
E19 = public_id_for("BE-FPJ-ANTWERP", "BE-2001-1117")
WAAL = public_id_for("NL-LE-NOORD", "NL-1999-0412")
_FIGURE = re.compile(
    r'dashboard-figures__value[^"]*">([^<]+)</span> <span class="dashboard-figures__label">(\w+)'
)


def figures(html: str) -> dict[str, str]:
    """The headline figures by the first word of their label: open, new, median, forwarded."""
    return {label: value for value, label in _FIGURE.findall(html)}


def triage(tip: Tip, status: TipStatus, after: timedelta) -> None:
    tip.status = status
    tip.first_triaged_at = tip.created_at + after
    tip.status_changed_at = tip.first_triaged_at
    if status is TipStatus.FORWARDED:
        tip.forwarded_at = tip.first_triaged_at
    db.session.commit()


@dataclass(frozen=True)
class World:
    now: datetime
    antwerp: Staff
    central: Staff
    admin: Staff
    noord: Staff


@pytest.fixture
def world(app: Flask, sample_cases: Path) -> World:
    now = datetime.now(UTC)
    day = timedelta(days=1)
    # Antwerp: four tips on Rosa's case, one on the E19 case; Noord: two on the Waal case.
    rosa = [
        add_tip(
            "BE-1992-0603",
            SENTINEL,
            contact=Contact(name="Sentinel Person", email=SENTINEL_EMAIL),
            created_at=now - 2 * day,
        ),
        add_tip("BE-1992-0603", SENTINEL, created_at=now - 2 * day),
        add_tip("BE-1992-0603", SENTINEL, created_at=now - 3 * day),
        add_tip("BE-1992-0603", SENTINEL, created_at=now - 3 * day),
    ]
    triage(rosa[0], TipStatus.IN_REVIEW, timedelta(hours=1))
    triage(rosa[1], TipStatus.SPAM, timedelta(hours=2, minutes=5))
    triage(rosa[2], TipStatus.FORWARDED, timedelta(hours=10))
    add_tip("BE-2001-1117", SENTINEL, created_at=now - 40 * day)
    waal = [
        add_tip("NL-1999-0412", SENTINEL, created_at=now - 1 * day),
        add_tip("NL-1999-0412", SENTINEL, created_at=now - 100 * day),
    ]
    triage(waal[0], TipStatus.ACTIONABLE, timedelta(minutes=30))
    triage(waal[1], TipStatus.FORWARDED, timedelta(days=2, hours=3))
    return World(
        now=now,
        antwerp=make_staff("antwerp@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP"),
        central=make_staff("central@example.org", Role.MODERATOR),
        admin=make_staff("admin@example.org", Role.ADMIN),
        noord=make_staff("noord@example.org", Role.MODERATOR, "NL-LE-NOORD"),
    )


def signed_in(app: Flask, staff: Staff) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, staff).status_code == 302
    return client


def page(client: FlaskClient, **query: str) -> str:
    response = client.get("/moderation/dashboard", query_string=query)
    assert response.status_code == 200, response.status_code
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def test_an_agency_moderator_sees_only_their_agency(app: Flask, world: World) -> None:
    html = page(signed_in(app, world.antwerp))
    # Open now: two new tips on Rosa's case, one in review, one new on the E19 case.
    assert figures(html) == {
        "open": "3",
        "new": "2",
        "median": "2 hours 5 minutes",
        "forwarded": "1",
    }
    assert ROSA in html
    assert E19 in html
    assert WAAL not in html
    assert "anchor tattoo" not in html
    assert "4 tips received in the period" in html


@pytest.mark.parametrize("persona", ["central", "admin"])
def test_central_moderators_and_admins_see_every_agency(
    app: Flask, world: World, persona: str
) -> None:
    client = signed_in(app, getattr(world, persona))
    html = page(client)
    # Waits in the period: 30 minutes, 1 hour, 2 h 5 min and 10 hours; the Waal tip forwarded
    # 100 days ago is outside the last 30 days.
    assert figures(html) == {
        "open": "4",
        "new": "2",
        "median": "1 hour 32 minutes",
        "forwarded": "1",
    }
    assert {ROSA, E19, WAAL} <= set(re.findall(r"case=(\w+)", html))
    year = figures(page(client, days="365"))
    assert year["forwarded"] == "2"
    assert year["median"] == "2 hours 5 minutes"


def test_cases_are_listed_by_open_tips(app: Flask, world: World) -> None:
    html = page(signed_in(app, world.admin))
    table = html[html.index("Cases with tips") :]
    assert table.index(ROSA) < table.index(E19)
    assert table.index(ROSA) < table.index(WAAL)
    assert f'href="/moderation/?case={ROSA}"' in table
    assert f'href="/moderation/dashboard?case={ROSA}&amp;days=30"' in table


def test_one_case(app: Flask, world: World) -> None:
    client = signed_in(app, world.antwerp)
    html = page(client, case=E19, days="90")
    assert figures(html) == {
        "open": "1",
        "new": "1",
        "median": "no tips triaged",
        "forwarded": "0",
    }
    assert "Woman found near the E19 motorway" in html
    assert "1 tip received in the period" in html
    assert "Cases with tips" not in html
    assert f'<option value="{E19}" selected>' in html
    assert '<option value="90" selected>' in html
    assert figures(page(client, case=E19, days="7"))["new"] == "1"
    assert "0 tips received in the period" in page(client, case=E19, days="7")


def test_another_agencys_case_and_unknown_cases_are_not_found(app: Flask, world: World) -> None:
    client = signed_in(app, world.antwerp)
    for case in (WAAL, "zzzzzzzzzz", "ROSA", "a" * 300, "x\x00y", "../../etc"):
        response = client.get("/moderation/dashboard", query_string={"case": case})
        assert response.status_code == 404, case
    assert signed_in(app, world.noord).get(f"/moderation/dashboard?case={WAAL}").status_code == 200


@pytest.mark.parametrize(
    "days", ["abc", "-30", "0", "31", "1e9", "99999999999999999999", "\uff17", ""]
)
def test_a_period_not_offered_falls_back_to_30_days(app: Flask, world: World, days: str) -> None:
    html = page(signed_in(app, world.admin), days=days)
    assert '<option value="30" selected>' in html


def test_no_tip_content_on_the_dashboard(app: Flask, world: World) -> None:
    for staff in (world.antwerp, world.admin):
        client = signed_in(app, staff)
        for query in ({}, {"case": ROSA}, {"days": "365"}):
            html = page(client, **query)
            assert "SENTINEL" not in html
            assert SENTINEL_EMAIL not in html
            assert "Sentinel Person" not in html


def test_the_chart_and_its_numbers(app: Flask, world: World) -> None:
    html = page(signed_in(app, world.admin), days="7")
    assert html.count('class="chart__bar"') == 7
    assert 'role="img"' in html
    assert "Show the numbers" in html
    assert ' style="' not in html
    assert "<desc" in html
    assert "5 tips in total" in html


def test_tips_per_day_and_median_from_the_service(app: Flask, world: World) -> None:
    user = db.session.get(User, world.central.user_id)
    assert user is not None
    data = dashboard_service.build_dashboard(user, days=7, now=world.now)
    assert len(data.tips_per_day) == 7
    assert data.tips_per_day[-1].day == world.now.date()
    counts = {entry.day: entry.count for entry in data.tips_per_day}
    assert counts[(world.now - timedelta(days=1)).date()] == 1
    assert counts[(world.now - timedelta(days=2)).date()] == 2
    assert counts[(world.now - timedelta(days=3)).date()] == 2
    assert data.tips_in_period == 5
    assert data.median_first_triage == timedelta(hours=1, minutes=32, seconds=30)
    assert data.triaged == 4
    assert data.status_counts[TipStatus.FORWARDED] == 2
    assert data.status_counts[TipStatus.NEW] == 2
    assert sum(data.status_counts.values()) == 7
    rows = {row.public_id: row for row in data.cases}
    assert rows[ROSA].tips == 4
    assert rows[ROSA].open == 2
    assert rows[ROSA].forwarded == 1
    assert rows[ROSA].median_first_triage == timedelta(hours=2, minutes=5)
    assert rows[E19].median_first_triage is None
    assert data.cases[0].public_id == ROSA


def test_duration_words() -> None:
    words = dashboard_service.duration_words
    assert words(None) == "no tips triaged"
    assert words(timedelta(seconds=30)) == "less than a minute"
    assert words(timedelta(minutes=1)) == "1 minute"
    assert words(timedelta(hours=2, minutes=5)) == "2 hours 5 minutes"
    assert words(timedelta(hours=1)) == "1 hour"
    assert words(timedelta(days=3, hours=1, minutes=59)) == "3 days 1 hour"
    assert words(timedelta(days=1, minutes=5)) == "1 day"
