"""Fuzzing the record importer: bad files are refused whole, accepted records round-trip."""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import event, given
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select

from portal import media
from portal.extensions import db
from portal.models import Agency, Case
from portal.publication import derive_public_case
from portal.records.exporter import ZIP_RECORDS_NAME, export_zip
from portal.records.importer import import_file
from portal.records.schema import RECORD_ID_PATTERN, Record
from tests.fuzzkit import counted, fuzz_settings, note_outcome

# One description per agency code: two descriptions of one agency in a file is an error, which
# the mutations below make on purpose.
AGENCIES = [
    {"code": "BE-FPJ-FUZZ", "name": "Federal Judicial Police", "country": "BE"},
    {
        "code": "NL-FUZZ",
        "name": "Politie Eenheid Noord",
        "country": "NL",
        "tip_email": "tips@politie.example",
    },
    {"code": "XK-1", "name": "Policia e Kosovës", "country": "XK"},
]
# A few ids shared across examples, so later files update the cases earlier ones made.
SHARED_IDS = ["R-1", "R-2", "case/2001.7", "___"]
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TODAY = date.today()

# Characters the format allows in text: anything but surrogates and the controls it refuses.
# Line and paragraph separators and NEL are allowed, and break naive line splitting.
TEXT_CHARS = st.characters(
    codec="utf-8", exclude_categories=["Cs", "Cc"], include_characters="\t\n\r\x80\x85\x9f"
)


def valid_text(max_size: int = 60) -> st.SearchStrategy[str]:
    special = st.sampled_from(
        ["R'Nick", "Zoë Ünal", "忍 平安", "\u2028line\u2029para\x85", "<b>&amp;</b>", "e\u0301"]
    )
    plain = st.text(TEXT_CHARS, min_size=1, max_size=max_size)
    return st.one_of(plain, special).filter(lambda s: bool(s.strip()))


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def range_of(low: int, high: int) -> st.SearchStrategy[dict[str, int]]:
    return st.tuples(st.integers(low, high), st.integers(low, high)).map(
        lambda pair: {"min": min(pair), "max": max(pair)}
    )


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    day = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    precision = draw(st.sampled_from(["day", "month", "year"]))
    if precision == "month":
        day = day.replace(day=1)
    elif precision == "year":
        day = day.replace(month=1, day=1)
    event_ = {"date": day.isoformat(), "date_precision": precision, "country": "BE"}
    event_["country"] = draw(st.sampled_from(["BE", "NL", "GB", "XK", "DE"]))
    for key in ("place", "locality", "region"):
        if draw(st.booleans()):
            event_[key] = draw(valid_text())
    if draw(st.booleans()):
        event_["lat"] = draw(st.floats(-90, 90))
        event_["lon"] = draw(st.floats(-180, 180))
    return event_


def some(
    draw: st.DrawFn, keys: dict[str, st.SearchStrategy[Any]], required: tuple[str, ...]
) -> dict[str, Any]:
    """An object with the `required` keys and any of the others."""
    return {
        key: draw(strategy)
        for key, strategy in keys.items()
        if key in required or draw(st.booleans())
    }


@st.composite
def marks(draw: st.DrawFn) -> dict[str, Any]:
    keys = {
        "type": st.sampled_from(["tattoo", "scar", "birthmark", "piercing", "other"]),
        "location": valid_text(),
        "description": valid_text(200),
        "inscription": valid_text(),
        "colours": st.lists(valid_text(20), max_size=3),
        "image": st.sampled_from(["photo.png", "sub/mark.gif"]),
    }
    return some(draw, keys, ("type", "location", "description"))


def items(**extra: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"item": valid_text()}, optional={"description": valid_text(100), **extra}
    )


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), valid_text()
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(valid_text(10), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A record that follows the record format (docs/record-format.md)."""
    status = draw(st.sampled_from(["draft", "published", "identified", "withdrawn"]))
    kind = draw(st.sampled_from(["unidentified", "missing"]))
    record: dict[str, Any] = {
        "record_id": draw(
            st.one_of(st.sampled_from(SHARED_IDS), st.from_regex(RECORD_ID_PATTERN, fullmatch=True))
        ),
        "agency": dict(draw(st.sampled_from(AGENCIES))),
        "kind": kind,
        "status": status,
        "title": draw(valid_text(200)),
        "sex": draw(st.sampled_from(["female", "male", "unknown"])),
        "event": draw(events()),
    }
    optional_fields = {
        "age": range_of(0, 120),
        "height_cm": range_of(30, 250),
        "weight_kg": range_of(1, 400),
        "build": valid_text(),
        "hair": valid_text(),
        "physical_description": valid_text(300),
        "circumstances": valid_text(300),
        "marks": st.lists(marks(), max_size=3),
        "clothing": st.lists(items(colour=valid_text(), size=valid_text(50)), max_size=2),
        "jewellery": st.lists(items(inscription=valid_text()), max_size=2),
        "belongings": st.lists(items(), max_size=2),
        "dental_summary": valid_text(),
        "biometrics": st.fixed_dictionaries(
            {}, optional={k: st.booleans() for k in ("dna", "fingerprints", "dental")}
        ),
        "images": st.lists(
            st.fixed_dictionaries(
                {
                    "file": st.sampled_from(["photo.png", "sub/mark.gif", "other.webp"]),
                    "kind": st.sampled_from(["face", "tattoo", "scene"]),
                },
                optional={"caption": valid_text(), "publish": st.booleans()},
            ),
            max_size=2,
            unique_by=lambda image: image["file"],
        ),
        "translations": st.dictionaries(
            st.sampled_from(["nl", "fr", "de-CH", "pt-BR"]),
            st.fixed_dictionaries(
                {"title": valid_text()}, optional={"circumstances": valid_text()}
            ),
            max_size=2,
        ),
        "restricted": st.dictionaries(valid_text(20), JSON_VALUES, max_size=3),
    }
    for key, strategy in optional_fields.items():
        if draw(st.booleans()):
            record[key] = draw(strategy)
    if kind == "missing" or status == "identified" or draw(st.booleans()):
        record["name"] = draw(valid_text())
    if status == "identified":
        record["identified"] = {"date": record["event"]["date"]}
        if draw(st.booleans()):
            record["identified"]["statement"] = draw(valid_text(200))
    return record


# ---------------------------------------------------------------------------
# Mutations

GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # NaN and infinities, which Python's JSON reads and writes
    st.text(max_size=30),
    st.text(st.characters(max_codepoint=0x1F), max_size=5),  # NUL and other controls
    st.sampled_from(["", " ", "2023-02-30", "1992-6-3", "3000-01-01", "ZZ", "be", "xx-!!"]),
    st.builds(
        lambda piece, times: piece * times,
        st.sampled_from(["a", "é", "忍", "\U0001f469\u200d\U0001f467"]),
        st.integers(1, 20_000),
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


NEST = re.compile(r'"NEST:(\d+)"')


def nest_marker(depth: int) -> str:
    """A value that `records_files` writes as JSON nested `depth` deep.

    Written as text: building it as Python objects would hit the recursion limit in
    json.dumps here, before the importer ever saw it.
    """
    return f"NEST:{depth}"


def expand_nesting(text: str) -> str:
    def nested(match: re.Match[str]) -> str:
        depth = int(match.group(1))
        return '[{"x": ' * (depth // 2) + '"bottom"' + "}]" * (depth // 2)

    return NEST.sub(nested, text)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key and index path inside a record, its top-level fields included."""
    found = []
    if isinstance(value, dict):
        for key, child in value.items():
            found.append((*prefix, key))
            found.extend(paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.append((*prefix, index))
            found.extend(paths(child, (*prefix, index)))
    return found


def parent_of(record: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        record = record[step]
    return record


@st.composite
def mutated(draw: st.DrawFn, record: dict[str, Any]) -> dict[str, Any]:
    """`record` with one to three things wrong: a bad value, a missing or extra key, nesting."""
    record = json.loads(json.dumps(record))
    for _ in range(draw(st.integers(1, 3), label="mutations")):
        where = paths(record)
        how = draw(st.sampled_from(["replace", "delete", "add", "nest"]))
        path = draw(st.sampled_from(where)) if where else ()
        if not path:
            continue
        parent = parent_of(record, path)
        if how == "replace":
            parent[path[-1]] = draw(GARBAGE)
        elif how == "delete":
            del parent[path[-1]]
        elif how == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "recordId", "Title", "", "__proto__"]))] = draw(
                GARBAGE
            )
        elif how == "nest":
            # Deep enough to reach Python's recursion limit in naive code.
            parent[path[-1]] = nest_marker(draw(st.sampled_from([4, 50, 400, 900, 990, 3000])))
    return record


def one_in(n: int) -> st.SearchStrategy[bool]:
    """True about once in `n` draws (and False when shrinking)."""
    return st.sampled_from([False] * (n - 1) + [True])


@st.composite
def records_files(draw: st.DrawFn) -> tuple[bytes, int]:
    """The bytes of a records file and how many records it holds (lines or array items).

    Half the files are well formed (their records may still break rules that span fields or
    name a damaged image), so the fuzzing reaches the database; the rest are damaged.
    """
    chaos = draw(st.booleans(), label="chaos")
    chosen = draw(
        st.lists(
            records(),
            min_size=1,
            max_size=4,
            unique_by=lambda r: (r["agency"]["code"], r["record_id"]),
        ),
        label="records",
    )
    if chaos:
        chosen = [draw(mutated(r)) if draw(one_in(3)) else r for r in chosen]
        if draw(one_in(5)):
            chosen.append(dict(draw(st.sampled_from(chosen))))  # the same record id twice
    ensure_ascii = not chaos or draw(st.booleans())
    texts = [expand_nesting(json.dumps(r, ensure_ascii=ensure_ascii)) for r in chosen]
    damage = "none"
    if chaos:
        damage = draw(st.sampled_from(["none", "none", "truncate", "garbage", "surrogate"]))
    if damage == "truncate":
        index = draw(st.integers(0, len(texts) - 1))
        # Never to nothing: a blank line is skipped, and the file would hold one record less.
        texts[index] = texts[index][: draw(st.integers(1, len(texts[index]) - 1))]
    elif damage == "garbage":
        texts.insert(draw(st.integers(0, len(texts))), draw(st.text(max_size=40)))
    elif damage == "surrogate":
        # A lone surrogate escape: valid JSON, but no UTF-8 encoding exists for it.
        index = draw(st.integers(0, len(texts) - 1))
        texts[index] = texts[index].replace('"title": "', '"title": "\\ud800', 1)
    if draw(one_in(4)):
        body = "[" + ",\n".join(texts) + "]"
    else:
        newline = draw(st.sampled_from(["\n", "\r\n", "\n\n", "\r\n \r\n"]))
        body = newline.join(texts) + draw(st.sampled_from(["", "\n", "\r\n"]))
    data = body.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if chaos and draw(one_in(10)):
        data = data.replace(b"e", b"\xe9", 1)  # a Latin-1 byte: not UTF-8
    event(f"damage: {damage}" if chaos else "well formed")
    return data, len(chosen)


# ---------------------------------------------------------------------------
# The property


def _png(size: tuple[int, int], colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Images the generated records name: good ones, a damaged one, one never made (missing)."""
    base = tmp_path / "records"
    (base / "sub").mkdir(parents=True)
    (base / "photo.png").write_bytes(_png((12, 8), "teal"))
    gif = io.BytesIO()
    Image.new("P", (6, 6), 3).save(gif, "GIF")
    (base / "sub" / "mark.gif").write_bytes(gif.getvalue())
    (base / "other.webp").write_bytes(b"RIFF\x10\x00\x00\x00WEBPVP8 damaged")
    return base


def snapshot() -> dict[str, Any]:
    """What an import can change: cases, agencies and stored image files."""
    db.session.expire_all()
    cases = {
        (case.agency.code, case.record_id): (case.version, case.content_hash, case.status)
        for case in db.session.scalars(select(Case))
    }
    agencies = {
        agency.code: (agency.name, agency.country, agency.tip_email)
        for agency in db.session.scalars(select(Agency))
    }
    return {
        "cases": cases,
        "agencies": agencies,
        "media": sorted(media.get_media_store().iter_keys()),
    }


def normalised(record: dict[str, Any]) -> dict[str, Any]:
    return Record.model_validate(record).model_dump(mode="json")


def case_of(record: dict[str, Any]) -> Case:
    case = db.session.scalar(
        select(Case)
        .join(Case.agency)
        .where(Agency.code == record["agency"]["code"], Case.record_id == record["record_id"])
    )
    assert case is not None
    return case


@counted("hypothesis: record importer")
@fuzz_settings(max_examples=25)
@given(file=records_files())
def test_a_records_file_is_imported_whole_or_not_at_all(
    app: Flask, folder: Path, file: tuple[bytes, int]
) -> None:
    # Hypothesis seeds `random` the same way for every example, and Whoosh names index
    # segments with it: the same names again would clash with the segments written before.
    random.seed()
    data, count = file
    path = folder / "records.jsonl"
    path.write_bytes(data)
    before = snapshot()

    result = import_file(path)  # anything it raises is a failure: errors are its answer

    if result.errors:
        event("refused")
        note_outcome("refused")
        # The kind of the first refusal, for --hypothesis-show-statistics.
        event("first error: " + re.sub(r"\d+|'.*'", "N", result.errors[0].message)[:50])
        assert all(str(error) for error in result.errors)
        assert snapshot() == before, "a refused file changed something"
        return
    event("imported")
    note_outcome("imported")
    assert result.imported + result.updated + result.unchanged == count
    text = data.decode("utf-8-sig")
    if text.lstrip().startswith("["):
        accepted = json.loads(text)
    else:
        accepted = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert len(accepted) == count
    db.session.expire_all()
    for record in accepted:
        # What the portal holds is what the record said (stripped, defaults filled in).
        exported = export_zip([case_of(record)], include_restricted=True)
        with zipfile.ZipFile(io.BytesIO(exported)) as archive:
            [line] = archive.read(ZIP_RECORDS_NAME).decode().splitlines()
        assert normalised(json.loads(line)) == normalised(record)

    # Export -> import gives the same cases and the same public views.
    cases = [case_of(record) for record in accepted]
    views = {case.public_id: derive_public_case(case) for case in cases}
    again = folder / "export"
    with zipfile.ZipFile(io.BytesIO(export_zip(cases, include_restricted=True))) as archive:
        archive.extractall(again)
    state = snapshot()
    reimported = import_file(again / ZIP_RECORDS_NAME)
    assert reimported.errors == []
    assert reimported.unchanged == len(cases)
    assert snapshot() == state
    db.session.expire_all()
    for case in cases:
        assert derive_public_case(db.session.get(Case, case.id)) == views[case.public_id]
