"""Saved-search email alerts: sign-up, confirmation, unsubscribing and telling of new appeals."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, cast

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import CursorResult, delete, func, or_, select, update

from portal import i18n, mail, search
from portal.config import Settings
from portal.crypto import TipCipher
from portal.extensions import db
from portal.mail import MailError
from portal.models import AlertNotification, Case, CaseStatus, SavedSearch
from portal.models.base import as_utc, utcnow
from portal.publication import PublicCase
from portal.security import parse_id
from portal.services import cases
from portal.services import search as search_service
from portal.services.cases import CaseFilters
from portal.templating import (
    KIND_LABELS,
    MARK_TYPE_LABELS,
    REGION_LABELS,
    SEX_LABELS,
    STATUS_LABELS,
    country_name,
)
from portal.urls import external_url

log = logging.getLogger(__name__)

TOKEN_BYTES = 32
# An alert nobody confirmed is forgotten after this, address and all.
UNCONFIRMED_TTL = timedelta(days=7)
# At most this many unconfirmed sign-ups per address a day: the form cannot be used to flood
# someone's inbox with confirmation emails. Further sign-ups are answered the same way, unsent.
MAX_UNCONFIRMED_PER_DAY = 3
# A sender that crashed mid-alert leaves its claim; after this another sender may take it.
STALE_CLAIM = timedelta(minutes=10)
# Appeals first published this long ago are still looked at (the notifications table stops
# repeats): a case the search index of the sending host learnt of late is still reported.
LOOKBACK = timedelta(days=2)
# After a publish, this many alerts at most are sent in the publisher's request; cron sends
# the rest, so a publish never waits on hundreds of emails.
INLINE_LIMIT = 20
INLINE_TIMEOUT = 5.0
# One email lists this many appeals; more are summed up with a link to the search.
MAX_LISTED = 20
# A run stops after this many failures in a row: the mail server is down, retry next run.
MAX_FAILURES_IN_A_ROW = 3
EMAIL_CONTEXT = "saved_search.email"


class EmptySearch(ValueError):
    """The search has nothing to match on: every new appeal would match it."""


class SignUpFailed(RuntimeError):
    """The confirmation email could not be sent; nothing was kept."""


def _settings() -> Settings:
    settings: Settings = current_app.extensions["portal_settings"]
    return settings


# ---------------------------------------------------------------------------
# Tokens, addresses and searches


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What is kept of a link's token: it has 256 random bits, so a plain hash suffices."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip()


def email_digest(cipher: TipCipher, email: str) -> str:
    """A keyed hash of the address, for finding repeats without being able to read it."""
    key = cipher.derived_key("recognise-alert-email-digest")
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def search_filters(args: Mapping[str, Any]) -> tuple[CaseFilters, dict[str, str]]:
    """The filters of a search page's arguments, and a message for each argument it refuses."""
    parsed = cases.parse_filters({key: str(value) for key, value in args.items()})
    errors = {k: v for k, v in parsed.errors.items() if k not in ("page", "per_page")}
    return parsed.filters, errors


def stored_args(filters: CaseFilters) -> dict[str, str]:
    """What is kept of a search: its canonical query arguments, not what the visitor typed."""
    return filters.as_args()


def _in_sentence(label: object) -> str:
    """A filter label (already in the page's language) as it reads mid-sentence: lower case,
    except in German, where nouns keep their capital."""
    text = str(label)
    return text if i18n.current_language() == "de" else text.lower()


def describe(filters: CaseFilters) -> str:
    """The search in plain words, in the current language: “tattoo, female, aged 25–35”."""
    parts: list[str] = []
    if filters.q:
        parts.append(_("“%(words)s”", words=filters.q))
    if filters.mark:
        parts.append(
            _(
                "with a %(mark)s",
                mark=_in_sentence(MARK_TYPE_LABELS.get(filters.mark, filters.mark)),
            )
        )
    if filters.location:
        label = REGION_LABELS.get(filters.location, filters.location)
        parts.append(_("on the %(place)s", place=_in_sentence(label)))
    if filters.sex:
        parts.append(_in_sentence(SEX_LABELS.get(filters.sex, filters.sex)))
    if filters.age_min is not None and filters.age_max is not None:
        if filters.age_min == filters.age_max:
            parts.append(_("aged %(age)s", age=filters.age_min))
        else:
            parts.append(_("aged %(low)s–%(high)s", low=filters.age_min, high=filters.age_max))
    if filters.country:
        parts.append(_("in %(country)s", country=country_name(filters.country)))
    if filters.year_from is not None and filters.year_to is not None:
        parts.append(_("from %(start)s to %(end)s", start=filters.year_from, end=filters.year_to))
    elif filters.year_from is not None:
        parts.append(_("from %(start)s on", start=filters.year_from))
    elif filters.year_to is not None:
        parts.append(_("up to %(end)s", end=filters.year_to))
    if filters.kind:
        parts.append(_in_sentence(KIND_LABELS.get(filters.kind, filters.kind)))
    if filters.status:
        parts.append(_in_sentence(STATUS_LABELS.get(filters.status, filters.status)))
    if filters.has_photo:
        parts.append(_("with images"))
    return str(_(", ").join(parts))


def _filters_of(alert: SavedSearch) -> CaseFilters:
    filters, _errors = search_filters(alert.search_args or {})
    return filters


# ---------------------------------------------------------------------------
# Mail


@contextmanager
def _url_context() -> Iterator[None]:
    """Links in emails are absolute: a request gives the host, else PORTAL_BASE_URL must."""
    if has_request_context():
        yield
        return
    if not current_app.config.get("PORTAL_BASE_URL"):
        raise MailError("PORTAL_BASE_URL is not set: alert emails need it for their links")
    # url_for needs a request to build paths; external_url puts PORTAL_BASE_URL before them.
    with current_app.test_request_context("/"):
        yield


def _unsubscribe_url(token: str, language: str) -> str:
    return external_url("alerts.unsubscribe", token=token, lang=language)


def _message(
    to: str, subject: str, body: str, unsubscribe: str | None, *, kind: str
) -> EmailMessage:
    settings = _settings()
    message = EmailMessage()
    try:
        message["Subject"] = subject
        message["From"] = settings.mail_from
        message["To"] = to
        message["Date"] = format_datetime(utcnow())
        message["Message-ID"] = make_msgid(kind, domain=mail.address_domain(settings.mail_from))
        message["Auto-Submitted"] = "auto-generated"
        if unsubscribe:
            # RFC 8058: mail programs show an unsubscribe button that POSTs to this address.
            message["List-Unsubscribe"] = f"<{unsubscribe}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    except (ValueError, TypeError) as exc:
        raise MailError(f"the message headers are not valid: {type(exc).__name__}") from None
    message.set_content(body)
    return message


def _send(message: EmailMessage, *, timeout: float = mail.DEFAULT_TIMEOUT) -> None:
    settings = _settings()
    try:
        envelope_from = mail.check_address(settings.mail_from, "PORTAL_MAIL_FROM")
    except mail.SmtpUrlError as exc:
        raise MailError(str(exc)) from None
    mail.send(settings.smtp_url, message, envelope_from=envelope_from, timeout=timeout)


# ---------------------------------------------------------------------------
# Signing up, confirming, unsubscribing


def subscribe(cipher: TipCipher, email: str, filters: CaseFilters, language: str) -> None:
    """Keep an unconfirmed alert and email its confirmation link.

    The outcome is the same whether or not the address has alerts already, so the answer
    says nothing about who uses the service. Raises EmptySearch, or SignUpFailed when the
    email cannot be sent (the alert is then not kept).
    """
    if not filters.active:
        raise EmptySearch()
    email = normalise_email(email)
    digest = email_digest(cipher, email)
    now = utcnow()
    recent = db.session.scalar(
        select(func.count())
        .select_from(SavedSearch)
        .where(
            SavedSearch.email_digest == digest,
            SavedSearch.confirmed_at.is_(None),
            SavedSearch.created_at > now - timedelta(days=1),
        )
    )
    if (recent or 0) >= MAX_UNCONFIRMED_PER_DAY:
        log.info("alert sign-up not sent: too many unconfirmed for one address today")
        return
    if language not in i18n.LANGUAGES:
        language = i18n.DEFAULT_LANGUAGE
    token = new_token()
    token_hash = token_digest(token)
    alert = SavedSearch(
        email_enc=cipher.encrypt_text(email, f"{EMAIL_CONTEXT}:{token_hash}"),
        email_digest=digest,
        search_args=stored_args(filters),
        language=language,
        token_digest=token_hash,
        created_at=now,
    )
    db.session.add(alert)
    db.session.commit()
    try:
        with _url_context(), force_locale(language):
            confirm_url = external_url("alerts.confirm", token=token, lang=language)
            # Someone who did not ask for it can say so at once, and the address is deleted.
            unsubscribe_url = _unsubscribe_url(token, language)
            subject = _("Confirm your search alert")
            body = render_template(
                "alerts/email/confirm.txt",
                description=describe(filters),
                confirm_url=confirm_url,
                unsubscribe_url=unsubscribe_url,
                days=UNCONFIRMED_TTL.days,
            )
            message = _message(email, subject, body, unsubscribe_url, kind="alert-confirm")
        _send(message)
    except MailError as exc:
        alert_id = alert.id
        db.session.delete(alert)
        db.session.commit()
        # The server's reason only: never the address.
        log.warning("alert %s: confirmation not sent: %s", alert_id, exc.reason)
        raise SignUpFailed(exc.reason) from None
    log.info("alert %s created, confirmation sent", alert.id)


def link_token(cipher: TipCipher, alert: SavedSearch) -> str:
    """The token of the unsubscribe links in alert emails: the same in every email, so an
    old email's link still works, and made again from the stored hash, so the random token
    (which only the confirmation email carried) is never kept."""
    key = cipher.derived_key("recognise-alert-link")
    mac = hmac.new(key, alert.token_digest.encode(), hashlib.sha256).hexdigest()
    return f"{alert.id}.{mac}"


def _by_token(token: str) -> SavedSearch | None:
    if not token or len(token) > 200:
        return None
    alert_id, dot, _mac = token.partition(".")
    if dot:
        number = parse_id(alert_id)
        if number is None:
            return None
        from portal.crypto import get_cipher

        alert = db.session.get(SavedSearch, number)
        if alert is None or not hmac.compare_digest(link_token(get_cipher(), alert), token):
            return None
        return alert
    return db.session.scalar(
        select(SavedSearch).where(SavedSearch.token_digest == token_digest(token))
    )


def _expired(alert: SavedSearch, now: datetime) -> bool:
    return alert.confirmed_at is None and as_utc(alert.created_at) < now - UNCONFIRMED_TTL


def find(token: str, now: datetime | None = None) -> SavedSearch | None:
    """The alert a link's token names, unless it expired unconfirmed."""
    alert = _by_token(token)
    if alert is None or _expired(alert, now or utcnow()):
        return None
    return alert


def describe_alert(alert: SavedSearch) -> str:
    return describe(_filters_of(alert))


def confirm(token: str, now: datetime | None = None) -> SavedSearch | None:
    """Turn the alert on; None if the token is unknown or expired.

    Confirming the same search for the same address twice keeps one alert: the new one is
    dropped and the earlier, already confirmed, one stays.
    """
    moment = now or utcnow()
    alert = find(token, moment)
    if alert is None:
        return None
    if alert.confirmed_at is not None:
        return alert
    twins = db.session.scalars(
        select(SavedSearch)
        .where(
            SavedSearch.email_digest == alert.email_digest,
            SavedSearch.confirmed_at.is_not(None),
            SavedSearch.id != alert.id,
        )
        .order_by(SavedSearch.id)
    )
    twin = next((t for t in twins if t.search_args == alert.search_args), None)
    if twin is not None:
        db.session.delete(alert)
        db.session.commit()
        log.info("alert %s confirmed as a repeat of alert %s", alert.id, twin.id)
        return twin
    alert.confirmed_at = moment
    # Appeals published from now on are news to this alert.
    alert.checked_at = moment
    db.session.commit()
    log.info("alert %s confirmed", alert.id)
    return alert


def unsubscribe(token: str) -> bool:
    """Delete the alert the token names, address and history with it; False if there is none."""
    alert = _by_token(token)
    if alert is None:
        return False
    alert_id = alert.id
    db.session.delete(alert)
    db.session.commit()
    log.info("alert %s unsubscribed and deleted", alert_id)
    return True


def purge_unconfirmed(now: datetime | None = None) -> int:
    """Delete alerts nobody confirmed in time; returns how many."""
    cutoff = (now or utcnow()) - UNCONFIRMED_TTL
    result = cast(
        "CursorResult[Any]",
        db.session.execute(
            delete(SavedSearch)
            .where(SavedSearch.confirmed_at.is_(None), SavedSearch.created_at < cutoff)
            .execution_options(synchronize_session=False)
        ),
    )
    db.session.commit()
    return int(result.rowcount or 0)


# ---------------------------------------------------------------------------
# Telling alerts of new appeals


@dataclass(frozen=True)
class SendReport:
    checked: int  # alerts looked at
    emails: int  # emails sent
    appeals: int  # appeals reported in them
    failed: int  # alerts whose email failed: retried next run
    purged: int = 0


def _claim(alert_id: int, now: datetime) -> bool:
    """Take the alert for this sender; False if another sender has it."""
    taken = cast(
        "CursorResult[Any]",
        db.session.execute(
            update(SavedSearch)
            .where(
                SavedSearch.id == alert_id,
                SavedSearch.confirmed_at.is_not(None),
                or_(SavedSearch.claimed_at.is_(None), SavedSearch.claimed_at < now - STALE_CLAIM),
            )
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    db.session.commit()
    return taken.rowcount == 1


def _release(alert_id: int, checked_at: datetime | None = None) -> None:
    values: dict[str, Any] = {"claimed_at": None}
    if checked_at is not None:
        values["checked_at"] = checked_at
    db.session.execute(
        update(SavedSearch)
        .where(SavedSearch.id == alert_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _new_appeals(alert: SavedSearch, now: datetime) -> list[int]:
    """Appeals first published since the alert last looked (or within LOOKBACK), not told yet."""
    since = as_utc(alert.checked_at or alert.confirmed_at or alert.created_at)
    since = min(since, now - LOOKBACK)
    since = max(since, as_utc(alert.created_at))
    told = select(AlertNotification.case_id).where(AlertNotification.saved_search_id == alert.id)
    return list(
        db.session.scalars(
            select(Case.id)
            .where(
                Case.status == CaseStatus.PUBLISHED,
                Case.first_published_at >= since,
                Case.first_published_at <= now,
                Case.id.not_in(told),
            )
            .order_by(Case.first_published_at, Case.id)
        )
    )


def _appeals_message(
    cipher: TipCipher, alert: SavedSearch, token: str, found: list[PublicCase]
) -> EmailMessage:
    email = cipher.decrypt_text(alert.email_enc, f"{EMAIL_CONTEXT}:{alert.token_digest}")
    filters = _filters_of(alert)
    language = alert.language
    with _url_context(), force_locale(language):
        listed = [
            (case, external_url("public.case_detail", case_id=case.id, lang=language))
            for case in found[:MAX_LISTED]
        ]
        unsubscribe_url = _unsubscribe_url(token, language)
        if len(found) == 1:
            subject = _("New appeal matching your search: %(title)s", title=found[0].title)
        else:
            subject = _("%(count)s new appeals match your search", count=len(found))
        body = render_template(
            "alerts/email/matches.txt",
            description=describe(filters),
            listed=listed,
            more=len(found) - len(listed),
            search_url=external_url("public.search_page", lang=language, **stored_args(filters)),
            unsubscribe_url=unsubscribe_url,
        )
        return _message(email, " ".join(subject.split()), body, unsubscribe_url, kind="alert")


def _process(
    cipher: TipCipher, alert_id: int, now: datetime, timeout: float
) -> tuple[int, bool | None]:
    """(appeals reported, whether an email went: None if it failed and waits for a retry)."""
    if not _claim(alert_id, now):
        return 0, False  # another sender has it
    alert = db.session.get(SavedSearch, alert_id)
    if alert is None:
        return 0, False  # unsubscribed meanwhile
    try:
        candidates = _new_appeals(alert, now)
        matched = search_service.matching_case_ids(_filters_of(alert), candidates)
        if not matched:
            _release(alert_id, checked_at=now)
            return 0, False
        db_ids: dict[str, int] = {
            public_id: case_id
            for public_id, case_id in db.session.execute(
                select(Case.public_id, Case.id).where(Case.id.in_(matched))
            )
        }
        found = search_service.public_cases([i for i in candidates if i in matched])
        if not found:
            _release(alert_id, checked_at=now)
            return 0, False
        message = _appeals_message(cipher, alert, link_token(cipher, alert), found)
        _send(message, timeout=timeout)
    except MailError as exc:
        db.session.rollback()
        _release(alert_id)
        log.warning("alert %s: email not sent, retried next run: %s", alert_id, exc.reason)
        return 0, None
    except Exception:
        db.session.rollback()
        _release(alert_id)
        raise
    # Recorded once the server took the email. A crash in between leaves the claim to go
    # stale and the email to be sent again: a rare repeat rather than a lost appeal.
    for view in found:
        db.session.add(
            AlertNotification(saved_search_id=alert_id, case_id=db_ids[view.id], sent_at=now)
        )
    alert.checked_at = now
    alert.claimed_at = None
    db.session.commit()
    log.info("alert %s: told of %d new appeal(s)", alert_id, len(found))
    return len(found), True


def send_alerts(
    cipher: TipCipher,
    *,
    now: datetime | None = None,
    limit: int | None = None,
    timeout: float = mail.DEFAULT_TIMEOUT,
) -> SendReport:
    """Email every confirmed alert the appeals published since it last looked that match it.

    Safe to run from several places at once (cron, after a publish): each alert is claimed by
    one sender. An alert whose email fails keeps its appeals for the next run.
    """
    moment = now or utcnow()
    # This host's index must know of the newest appeals before they are matched.
    search.catch_up(force=True)
    recent = db.session.scalar(
        select(func.count())
        .select_from(Case)
        .where(
            Case.status == CaseStatus.PUBLISHED, Case.first_published_at >= _oldest_window(moment)
        )
    )
    if not recent:
        return SendReport(0, 0, 0, 0)
    query = (
        select(SavedSearch.id)
        .where(SavedSearch.confirmed_at.is_not(None))
        .order_by(SavedSearch.checked_at, SavedSearch.id)
    )
    if limit is not None:
        query = query.limit(limit)
    ids = list(db.session.scalars(query))
    checked = emails = appeals = failed = in_a_row = 0
    for alert_id in ids:
        checked += 1
        told, sent = _process(cipher, alert_id, moment, timeout)
        if sent is None:
            failed += 1
            in_a_row += 1
            if in_a_row >= MAX_FAILURES_IN_A_ROW:
                log.warning("alerts: mail failing, the rest wait for the next run")
                break
            continue
        in_a_row = 0
        if sent:
            emails += 1
            appeals += told
    return SendReport(checked, emails, appeals, failed)


def _oldest_window(now: datetime) -> datetime:
    """The earliest publication any alert may still be waiting to hear of."""
    oldest = db.session.scalar(
        select(func.min(SavedSearch.checked_at)).where(SavedSearch.confirmed_at.is_not(None))
    )
    return min(as_utc(oldest), now - LOOKBACK) if oldest is not None else now - LOOKBACK


def after_publish(case_ids: list[int]) -> None:
    """Best effort, right after appeals went public: tell the first alerts now.

    Never fails the publish: a mail server that is down, or anything else, leaves the work to
    `flask alerts send`, which cron runs every few minutes.
    """
    if not case_ids:
        return
    try:
        from portal.crypto import get_cipher

        published = db.session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.id.in_(case_ids), Case.status == CaseStatus.PUBLISHED)
        )
        # End the read's transaction: the caller has committed, and an open one would hold
        # locks (and a pooled connection) until the request ends.
        db.session.commit()
        if not published or not _settings().smtp_url:
            return
        send_alerts(get_cipher(), limit=INLINE_LIMIT, timeout=INLINE_TIMEOUT)
    except Exception as exc:
        db.session.rollback()
        log.warning("alerts after publishing left to the next run: %s", type(exc).__name__)
