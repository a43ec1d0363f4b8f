"""Fuzzing the tip and follow-up forms: never a 5xx, and a tip stored only with a 200 receipt."""

from __future__ import annotations

import io
import itertools
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import event, given
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse

from portal.crypto import get_cipher
from portal.extensions import db
from portal.models import Tip, TipThreadEntry
from portal.records.importer import public_id_for
from portal.services import tips as tip_service
from portal.tips.forms import clean_text
from tests.conftest import FIXTURES
from tests.fuzzkit import counted, fuzz_settings, note_status
from tests.tipkit import browser_filename, form_fields, receipt_codes, send_tip

PUBLISHED = public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")
IDENTIFIED = public_id_for("BE-FPJ-ANTWERP", "BE-2014-0402")
TATTOO_JPEG = (FIXTURES / "be-1992-0603-tattoo.jpg").read_bytes()
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')
# What any request may be answered with; a 5xx is always a bug.
EXPECTED_STATUSES = {200, 302, 400, 404, 409, 410, 413, 429}
# Pillow warns about damaged EXIF in fuzzed photos and goes on (the EXIF is dropped anyway);
# only this suite's warnings-as-errors would turn that into an exception.
CORRUPT_EXIF_WARNING = "ignore::UserWarning:PIL.TiffImagePlugin"
# `make verify` raises the counts (tests.fuzzkit.SCALE_VARIABLE).
FUZZ = fuzz_settings(max_examples=80)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()

# ---------------------------------------------------------------------------
# Strategies

RTL_AND_EMOJI = [
    "שלום, ראיתי אותה בתחנה",
    "رأيت هذا الوشم من قبل",
    "\u202eevil.exe\u202c",  # right-to-left override
    "\u200f\u200e\u061c",  # direction marks
    "👩‍👩‍👧‍👦🏳️‍🌈🧕🏽",
    "e\u0301\u0301\u0301",  # stacked combining accents
    "Zoë Ünal",
    "\ufeff\u200b\u2060",  # BOM, zero-width space, word joiner
]
TRICKY = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% raw %}",
    "' OR 1=1 --",
    "%s%n%x",
    "\r\n\r\n--boundary--\r\n",
    "../../etc/passwd",
    "null",
    "None",
    "0",
    "-1",
    "9" * 30,
]
CONTROL = st.characters(max_codepoint=0x1F) | st.sampled_from(["\x7f", "\u2028", "\u2029", "\x85"])


def pieces() -> st.SearchStrategy[str]:
    return st.one_of(
        # Any code point but surrogates (hypothesis leaves them out by default).
        st.text(max_size=120),
        st.text(CONTROL, max_size=40),  # NUL and every other control character
        st.sampled_from(RTL_AND_EMOJI),
        st.sampled_from(TRICKY),
    )


def texts(max_size: int = 20_000) -> st.SearchStrategy[str]:
    joined = st.lists(pieces(), max_size=6).map("".join)
    # Long values by repetition: generating 20,000 random characters each time is slow.
    long = st.builds(
        lambda piece, times: (piece * times)[:max_size],
        pieces().filter(bool),
        st.integers(min_value=1, max_value=max_size),
    )
    return st.one_of(joined, joined, long)


def with_variants(valid: list[str]) -> st.SearchStrategy[str]:
    """A valid value, one typed oddly, or anything."""
    return st.one_of(
        st.sampled_from(valid),
        st.sampled_from(valid).map(lambda v: f"  {v.upper()}\t"),
        texts(300),
    )


def optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    """A value, or the field left out of the form altogether."""
    return st.one_of(st.none(), strategy)


FILE_BYTES = st.one_of(
    st.binary(max_size=4096),
    st.sampled_from([PNG, TATTOO_JPEG, b"", b"%PDF-1.4\n%%EOF", b"<html><script>x</script>"]),
    st.builds(
        lambda head, body: head + body,
        st.sampled_from(
            [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"%PDF-1.7\n", b"RIFF\0\0\0\0WEBP"]
        ),
        st.binary(max_size=2048),
    ),
    # A valid photo with damage somewhere.
    st.builds(
        lambda data, at, value: data[:at] + bytes([value]) + data[at + 1 :],
        st.sampled_from([PNG, TATTOO_JPEG]),
        st.integers(0, 4000),
        st.integers(0, 255),
    ),
)
FILE_NAMES = st.one_of(
    st.sampled_from(["photo.jpg", "IMG_0001.HEIC", "scan.pdf", "", "x.exe", "a/b\\c.png"]),
    texts(300),
)
ATTACHMENTS = st.lists(st.tuples(FILE_BYTES, FILE_NAMES), max_size=6)
KNOWN_FIELDS = [
    "message",
    "relationship",
    "contact_ok",
    "name",
    "email",
    "phone",
    "website",
    "submission_id",
    "started",
    "csrf_token",
    "attachments",
]
EXTRA_FIELDS = st.lists(
    st.tuples(st.one_of(st.sampled_from(KNOWN_FIELDS), texts(40).filter(bool)), texts(500)),
    max_size=5,
)
REUSED_IDS = [str(uuid.UUID(int=n, version=4)) for n in (1, 2, 3)]


@st.composite
def submission_ids(draw: st.DrawFn, fresh: str) -> str | None:
    kind = draw(st.sampled_from(["fresh", "fresh", "reused", "random", "odd", "garbage", "none"]))
    if kind == "fresh":
        return fresh
    if kind == "reused":
        # The same form id sent again: a replay (same message) or a conflict (another one).
        return draw(st.sampled_from(REUSED_IDS))
    if kind == "random":
        return str(uuid.uuid4())
    if kind == "odd":
        value = uuid.UUID(fresh)
        return draw(
            st.sampled_from([value.hex, f"{{{value}}}", f"urn:uuid:{value}", fresh.upper()])
        )
    if kind == "garbage":
        return draw(texts(100))
    return None


# ---------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture
def client(app: Flask, sample_cases: Path) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def addresses() -> Iterator[str]:
    """A fresh client address per example, so the rate limits do not blunt the fuzzing."""
    return (f"198.18.{n // 250 % 250}.{n % 250 + 1}" for n in itertools.count())


def tip_count() -> int:
    return int(db.session.scalar(select(func.count(Tip.id))) or 0)


def entry_count() -> int:
    return int(db.session.scalar(select(func.count(TipThreadEntry.id))) or 0)


def post(client: FlaskClient, path: str, fields: MultiDict[str, Any]) -> TestResponse:
    return client.post(path, data=fields, content_type="multipart/form-data")


def add_extra(fields: MultiDict[str, Any], extra: list[tuple[str, str]]) -> None:
    for key, value in extra:
        fields.add(browser_filename(key), value)


def add_files(fields: MultiDict[str, Any], files: list[tuple[bytes, str]]) -> None:
    for content, name in files:
        upload = FileStorage(io.BytesIO(content), browser_filename(name), "attachments")
        fields.add("attachments", upload)


def newest_tip() -> Tip:
    tip = db.session.scalar(select(Tip).order_by(Tip.id.desc()).limit(1))
    assert tip is not None
    return tip


def assert_expected(response: TestResponse) -> None:
    event(f"status {response.status_code}")  # shown by --hypothesis-show-statistics
    note_status(response.status_code)
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    assert response.status_code in EXPECTED_STATUSES, response.status_code


# ---------------------------------------------------------------------------
# The tip form


RELATIONSHIPS = ["family", "knew", "recognise_item", "saw", "other"]
VALID_FILES = st.lists(
    st.tuples(st.sampled_from([PNG, TATTOO_JPEG]), FILE_NAMES), min_size=1, max_size=2
)


@st.composite
def tip_forms(draw: st.DrawFn, rendered: dict[str, str]) -> tuple[str, MultiDict[str, Any]]:
    """A case id and the fields of a tip form built over the `rendered` one.

    Half the forms are plausible (the fields a browser controls are valid, what people type
    and the files they choose are fuzzed), so the fuzzing reaches storage; the rest are chaos.
    """
    plausible = draw(st.booleans(), label="plausible")

    def pick(valid: st.SearchStrategy[Any], chaos: st.SearchStrategy[Any], label: str) -> Any:
        return draw(valid if plausible else st.one_of(valid, chaos), label=label)

    contact_ok = pick(st.sampled_from(["yes", "no"]), optional(with_variants(["yes", "no"])), "ok")
    values: dict[str, str | None] = {
        "message": pick(texts(), optional(texts()), "message"),
        "relationship": pick(
            st.sampled_from(["", *RELATIONSHIPS]), optional(with_variants(RELATIONSHIPS)), "rel"
        ),
        "contact_ok": contact_ok,
        "name": pick(texts(200), optional(texts(500)), "name"),
        "email": pick(
            st.sampled_from(["anne@example.org", "zoë@exämple.be"]),
            optional(with_variants(["a@b.co", "x@y", ""])),
            "email",
        ),
        "phone": pick(
            st.sampled_from(["+32 470 12 34 56", "", "(020) 7946-0018"]),
            optional(with_variants(["07700 900982", "123"])),
            "phone",
        ),
        "website": pick(st.just(""), texts(100), "website"),
        "submission_id": pick(
            st.just(rendered["submission_id"]), submission_ids(rendered["submission_id"]), "id"
        ),
        "csrf_token": pick(st.just(rendered["csrf_token"]), optional(texts(200)), "csrf_token"),
        "started": pick(st.just(rendered["started"]), optional(texts(200)), "started"),
    }
    fields: MultiDict[str, Any] = MultiDict()
    for key, value in values.items():
        if value is not None:
            fields.add(key, value)
    files = pick(st.one_of(st.just([]), VALID_FILES), ATTACHMENTS, "files")
    add_files(fields, files)
    add_extra(fields, draw(EXTRA_FIELDS if not plausible else st.just([]), label="extra"))
    case_id = pick(
        st.just(PUBLISHED),
        st.one_of(st.just(IDENTIFIED), st.just("nosuchcase0"), texts(40).filter(bool)),
        "case",
    )
    return case_id, fields


@pytest.mark.filterwarnings(CORRUPT_EXIF_WARNING)
@counted("hypothesis: tip form")
@FUZZ
@given(data=st.data())
def test_tip_form_never_fails_and_stores_only_with_a_receipt(
    client: FlaskClient, addresses: Iterator[str], data: st.DataObject
) -> None:
    client.environ_base["REMOTE_ADDR"] = next(addresses)
    page = client.get(f"/cases/{PUBLISHED}/tips")
    assert page.status_code == 200
    case_id, fields = data.draw(tip_forms(form_fields(page.get_data(as_text=True))))

    before = tip_count()
    response = post(client, f"/cases/{quote(case_id, safe='')}/tips", fields)
    assert_expected(response)
    db.session.rollback()  # see what other requests committed
    after = tip_count()
    if response.status_code != 200:
        assert after == before, response.status_code
        return
    # A 200 is a receipt, for a new tip or for this form sent before.
    reference, code = receipt_codes(response.get_data(as_text=True))
    assert after in (before, before + 1)
    tip = db.session.scalar(select(Tip).where(Tip.reference == reference))
    assert tip is not None
    assert tip_service.open_followup(reference, code) == tip
    if after == before + 1:
        event("stored a new tip")
        assert tip == newest_tip()
        stored = tip_service.read_message(get_cipher(), tip)
        assert stored == clean_text(fields.get("message"), multiline=True)
        names = [
            f.filename or "" for f in fields.getlist("attachments") if isinstance(f, FileStorage)
        ]
        if any("\\" in name for name in names):
            # Werkzeug reads a backslash in a multipart file name as an escape, so a name of
            # backslashes alone arrives empty, which is how a form with no file chosen looks.
            assert len(tip.attachments) <= len(names)
        else:
            assert len(tip.attachments) == len([name for name in names if name])
        if clean_text(fields.get("contact_ok")) != "yes":
            assert tip.contact_enc is None and not tip.has_contact
        else:
            contact = tip_service.read_contact(get_cipher(), tip)
            assert contact.name == clean_text(fields.get("name"))


@pytest.mark.parametrize("case_id", ["a\x00b", "\x00", "x" * 300])
def test_a_tip_to_a_case_id_no_case_can_have_is_a_404(client: FlaskClient, case_id: str) -> None:
    # Found by the fuzzing above on PostgreSQL: a NUL in the case id reached the query (a 500).
    fields = form_fields(client.get(f"/cases/{PUBLISHED}/tips").get_data(as_text=True))
    response = send_tip(client, quote(case_id, safe=""), fields=fields, message="Seen her.")
    assert response.status_code == 404
    assert tip_count() == 0


def test_a_replayed_form_keeps_its_first_receipt_among_the_noise(client: FlaskClient) -> None:
    # The fuzzing above reuses form ids; this pins down what a reuse must give.
    fields = {**form_fields(client.get(f"/cases/{PUBLISHED}/tips").get_data(as_text=True))}
    fields["submission_id"] = REUSED_IDS[0]
    first = send_tip(client, PUBLISHED, fields=fields, message="Twice \x00 sent ✓")
    again = send_tip(client, PUBLISHED, fields=fields, message="Twice  sent ✓")
    other = send_tip(client, PUBLISHED, fields=fields, message="Something else")
    assert first.status_code == again.status_code == 200
    assert receipt_codes(first.get_data(as_text=True)) == receipt_codes(
        again.get_data(as_text=True)
    )
    assert other.status_code == 409
    assert tip_count() == 1


# ---------------------------------------------------------------------------
# The follow-up forms


@pytest.fixture
def codes(client: FlaskClient) -> tuple[str, str]:
    response = send_tip(client, PUBLISHED, message="She had the rose tattoo; I met her in 1990.")
    assert response.status_code == 200
    return receipt_codes(response.get_data(as_text=True))


def open_follow_up(client: FlaskClient, codes: tuple[str, str]) -> tuple[str, str]:
    """Sign in to the follow-up with a receipt; the CSRF token and a fresh submission id."""
    start = _CSRF.search(client.get("/tips/follow-up").get_data(as_text=True))
    assert start
    opened = client.post(
        "/tips/follow-up",
        data={"csrf_token": start.group(1), "reference": codes[0], "code": codes[1]},
    )
    assert opened.status_code == 302
    page = client.get("/tips/follow-up/tip").get_data(as_text=True)
    token, fresh = _CSRF.search(page), _SUBMISSION.search(page)
    assert token and fresh
    return token.group(1), fresh.group(1)


def typed_like_a_person(draw: st.DrawFn, value: str) -> str:
    """`value` as someone might type it: case, spaces, look-alike letters."""
    typed = value
    if draw(st.booleans()):
        typed = typed.lower()
    typed = typed.replace("-", draw(st.sampled_from(["-", " ", "", " - ", "—"])))
    if draw(st.booleans()):
        typed = typed.replace("0", "O").replace("1", draw(st.sampled_from(["I", "l", "L", "1"])))
    return draw(st.sampled_from(["", " ", "\t"])) + typed + draw(st.sampled_from(["", " ", "\n"]))


@counted("hypothesis: tip follow-up")
@FUZZ
@given(
    data=st.data(),
    csrf_kind=st.sampled_from(["valid", "valid", "garbage", "missing"]),
    reference_kind=st.sampled_from(["real", "real", "random", "missing"]),
    code_kind=st.sampled_from(["real", "real", "random", "missing"]),
    extra=EXTRA_FIELDS,
)
def test_follow_up_start_never_fails_and_opens_only_the_right_tip(
    app: Flask,
    codes: tuple[str, str],
    addresses: Iterator[str],
    data: st.DataObject,
    csrf_kind: str,
    reference_kind: str,
    code_kind: str,
    extra: list[tuple[str, str]],
) -> None:
    reference, code = codes
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = next(addresses)
    token = _CSRF.search(client.get("/tips/follow-up").get_data(as_text=True))
    assert token

    def value(kind: str, real: str, label: str) -> str | None:
        if kind == "real":
            return typed_like_a_person(data.draw, real)
        if kind == "random":
            return data.draw(texts(400), label=label)
        return None

    fields: MultiDict[str, Any] = MultiDict()
    typed_reference = value(reference_kind, reference, "reference")
    typed_code = value(code_kind, code, "code")
    csrf = {"valid": token.group(1), "garbage": data.draw(texts(100)), "missing": None}[csrf_kind]
    for key, item in (("csrf_token", csrf), ("reference", typed_reference), ("code", typed_code)):
        if item is not None:
            fields.add(key, item)
    add_extra(fields, extra)

    before = tip_count()
    response = client.post("/tips/follow-up", data=fields)
    assert_expected(response)
    assert tip_count() == before
    real_codes = (
        csrf_kind == "valid"
        and reference_kind == "real"
        and code_kind == "real"
        and fields.getlist("reference")[0] == typed_reference
        and fields.getlist("code")[0] == typed_code
        and fields.getlist("csrf_token")[0] == csrf
    )
    if real_codes:
        # Any reasonable typing of the right codes opens the tip.
        assert response.status_code == 302, (typed_reference, typed_code)
        assert client.get("/tips/follow-up/tip").status_code == 200
    elif response.status_code == 302:
        # Only the right codes open a tip, however they were typed.
        assert tip_service.normalise_reference(str(fields.get("reference"))) == reference
        assert tip_service.code_digest(str(fields.get("code"))) == tip_service.code_digest(code)
    else:
        assert response.status_code in (400, 429)
        assert client.get("/tips/follow-up/tip").status_code == 302


@pytest.mark.filterwarnings(CORRUPT_EXIF_WARNING)
@counted("hypothesis: tip follow-up")
@fuzz_settings(max_examples=50)
@given(
    data=st.data(),
    text=optional(texts()),
    reply_to=optional(st.one_of(st.integers(-5, 10**15).map(str), texts(40))),
    csrf_kind=st.sampled_from(["valid", "valid", "garbage", "missing"]),
    submission_kind=st.sampled_from(["fresh", "fresh", "reused", "garbage", "missing"]),
    files=ATTACHMENTS,
    extra=EXTRA_FIELDS,
)
def test_follow_up_additions_never_fail_and_are_stored_only_on_success(
    app: Flask,
    codes: tuple[str, str],
    addresses: Iterator[str],
    data: st.DataObject,
    text: str | None,
    reply_to: str | None,
    csrf_kind: str,
    submission_kind: str,
    files: list[tuple[bytes, str]],
    extra: list[tuple[str, str]],
) -> None:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = next(addresses)
    token, fresh = open_follow_up(client, codes)
    fields: MultiDict[str, Any] = MultiDict()
    values = {
        "csrf_token": {
            "valid": token,
            "garbage": data.draw(texts(100)),
            "missing": None,
        }[csrf_kind],
        "submission_id": {
            "fresh": fresh,
            "reused": REUSED_IDS[1],
            "garbage": data.draw(texts(100)),
            "missing": None,
        }[submission_kind],
        "text": text,
        "reply_to": reply_to,
    }
    for key, item in values.items():
        if item is not None:
            fields.add(key, item)
    add_files(fields, files)
    add_extra(fields, extra)

    before_entries, before_tips = entry_count(), tip_count()
    response = post(client, "/tips/follow-up/tip", fields)
    assert_expected(response)
    db.session.rollback()
    assert tip_count() == before_tips
    if response.status_code == 302:
        assert entry_count() in (before_entries, before_entries + 1)
    else:
        assert response.status_code == 400
        assert entry_count() == before_entries


@pytest.mark.parametrize("reply_to", ["²", "99999999999", "2147483648", "0", "-1"])
def test_a_reply_to_that_is_no_id_is_ignored(
    app: Flask, codes: tuple[str, str], reply_to: str
) -> None:
    # Found by the fuzzing above on PostgreSQL: "99999999999" overflowed the integer column
    # (a 500); "²" passed str.isdigit and failed int() (a 500 on both databases).
    client = app.test_client()
    token, fresh = open_follow_up(client, codes)
    fields = {
        "csrf_token": token,
        "submission_id": fresh,
        "text": "One more thing I remember.",
        "reply_to": reply_to,
    }
    response = client.post("/tips/follow-up/tip", data=fields)
    assert response.status_code == 302
    entry = db.session.scalar(select(TipThreadEntry).order_by(TipThreadEntry.id.desc()))
    assert entry is not None and entry.reply_to_id is None


# ---------------------------------------------------------------------------
# A part without a name


NAMELESS_PART = (
    b"--B\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"
    b'--B\r\nContent-Disposition: form-data; name="reference"\r\n\r\nTIP-AAAA-BBBB\r\n'
    b"--B--\r\n"
)


def test_a_part_without_a_name_on_the_tip_form_is_a_400(client: FlaskClient) -> None:
    response = client.post(
        f"/cases/{PUBLISHED}/tips",
        data=NAMELESS_PART,
        content_type="multipart/form-data; boundary=B",
    )
    assert response.status_code == 400
    assert tip_count() == 0


@pytest.mark.parametrize(
    "path", ["/tips/follow-up", "/tips/follow-up/tip", "/tips/follow-up/close"]
)
def test_a_part_without_a_name_is_a_400_not_a_500(client: FlaskClient, path: str) -> None:
    response = client.post(path, data=NAMELESS_PART, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 400
