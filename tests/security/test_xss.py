"""XSS payloads through every text field people type, checked on every page that shows them."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import Tip
from portal.ratelimit import limiter
from portal.records.importer import import_file, public_id_for
from tests.formkit import form_values
from tests.security.conftest import AGENCY, CASE, World
from tests.security.xsskit import TEMPLATES, Scan, payloads
from tests.staffkit import csrf_token
from tests.tipkit import open_form, receipt_codes, send_tip
from tests.verifycount import record

# Every text field of a record that a public page, the feed or a staff page shows.
RECORD_FIELDS = {
    "ti": ("title",),
    "ci": ("circumstances",),
    "ha": ("hair",),
    "pl": ("event", "place"),
    "md": ("marks", 0, "description"),
    "mi": ("marks", 0, "inscription"),
    "ml": ("marks", 0, "location"),
    "cd": ("clothing", 0, "description"),
    "cb": ("clothing", 1, "brand"),
    "ca": ("images", 0, "caption"),
    "ag": ("agency", "name"),
}


def _set(record: dict[str, object], path: tuple[str | int, ...], value: str) -> None:
    target: object = record
    for step in path[:-1]:
        target = target[step]  # type: ignore[index]
    target[path[-1]] = value  # type: ignore[index]


def _report(scan: Scan, check: str) -> None:
    figures = f"{len(TEMPLATES)} payloads, {scan.reached} shown escaped"
    record(check, scan.tried, len(scan.failures), figures)
    assert not scan.failures, "\n".join(scan.failures[:40])


def _get(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code}"
    return response.get_data(as_text=True)


def test_case_fields_from_the_importer(world: World, records_dir: Path) -> None:
    """A records file with a payload in every shown field: public pages, feed, staff pages."""
    source = json.loads((records_dir / "sample-records.jsonl").read_text().splitlines()[0])
    records = []
    marks_by_case: dict[str, list[tuple[str, str, str]]] = {}
    for index in range(len(TEMPLATES)):
        item = copy.deepcopy(source)
        item.pop("restricted")
        item["record_id"] = f"XS-{index:03d}"
        item["agency"] = {"code": f"XS-AG{index:02d}", "name": "", "country": "BE"}
        item["translations"] = {}
        case_marks = []
        for where, path in RECORD_FIELDS.items():
            mark, payload = payloads(where)[index]
            _set(item, path, payload)
            case_marks.append((where, mark, payload))
        records.append(item)
        marks_by_case[public_id_for(f"XS-AG{index:02d}", f"XS-{index:03d}")] = case_marks
    path = records_dir / "xss-records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = import_file(path)
    assert result.errors == [], result.errors[:5]

    scan = Scan()
    anonymous, admin = world.clients["anonymous"], world.clients["admin"]
    feed = _get(anonymous, "/feed.atom")
    every = [(mark, payload) for marks in marks_by_case.values() for _w, mark, payload in marks]
    scan.xml("/feed.atom", feed, [(m, p) for m, p in every if m.endswith("ti")], "title")
    for case_id, case_marks in marks_by_case.items():
        shown = [(mark, payload) for _where, mark, payload in case_marks]
        title = [(mark, payload) for where, mark, payload in case_marks if where == "ti"]
        pages = {
            f"/cases/{case_id}": (anonymous, shown),
            f"/cases/{case_id}/tips": (anonymous, title),
            f"/search?q={title[0][0]}": (anonymous, title),
            f"/publishing/cases/{case_id}": (admin, title),
            f"/publishing/cases/{case_id}/edit": (admin, shown),
        }
        for url, (client, expected) in pages.items():
            scan.html(url, _get(client, url), expected, "record")
        api = anonymous.get(f"/api/v1/cases/{case_id}")
        assert api.mimetype == "application/json" and api.json is not None
    assert not [m for m in scan.missed if "/cases/" in m and "/tips" not in m and "edit" not in m]
    _report(scan, "XSS: case fields via the importer, on public and staff pages")


def _followup_client(world: World, reference: str, code: str) -> FlaskClient:
    client = world.app.test_client()
    page = client.get("/tips/follow-up")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "reference": reference}
    assert client.post("/tips/follow-up", data={**data, "code": code}).status_code == 302
    return client


def test_tip_and_follow_up_fields(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tipster's words to moderators, and moderators' questions back to the tipster."""
    # One follow-up opening per payload: more than the per-client limit, which has its own test.
    monkeypatch.setattr(limiter, "enabled", False)
    scan = Scan()
    moderator = world.clients["moderator"]
    token = csrf_token(_get(moderator, "/auth/account"))
    for index in range(len(TEMPLATES)):
        message, name, note, question, added = (
            payloads(where)[index] for where in ("ms", "nm", "no", "qu", "fu")
        )
        client = world.app.test_client()
        receipt = send_tip(
            client,
            CASE,
            message=message[1],
            contact_ok="yes",
            name=name[1],
            email="someone@example.org",
            phone="0470 12 34 56",
        )
        assert receipt.status_code == 200, receipt.get_data(as_text=True)
        reference, code = receipt_codes(receipt.get_data(as_text=True))
        tip = db.session.scalar(select(Tip).where(Tip.reference == reference))
        assert tip is not None
        base = f"/moderation/tips/{tip.id}"
        for kind, value in (("note", note[1]), ("question", question[1])):
            sent = moderator.post(
                f"{base}/{'notes' if kind == 'note' else kind}",
                data={"csrf_token": token, kind: value},
            )
            assert sent.status_code in (302, 303), (kind, sent.status_code)
        tipster = _followup_client(world, reference, code)
        page = _get(tipster, "/tips/follow-up/tip")
        scan.html("follow-up page", page, [question], "question")
        hidden = dict(re.findall(r'name="(submission_id|reply_to)" value="([^"]+)"', page))
        assert "submission_id" in hidden and "reply_to" in hidden, "no reply form"
        sent = tipster.post(
            "/tips/follow-up/tip",
            data={"csrf_token": csrf_token(page), "text": added[1], **hidden},
        )
        assert sent.status_code == 302, sent.get_data(as_text=True)
        scan.html("follow-up page", _get(tipster, "/tips/follow-up/tip"), [question], "question")
        scan.html("tip page", _get(moderator, base), [message, note, question, added], "tip")
        contact = moderator.post(f"{base}/contact", data={"csrf_token": token})
        scan.html("contact", contact.get_data(as_text=True), [name], "contact")
        queue = _get(moderator, f"/moderation/?q={message[0]}&status=all")
        scan.html("queue search", queue, [message], "queue")
    assert not scan.missed, scan.missed[:10]
    _report(scan, "XSS: tip, contact, note, question and follow-up fields")


def test_echoed_input(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a form or a search shows back as typed: queries, refused addresses, references."""
    monkeypatch.setattr(limiter, "enabled", False)
    scan = Scan()
    anonymous, admin = world.clients["anonymous"], world.clients["admin"]
    moderator, publisher = world.clients["moderator"], world.clients["publisher"]
    admin_token = csrf_token(_get(admin, "/auth/account"))
    for index in range(len(TEMPLATES)):
        pick = {where: payloads(where)[index] for where in ("sq", "aq", "em", "ms", "ae", "le")}
        pick |= {where: payloads(where)[index] for where in ("fr", "ue", "an", "mq", "pq")}
        for client, url, where in (
            (anonymous, "/search?q=", "sq"),
            (anonymous, "/alerts/new?q=", "aq"),
            (moderator, "/moderation/?q=", "mq"),
            (publisher, "/publishing/?q=", "pq"),
        ):
            page = _get(client, url + quote(pick[where][1]))
            scan.html(url, page, [pick[where]], where)
        fields = open_form(anonymous, CASE)
        refused = send_tip(
            anonymous,
            CASE,
            fields=fields,
            message=pick["ms"][1],
            contact_ok="yes",
            email=pick["em"][1],
        )
        assert refused.status_code == 400
        scan.html("tip form", refused.get_data(as_text=True), [pick["ms"], pick["em"]], "tip")
        page = _get(anonymous, "/alerts/new?q=tattoo")
        refused = anonymous.post(
            "/alerts/new?q=tattoo", data={"csrf_token": csrf_token(page), "email": pick["ae"][1]}
        )
        assert refused.status_code == 400
        scan.html("alert form", refused.get_data(as_text=True), [pick["ae"]], "alert")
        login = world.app.test_client()
        page = _get(login, "/auth/login")
        refused = login.post(
            "/auth/login",
            # No password: the address is shown back without an argon2 check per payload.
            data={"csrf_token": csrf_token(page), "email": pick["le"][1], "password": ""},
        )
        scan.html("sign-in", refused.get_data(as_text=True), [pick["le"]], "login")
        page = _get(login, "/tips/follow-up")
        refused = login.post(
            "/tips/follow-up",
            data={"csrf_token": csrf_token(page), "reference": pick["fr"][1], "code": "x"},
        )
        scan.html("follow-up start", refused.get_data(as_text=True), [pick["fr"]], "reference")
        refused = admin.post(
            "/admin/users/new",
            data={"csrf_token": admin_token, "email": pick["ue"][1], "role": "moderator"},
        )
        scan.html("new account", refused.get_data(as_text=True), [pick["ue"]], "account")
        made = admin.post(
            "/admin/agencies/new",
            data={
                "csrf_token": admin_token,
                "code": f"XSN-{index}",
                "name": pick["an"][1],
                "country": "BE",
            },
        )
        scan.html("new agency", made.get_data(as_text=True), [], "agency")
    # A reference longer than any real one is not shown back; every other field is.
    assert not [m for m in scan.missed if not m.startswith("reference")], scan.missed[:10]
    agencies = _get(admin, "/admin/agencies")
    scan.html("agencies", agencies, [payloads("an")[i] for i in range(len(TEMPLATES))], "agency")
    _report(scan, "XSS: search queries and refused form input shown back")


# The editor's text fields and the code of each payload's marker.
EDITOR_FIELDS = {
    "title": "et",
    "event-place": "ep",
    "circumstances": "ec",
    "marks-0-location": "el",
    "marks-0-description": "ed",
    "marks-0-inscription": "ei",
    "clothing-0-description": "eo",
}


def test_publishing_editor_fields(world: World) -> None:
    """What a publisher types in the editor, on the editor, preview, revisions and public page."""
    scan = Scan()
    publisher = world.clients["publisher"]
    for index in range(len(TEMPLATES)):
        values = form_values(_get(publisher, "/publishing/new"), "editor-form")
        values.update(
            {
                "action": "save",
                "record_id": f"XE-{index:03d}",
                "kind": "unidentified",
                "sex": "female",
                "event-date-year": "2020",
                "event-date_precision": "year",
                "event-country": "BE",
                "marks-0-type": "tattoo",
                "clothing-0-item": "coat",
            }
        )
        typed = {name: payloads(where)[index] for name, where in EDITOR_FIELDS.items()}
        values.update({name: payload for name, (_mark, payload) in typed.items()})
        saved = publisher.post("/publishing/new", data=values)
        assert saved.status_code == 302, saved.get_data(as_text=True)[-3000:]
        case_id = public_id_for(AGENCY, f"XE-{index:03d}")
        shown = list(typed.values())
        pages = {
            f"/publishing/cases/{case_id}/edit": shown,
            f"/publishing/cases/{case_id}/revisions/1/preview": shown,
            f"/publishing/cases/{case_id}/revisions": shown,
            f"/publishing/cases/{case_id}": [typed["title"]],
        }
        for url, expected in pages.items():
            scan.html(url, _get(publisher, url), expected, "editor")
        # Published, the public page shows the same fields.
        page = _get(publisher, f"/publishing/cases/{case_id}/revisions/1/preview")
        published = publisher.post(
            f"/publishing/cases/{case_id}/revisions/1/publish",
            data={"csrf_token": form_values(page, None)["csrf_token"]},
        )
        assert published.status_code == 302, published.status_code
        scan.html(
            "public page", _get(world.clients["anonymous"], f"/cases/{case_id}"), shown, "editor"
        )
    assert not scan.missed, scan.missed[:10]
    _report(scan, "XSS: publishing editor fields, on staff and public pages")
