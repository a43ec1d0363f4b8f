"""Helpers for staff tests: create accounts and sign in through the real password + code flow."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs

import pyotp
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.crypto import get_cipher
from portal.extensions import db
from portal.models import Agency, Role
from portal.services import accounts

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass(frozen=True)
class Staff:
    email: str
    password: str
    secret: str
    user_id: int


def agency(code: str) -> Agency:
    found = db.session.query(Agency).filter_by(code=code).one_or_none()
    if found is None:
        found = Agency(code=code, name=f"Agency {code}", country="BE")
        db.session.add(found)
        db.session.commit()
    return found


def make_staff(email: str, role: Role, agency_code: str | None = None) -> Staff:
    if agency_code:
        agency(agency_code)
    created = accounts.create_user(get_cipher(), email, PASSWORD, role, agency_code)
    secret = parse_qs(created.provisioning_uri.split("?", 1)[1])["secret"][0]
    return Staff(created.user.email, PASSWORD, secret, created.user.id)


def csrf_token(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def post_password(
    client: FlaskClient, email: str, password: str, next_url: str | None = None
) -> TestResponse:
    query = {"next": next_url} if next_url else {}
    page = client.get("/auth/login", query_string=query)
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "email": email}
    data["password"] = password
    if next_url:
        data["next"] = next_url
    return client.post("/auth/login", data=data)


def post_code(client: FlaskClient, code: str) -> TestResponse:
    page = client.get("/auth/two-factor")
    token = csrf_token(page.get_data(as_text=True))
    return client.post("/auth/two-factor", data={"csrf_token": token, "code": code})


def sign_in(
    client: FlaskClient, staff: Staff, *, at: float | None = None, next_url: str | None = None
) -> TestResponse:
    """Password then code; returns the response to the code step (a redirect on success)."""
    response = post_password(client, staff.email, staff.password, next_url)
    assert response.status_code == 302, response.get_data(as_text=True)
    totp = pyotp.TOTP(staff.secret)
    code = totp.now() if at is None else totp.at(at)
    return post_code(client, code)


def sign_out(client: FlaskClient) -> TestResponse:
    page = client.get("/auth/account")
    return client.post("/auth/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
