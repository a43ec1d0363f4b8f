"""Staff accounts: creation, changes by admins, password and TOTP checks and the audit log."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

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
# Letters and digits nobody misreads when a password is read out or copied from a screen.
_READABLE_CHARACTERS = "abcdefghjkmnpqrstuvwxyz23456789"

_hasher = PasswordHasher()
# Compared against when the email is unknown, so both paths take an argon2 verification.
_DUMMY_HASH = _hasher.hash("not a real password, only for constant time")


class AccountError(ValueError):
    """The account cannot be created or changed as asked; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewAccount:
    user: User
    provisioning_uri: str


@dataclass(frozen=True)
class NewSecondFactor:
    """A fresh TOTP secret for an account, shown to its owner once."""

    provisioning_uri: str
    secret: str

    @property
    def secret_groups(self) -> str:
        """The secret in groups of four, as people type it into an app by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _totp_context(user_id: int) -> str:
    return f"totp:user:{user_id}"


def totp_secret(cipher: TipCipher, user: User) -> str:
    return cipher.decrypt_text(user.totp_secret_enc, _totp_context(user.id))


def provisioning_uri(email: str, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def secret_from_uri(uri: str) -> str:
    """The base32 secret a provisioning URI carries."""
    return str(pyotp.parse_uri(uri).secret)


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


def generate_password() -> str:
    """A temporary password like ``k7mq2-px9dh-...``: about 98 bits, easy to type."""
    groups = ("".join(secrets.choice(_READABLE_CHARACTERS) for _ in range(5)) for _ in range(4))
    return "-".join(groups)


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
        raise AccountError("Enter an email address like name@example.org.", "email")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.", "password"
        )
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"An account for {email} already exists.", "email")
    agency = _agency_for(role, agency_code)
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
    try:
        db.session.flush()  # the id binds the secret's ciphertext to this account
    except IntegrityError:
        # Another request created the same email between the check above and now.
        db.session.rollback()
        raise AccountError(f"An account for {email} already exists.", "email") from None
    user.totp_secret_enc = cipher.encrypt_text(secret, _totp_context(user.id))
    audit(
        "account.create",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={"role": role.value, "agency": agency_code},
    )
    db.session.commit()
    return NewAccount(user=user, provisioning_uri=provisioning_uri(email, secret))


def _agency_for(role: Role, agency_code: str | None) -> Agency | None:
    """The agency an account of `role` would belong to; publishers must have one."""
    if agency_code:
        agency = db.session.scalar(select(Agency).where(Agency.code == agency_code))
        if agency is None:
            raise AccountError(f"There is no agency with the code {agency_code}.", "agency")
        return agency
    if role is Role.PUBLISHER:
        raise AccountError(
            "A publisher must belong to an agency: choose the agency they work for.", "agency"
        )
    return None


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


# ---------------------------------------------------------------------------
# Changes made by administrators


# The largest id an INTEGER column holds: a larger one in a URL is unknown, not a database error.
MAX_ROW_ID = 2**31 - 1


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id) if 0 < user_id <= MAX_ROW_ID else None


def _agency_code(user: User) -> str | None:
    return user.agency.code if user.agency is not None else None


def _refuse_losing_an_admin(user: User, actor: User | None, change: str, field: str) -> None:
    """Refuse a change that takes an active admin away from `user`: never oneself, never the last.

    The active admins' rows are locked (PostgreSQL), so two admins removing each other at the
    same moment cannot both succeed and leave nobody to manage accounts.
    """
    if not (user.active and user.role is Role.ADMIN):
        return
    if actor is not None and actor.id == user.id:
        raise AccountError(
            f"You cannot {change} your own account. Ask another administrator.", field
        )
    admins = db.session.scalars(
        select(User.id).where(User.role == Role.ADMIN, User.active.is_(True)).with_for_update()
    ).all()
    if set(admins) <= {user.id}:
        raise AccountError(
            f"You cannot {change} the last active administrator. Make someone else an "
            "administrator first.",
            field,
        )


def update_account(user: User, role: Role, agency_code: str | None, *, actor: User | None) -> bool:
    """Change an account's role and agency; False if both were already so (nothing audited)."""
    agency = _agency_for(role, agency_code)
    before = {"role": user.role.value, "agency": _agency_code(user)}
    after = {"role": role.value, "agency": agency.code if agency is not None else None}
    if before == after:
        return False
    if role is not Role.ADMIN:
        _refuse_losing_an_admin(user, actor, "remove the administrator role from", "role")
    changed = [key for key in before if before[key] != after[key]]
    user.role = role
    user.agency = agency
    audit(
        "account.update",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={
            "from": {key: before[key] for key in changed},
            "to": {key: after[key] for key in changed},
        },
    )
    db.session.commit()
    return True


def deactivate(user: User, *, actor: User | None) -> bool:
    """Stop an account signing in and end its sessions; False if it already was inactive."""
    if not user.active:
        return False
    _refuse_losing_an_admin(user, actor, "deactivate", "deactivate")
    user.active = False
    # Sessions are refused for inactive accounts anyway; a new version also voids any copy
    # of a session cookie should the account be reactivated.
    user.session_version += 1
    audit(
        "account.deactivate",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={"from": "active", "to": "deactivated"},
    )
    db.session.commit()
    return True


def reactivate(user: User, *, actor: User | None) -> bool:
    """Let a deactivated account sign in again; False if it was active."""
    if user.active:
        return False
    user.active = True
    audit(
        "account.reactivate",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={"from": "deactivated", "to": "active"},
    )
    db.session.commit()
    return True


def reset_second_factor(cipher: TipCipher, user: User, *, actor: User | None) -> NewSecondFactor:
    """A new TOTP secret for a lost or exposed authenticator; ends the account's sessions."""
    secret = pyotp.random_base32()
    user.totp_secret_enc = cipher.encrypt_text(secret, _totp_context(user.id))
    # Steps are counted per secret: the new one starts from nothing.
    user.last_totp_step = 0
    # Whoever holds the old authenticator may be signed in with it.
    user.session_version += 1
    audit(
        "account.reset_2fa",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={"from": "previous secret", "to": "new secret"},
    )
    db.session.commit()
    return NewSecondFactor(provisioning_uri=provisioning_uri(user.email, secret), secret=secret)


def unlock(user: User, *, actor: User | None) -> bool:
    """Clear the lock and the failure count after too many failures; False if neither was set."""
    locked_until = as_utc(user.locked_until)
    if locked_until is None and user.failed_logins == 0:
        return False
    audit(
        "account.unlock",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={
            "from": {
                "locked_until": locked_until.isoformat() if locked_until else None,
                "failed_logins": user.failed_logins,
            },
            "to": {"locked_until": None, "failed_logins": 0},
        },
    )
    user.locked_until = None
    user.failed_logins = 0
    db.session.commit()
    return True
