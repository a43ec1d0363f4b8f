"""A populated portal for the security suite: sample cases, staff signed in, a tip, an alert."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from portal.config import Settings
from portal.extensions import db
from portal.models import CaseImage, CaseRevision, Role, Tip, User
from portal.records.importer import public_id_for
from portal.services import accounts
from tests.conftest import SAMPLE_RECORDS
from tests.mailkit import MailServer
from tests.modkit import photo_jpeg
from tests.staffkit import Staff, csrf_token, make_staff, sign_in
from tests.tipkit import receipt_codes, send_tip

AGENCY = "BE-FPJ-ANTWERP"
CASE = public_id_for(AGENCY, "BE-1992-0603")  # published, with a photo
IDENTIFIED = public_id_for(AGENCY, "BE-2014-0402")
BASE_URL = "https://portal.example"
# One valid record of the publisher's agency, for uploads.
SAMPLE_LINE = SAMPLE_RECORDS.read_text(encoding="utf-8").splitlines()[0] + "\n"


@pytest.fixture
def settings(settings: Settings, smtp_server: MailServer) -> Settings:
    # Alerts send a confirmation email: a local SMTP server takes it.
    return dataclasses.replace(
        settings, smtp_url=smtp_server.url, mail_from="alerts@portal.example", base_url=BASE_URL
    )


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with its smallest cost: this suite signs in dozens of times, and no check here
    is about the cost of a hash (the dummy hash for unknown addresses is kept, made the same way).
    """
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", hasher)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", hasher.hash("not a real password"))


@dataclass
class World:
    app: Flask
    staff: dict[str, Staff]
    clients: dict[str, FlaskClient]  # anonymous, tipster (follow-up open), and each staff role
    tip: int
    attachment: int
    reference: str
    followup_code: str
    alert_token: str
    image_token: str
    image_width: int
    revision: int
    user: int
    agency: int
    media_root: Path


# Which signed-in persona may use each blueprint's routes; the rest are public.
ROLE_OF_BLUEPRINT = {
    "moderation": "moderator",
    "publishing": "publisher",
    "admin": "admin",
}


def persona_for(endpoint: str) -> str:
    """The persona that may use `endpoint`: its staff role, the tipster, or anonymous."""
    blueprint = endpoint.split(".", 1)[0]
    if blueprint in ROLE_OF_BLUEPRINT:
        return ROLE_OF_BLUEPRINT[blueprint]
    if endpoint in {"auth.account", "auth.logout"}:
        return "moderator"
    if endpoint in {"tips.followup", "tips.followup_close"}:
        return "tipster"
    return "anonymous"


def fill(rule: Rule, world: World) -> str:
    """The path of `rule` with each variable set to a real object of the world."""
    values: dict[str, object] = {}
    for name in rule.arguments:
        if name in {"case_id", "public_id"}:
            values[name] = CASE
        elif name == "tip_id":
            values[name] = world.tip
        elif name == "attachment_id":
            values[name] = world.attachment
        elif name == "forward_id":
            values[name] = 1
        elif name == "number":
            values[name] = world.revision
        elif name == "token":
            alert = rule.endpoint.startswith("alerts.")
            values[name] = world.alert_token if alert else world.image_token
        elif name == "variant":
            values[name] = f"w{world.image_width}"
        elif name == "width":
            values[name] = world.image_width
        elif name == "code":
            values[name] = "fr"
        elif name == "filename":
            values[name] = "css/portal.css"
        elif name == "user_id":
            values[name] = world.user
        elif name == "agency_id":
            values[name] = world.agency
        else:
            raise AssertionError(f"no value for <{name}> in {rule.rule}: add one to fill()")
    adapter = world.app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, values, method=sorted(rule.methods or {"GET"})[0])


def database_state() -> str:
    """A digest of every row of every table: equal before and after means nothing changed."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        digest.update(table.name.encode())
        for row in sorted(repr(tuple(row)) for row in rows):
            digest.update(row.encode())
    db.session.rollback()
    return digest.hexdigest()


def media_state(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def world(app: Flask, sample_cases: Path, smtp_server: MailServer, tmp_path: Path) -> World:
    staff = {
        "moderator": make_staff("mod@example.org", Role.MODERATOR, AGENCY),
        "publisher": make_staff("pub@example.org", Role.PUBLISHER, AGENCY),
        "admin": make_staff("admin@example.org", Role.ADMIN),
    }
    clients = {"anonymous": app.test_client(), "tipster": app.test_client()}
    for persona, account in staff.items():
        client = app.test_client()
        assert sign_in(client, account).status_code == 302
        clients[persona] = client

    tipster = clients["tipster"]
    receipt = send_tip(tipster, CASE, files=[(photo_jpeg(), "photo.jpg")])
    assert receipt.status_code == 200, receipt.get_data(as_text=True)
    reference, code = receipt_codes(receipt.get_data(as_text=True))
    page = tipster.get("/tips/follow-up")
    opened = tipster.post(
        "/tips/follow-up",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "reference": reference,
            "code": code,
        },
    )
    assert opened.status_code == 302
    tip = db.session.scalar(select(Tip).where(Tip.reference == reference))
    assert tip is not None and tip.attachments

    anonymous = clients["anonymous"]
    form = anonymous.get("/alerts/new?q=tattoo")
    signed_up = anonymous.post(
        "/alerts/new?q=tattoo",
        data={"csrf_token": csrf_token(form.get_data(as_text=True)), "email": "fam@example.org"},
    )
    assert signed_up.status_code == 200
    link = re.search(r"/alerts/confirm/([^\s?]+)", smtp_server.messages[-1].message.get_content())
    assert link, "no confirmation link"

    image = db.session.scalars(select(CaseImage).where(CaseImage.publish.is_(True))).first()
    assert image is not None and image.derivative_widths
    revision = db.session.scalar(select(CaseRevision.number).order_by(CaseRevision.id))
    moderator = db.session.get(User, staff["moderator"].user_id)
    assert moderator is not None and moderator.agency_id is not None
    settings: Settings = app.extensions["portal_settings"]
    return World(
        app=app,
        staff=staff,
        clients=clients,
        tip=tip.id,
        attachment=tip.attachments[0].id,
        reference=reference,
        followup_code=code,
        alert_token=link.group(1),
        image_token=image.token,
        image_width=image.derivative_widths[0],
        revision=revision or 1,
        user=moderator.id,
        agency=moderator.agency_id,
        media_root=Path(urlsplit(settings.media_url).path),
    )
