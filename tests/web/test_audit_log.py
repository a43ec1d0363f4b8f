"""The audit log for administrators: browsing, filters, pages, wrong filters and the export."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Role, User
from portal.services import accounts, audit_log
from tests.staffkit import make_staff, sign_in

_ROW = re.compile(r"<code>([a-z0-9_.]+)</code>")


@dataclass(frozen=True)
class Log:
    admin: FlaskClient
    moderator: FlaskClient


def user(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def add_event(
    action: str,
    actor: str | None = None,
    *,
    at: datetime | None = None,
    target: tuple[str, int] | None = None,
    **details: object,
) -> None:
    event = accounts.audit(
        action,
        actor=user(actor) if actor else None,
        target_type=target[0] if target else None,
        target_id=target[1] if target else None,
        details=dict(details),
    )
    if at is not None:
        event.at = at  # still pending: the log's immutability applies once it is written
    db.session.commit()


@pytest.fixture
def log(app: Flask) -> Log:
    admin = make_staff("admin@example.org", Role.ADMIN)
    moderator = make_staff("mod@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP")
    clients = []
    for staff in (admin, moderator):
        client = app.test_client()
        assert sign_in(client, staff).status_code == 302
        clients.append(client)
    add_event(
        "tip.status",
        "mod@example.org",
        at=datetime(2020, 1, 15, 23, 59, 59, tzinfo=UTC),
        target=("tip", 12),
        **{"from": "new", "to": "spam"},
    )
    add_event(
        "tip.contact.view",
        "mod@example.org",
        at=datetime(2020, 1, 16, 0, 0, 0, tzinfo=UTC),
        target=("tip", 13),
    )
    add_event(
        "tip.export",
        "admin@example.org",
        at=datetime(2020, 2, 1, 9, 0, tzinfo=UTC),
        format="csv",
        count=2,
        tips=[12, 13],
    )
    return Log(admin=clients[0], moderator=clients[1])


def shown(client: FlaskClient, **args: str) -> list[str]:
    """The actions of the events the page lists, top to bottom."""
    response = client.get("/admin/audit", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    return _ROW.findall(response.get_data(as_text=True))


def test_admin_sees_the_events_newest_first(log: Log) -> None:
    response = log.admin.get("/admin/audit")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    # Two accounts created and signed in, and the three events above, newest first.
    assert _ROW.findall(html) == [
        "signin.success",
        "signin.success",
        "account.create",
        "account.create",
        "tip.export",
        "tip.contact.view",
        "tip.status",
    ]
    assert "7 events" in html
    assert '<a href="/moderation/tips/12">tip 12</a>' in html
    assert "<dt>from:</dt> <dd>new</dd>" in html and "<dt>to:</dt> <dd>spam</dd>" in html
    assert "<dt>tips:</dt> <dd>12, 13</dd>" in html
    assert "2020-01-15 23:59:59" in html
    assert 'aria-current="page">Audit log</a>' in html
    # Browsing the log is not itself an event.
    assert "7 events" in log.admin.get("/admin/audit").get_data(as_text=True)


def test_filters(log: Log) -> None:
    assert shown(log.admin, action="tip.status") == ["tip.status"]
    assert shown(log.admin, action="tip.") == ["tip.export", "tip.contact.view", "tip.status"]
    assert shown(log.admin, action="nothing.like.this") == []
    # A whole address is that account; part of one matches every account that contains it.
    assert shown(log.admin, actor="MOD@example.org") == [
        "signin.success",
        "tip.contact.view",
        "tip.status",
    ]
    assert len(shown(log.admin, actor="example.org")) == 5
    assert shown(log.admin, actor="%") == []  # a wildcard is a character like any other
    assert shown(log.admin, target_type="tip", target_id="12") == ["tip.status"]
    assert shown(log.admin, target_type="tip") == ["tip.contact.view", "tip.status"]
    # Dates are whole UTC days, both ends included.
    assert shown(log.admin, date_from="2020-01-15", date_to="2020-01-15") == ["tip.status"]
    assert shown(log.admin, date_from="2020-01-16", date_to="2020-02-01") == [
        "tip.export",
        "tip.contact.view",
    ]
    assert shown(log.admin, date_to="2020-01-31", action="tip.") == [
        "tip.contact.view",
        "tip.status",
    ]
    html = log.admin.get("/admin/audit", query_string={"action": "tip."}).get_data(as_text=True)
    assert '<option value="tip." selected>' in html
    assert '<option value="signin.success">' in html


def test_filter_lists_come_from_the_log(log: Log) -> None:
    actions = audit_log.action_names()
    assert actions == sorted(set(actions)) and "tip.contact.view" in actions
    assert audit_log.action_families(actions) == ["tip."]
    assert audit_log.target_types() == ["tip", "user"]


def test_pages_keep_the_filters(log: Log) -> None:
    for number in range(120):
        accounts.audit("bulk.test", details={"n": number})
    db.session.commit()
    first = log.admin.get("/admin/audit?action=bulk.test").get_data(as_text=True)
    assert "120 events, page 1 of 3" in first
    assert len(_ROW.findall(first)) == 50
    assert "<dd>119</dd>" in first  # the newest first
    assert 'href="/admin/audit?action=bulk.test&amp;page=2">Next' in first
    assert ">Previous<" not in first
    third = log.admin.get("/admin/audit?action=bulk.test&page=3").get_data(as_text=True)
    assert len(_ROW.findall(third)) == 20 and "<dd>0</dd>" in third
    assert 'href="/admin/audit?action=bulk.test&amp;page=2">Previous' in third
    assert ">Next<" not in third
    second = log.admin.get("/admin/audit?action=bulk.test&page=2").get_data(as_text=True)
    assert 'href="/admin/audit?action=bulk.test">Previous' in second
    # Past the end: the last page.
    beyond = log.admin.get("/admin/audit?action=bulk.test&page=99").get_data(as_text=True)
    assert "page 3 of 3" in beyond
    # Thousands are grouped.
    for number in range(1000):
        accounts.audit("bulk.test", details={"n": number})
    db.session.commit()
    assert "1,120 events" in log.admin.get("/admin/audit?action=bulk.test").get_data(as_text=True)


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"date_from": "2026-13-45"}, "date_from", "The start date must be a real date"),
        ({"date_to": "yesterday"}, "date_to", "The end date must be a real date"),
        ({"date_from": "20260101"}, "date_from", "The start date must be a real date"),
        (
            {"date_from": "2026-02-01", "date_to": "2026-01-01"},
            "date_to",
            "The end date must be the same as or after the start date",
        ),
        ({"page": "abc"}, "page", "The page number must be a whole number"),
        ({"page": "0"}, "page", "The page number must be a whole number"),
        ({"action": "<script>"}, "action", "Choose an action from the list"),
        ({"target_type": "tip; drop"}, "target_type", "Choose a target type from the list"),
        ({"target_id": "9" * 65}, "target_id", "The target id must be 64 characters or fewer"),
    ],
)
def test_wrong_filters_are_explained(
    log: Log, args: dict[str, str], field: str, message: str
) -> None:
    for path in ("/admin/audit", "/admin/audit.csv"):
        response = log.admin.get(path, query_string=args)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, path
        assert response.mimetype == "text/html"
        assert "<title>Error: Audit log" in html
        assert f'<a href="#{field}">{message}' in html  # the error summary
        assert f'id="{field}"' in html  # the field it points at
        assert "Correct the filters to see the events." in html
        assert "<script>" not in html
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.export")) is None


def test_csv_export_is_audited(log: Log) -> None:
    response = log.admin.get("/admin/audit.csv", query_string={"action": "tip.", "page": "2"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(
        r'attachment; filename="recognise-audit-\d{8}-\d{4}\.csv"',
        response.headers["Content-Disposition"],
    )
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0]) == list(audit_log.CSV_HEADER)
    assert [row["action"] for row in rows] == ["tip.export", "tip.contact.view", "tip.status"]
    assert rows[0]["actor"] == "admin@example.org"
    assert rows[0]["details"] == "format: csv\ncount: 2\ntips: 12, 13"
    assert rows[2] | {"details": ""} == {
        "at": "2020-01-15T23:59:59Z",
        "actor": "mod@example.org",
        "action": "tip.status",
        "target_type": "tip",
        "target_id": "12",
        "details": "",
    }
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.export"))
    assert event is not None
    assert event.actor_id == user("admin@example.org").id
    assert event.details == {"filters": {"action": "tip."}, "count": 3}
    # The page links to the download with its filters, from the first event.
    html = log.admin.get("/admin/audit?action=tip.&page=1").get_data(as_text=True)
    assert 'href="/admin/audit.csv?action=tip."' in html


def test_csv_export_of_a_long_log_is_complete(log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_log, "EXPORT_BATCH", 7)
    for number in range(30):
        # Several events at one moment: the batches must neither skip nor repeat them.
        accounts.audit("bulk.test", details={"n": number}).at = datetime(2026, 3, 1, tzinfo=UTC)
    db.session.commit()
    body = log.admin.get("/admin/audit.csv?action=bulk.test").get_data()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert sorted(int(row["details"].removeprefix("n: ")) for row in rows) == list(range(30))


def test_csv_cells_are_defused(log: Log) -> None:
    accounts.audit("odd.event", details={"note": "=cmd|' /C calc'!A0"})
    db.session.commit()
    rows = list(
        csv.DictReader(
            io.StringIO(
                log.admin.get("/admin/audit.csv?action=odd.event").get_data().decode("utf-8-sig")
            )
        )
    )
    assert rows[0]["details"] == "note: =cmd|' /C calc'!A0"  # starts with "note", so safe
    assert audit_log.detail_items({"x": None, "y": True, "z": {"a": [1, 2]}}) == [
        ("x", "none"),
        ("y", "yes"),
        ("z", "a: 1, 2"),
    ]


def test_only_admins_see_the_log(log: Log, app: Flask) -> None:
    for path in ("/admin/audit", "/admin/audit.csv"):
        assert log.moderator.get(path).status_code == 403
        response = app.test_client().get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
    assert "Audit log" not in log.moderator.get("/moderation/").get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.export")) is None
