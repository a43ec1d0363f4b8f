"""The alert service without HTTP: plain-words searches, tokens, claims and expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.crypto import get_cipher
from portal.extensions import db
from portal.models import SavedSearch
from portal.models.base import utcnow
from portal.services import alerts
from portal.services.cases import CaseFilters


def _alert(**values: object) -> SavedSearch:
    cipher = get_cipher()
    digest = alerts.token_digest(alerts.new_token())
    alert = SavedSearch(
        email_enc=cipher.encrypt_text("a@example.org", f"{alerts.EMAIL_CONTEXT}:{digest}"),
        email_digest=alerts.email_digest(cipher, "a@example.org"),
        search_args={"q": "rose"},
        language="en",
        token_digest=digest,
        **values,
    )
    db.session.add(alert)
    db.session.commit()
    return alert


def test_a_search_in_plain_words(app: Flask) -> None:
    with app.test_request_context("/"):
        filters = CaseFilters(q="rose", sex="female", age_min=25, age_max=35, country="BE")
        assert alerts.describe(filters) == "“rose”, female, aged 25–35, in Belgium"
        assert alerts.describe(CaseFilters(year_from=1990)) == "from 1990 on"
        assert alerts.describe(CaseFilters(mark="scar", has_photo=True)) == (
            "with a scar, with images"
        )


def test_an_empty_search_is_refused(app: Flask) -> None:
    with pytest.raises(alerts.EmptySearch):
        alerts.subscribe(get_cipher(), "a@example.org", CaseFilters(), "en")


def test_the_address_digest_ignores_case_and_spaces(app: Flask) -> None:
    cipher = get_cipher()
    assert alerts.email_digest(cipher, " A@Example.org ") == alerts.email_digest(
        cipher, "a@example.org"
    )


def test_link_tokens_are_stable_and_cannot_be_forged(app: Flask) -> None:
    alert = _alert(confirmed_at=utcnow())
    token = alerts.link_token(get_cipher(), alert)
    assert token == alerts.link_token(get_cipher(), alert)
    assert alerts.find(token) is alert
    assert alerts.find(f"{alert.id}.{'0' * 64}") is None
    assert alerts.find(f"{alert.id + 1}.{token.partition('.')[2]}") is None


def test_one_sender_at_a_time_and_stale_claims_are_taken_over(app: Flask) -> None:
    alert = _alert(confirmed_at=utcnow())
    now = utcnow()
    assert alerts._claim(alert.id, now)
    assert not alerts._claim(alert.id, now + timedelta(minutes=1))
    # A sender that crashed mid-alert does not hold it for ever.
    assert alerts._claim(alert.id, now + alerts.STALE_CLAIM + timedelta(seconds=1))


def test_unconfirmed_alerts_expire(app: Flask) -> None:
    old = _alert(created_at=utcnow() - alerts.UNCONFIRMED_TTL - timedelta(hours=1))
    kept = _alert(created_at=utcnow() - alerts.UNCONFIRMED_TTL - timedelta(hours=1))
    kept.confirmed_at = utcnow()
    _alert()
    db.session.commit()
    token_of_old = old.id
    assert alerts.purge_unconfirmed() == 1
    assert db.session.get(SavedSearch, token_of_old) is None
    assert db.session.scalar(select(func.count()).select_from(SavedSearch)) == 2
