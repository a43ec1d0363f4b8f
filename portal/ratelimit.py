"""Per-client rate limits keyed on a salted hash of the address, with a salt that rotates daily."""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from datetime import UTC, datetime

from flask import Flask, current_app, request
from flask_limiter import Limiter

log = logging.getLogger(__name__)

SALT_TTL_SECONDS = 2 * 24 * 3600
SALT_KEY = "recognise:rate-limit-salt:"


class RotatingSalt:
    """A random salt per UTC day, shared through Redis when there is one, else per process.

    The salt is random and forgotten after two days, so a stored rate-limit key can never be
    turned back into an address, not even by someone who holds the portal's secrets.
    """

    def __init__(self, redis_url: str | None) -> None:
        self.redis_url = redis_url
        self._lock = threading.Lock()
        self._day = ""
        self._salt = b""
        self._client: object | None = None

    def _shared(self, day: str) -> bytes | None:
        if not self.redis_url:
            return None
        try:
            import redis

            if self._client is None:
                self._client = redis.Redis.from_url(self.redis_url, socket_timeout=1)
            client: redis.Redis = self._client  # type: ignore[assignment]
            # The first process of the day chooses the salt; the others read it.
            client.set(SALT_KEY + day, secrets.token_bytes(32), nx=True, ex=SALT_TTL_SECONDS)
            value = client.get(SALT_KEY + day)
        except Exception as exc:
            log.warning("rate-limit salt not shared (Redis unreachable): %s", type(exc).__name__)
            return None
        return value if isinstance(value, bytes) else None

    def current(self) -> bytes:
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        with self._lock:
            if day != self._day or not self._salt:
                self._salt = self._shared(day) or secrets.token_bytes(32)
                self._day = day
            return self._salt


def client_key() -> str:
    """The rate-limit key of this request's client: never the address itself."""
    salt: RotatingSalt = current_app.extensions["rate_limit_salt"]
    address = (request.remote_addr or "unknown").encode()
    return hashlib.blake2b(address, key=salt.current(), digest_size=16).hexdigest()


limiter = Limiter(key_func=client_key, default_limits=[])


def init_app(app: Flask) -> None:
    redis_url = app.config.get("PORTAL_REDIS_URL")
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "recognise")
    # A Redis outage must not stop tips: limits fall back to each process's memory.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    app.extensions["rate_limit_salt"] = RotatingSalt(redis_url)
    limiter.init_app(app)
