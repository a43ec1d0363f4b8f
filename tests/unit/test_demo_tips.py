"""The demo tips and demo staff commands: real encrypted tips, working sign-ins, no production."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pyotp
from flask import Flask
from sqlalchemy import func, select

from portal.crypto import get_cipher
from portal.demo.tips import SPAM_BURST, CaseFacts, plan_tips, published_cases
from portal.extensions import db
from portal.models import Case, CaseStatus, Role, Tip, TipStatus, User
from portal.models.base import as_utc, utcnow
from portal.services import duplicates
from portal.services import tips as tip_service
from tests.staffkit import post_code, post_password

DEMO_EMAILS = (
    "admin@recognise.example",
    "moderator@recognise.example",
    "antwerp@recognise.example",
)
_ACCOUNT = re.compile(
    r"^  (?P<email>\S+) \((?P<role>\w+), (?P<scope>[^)]+)\)\n"
    r"    password:    (?P<password>\S+)\n"
    r"    TOTP secret: (?P<secret>[A-Z2-7]+)\n"
    r"    otpauth URI: (?P<uri>otpauth://\S+)$",
    re.MULTILINE,
)


def all_tips() -> list[Tip]:
    return list(db.session.scalars(select(Tip).order_by(Tip.id)))


def messages() -> list[str]:
    cipher = get_cipher()
    return [tip_service.read_message(cipher, tip) for tip in all_tips()]


def test_demo_tips_are_stored_encrypted_on_published_appeals(
    app: Flask, sample_cases: Path
) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "tips", "--count", "40", "--seed", "3"])
    assert result.exit_code == 0, result.output
    tips = all_tips()
    appeals = {tip.case_id for tip in tips}
    assert result.output.strip() == f"demo: 40 tips on {len(appeals)} appeals"
    assert len(tips) == 40
    assert all(tip.case.status is CaseStatus.PUBLISHED for tip in tips)
    cipher = get_cipher()
    texts = [tip_service.read_message(cipher, tip) for tip in tips]
    assert all(len(text) > 40 for text in texts)
    # Stored as ciphertext, like a tip from the form.
    assert not any(text.encode() in tip.message_enc for tip, text in zip(tips, texts, strict=True))
    contacts = [tip_service.read_contact(cipher, tip) for tip in tips if tip.has_contact]
    assert 5 <= len(contacts) < 40
    assert all(tip.contact_ok for tip in tips if tip.has_contact)
    assert all(c.email.endswith("@example.org") for c in contacts if c.email)
    assert all(c.phone.startswith(("+32", "+31", "+49")) for c in contacts if c.phone)
    assert any("followers" in text for text in texts)
    assert any(tip.attachments for tip in tips)
    assert all(a.size > 0 for tip in tips for a in tip.attachments)

    statuses = Counter(tip.status for tip in tips)
    assert statuses[TipStatus.SPAM] == SPAM_BURST
    assert statuses[TipStatus.NEW] >= 5
    assert statuses[TipStatus.IN_REVIEW] + statuses[TipStatus.ACTIONABLE] >= 3
    now = utcnow()
    for tip in tips:
        created = as_utc(tip.created_at)
        assert now - timedelta(days=21) <= created <= now
        if tip.status is TipStatus.NEW:
            assert tip.first_triaged_at is None
        else:
            triaged = as_utc(tip.first_triaged_at)
            assert triaged is not None and created < triaged <= now
            assert as_utc(tip.status_changed_at) >= triaged
    spam = sorted(as_utc(tip.created_at) for tip in tips if tip.status is TipStatus.SPAM)
    assert spam[-1] - spam[0] < timedelta(minutes=20)


def test_demo_tips_include_a_resend_the_duplicate_check_finds(
    app: Flask, sample_cases: Path
) -> None:
    assert app.test_cli_runner().invoke(args=["demo", "tips"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Tip)) == 60
    central = User(
        email="central@example.org",
        password_hash="-",
        totp_secret_enc=b"",
        role=Role.MODERATOR,
        agency_id=None,
    )
    db.session.add(central)
    db.session.commit()
    cipher = get_cipher()
    found = [
        (tip, similar)
        for tip in all_tips()
        for similar in duplicates.similar_tips(cipher, central, tip)
    ]
    assert any(
        "same email" in similar.reasons
        and any(reason.startswith("near-identical text") for reason in similar.reasons)
        for _tip, similar in found
    )


def test_demo_tips_are_the_same_for_one_seed(app: Flask, sample_cases: Path) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "tips", "--count", "25", "--seed", "7"]).exit_code == 0
    first = messages()
    for tip in all_tips():
        db.session.delete(tip)
    db.session.commit()
    assert runner.invoke(args=["demo", "tips", "--count", "25", "--seed", "7"]).exit_code == 0
    assert messages() == first
    facts = [CaseFacts.of(case) for case in published_cases()]
    other = [tip.message for tip in plan_tips(facts, 25, 8, utcnow())]
    assert sorted(other) != sorted(first)


def test_demo_tips_works_on_a_single_appeal(app: Flask, sample_cases: Path) -> None:
    facts = [CaseFacts.of(published_cases()[0])]
    for count in (1, 2, 7, 60):
        planned = plan_tips(facts, count, 0, utcnow())
        assert len(planned) == count
        assert all(p.message for p in planned)


def test_demo_tips_if_empty_adds_nothing_the_second_time(app: Flask, sample_cases: Path) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "tips", "--if-empty", "--count", "12"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["demo", "tips", "--if-empty"])
    assert again.exit_code == 0
    assert "nothing added" in again.output
    assert db.session.scalar(select(func.count()).select_from(Tip)) == 12


def test_demo_tips_needs_published_appeals(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "tips"])
    assert result.exit_code == 1
    assert "demo load" in result.output
    assert "Traceback" not in result.output


def test_demo_commands_are_refused_in_production(app: Flask, sample_cases: Path) -> None:
    app.config["PORTAL_ENV"] = "production"
    runner = app.test_cli_runner()
    tips = runner.invoke(args=["demo", "tips"])
    assert tips.exit_code == 1
    assert "demo tips are not for production" in tips.output
    staff = runner.invoke(args=["demo", "staff", "--if-missing"])
    assert staff.exit_code == 1
    assert "not for production" in staff.output
    assert db.session.scalar(select(func.count()).select_from(Tip)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_staff_sign_in_with_what_is_printed(app: Flask, sample_cases: Path) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "tips", "--count", "20"]).exit_code == 0
    result = runner.invoke(args=["demo", "staff"])
    assert result.exit_code == 0, result.output
    accounts = {m["email"]: m for m in _ACCOUNT.finditer(result.output)}
    assert sorted(accounts) == sorted(DEMO_EMAILS)
    assert "authenticator app" in result.output
    for email, match in accounts.items():
        assert f"secret={match['secret']}" in match["uri"]
        client = app.test_client()
        response = post_password(client, email, match["password"])
        assert response.status_code == 302, email
        assert response.headers["Location"].startswith("/auth/two-factor"), email
        signed_in = post_code(client, pyotp.TOTP(match["secret"]).now())
        assert signed_in.status_code == 302, email
        assert "two-factor" not in signed_in.headers["Location"]
    users = {u.email: u for u in db.session.scalars(select(User))}
    assert users["admin@recognise.example"].role is Role.ADMIN
    assert users["admin@recognise.example"].agency_id is None
    assert users["moderator@recognise.example"].role is Role.MODERATOR
    assert users["moderator@recognise.example"].agency_id is None
    agency_moderator = users["antwerp@recognise.example"]
    assert agency_moderator.role is Role.MODERATOR
    assert agency_moderator.agency is not None
    # On the sample set (no demo agencies) it is the agency whose appeals have most tips.
    tips_per_agency = Counter(
        db.session.scalars(select(Case.agency_id).join(Tip, Tip.case_id == Case.id))
    )
    assert tips_per_agency[agency_moderator.agency_id] == max(tips_per_agency.values())


def test_demo_staff_if_missing_skips_existing_accounts(app: Flask, sample_cases: Path) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "staff", "--if-missing"]).exit_code == 0
    again = runner.invoke(args=["demo", "staff", "--if-missing"])
    assert again.exit_code == 0
    assert again.output == ""
    assert db.session.scalar(select(func.count()).select_from(User)) == 3
    refused = runner.invoke(args=["demo", "staff"])
    assert refused.exit_code == 1
    assert "already exist" in refused.output
    assert "--if-missing" in refused.output
    assert "Traceback" not in refused.output


def test_demo_staff_if_missing_creates_only_the_missing_ones(
    app: Flask, sample_cases: Path
) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "staff"]).exit_code == 0
    db.session.delete(
        db.session.scalars(select(User).where(User.email == "moderator@recognise.example")).one()
    )
    db.session.commit()
    result = runner.invoke(args=["demo", "staff", "--if-missing"])
    assert result.exit_code == 0, result.output
    assert [m["email"] for m in _ACCOUNT.finditer(result.output)] == ["moderator@recognise.example"]
