"""`make verify` part Attack: the security test suite, sqlmap on every parameter, bandit."""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from http.cookiejar import Cookie
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pyotp
import requests
import verifykit
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy import text as sql_text
from verifykit import Row

from portal.config import PROJECT_ROOT
from portal.crypto import get_cipher
from portal.extensions import db
from portal.models import Case, CaseStatus, Role, Tip
from portal.services import accounts

PART = "Attack"
SLUG = "attack"
SQLMAP = "/usr/bin/sqlmap"
# The suite of tests/security and the access table; a missing one is left out, not an error.
SUITE = (
    "tests/security",
    "tests/web/test_access_table.py",
    "tests/web/test_no_leaks.py",
)
STAFF_PASSWORD = "correct horse battery staple"  # noqa: S105 - a throwaway account's
# Limits raised for this server only: sqlmap sends thousands of tips in a minute, at once.
TIP_RATE_LIMIT = "100000 per minute"
# Plausible values for the fields of the public forms; sqlmap injects into one at a time.
TIP_VALUES = {
    "message": "I saw him at the station in March, near the ticket office.",
    "relationship": "saw",
    "contact_ok": "yes",
    "name": "Sam Peeters",
    "email": "sam@example.org",
    "phone": "+32 470 12 34 56",
}
SQLMAP_VERDICT = re.compile(
    r"(?P<place>GET|POST|URI|Cookie)? ?parameter '(?P<name>[^']+)' "
    r"(?P<verdict>does not seem to be injectable|is vulnerable|appears to be)"
)
ACCESS_STATUS = re.compile(r'^\[[^\]]+\] "(?P<request>[^"]*)" (?P<status>\d{3}) ')


# -- the security suite ------------------------------------------------------------------------


def run_suite(work: Path) -> tuple[list[Row], float]:
    """pytest on the security suite, then one row per recorded check and one for pytest itself."""
    started = time.monotonic()
    paths = [path for path in SUITE if (PROJECT_ROOT / path).exists()]
    missing = [path for path in SUITE if path not in paths]
    if missing:
        print(f"security suite: {', '.join(missing)} not in this checkout; running {paths}")
    if not paths:
        return [Row(PART, "pytest security suite", None, 1, "no tests found")], 0.0
    counts = work / "counts.jsonl"
    counts.unlink(missing_ok=True)
    junit = work / "security-junit.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_VERIFY_COUNTS=str(counts), PYTHONPATH=str(PROJECT_ROOT))
    if os.environ.get("PORTAL_TEST_DATABASE_URL"):
        env["PORTAL_TEST_DATABASE_URL"] = os.environ["PORTAL_TEST_DATABASE_URL"]
    command = [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider"]
    command += [f"--junitxml={junit}"]
    print("$", " ".join(command))
    # Our interpreter and fixed paths of this checkout.
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=False)  # noqa: S603
    elapsed = time.monotonic() - started
    tests = failed = 0
    if junit.exists():
        root = ElementTree.parse(junit).getroot()  # noqa: S314 - pytest's own report
        for suite in root.iter("testsuite"):
            tests += int(suite.get("tests", 0))
            failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    if result.returncode not in (0, 1, 5):  # interrupted, internal error, usage error
        failed = max(failed, 1)
    rows = verifykit.rows_from_counts(PART, counts, prefix="security suite: ")
    figures = f"{tests} tests, {elapsed:.0f} s"
    rows.append(Row(PART, "pytest security suite", tests, failed, figures))
    return rows, elapsed


# -- bandit ------------------------------------------------------------------------------------


def run_bandit(work: Path) -> tuple[list[Row], float]:
    started = time.monotonic()
    report = work / "bandit.json"
    command = [sys.executable, "-m", "bandit", "-r", "portal", "app.py", "-f", "json", "-q"]
    command += ["-o", str(report)]
    print("$", " ".join(command))
    # Our interpreter and fixed paths; bandit exits 1 whenever it reports anything at all.
    # Its stderr is mostly "nosec encountered" notes about the other lines of a statement.
    result = subprocess.run(  # noqa: S603
        command, cwd=PROJECT_ROOT, check=False, stderr=subprocess.PIPE, text=True
    )
    elapsed = time.monotonic() - started
    if not report.exists():
        print(result.stderr[-3000:])
        return [Row(PART, "bandit: high-severity findings", None, 1, "bandit did not run")], elapsed
    data = json.loads(report.read_text(encoding="utf-8"))
    by_severity = {"HIGH": 0, "MEDIUM": 0, "LOW": 0}
    for finding in data["results"]:
        by_severity[finding["issue_severity"]] = by_severity.get(finding["issue_severity"], 0) + 1
        if finding["issue_severity"] in ("HIGH", "MEDIUM"):
            where = f"{finding['filename']}:{finding['line_number']}"
            print(
                f"  bandit {finding['issue_severity'].lower()} {finding['test_id']} {where}: "
                f"{finding['issue_text']}"
            )
    totals = data["metrics"]["_totals"]
    files = len([name for name in data["metrics"] if name != "_totals"])
    errors = len(data.get("errors", []))
    figures = (
        f"{by_severity['MEDIUM']} medium, {by_severity['LOW']} low; {files} files, "
        f"{int(totals['skipped_tests'])} marked nosec"
    )
    if errors:
        figures += f"; {errors} files bandit could not parse"
    print(f"bandit: {by_severity} over {files} files, {totals['loc']} lines ({elapsed:.0f} s)")
    failures = by_severity["HIGH"] + errors
    return [Row(PART, "bandit: high-severity findings", int(totals["loc"]), failures, figures)], (
        elapsed
    )


# -- the server sqlmap attacks -----------------------------------------------------------------


@dataclass
class Mailbox:
    """A local SMTP server that keeps what it is sent (alert sign-ups send a confirmation)."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        if isinstance(parsed, EmailMessage):
            self.messages.append(parsed)
        return "250 Message accepted for delivery"


@contextmanager
def mail_server() -> Iterator[tuple[str, Mailbox]]:
    port = verifykit.free_port()
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", mailbox
    finally:
        controller.stop()


@dataclass
class Portal:
    app: Flask
    base_url: str
    case_id: str
    agency: str  # the case's agency: its publisher sees the case's revisions

    def new_staff(self, role: Role) -> tuple[str, str]:
        """A fresh account (a TOTP code is accepted once, so each sign-in gets its own)."""
        email = f"verify-{role.value}-{secrets.token_hex(4)}@example.org"
        # Moderators without an agency are the central team: every tip is theirs to see.
        agency = self.agency if role is Role.PUBLISHER else None
        with self.app.app_context():
            created = accounts.create_user(get_cipher(), email, STAFF_PASSWORD, role, agency)
            uri = created.provisioning_uri
        return email, parse_qs(uri.split("?", 1)[1])["secret"][0]


class LoopbackJar(requests.cookies.RequestsCookieJar):
    """Production marks its cookies Secure (TLS ends at the proxy in front of it); this client
    talks plain HTTP to loopback and must still send them back."""

    def set_cookie(self, cookie: Cookie, *args: Any, **kwargs: Any) -> None:
        cookie.secure = False
        super().set_cookie(cookie, *args, **kwargs)


class LoopbackSession(requests.Session):
    """A browser on loopback. Redirects are not followed: requests would carry a cookie set by
    a redirect through a jar of its own, where it stays Secure and is not sent on."""

    def __init__(self) -> None:
        super().__init__()
        self.cookies = LoopbackJar()

    def request(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["allow_redirects"] = False
        return super().request(method, url, **kwargs)


def client(portal: Portal) -> requests.Session:
    session = LoopbackSession()
    # proxy_hops=1: each helper session is its own client for the sign-in rate limits.
    session.headers["X-Forwarded-For"] = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.9"
    return session


class _Inputs(HTMLParser):
    """The named inputs of the forms on a page, with their values, per form action."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((values.get("action", ""), {}))
        elif tag in ("input", "textarea", "select") and self.forms and values.get("name"):
            if values.get("type") in ("checkbox", "radio", "file", "submit"):
                return
            self.forms[-1][1].setdefault(values["name"], values.get("value", ""))


def form_fields(html: str, action_contains: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    for action, fields in parser.forms:
        if action_contains in action and "csrf_token" in fields:
            return fields
    raise SystemExit(f"no form posting to {action_contains!r} on the page")


def csrf_of(session: requests.Session, page: str, action: str) -> dict[str, str]:
    reply = session.get(page, timeout=30)
    reply.raise_for_status()
    return form_fields(reply.text, action)


def sign_in(portal: Portal, role: Role) -> requests.Session:
    email, secret = portal.new_staff(role)
    session = client(portal)
    base = portal.base_url
    fields = csrf_of(session, f"{base}/auth/login", "login")
    fields.update(email=email, password=STAFF_PASSWORD)
    reply = session.post(f"{base}/auth/login", data=fields, allow_redirects=False, timeout=30)
    if reply.status_code != 302:
        raise SystemExit(f"sign-in of {role.value} refused: {reply.status_code}")
    fields = csrf_of(session, f"{base}/auth/two-factor", "two-factor")
    fields["code"] = pyotp.TOTP(secret).now()
    reply = session.post(f"{base}/auth/two-factor", data=fields, allow_redirects=False, timeout=30)
    if reply.status_code != 302:
        raise SystemExit(f"two-factor step of {role.value} refused: {reply.status_code}")
    return session


def cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)


def first_case(app: Flask) -> tuple[str, str]:
    """A published demo case and its agency's code."""
    with app.app_context():
        case = (
            db.session.query(Case)
            .filter(Case.status == CaseStatus.PUBLISHED)
            .order_by(Case.id)
            .limit(1)
            .one_or_none()
        )
        if case is None or case.agency is None:
            raise SystemExit("the demo data has no open case with an agency")
        return case.public_id, case.agency.code


def send_tip(base: str, case_id: str) -> tuple[str, str, int]:
    """One tip over HTTP, as a visitor sends it; returns its reference and follow-up code."""
    session = LoopbackSession()
    session.headers["X-Forwarded-For"] = "10.99.0.1"
    fields = csrf_of(session, f"{base}/cases/{case_id}/tips", "/tips")
    fields.update(TIP_VALUES)
    reply = session.post(f"{base}/cases/{case_id}/tips", data=fields, timeout=30)
    reference = re.search(r'id="tip-reference">([^<]+)<', reply.text)
    code = re.search(r'id="tip-followup-code">([^<]+)<', reply.text)
    if reply.status_code != 200 or not reference or not code:
        raise SystemExit(f"the tip the attack needs was refused: {reply.status_code}")
    return reference.group(1), code.group(1), reply.status_code


def media_path(base: str, case_id: str) -> str:
    """The path of a published image's derivative on the case page."""
    page = requests.get(f"{base}/cases/{case_id}", timeout=30).text
    found = re.search(r"/media/([A-Za-z0-9_-]+)/(w\d+)", page)
    if found is None:
        raise SystemExit(f"case {case_id} shows no image")
    return f"/media/{found.group(1)}/{found.group(2)}"


def alert_token(base: str, mailbox: Mailbox) -> str:
    """Sign up for an alert as a reader does; the token of the link in the email sent."""
    session = LoopbackSession()
    session.headers["X-Forwarded-For"] = "10.99.0.2"
    page = f"{base}/alerts/new?q=tattoo"
    fields = csrf_of(session, page, "alerts/new")
    fields["email"] = "reader@example.org"
    reply = session.post(page, data=fields, timeout=30)
    deadline = time.monotonic() + 10
    while not mailbox.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    if reply.status_code != 200 or not mailbox.messages:
        raise SystemExit(f"the alert sign-up the attack needs failed: {reply.status_code}")
    body = mailbox.messages[-1].get_body(("plain",))
    found = re.search(r"/alerts/confirm/([^?\s]+)", body.get_content() if body else "")
    if found is None:
        raise SystemExit("no confirmation link in the alert email")
    return found.group(1)


def followup_session(portal: Portal, reference: str, code: str) -> requests.Session:
    session = client(portal)
    fields = csrf_of(session, f"{portal.base_url}/tips/follow-up", "follow-up")
    fields.update(reference=reference, code=code)
    reply = session.post(
        f"{portal.base_url}/tips/follow-up", data=fields, allow_redirects=False, timeout=30
    )
    if reply.status_code not in (302, 303):
        raise SystemExit(f"follow-up sign-in refused: {reply.status_code}")
    return session


# -- sqlmap ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One sqlmap run: a route and the parameters to inject (none: the `*` in the path)."""

    method: str
    path: str  # may hold a `*` injection marker
    params: tuple[str, ...] = ()
    values: tuple[tuple[str, str], ...] = ()  # the query string (GET) or the body (POST)
    form_page: str | None = None  # POST: the page whose form gives the CSRF token and fields
    form_action: str = ""
    who: str = "public"  # "public", a Role value, "pending" (half signed in), "followup"
    quick: tuple[str, ...] = ()  # the parameters --quick tries (("#1*",) for the path)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path.split('?')[0]}"

    @property
    def points(self) -> tuple[str, ...]:
        return self.params or ("#1*",)


@dataclass
class Outcome:
    target: Target
    tested: set[str] = field(default_factory=set)
    injectable: set[str] = field(default_factory=set)
    reached: bool = True
    confirmed: bool = False  # sqlmap listed injection points (or wrote them to its log)
    seconds: float = 0.0
    note: str = ""


def get(path: str, values: tuple[tuple[str, str], ...] = (), **options: Any) -> Target:
    """A GET route: every query argument in `values` is a parameter; none: the `*` in the path."""
    return Target("GET", path, tuple(name for name, _value in values), values, **options)


def post(path: str, values: tuple[tuple[str, str], ...], action: str, **options: Any) -> Target:
    """A POST form: the fields in `values` are the parameters; the rest come from the form."""
    names = tuple(name for name, _value in values)
    return Target("POST", path, names, values, form_page=path, form_action=action, **options)


@dataclass(frozen=True)
class Known:
    """Real values for the paths, so that sqlmap starts from a page that exists."""

    case_id: str
    tip_id: int
    media: str  # /media/<token>/w<width>
    alert: str  # the token of an alert's confirm and unsubscribe links


def targets(known: Known) -> list[Target]:
    """Every public route with a parameter, the public forms and the staff pages' filters."""
    case_id, tip_id = known.case_id, known.tip_id
    search = (
        ("q", "tattoo"),
        ("age", "25-35"),
        ("country", "BE"),
        ("sex", "male"),
        ("year_from", "1990"),
        ("year_to", "2020"),
        ("kind", "unidentified"),
        ("status", "published"),
        ("mark", "tattoo"),
        ("location", "arm"),
        ("has_photo", "1"),
        ("page", "1"),
        ("per_page", "10"),
        ("lang", "en"),
    )
    # /cases with words to look for redirects to /search, tested above.
    listing = tuple(pair for pair in search if pair[0] not in ("q", "location"))
    audit = (
        ("actor", "admin@example.org"),
        ("action", "sign_in"),
        ("target_type", "user"),
        ("target_id", "1"),
        ("date_from", "2020-01-01"),
        ("date_to", "2030-01-01"),
        ("page", "1"),
    )
    queue = (
        ("status", "open"),
        ("case", case_id),
        ("priority", "high"),
        ("assignee", "me"),
        ("has_contact", "1"),
        ("has_attachment", "1"),
        ("q", "station"),
        ("page", "1"),
    )
    tip_form = f"/cases/{case_id}/tips"
    alerts = "/alerts/new?q=tattoo&country=BE"
    return [
        # Slowest first (a password hash a try), so the parallel runs end together.
        post(
            "/auth/login",
            (
                ("email", "nobody@example.org"),
                ("password", "wrong password"),
                ("next", "/moderation/"),
            ),
            "login",
            quick=("email",),
        ),
        get("/search", search, quick=("q", "age", "country", "page")),
        get("/cases", listing),
        get("/api/v1/cases", search, quick=("q", "sex", "year_from")),
        get(f"/cases/{case_id}", (("original", "1"),)),
        get(f"/cases/{case_id}*", quick=("#1*",)),
        get(f"/api/v1/cases/{case_id}*"),
        get(f"/cases/{case_id}*/poster.pdf"),
        get(f"/c/{case_id}*"),
        get(f"{tip_form}*"),
        get(known.media.replace("/w", "*/w")),
        get(known.media + "*"),
        get("/feed.atom", (("lang", "en"),)),
        get("/language/fr*?next=%2Fcases"),
        get("/language/fr", (("next", "/cases"),)),
        get("/alerts/new", search),
        get(f"/alerts/confirm/{known.alert}*"),
        get(f"/alerts/unsubscribe/{known.alert}*"),
        post(tip_form, tuple(TIP_VALUES.items()), "/tips", quick=("message", "email")),
        post(
            "/tips/follow-up",
            (("reference", "TIP-7KQ3-M9XD"), ("code", "ABCD-EFGH-JKMN-PQRS")),
            "follow-up",
        ),
        post(
            "/tips/follow-up/tip",
            (("text", "One more thing: he wore a red scarf."), ("reply_to", "1")),
            "follow-up/tip",
            who="followup",
        ),
        # The form's own fields, and the search the alert is for in its query string.
        Target(
            "POST",
            alerts,
            ("email", "q", "country"),
            (("email", "reader@example.org"),),
            form_page=alerts,
            form_action="alerts/new",
        ),
        post("/auth/two-factor", (("code", "123456"),), "two-factor", who="pending"),
        get("/moderation/", queue, who="moderator", quick=("q", "case")),
        get("/moderation/dashboard", (("days", "30"), ("case", case_id)), who="moderator"),
        get(f"/moderation/tips/{tip_id}*", who="moderator"),
        get("/admin/audit", audit, who="admin"),
        get("/admin/audit.csv", audit, who="admin"),
        get(
            "/publishing/",
            (("status", "draft"), ("q", "harbour"), ("page", "1")),
            who="publisher",
        ),
        get(f"/publishing/cases/{case_id}*", who="publisher"),
        get(
            f"/publishing/cases/{case_id}/revisions",
            (("number", "1"), ("against", "1")),
            who="publisher",
        ),
    ]


def session_for(portal: Portal, target: Target, tip: tuple[str, str]) -> requests.Session:
    if target.who == "public":
        return client(portal)
    if target.who == "followup":
        return followup_session(portal, *tip)
    if target.who == "pending":
        email, _secret = portal.new_staff(Role.MODERATOR)
        session = client(portal)
        fields = csrf_of(session, f"{portal.base_url}/auth/login", "login")
        fields.update(email=email, password=STAFF_PASSWORD)
        reply = session.post(
            f"{portal.base_url}/auth/login", data=fields, allow_redirects=False, timeout=30
        )
        if reply.status_code != 302:
            raise SystemExit(f"password step refused: {reply.status_code}")
        return session
    return sign_in(portal, Role(target.who))


def still_reached(portal: Portal, target: Target, session: requests.Session) -> bool:
    """After the run: the session still opens the page (not sent back to sign in)."""
    if target.who == "public":
        return True
    page = target.form_page or target.path.replace("*", "").split("?")[0]
    reply = session.get(portal.base_url + page, allow_redirects=False, timeout=30)
    return reply.status_code == 200


def sqlmap_options(out: Path, level: int) -> list[str]:
    command = [SQLMAP, "--batch", "--disable-coloring", "--flush-session", "--skip-waf"]
    command += ["--output-dir", str(out), "--level", str(level), "--risk", "1"]
    command += ["--technique", "BEUST", "--dbms", "PostgreSQL", "--time-sec", "2"]
    # Each payload from a random X-Forwarded-For (the server trusts one proxy hop): the
    # per-client limits of sign-in, follow-up codes and alert sign-ups would otherwise
    # answer 429 to everything after the tenth try and hide the parameter from sqlmap.
    command += ["--tamper", "xforwardedfor", "--timeout", "30", "--retries", "2"]
    return command


@contextmanager
def injectable_control(database_url: str) -> Iterator[str]:
    """A deliberately injectable page (not the portal) on the same database: proof that this
    sqlmap, with these options, does find an injection when there is one."""
    # Read-only sessions: the stacked-query payloads must not change the portal's data.
    options = {"options": "-c default_transaction_read_only=on"}
    engine = create_engine(database_url, pool_size=2, connect_args=options)

    def page(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raw = parse_qs(environ.get("QUERY_STRING", "")).get("id", [""])[0]
        try:
            with engine.connect() as connection:
                # Injectable on purpose: the control sqlmap must catch.
                query = f"SELECT public_id FROM cases WHERE id = {raw}"  # noqa: S608
                found = connection.execute(sql_text(query)).first()
        except Exception:
            found = None
        status = "200 OK" if found else "404 Not Found"
        start_response(status, [("Content-Type", "text/plain")])
        return [f"case {found[0]}".encode() if found else b"no such case"]

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Threaded(ThreadingMixIn, WSGIServer):
        daemon_threads = True  # a request left hanging by a payload must not hold up the next

    server = make_server("127.0.0.1", 0, page, server_class=Threaded, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/control?id=1"
    finally:
        server.shutdown()
        server.server_close()
        engine.dispose()


def run_control(database_url: str, work: Path) -> Row:
    out = work / "sqlmap" / "control"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.monotonic()
    with injectable_control(database_url) as url:
        outcome = Outcome(Target("GET", "/control", ("id",)))
        text = sqlmap([*sqlmap_options(out, 1), "-u", url, "-p", "id"], out, outcome)
    techniques = sorted(set(re.findall(r"^\s+Type: (.+)$", text, re.M)))
    caught = bool(outcome.injectable)
    print(
        f"  control: the injectable page is {'caught' if caught else 'MISSED'} "
        f"({', '.join(techniques) or 'no technique'}; {time.monotonic() - started:.0f} s)"
    )
    return Row(
        PART,
        "sqlmap control: a deliberately injectable page is caught",
        1,
        0 if caught else 1,
        f"{len(techniques)} techniques found it",
    )


def sqlmap(command: list[str], out: Path, outcome: Outcome) -> str:
    """Run sqlmap; note each parameter's verdict into `outcome`; return what it printed."""
    log = out / "sqlmap.txt"
    results = out / "results.csv"
    command = [*command, "--results-file", str(results)]
    env = dict(os.environ, TERM="dumb")  # no terminal control codes in the log
    with log.open("w", encoding="utf-8") as handle:
        # A fixed program and arguments we build; the URL is a loopback server of ours.
        subprocess.run(  # noqa: S603
            command, stdout=handle, stderr=subprocess.STDOUT, env=env, check=False
        )
    text = log.read_text(encoding="utf-8", errors="replace")
    for match in SQLMAP_VERDICT.finditer(text):
        name = match.group("name")
        if match.group("verdict") == "does not seem to be injectable":
            outcome.tested.add(name)
        else:
            outcome.injectable.add(name)
    # Confirmed points are listed on the output, in <output>/<host>/log and in the results CSV
    # (a header line, then one line per injectable parameter).
    rows = results.read_text(errors="replace").splitlines()[1:] if results.exists() else []
    outcome.confirmed = (
        "the following injection point(s)" in text
        or any(found.read_text(errors="replace").strip() for found in out.glob("*/log"))
        or any(row.strip() for row in rows)
    )
    if outcome.confirmed and not outcome.injectable:
        outcome.injectable.add("?")
    outcome.tested |= outcome.injectable
    return text


def run_sqlmap(
    portal: Portal, target: Target, tip: tuple[str, str], out: Path, level: int
) -> Outcome:
    started = time.monotonic()
    session = session_for(portal, target, tip)
    values = dict(target.values)
    command = sqlmap_options(out, level)
    url = portal.base_url + target.path
    if target.method == "POST":
        assert target.form_page is not None
        fields = csrf_of(session, portal.base_url + target.form_page, target.form_action)
        fields.update(values)
        command += ["--data", urlencode(fields)]
        if "submission_id" in fields:
            # A fresh id for each payload, or the first stored tip answers every later one.
            command += ["--eval", "import uuid; submission_id=str(uuid.uuid4())"]
    elif values:
        url += ("&" if "?" in url else "?") + urlencode(values)
    command += ["-u", url]
    if target.params:
        command += ["-p", ",".join(target.params)]
    cookies = cookie_header(session)
    if cookies:
        command += ["--cookie", cookies]
    outcome = Outcome(target)
    text = sqlmap(command, out, outcome)
    outcome.seconds = time.monotonic() - started
    outcome.reached = still_reached(portal, target, session)
    if "connection refused" in text.lower() or "unable to connect" in text.lower():
        outcome.note = "sqlmap could not connect"
        outcome.reached = False
    return outcome


def count_statuses(log: Path, offset: int) -> tuple[int, list[str]]:
    """Requests answered after `offset` in the access log, and the 5xx ones."""
    requests_seen, errors = 0, []
    with log.open("rb") as handle:
        handle.seek(offset)
        for raw in handle:
            line = raw.decode("utf-8", errors="replace")
            match = ACCESS_STATUS.match(line)
            if match:
                requests_seen += 1
                if match.group("status").startswith("5"):
                    errors.append(line.strip())
    return requests_seen, errors


def attack(work: Path, quick: bool, parallel: int, only: list[str]) -> tuple[list[Row], float]:
    started = time.monotonic()
    if not Path(SQLMAP).exists():
        return [Row(PART, "sqlmap: parameters tried / injectable", None, 1, "no sqlmap")], 0.0
    level = 1 if quick else 2
    outcomes: list[Outcome] = []
    with (
        verifykit.throwaway_postgres("recognise_attack") as database_url,
        mail_server() as (smtp, mailbox),
    ):
        settings = verifykit.production_settings(
            work,
            database_url,
            tip_rate_limit=TIP_RATE_LIMIT,
            tip_min_seconds=0,
            smtp_url=smtp,
            mail_from="Recognise <no-reply@example.org>",
        )
        print("preparing the portal (migrate, demo data, search index) ...")
        app = verifykit.prepare_portal(settings)
        case_id, agency = first_case(app)
        log = work / "gunicorn.log"
        with verifykit.served(settings, log, workers=4) as server:
            reference, code, _status = send_tip(server.base_url, case_id)
            with app.app_context():
                tip_id = int(db.session.query(Tip.id).order_by(Tip.id.desc()).limit(1).scalar())
            portal = Portal(app, server.base_url, case_id, agency)
            known = Known(
                case_id,
                tip_id,
                media_path(server.base_url, case_id),
                alert_token(server.base_url, mailbox),
            )
            chosen = targets(known)
            if quick:
                chosen = [
                    replace(t, params=tuple(p for p in t.params if p in t.quick))
                    for t in chosen
                    if t.quick
                ]
            if only:
                chosen = [t for t in chosen if any(part in t.label for part in only)]
            control = run_control(database_url, work)
            offset = log.stat().st_size
            print(
                f"sqlmap {'--quick ' if quick else ''}at level {level}: {len(chosen)} routes, "
                f"{sum(len(t.points) for t in chosen)} parameters, {parallel} at a time"
            )

            def one(index_target: tuple[int, Target]) -> Outcome:
                index, target = index_target
                out = work / "sqlmap" / f"{index:02d}"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir(parents=True)
                try:
                    outcome = run_sqlmap(portal, target, (reference, code), out, level)
                except (SystemExit, Exception) as exc:
                    # A route whose session or form could not be set up was not attacked.
                    outcome = Outcome(target, reached=False, note=str(exc))
                state = (
                    "INJECTABLE " + ",".join(sorted(outcome.injectable))
                    if (outcome.injectable)
                    else "clean"
                )
                missing = set(target.points) - outcome.tested
                if missing:
                    state += f"; not tested: {','.join(sorted(missing))}"
                if not outcome.reached:
                    state += f"; NOT REACHED {outcome.note or '(session lost)'}"
                print(
                    f"  {target.label} [{target.who}] {len(outcome.tested)}/{len(target.points)}"
                    f" parameters, {state} ({outcome.seconds:.0f} s)",
                    flush=True,
                )
                return outcome

            with ThreadPoolExecutor(max_workers=parallel) as pool:
                outcomes = list(pool.map(one, enumerate(chosen)))
            answered, errors = count_statuses(log, offset)
    elapsed = time.monotonic() - started
    tried = sum(len(o.tested) for o in outcomes)
    asked = sum(len(o.target.points) for o in outcomes)
    injectable = sum(len(o.injectable) for o in outcomes)
    not_reached = asked - tried + sum(1 for o in outcomes if not o.reached)
    figures = (
        f"{len(outcomes)} routes at level {level}, {answered:,} requests, {injectable} injectable"
        f", {not_reached} not reached, {elapsed / 60:.1f} min"
    )
    for line in errors[:10]:
        print("  5xx:", line)
    five = {}
    for line in errors:
        match = ACCESS_STATUS.match(line)
        if match:
            route = match.group("request").split(" ")[1].split("?")[0]
            five[route] = five.get(route, 0) + 1
    five_figures = ", ".join(f"{route} {n}" for route, n in sorted(five.items())) or "none"
    rows = [
        control,
        Row(
            PART, "sqlmap: parameters tried / injectable", tried, injectable + not_reached, figures
        ),
        Row(PART, "5xx during injection attempts", answered, len(errors), five_figures),
    ]
    return rows, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI: a few parameters at level 1")
    parser.add_argument("--keep", type=Path, help="keep the work folder (logs, sqlmap output)")
    parser.add_argument("--parallel", type=int, default=0, help="sqlmap runs at a time")
    parser.add_argument(
        "--skip", action="append", default=[], choices=["suite", "bandit", "sqlmap"]
    )
    parser.add_argument(
        "--only", action="append", default=[], help="sqlmap only routes containing this text"
    )
    args = parser.parse_args(argv)
    parallel = args.parallel or (2 if args.quick else 3)
    rows: list[Row] = []
    times: dict[str, float] = {}
    started = time.monotonic()
    with verifykit.work_folder("verify-attack-", args.keep) as work:
        if "suite" not in args.skip:
            found, times["suite"] = run_suite(work)
            rows += found
        if "bandit" not in args.skip:
            found, times["bandit"] = run_bandit(work)
            rows += found
        if "sqlmap" not in args.skip:
            found, times["sqlmap"] = attack(work, args.quick, parallel, args.only)
            rows += found
    total = time.monotonic() - started
    print(
        "\nwall time: "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in times.items())
        + f", total {total:.0f} s"
    )
    verifykit.save_rows(SLUG, rows)
    title = "Attack" + (" (--quick)" if args.quick else "")
    verifykit.print_rows(title, rows)
    return 0 if rows and all(row.passed for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
