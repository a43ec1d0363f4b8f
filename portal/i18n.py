"""Languages of the public side: choosing one, keeping it in links and a cookie, and Babel."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from babel import Locale
from flask import Flask, g, has_request_context, request
from flask_babel import Babel
from flask_babel import get_locale as _babel_locale
from flask_babel import gettext as _gettext
from werkzeug.wrappers import Response

from portal.config import PROJECT_ROOT

# The public interface's languages, each named in itself (a switcher is read by people who
# do not read the current language). English is the source language of every message.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "nl": "Nederlands",
    "de": "Deutsch",
    "es": "Español",
    "it": "Italiano",
}
DEFAULT_LANGUAGE = "en"
QUERY_ARG = "lang"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS_DIR = PROJECT_ROOT / "portal" / "translations"

# Staff pages stay in English: moderators and publishers share one working language, and a
# half-translated admin screen would help no one.
PUBLIC_BLUEPRINTS = frozenset({"public", "tips", "alerts"})
# Endpoints whose links carry the chosen language: pages people read, not files or data.
_UNLOCALISED_ENDPOINTS = frozenset(
    {
        "static",
        "public.media",
        "public.healthz",
        "public.robots",
        "public.sitemap",
        "public.language",
    }
)


def _(message: str, **values: Any) -> str:
    """gettext with a type: the message in the page's language, %(name)s filled in."""
    return str(_gettext(message, **values))


def get_locale() -> Locale | None:
    locale = _babel_locale()
    return locale if isinstance(locale, Locale) else None


def _is_public() -> bool:
    return request.blueprint in PUBLIC_BLUEPRINTS


def language_from_url() -> str | None:
    """The language asked for in the query string, if it is one we have."""
    value = request.args.get(QUERY_ARG, "")
    return value if value in LANGUAGES else None


def language_from_cookie() -> str | None:
    value = request.cookies.get(COOKIE, "")
    return value if value in LANGUAGES else None


def select_locale() -> str:
    """URL first (a shared link shows what the sharer saw), then the visitor's earlier choice,
    then what their browser asks for, then English."""
    if not has_request_context() or not _is_public():
        return DEFAULT_LANGUAGE
    return (
        chosen_language()
        or request.accept_languages.best_match(list(LANGUAGES))
        or DEFAULT_LANGUAGE
    )


def current_language() -> str:
    """The two-letter code of the language the current page is in."""
    locale = get_locale() if has_request_context() else None
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def chosen_language() -> str | None:
    """The language the visitor chose explicitly (in the URL or earlier, in the cookie)."""
    if not has_request_context() or not _is_public():
        return None
    return language_from_url() or language_from_cookie()


def _keep_language(endpoint: str, values: dict[str, Any]) -> None:
    # Links from a page in a chosen language stay in it: the language travels in the URL, so a
    # CDN keys each language on the address alone and a copied link opens in the same language.
    if QUERY_ARG in values or endpoint in _UNLOCALISED_ENDPOINTS:
        return
    if not endpoint.startswith(("public.", "tips.", "alerts.")):
        return
    language = url_language()
    if language:
        values[QUERY_ARG] = language


_UNSET = object()


def url_language() -> str | None:
    """The language links on this page carry: the visitor's explicit choice, if any."""
    if not has_request_context():
        return None
    found = g.get("url_language", _UNSET)
    if found is _UNSET:
        found = g.url_language = chosen_language()
    return found if isinstance(found, str) else None


def in_language(path: str, language: str) -> str:
    """A same-site path with its language set to `language` (any earlier one replaced)."""
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != QUERY_ARG]
    query.append((QUERY_ARG, language))
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def remember_language(response: Response, language: str) -> Response:
    """Keep the visitor's choice for the pages they open later without a language in the URL."""
    response.set_cookie(
        COOKIE,
        language,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        secure=request.is_secure,
        httponly=True,
    )
    return response


def _vary(response: Response) -> Response:
    if not has_request_context() or not _is_public():
        return response
    if not language_from_url():
        # Without a language in the URL the page depends on the cookie and the browser's
        # languages: a shared cache must keep one copy for each.
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    response.headers.setdefault("Content-Language", current_language())
    return response


def language_links() -> list[tuple[str, str, str, bool]]:
    """The switcher: code, the language's own name, the link choosing it, whether it is on."""
    from flask import url_for

    here = request.path
    query = request.query_string.decode("latin-1")
    back = f"{here}?{query}" if query else here
    current = current_language()
    return [
        (code, name, url_for("public.language", code=code, next=back), code == current)
        for code, name in LANGUAGES.items()
    ]


def language_alternates() -> list[tuple[str, str]]:
    """This page's address in each language (hreflang), and without one (x-default), so search
    engines offer each reader the page in their own language."""
    from portal.urls import external_url

    if not has_request_context() or request.endpoint is None:
        return []
    values: dict[str, Any] = dict(request.view_args or {})
    # lang=None: the address with no language in it, whatever this page's language is.
    found = [("x-default", external_url(request.endpoint, **values, lang=None))]
    found += [(code, external_url(request.endpoint, **values, lang=code)) for code in LANGUAGES]
    return found


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    Babel(app, locale_selector=select_locale)
    app.url_defaults(_keep_language)
    app.after_request(_vary)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        current_language=current_language,
        language_links=language_links,
        language_alternates=language_alternates,
    )
