"""Open redirects: no parameter that leads to a redirect can send anyone to another site."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote, urljoin, urlsplit

import pyotp
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from portal.extensions import db
from portal.models import User
from tests.security.conftest import CASE, World
from tests.staffkit import csrf_token, post_code, post_password
from tests.verifycount import record

ORIGIN = "https://portal.example"
EVIL = [
    "//evil.example",
    "//evil.example/moderation/",
    "https://evil.example",
    "http://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "\x00//evil.example",
    "///evil.example",
    "////evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/moderation/\r\nLocation: https://evil.example",
    "/%0d%0aSet-Cookie:%20planted=1",
    "https://portal.example@evil.example",
    "/@evil.example",
    "evil.example",
]


def browser_target(location: str) -> tuple[str, str]:
    """(scheme, host) a browser would go to from this Location header (WHATWG URL parsing)."""
    # Browsers drop leading and trailing C0 controls and spaces, then every tab and newline,
    # and read a backslash as a slash in http(s) URLs.
    cleaned = location.strip("".join(map(chr, range(0x21))))
    cleaned = re.sub(r"[\t\n\r]", "", cleaned).replace("\\", "/")
    resolved = urlsplit(urljoin(ORIGIN + "/auth/login", cleaned))
    return resolved.scheme, resolved.hostname or ""


def off_site(response: Response) -> str | None:
    """What is wrong with where `response` sends the browser, if anything."""
    if response.status_code not in (301, 302, 303, 307, 308):
        return None
    location = response.headers.get("Location", "")
    if "\r" in location or "\n" in location:
        return f"a line break in Location: {location!r}"
    scheme, host = browser_target(location)
    if scheme != "https" or host != "portal.example":
        return f"Location {location!r} leads to {scheme}://{host}"
    if any(c.startswith("planted") for c in response.headers.getlist("Set-Cookie")):
        return "a header was injected"
    return None


def test_no_parameter_redirects_off_site(world: World) -> None:
    staff = world.staff["moderator"]
    moderator = world.clients["moderator"]
    anonymous = world.app.test_client()
    user = db.session.get(User, staff.user_id)
    assert user is not None

    def signed_in_login(target: str) -> TestResponse:
        # Already signed in: the sign-in page goes straight to `next`.
        return moderator.get("/auth/login?next=" + quote(target, safe=""))

    def through_both_steps(target: str) -> TestResponse:
        client = world.app.test_client()
        client.get("/auth/login?next=" + quote(target, safe=""))
        assert post_password(client, staff.email, staff.password, target).status_code == 302
        user.last_totp_step = 0  # the same code again: replay protection has its own test
        db.session.commit()
        return post_code(client, pyotp.TOTP(staff.secret).now())

    def hidden_field(target: str) -> Response:
        # The sign-in form must not carry an unsafe `next` into the password step either.
        page = anonymous.get("/auth/login?next=" + quote(target, safe=""))
        found = re.search(r'name="next" type="hidden" value="([^"]*)"', page.get_data(as_text=True))
        value = found.group(1) if found else ""
        response = Response(b"", 302)  # judged as if it were the redirect it would become
        response.headers["Location"] = value.replace("&amp;", "&") or "/"
        return response

    def language(target: str) -> TestResponse:
        return anonymous.get("/language/fr?next=" + quote(target, safe=""))

    def language_raw(target: str) -> TestResponse:
        # Unencoded, as a hand-made link would put it.
        return anonymous.get("/language/nl?next=" + target.replace("#", "%23"))

    def login_bounce(target: str) -> TestResponse:
        # A staff page opened signed out remembers where it was: never a place off-site.
        return anonymous.get("/moderation/" + quote(target.lstrip("/"), safe="/\\:@"))

    def moderation_back(target: str) -> TestResponse:
        token = csrf_token(moderator.get("/auth/account").get_data(as_text=True))
        return moderator.post(
            f"/moderation/tips/{world.tip}/priority",
            data={"csrf_token": token, "priority": "high", "back": target},
        )

    def short_link(target: str) -> TestResponse:
        return anonymous.get(f"/c/{CASE}?next=" + quote(target, safe=""))

    flows: dict[str, Callable[[str], Response]] = {
        "sign-in next (signed in)": signed_in_login,
        "sign-in next (both steps)": through_both_steps,
        "sign-in form's next field": hidden_field,
        "language switcher next": language,
        "language switcher next, unencoded": language_raw,
        "sign-in bounce from a staff path": login_bounce,
        "moderation back": moderation_back,
        "short link": short_link,
    }
    failures: list[str] = []
    tried = 0
    for name, flow in flows.items():
        for target in EVIL:
            response = flow(target)
            tried += 1
            if response.status_code >= 500:
                failures.append(f"{name} {target!r}: {response.status_code}")
            problem = off_site(response)
            if problem:
                failures.append(f"{name} {target!r}: {problem}")
    # The check itself: a real off-site Location is caught.
    caught = Response(b"", 302)
    caught.headers["Location"] = "/\\evil.example"
    assert off_site(caught)
    record("Open redirects: every redirecting parameter", tried, len(failures), f"{len(EVIL)} URLs")
    assert not failures, "\n".join(failures)
