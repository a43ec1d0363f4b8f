"""Security headers on every response, staff role checks, and safe redirects."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Request, Response, abort, request, session
from flask.typing import ResponseReturnValue
from werkzeug.routing import IntegerConverter, Map

if TYPE_CHECKING:
    from portal.models import Role

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def register(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def is_safe_redirect(target: str | None) -> bool:
    """Only same-site relative paths: never another host, scheme or a protocol-relative URL."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    # Browsers drop tabs and newlines from URLs ("/\t/evil" is "//evil"), and a line break in a
    # Location header is refused by Werkzeug with a 500: no control character is ever safe.
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


def require_roles(blueprint: Blueprint, *roles: Role, public: Collection[str] = ()) -> None:
    """Lock every view of `blueprint` to signed-in staff with one of `roles`.

    Blueprint-wide, so a view added later is locked without anyone remembering to; `public`
    names the endpoints that are the explicit exceptions.
    """
    allowed = frozenset(roles)

    @blueprint.before_request
    def _check_role() -> ResponseReturnValue | None:
        if request.endpoint in public:
            return None
        from flask_login import current_user

        from portal.auth import login_redirect

        if not current_user.is_authenticated:
            return login_redirect()
        if current_user.role not in allowed:
            abort(403)
        return None

    @blueprint.after_request
    def _private(response: Response) -> Response:
        # Staff pages show who is signed in and what they may see: no cache may keep them.
        response.headers["Cache-Control"] = "no-store"
        return response


class DatabaseId(IntegerConverter):
    """Flask's <int:...>, bounded to what an integer column holds (PostgreSQL's int4)."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int = 1, max: int = 2**31 - 1):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max)


MAX_ID = 2**31 - 1


def parse_id(value: str | None) -> int | None:
    """A row id typed into a form or query string, or None if it cannot be one."""
    if not value or not value.isascii() or not value.isdecimal() or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


class PortalRequest(Request):
    """Flask's request, minus multipart parts that have no field name.

    Werkzeug files such parts under the key None, and extensions that expect string keys
    (Flask-WTF's CSRF check) fail on it with a 500. No form of ours has a nameless field.
    """

    def _load_form_data(self) -> None:
        super()._load_form_data()
        for attribute in ("form", "files"):
            data = self.__dict__.get(attribute)
            if data is not None and None in data:
                self.__dict__[attribute] = type(data)(
                    (key, value) for key, value in data.items(multi=True) if key is not None
                )


def fresh_session_entry(key: str, max_age: float, now: float) -> dict[str, Any] | None:
    """session[key] if it is a dict stamped "at" less than `max_age` seconds before `now`.

    A stale or malformed entry is removed, so an abandoned step cannot be resumed later.
    """
    entry = session.get(key)
    if not isinstance(entry, dict):
        return None
    stamped = entry.get("at")
    if not isinstance(stamped, int | float) or now - stamped > max_age:
        session.pop(key, None)
        return None
    return entry


def _session_used() -> bool:
    """Whether building this response read or wrote the session.

    Read from the request context itself: Flask 3.1 marks the session accessed whenever the
    `session` proxy is touched, so asking the proxy would itself count as a use.
    """
    from flask.globals import request_ctx

    opened = request_ctx._session  # private, on purpose: see the docstring
    return opened is not None and bool(opened.accessed or opened.modified)


# How long a shared cache (a CDN in front of the portal) may serve a public page unchecked.
PUBLIC_MAX_AGE = 60


def cache_publicly(blueprint: Blueprint, *, skip: Collection[str] = ()) -> None:
    """Let browsers and CDNs keep this blueprint's pages briefly, and revalidate with ETags.

    Only a plain GET answered 200 whose building never touched the session: a page with a
    CSRF token or anything personal read the session, so it is never marked public.
    """

    @blueprint.after_request
    def _public(response: Response) -> Response:
        if (
            request.method not in {"GET", "HEAD"}
            or response.status_code != 200
            or request.endpoint in skip
            or "Cache-Control" in response.headers
            or _session_used()
            or response.direct_passthrough
        ):
            return response
        response.cache_control.public = True
        response.cache_control.max_age = PUBLIC_MAX_AGE
        if response.get_etag() == (None, None):
            response.add_etag()
        # A client or CDN holding this version gets 304 and no body.
        response.make_conditional(request)
        return response
