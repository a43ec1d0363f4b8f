"""User enumeration: sign-in and follow-up answers are the same whether or not the account is."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from portal.extensions import db
from portal.models import Role, User
from portal.models.base import utcnow
from portal.services import accounts
from tests.security.conftest import World
from tests.staffkit import PASSWORD, csrf_token, make_staff, post_password
from tests.verifycount import record

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')


def _normalised(body: str, typed: str) -> str:
    """The page without what differs by design: the form's token and the address typed."""
    return _TOKEN.sub("TOKEN", body).replace(typed, "ADDRESS")


def test_sign_in_says_the_same_for_every_kind_of_wrong(world: World) -> None:
    locked = make_staff("locked@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP")
    gone = make_staff("gone@example.org", Role.MODERATOR, "BE-FPJ-ANTWERP")
    for staff, change in ((locked, "lock"), (gone, "deactivate")):
        user = db.session.get(User, staff.user_id)
        assert user is not None
        if change == "lock":
            user.locked_until = utcnow() + timedelta(minutes=10)
        else:
            user.active = False
    db.session.commit()
    attempts = {
        "unknown address": ("nobody@example.org", PASSWORD),
        "unknown address, other case": ("NoBody@Example.org", "wrong password"),
        "known address, wrong password": (world.staff["moderator"].email, "wrong password"),
        "locked account, wrong password": (locked.email, "wrong password"),
        "locked account, right password": (locked.email, PASSWORD),
        "deactivated account, right password": (gone.email, PASSWORD),
    }
    answers: dict[str, tuple[int, str]] = {}
    for name, (email, password) in attempts.items():
        response = post_password(world.app.test_client(), email, password)
        answers[name] = (response.status_code, _normalised(response.get_data(as_text=True), email))
    first = next(iter(answers.values()))
    failures = [name for name, answer in answers.items() if answer != first]
    assert first[0] == 400 and accounts.SIGN_IN_FAILED in first[1]
    record(
        "Enumeration: sign-in answers (unknown, wrong, locked, deactivated)",
        len(attempts),
        len(failures),
    )
    assert not failures, f"these differ from an unknown address: {failures}"


def test_an_unknown_address_costs_a_hash_check(
    app: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No timing is measured; the code verifies a dummy hash, so both paths do the same work."""
    checked: list[str] = []
    hasher = accounts._hasher

    class Spy(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            checked.append(str(hash))
            return hasher.verify(hash, password)

    monkeypatch.setattr(accounts, "_hasher", Spy())
    refused = accounts.authenticate_password("nobody@example.org", PASSWORD) is None
    ok = refused and checked == [accounts._DUMMY_HASH]
    record("Enumeration: a dummy hash is verified for unknown addresses", 1, 0 if ok else 1)
    assert ok, checked


def test_follow_up_says_the_same_for_a_wrong_reference_or_code(world: World) -> None:
    attempts = {
        "unknown reference": ("TIP-ZZZZ-ZZZZ", world.followup_code),
        "known reference, wrong code": (world.reference, "AAAA-AAAA-AAAA-AAAA"),
        "known reference, another tip's code shape": (world.reference, "0000-0000-0000-0000"),
    }
    answers = {}
    for name, (reference, code) in attempts.items():
        client = world.app.test_client()
        page = client.get("/tips/follow-up").get_data(as_text=True)
        data = {"csrf_token": csrf_token(page), "reference": reference, "code": code}
        response = client.post("/tips/follow-up", data=data)
        body = _TOKEN.sub("TOKEN", response.get_data(as_text=True))
        answers[name] = (response.status_code, body.replace(reference, "REF").replace(code, "CODE"))
    first = next(iter(answers.values()))
    failures = [name for name, answer in answers.items() if answer != first]
    assert first[0] == 400
    record(
        "Enumeration: follow-up answers (unknown reference, wrong code)",
        len(attempts),
        len(failures),
    )
    assert not failures, f"these differ from an unknown reference: {failures}"
