"""Record validation: every error names the record and the field path, never a traceback."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from portal.records.validation import read_records, validate_file, validate_record
from tests.conftest import SAMPLE_RECORDS


def sample(record_id: str = "BE-1992-0603") -> dict[str, Any]:
    for line in SAMPLE_RECORDS.read_text().splitlines():
        record = json.loads(line)
        if record["record_id"] == record_id:
            return copy.deepcopy(record)
    raise KeyError(record_id)


def errors_for(record: dict[str, Any]) -> list[str]:
    _, errors = validate_record(record, record.get("record_id", "record 1"))
    return [str(error) for error in errors]


def test_every_sample_record_is_valid() -> None:
    validated = validate_file(SAMPLE_RECORDS)
    assert validated.errors == []
    assert len(validated.records) == 18


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r.update(titel="x"), "BE-1992-0603: titel: unknown field"),
        (
            lambda r: r["marks"][0].update(colour="red"),
            "BE-1992-0603: marks[0].colour: unknown field",
        ),
        (
            lambda r: r["event"].update(date="1992-13-03"),
            "BE-1992-0603: event.date: '1992-13-03' is not a real calendar date",
        ),
        (
            lambda r: r["event"].update(date="03/06/1992"),
            "BE-1992-0603: event.date: '03/06/1992' is not a date in the form YYYY-MM-DD",
        ),
        (
            lambda r: r["event"].update(date="2999-01-01"),
            "BE-1992-0603: event.date: 2999-01-01 is in the future",
        ),
        (
            lambda r: r.update(age={"min": 40, "max": 30}),
            "BE-1992-0603: age: min (40) is greater than max (30)",
        ),
        (
            lambda r: r.update(height_cm={"min": 10, "max": 170}),
            "BE-1992-0603: height_cm.min: must be at least 30",
        ),
        (
            lambda r: r["event"].update(country="UK"),
            "BE-1992-0603: event.country: 'UK' is not an ISO 3166-1 alpha-2",
        ),
        (
            lambda r: r["agency"].update(country="Belgium"),
            "BE-1992-0603: agency.country: 'Belgium' is not an ISO 3166-1",
        ),
        (
            lambda r: r.update(sex="f"),
            "BE-1992-0603: sex: must be one of 'female', 'male' or 'unknown'",
        ),
        (lambda r: r.update(status="live"), "BE-1992-0603: status: must be one of"),
        (
            lambda r: r["marks"][0].update(type="tatoo"),
            "BE-1992-0603: marks[0].type: must be one of",
        ),
        (
            lambda r: r["images"][0].update(kind="photo"),
            "BE-1992-0603: images[0].kind: must be one of",
        ),
        (
            lambda r: r.update(title="x" * 201),
            "BE-1992-0603: title: is too long: at most 200 characters",
        ),
        (lambda r: r.update(circumstances="x" * 8001), "BE-1992-0603: circumstances: is too long"),
        (lambda r: r.update(title="   "), "BE-1992-0603: title: must not be blank"),
        (
            lambda r: r.update(title="bad\x00title"),
            "BE-1992-0603: title: contains control characters",
        ),
        (lambda r: r.pop("title"), "BE-1992-0603: title: required"),
        (lambda r: r.pop("event"), "BE-1992-0603: event: required"),
        (
            lambda r: r.update(age={"min": "25", "max": 35}),
            "BE-1992-0603: age.min: must be a whole number",
        ),
        (
            lambda r: r["biometrics"].update(dna="yes"),
            "BE-1992-0603: biometrics.dna: must be true or false",
        ),
        (
            lambda r: r["agency"].update(code="be fpj"),
            "BE-1992-0603: agency.code: 'be fpj' does not have the required form",
        ),
        (
            lambda r: r["event"].update(date_precision="year"),
            "BE-1992-0603: event: a date known only to the year is written YYYY-01-01",
        ),
        (lambda r: r["event"].pop("lon"), "BE-1992-0603: event: lat and lon go together"),
        (lambda r: r.update(kind="missing"), "BE-1992-0603: name: required for a missing person"),
        (
            lambda r: r.update(status="identified", name="A"),
            "BE-1992-0603: identified: required when status is identified",
        ),
        (
            lambda r: r.update(identified={"date": "2020-01-01"}),
            "BE-1992-0603: identified: only allowed when status is identified",
        ),
        (
            lambda r: r["translations"].update(xx={"title": "t"}),
            "BE-1992-0603: translations.xx: 'xx' is not a known BCP 47",
        ),
        (
            lambda r: r["translations"].update(fr={}),
            "BE-1992-0603: translations.fr: a translation needs at least one",
        ),
        (
            lambda r: r["images"][0].update(file="../secret.jpg"),
            "BE-1992-0603: images[0].file: must be a path relative",
        ),
        (
            lambda r: r["images"][0].update(file="/etc/passwd"),
            "BE-1992-0603: images[0].file: must be a path relative",
        ),
        (
            lambda r: r["images"][0].update(file="http://example.com/a.jpg"),
            "BE-1992-0603: images[0].file: an image given as a URL must use https://",
        ),
        (
            lambda r: r["images"].append(dict(r["images"][0])),
            "BE-1992-0603: images[1].file: 'be-1992-0603-tattoo.jpg' is listed twice",
        ),
        (lambda r: r.update(restricted="secret"), "BE-1992-0603: restricted: must be an object"),
        (lambda r: r.update(marks={}), "BE-1992-0603: marks: must be a list"),
    ],
)
def test_bad_record_is_reported_with_field_path(change: Any, expected: str) -> None:
    record = sample()
    change(record)
    messages = errors_for(record)
    assert any(message.startswith(expected) for message in messages), messages


def nested(depth: int) -> dict[str, Any]:
    """A restricted object `depth` levels deep (the object itself is level 1)."""
    node: dict[str, Any] = {"x": "bottom"}
    for _ in range(depth - 1):
        node = {"x": [node]} if len(str(node)) % 2 else {"x": node}
    return node


@pytest.mark.parametrize("word", ["Infinity", "-Infinity", "NaN"])
def test_nan_and_infinity_are_not_json_numbers(tmp_path: Path, word: str) -> None:
    # Found by fuzzing: Python's json reads them, and PostgreSQL's json column then refused
    # the restricted data of an accepted record in the middle of an import.
    path = tmp_path / "r.jsonl"
    record = json.dumps(sample())[:-1] + f', "restricted": {{"x": {word}}}}}'
    path.write_text(record + "\n")
    validated = validate_file(path)
    assert [str(e) for e in validated.errors] == [
        f"line 1: (record): invalid JSON: {word} is not a JSON number"
    ]


def test_restricted_data_nested_too_deep_is_refused_not_a_crash() -> None:
    # Found by fuzzing: JSON reads ~250 levels, which the record then could not be stored with.
    record = sample()
    record["restricted"] = {"notes": [nested(40)]}
    messages = errors_for(record)
    assert any("restricted: is nested more than 32 levels deep" in m for m in messages), messages
    record["restricted"] = {"notes": nested(20)}
    assert errors_for(record) == []


def test_record_without_usable_id_is_named_by_position(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    record = sample()
    record["record_id"] = 5
    path.write_text(json.dumps(sample("BE-2001-1117")) + "\n\n" + json.dumps(record) + "\n")
    validated = validate_file(path)
    assert [str(e) for e in validated.errors] == ["line 3: record_id: must be a string"]


def test_all_errors_of_a_record_are_reported_at_once() -> None:
    record = sample()
    record.update(sex="x", titel="y")
    record["event"]["country"] = "ZZ"
    messages = errors_for(record)
    assert {m.split(": ")[1] for m in messages} == {"sex", "titel", "event.country"}


def test_malformed_json_lines_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(sample()) + '\n{"record_id": "A-1",\n[1, 2]\n')
    _, errors = read_records(path)
    assert str(errors[0]).startswith("line 2: (record): invalid JSON at column")
    validated = validate_file(path)
    assert "line 3: (record): must be a JSON object" in [str(e) for e in validated.errors]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "r.json: (file): is empty: no records found"),
        (b"[]", "r.json: (file): is an empty array: no records found"),
        (b'[{"a": 1},', "r.json: (file): invalid JSON at line 1 column"),
        (b"\xff\xfe\x00garbage", "r.json: (file): is not UTF-8 text"),
        (b"[" * 100_000, "r.json: (file): invalid JSON"),
        (b'[{"a": NaN}]', "r.json: (file): invalid JSON: NaN is not a JSON number"),
    ],
)
def test_unreadable_files_are_reported(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(content)
    validated = validate_file(path)
    assert str(validated.errors[0]).startswith(expected)


def test_json_array_files_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    records = [json.loads(line) for line in SAMPLE_RECORDS.read_text().splitlines()]
    path.write_text(json.dumps(records, indent=2))
    shutil_image = SAMPLE_RECORDS.parent / "be-1992-0603-tattoo.jpg"
    (tmp_path / shutil_image.name).write_bytes(shutil_image.read_bytes())
    validated = validate_file(path)
    assert validated.errors == []
    assert len(validated.records) == 18


def test_missing_image_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(sample()) + "\n")
    validated = validate_file(path)
    assert [str(e) for e in validated.errors] == [
        "BE-1992-0603: images[0].file: "
        f"image file 'be-1992-0603-tattoo.jpg' not found in {tmp_path}"
    ]


def test_one_agency_described_two_ways_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    first, second = sample("BE-2001-1117"), sample("BE-2001-1117")
    second["record_id"] = "BE-2001-1118"
    second["agency"]["tip_email"] = "other@antwerp.police.example"
    path.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    validated = validate_file(path)
    assert [str(e) for e in validated.errors] == [
        "BE-2001-1118: agency: differs from the agency BE-FPJ-ANTWERP given in BE-2001-1117"
    ]


def test_duplicate_record_in_one_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    line = json.dumps(sample("BE-2001-1117"))
    path.write_text(line + "\n" + line + "\n")
    validated = validate_file(path)
    assert [str(e) for e in validated.errors] == [
        "BE-2001-1117: record_id: appears twice in this file (line 1 and line 2)"
    ]
