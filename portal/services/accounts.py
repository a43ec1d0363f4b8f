"""Staff accounts: creation, password and TOTP checks, throttling and the audit log."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from portal.crypto import TipCipher
from portal.extensions import db
from portal.models import Agency, AuditEvent, Role, User
from portal.models.base import as_utc, utcnow

MIN_PASSWORD_LENGTH = 12
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
TOTP_ISSUER = "Recognise"
# One message for every failure, so an attacker learns nothing about which part was wrong.
SIGN_IN_FAILED = "Email, password or code is wrong"

_hasher = PasswordHasher()
# Compared against when the email is unknown, so both paths take an argon2 verification.
_DUMMY_HASH = _hasher.hash("not a real password, only for constant time")


class AccountError(ValueError):
    """The account cannot be created as asked."""


@dataclass(frozen=True)
class NewAccount:
    user: User
    provisioning_uri: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _totp_context(user_id: int) -> str:
    return f"totp:user:{user_id}"


def totp_secret(cipher: TipCipher, user: User) -> str:
    return cipher.decrypt_text(user.totp_secret_enc, _totp_context(user.id))


def audit(
    action: str,
    *,
    actor: User | None = None,
    target_type: str | None = None,
    target_id: int | str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit writes it with the change."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        details=details or {},
    )
    db.session.add(event)
    return event


def create_user(
    cipher: TipCipher,
    email: str,
    password: str,
    role: Role,
    agency_code: str | None = None,
    *,
    actor: User | None = None,
) -> NewAccount:
    """Create an account and return it with the provisioning URI (shown once)."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("Enter an email address like name@example.org.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"An account for {email} already exists.")
    agency = None
    if agency_code:
        agency = db.session.scalar(select(Agency).where(Agency.code == agency_code))
        if agency is None:
            raise AccountError(f"There is no agency with the code {agency_code}.")
    elif role is Role.PUBLISHER:
        raise AccountError("A publisher must belong to an agency (--agency CODE).")
    secret = pyotp.random_base32()
    user = User(
        email=email,
        password_hash=_hasher.hash(password),
        totp_secret_enc=b"",
        role=role,
        agency=agency,
        active=True,
        last_totp_step=0,
        failed_logins=0,
        session_version=1,
    )
    db.session.add(user)
    db.session.flush()  # the id binds the secret's ciphertext to this account
    user.totp_secret_enc = cipher.encrypt_text(secret, _totp_context(user.id))
    audit(
        "account.create",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={"role": role.value, "agency": agency_code},
    )
    db.session.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)
    return NewAccount(user=user, provisioning_uri=uri)


def is_locked(user: User, now: datetime | None = None) -> bool:
    locked_until = as_utc(user.locked_until)
    return locked_until is not None and locked_until > (now or utcnow())


def _record_failure(user: User | None, step: str) -> None:
    if user is not None:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = utcnow() + LOCKOUT
            user.failed_logins = 0
            audit("signin.locked", target_type="user", target_id=user.id)
    audit(
        "signin.failure",
        target_type="user" if user is not None else None,
        target_id=user.id if user is not None else None,
        details={"step": step},
    )
    db.session.commit()


def authenticate_password(email: str, password: str) -> User | None:
    """The account if the password is right and it may sign in; None otherwise (audited)."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    try:
        _hasher.verify(user.password_hash if user is not None else _DUMMY_HASH, password)
        matches = user is not None
    except (VerificationError, InvalidHashError):
        matches = False
    if user is None or not user.active or is_locked(user) or not matches:
        # A locked account's failures do not extend the lock: it ends when it says.
        _record_failure(user if user is not None and not is_locked(user) else None, "password")
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        db.session.commit()
    return user


def verify_totp(cipher: TipCipher, user: User, code: str, at: float | None = None) -> bool:
    """Check a code (one step of drift either way) and refuse any step already used."""
    code = "".join(ch for ch in code if ch.isdigit())
    now = time.time() if at is None else at
    if not user.active or is_locked(user) or len(code) != 6:
        _record_failure(user if not is_locked(user) else None, "code")
        return False
    totp = pyotp.TOTP(totp_secret(cipher, user))
    current = int(now) // totp.interval
    for step in (current - 1, current, current + 1):
        if step > user.last_totp_step and totp.verify(code, for_time=step * totp.interval):
            user.last_totp_step = step
            user.failed_logins = 0
            user.locked_until = None
            audit("signin.success", actor=user, target_type="user", target_id=user.id)
            db.session.commit()
            return True
    _record_failure(user, "code")
    return False


def end_sessions(user: User) -> None:
    """Sign this account out everywhere: every session carries the old version."""
    user.session_version += 1
    audit("signout", actor=user, target_type="user", target_id=user.id)
    db.session.commit()


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))
