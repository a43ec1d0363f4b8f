"""Typed, frozen settings read from PORTAL_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"
# Only used outside production: a fixed key keeps sessions valid across restarts of `make run`.
DEVELOPMENT_SECRET_KEY = "recognise-development-key-not-for-production"  # noqa: S105 - refused in production


class ConfigError(RuntimeError):
    """The environment does not describe a portal that can start."""


@dataclass(frozen=True)
class Settings:
    """Everything the portal reads from its environment, resolved once at start."""

    env: str = "development"
    secret_key: str = DEVELOPMENT_SECRET_KEY
    database_url: str = f"sqlite:///{DEFAULT_INSTANCE / 'recognise.db'}"
    media_url: str = f"file://{DEFAULT_INSTANCE / 'media'}"
    s3_endpoint_url: str | None = None
    search_dir: str = str(DEFAULT_INSTANCE / "search")
    redis_url: str | None = None
    smtp_url: str | None = None
    # The From of forwarded tips; its domain also names their Message-IDs.
    mail_from: str = "Recognise <no-reply@localhost>"
    tip_encryption_key: str | None = None
    base_url: str | None = None
    site_name: str = "Recognise"
    per_page: int = 20
    # Per client (a salted hash of the address), as Flask-Limiter reads it.
    tip_rate_limit: str = "10 per minute;60 per hour"
    # A person needs more than this to fill the form; bots post at once.
    tip_min_seconds: int = 3
    # How many proxies (load balancer, CDN) set X-Forwarded-For in front of the portal.
    proxy_hops: int = 0
    testing: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `environ` (default: the process environment)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(f"PORTAL_{name}", "").strip()
            return value or None

        defaults = cls()

        def get_int(name: str, default: int) -> int:
            raw = get(name)
            try:
                return int(raw) if raw else default
            except ValueError as exc:
                raise ConfigError(f"PORTAL_{name} must be a whole number, not {raw!r}") from exc

        settings = cls(
            env=get("ENV") or defaults.env,
            secret_key=get("SECRET_KEY") or defaults.secret_key,
            database_url=get("DATABASE_URL") or defaults.database_url,
            media_url=get("MEDIA_URL") or defaults.media_url,
            s3_endpoint_url=get("S3_ENDPOINT_URL"),
            search_dir=get("SEARCH_DIR") or defaults.search_dir,
            redis_url=get("REDIS_URL"),
            smtp_url=get("SMTP_URL"),
            mail_from=get("MAIL_FROM") or defaults.mail_from,
            tip_encryption_key=get("TIP_ENCRYPTION_KEY"),
            base_url=(get("BASE_URL") or "").rstrip("/") or None,
            site_name=get("SITE_NAME") or defaults.site_name,
            per_page=get_int("PER_PAGE", defaults.per_page),
            tip_rate_limit=get("TIP_RATE_LIMIT") or defaults.tip_rate_limit,
            tip_min_seconds=get_int("TIP_MIN_SECONDS", defaults.tip_min_seconds),
            proxy_hops=get_int("PROXY_HOPS", defaults.proxy_hops),
        )
        settings.check()
        return settings

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def check(self) -> None:
        """Refuse settings that would be unsafe to serve with."""
        if self.env not in {"development", "production", "test"}:
            raise ConfigError("PORTAL_ENV must be development, production or test")
        if self.is_production and (
            self.secret_key == DEVELOPMENT_SECRET_KEY or len(self.secret_key) < 32
        ):
            raise ConfigError(
                "PORTAL_SECRET_KEY must be set to a random value of at least 32 characters in "
                "production (for example: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        if self.is_production and not self.tip_encryption_key:
            raise ConfigError(
                "PORTAL_TIP_ENCRYPTION_KEY must be set in production: tips are encrypted at rest "
                "(make a key with: flask tips new-key)"
            )
        if self.tip_encryption_key:
            from portal.crypto import TipCipher, TipKeyError

            try:
                TipCipher.from_setting(self.tip_encryption_key)
            except TipKeyError as exc:
                raise ConfigError(str(exc)) from exc
        if not 1 <= self.per_page <= 100:
            raise ConfigError("PORTAL_PER_PAGE must be between 1 and 100")
        if not 0 <= self.tip_min_seconds <= 60:
            raise ConfigError("PORTAL_TIP_MIN_SECONDS must be between 0 and 60")
        if not 0 <= self.proxy_hops <= 5:
            raise ConfigError("PORTAL_PROXY_HOPS must be between 0 and 5")
        from portal.mail import SmtpUrlError, check_address, parse_smtp_url

        try:
            if self.smtp_url:
                parse_smtp_url(self.smtp_url)
            check_address(self.mail_from, "PORTAL_MAIL_FROM")
        except SmtpUrlError as exc:
            # Not chained: the URL underneath may hold the mail password.
            raise ConfigError(str(exc)) from None
        from limits import parse_many

        try:
            parse_many(self.tip_rate_limit)
        except ValueError as exc:
            raise ConfigError(
                "PORTAL_TIP_RATE_LIMIT must look like '10 per minute;60 per hour'"
            ) from exc

    def flask_config(self) -> dict[str, Any]:
        """The Flask config mapping these settings stand for."""
        config: dict[str, Any] = {f"PORTAL_{k.upper()}": v for k, v in asdict(self).items()}
        config.update(
            SECRET_KEY=self.secret_key,
            SQLALCHEMY_DATABASE_URI=self.database_url,
            SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
            TESTING=self.testing,
            # Records and tips are uploaded through forms; anything larger is refused with 413.
            MAX_CONTENT_LENGTH=32 * 1024 * 1024,
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            SESSION_COOKIE_SECURE=self.is_production,
            # Staff sign in every time: there is no remember-me, and its cookie is never set.
            REMEMBER_COOKIE_HTTPONLY=True,
            REMEMBER_COOKIE_SECURE=self.is_production,
            REMEMBER_COOKIE_SAMESITE="Lax",
            PREFERRED_URL_SCHEME="https" if self.is_production else "http",
        )
        return config
