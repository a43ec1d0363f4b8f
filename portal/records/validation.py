"""Read records files and report every problem as `RECORD: field.path: message`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from portal.records.schema import Agency, Record, cross_field_errors

MAX_FILE_BYTES = 512 * 1024 * 1024
WHOLE_RECORD = "(record)"
WHOLE_FILE = "(file)"


@dataclass(frozen=True)
class RecordError:
    """One problem with one record, named by its record id or position and a field path."""

    record: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.record}: {self.path}: {self.message}"


@dataclass(frozen=True)
class RawRecord:
    """A record as read from a file, before validation."""

    position: str  # "line 3" for JSON Lines, "record 3" for an array
    data: Any

    @property
    def label(self) -> str:
        if isinstance(self.data, dict):
            record_id = self.data.get("record_id")
            if isinstance(record_id, str) and 0 < len(record_id) <= 64 and record_id.isprintable():
                return record_id
        return self.position


def _format_loc(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or WHOLE_RECORD


_MESSAGES = {
    "extra_forbidden": "unknown field (not part of the record format; check the spelling)",
    "missing": "required",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
}


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')} (got {error.get('input')!r})"
    if kind == "string_too_long":
        return f"is too long: at most {ctx.get('max_length')} characters"
    if kind == "too_long":
        return f"has too many entries: at most {ctx.get('max_length')}"
    if kind == "string_pattern_mismatch":
        return f"{error.get('input')!r} does not have the required form ({ctx.get('pattern')})"
    if kind in {"greater_than_equal", "less_than_equal"}:
        bound = "at least" if kind == "greater_than_equal" else "at most"
        limit = ctx.get("ge", ctx.get("le"))
        return f"must be {bound} {limit} (got {error.get('input')!r})"
    if kind in {"value_error", "assertion_error"}:
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


def validate_record(raw: Any, label: str) -> tuple[Record | None, list[RecordError]]:
    """Validate one decoded record; return it with no errors, or None with every error."""
    if not isinstance(raw, dict):
        return None, [RecordError(label, WHOLE_RECORD, "must be a JSON object")]
    try:
        record = Record.model_validate(raw)
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            # A bad key inside `translations` is reported as the key, not as "[key]".
            errors.append(RecordError(label, _format_loc(loc), _message(error)))
        return None, errors
    problems = [RecordError(label, path, message) for path, message in cross_field_errors(record)]
    return (None, problems) if problems else (record, [])


def read_records(path: Path) -> tuple[list[RawRecord], list[RecordError]]:
    """Decode a JSON array or JSON Lines file into raw records, with any decoding errors."""
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        return [], [RecordError(name, WHOLE_FILE, f"cannot be read: {exc.strerror}")]
    if size > MAX_FILE_BYTES:
        return [], [RecordError(name, WHOLE_FILE, "is larger than 512 MB; split it")]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return [], [RecordError(name, WHOLE_FILE, f"cannot be read: {exc.strerror}")]
    except UnicodeDecodeError as exc:
        return [], [RecordError(name, WHOLE_FILE, f"is not UTF-8 text (byte {exc.start})")]
    stripped = text.lstrip()
    if not stripped:
        return [], [RecordError(name, WHOLE_FILE, "is empty: no records found")]
    if stripped.startswith("["):
        return _read_array(name, text)
    return _read_lines(text)


class _NonStandardNumber(ValueError):
    """NaN or Infinity: Python's json reads them, JSON (and PostgreSQL's json type) does not."""


def _refuse_constant(word: str) -> Any:
    raise _NonStandardNumber(f"invalid JSON: {word} is not a JSON number")


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_refuse_constant)


def _read_array(name: str, text: str) -> tuple[list[RawRecord], list[RecordError]]:
    try:
        data = _loads(text)
    except json.JSONDecodeError as exc:
        return [], [
            RecordError(
                name, WHOLE_FILE, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            )
        ]
    except _NonStandardNumber as exc:
        return [], [RecordError(name, WHOLE_FILE, str(exc))]
    except RecursionError:
        return [], [RecordError(name, WHOLE_FILE, "invalid JSON: nested too deeply")]
    if not isinstance(data, list):
        return [], [RecordError(name, WHOLE_FILE, "must hold a JSON array or JSON Lines")]
    if not data:
        return [], [RecordError(name, WHOLE_FILE, "is an empty array: no records found")]
    return [RawRecord(f"record {index}", item) for index, item in enumerate(data, 1)], []


def _read_lines(text: str) -> tuple[list[RawRecord], list[RecordError]]:
    records: list[RawRecord] = []
    errors: list[RecordError] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        position = f"line {number}"
        try:
            records.append(RawRecord(position, _loads(line)))
        except json.JSONDecodeError as exc:
            errors.append(
                RecordError(
                    position, WHOLE_RECORD, f"invalid JSON at column {exc.colno}: {exc.msg}"
                )
            )
        except _NonStandardNumber as exc:
            errors.append(RecordError(position, WHOLE_RECORD, str(exc)))
        except RecursionError:
            errors.append(RecordError(position, WHOLE_RECORD, "invalid JSON: nested too deeply"))
    return records, errors


@dataclass
class ValidatedFile:
    """A records file after validation: its records, or the errors that stop it."""

    path: Path
    records: list[tuple[str, Record]]
    errors: list[RecordError]


def validate_file(path: Path, images_dir: Path | None = None) -> ValidatedFile:
    """Validate every record in a file, including duplicates and that local images exist."""
    raw_records, errors = read_records(path)
    records: list[tuple[str, Record]] = []
    seen: dict[tuple[str, str], str] = {}
    agencies: dict[str, tuple[str, Agency]] = {}
    base = (images_dir or path.parent).resolve()
    for raw in raw_records:
        label = raw.label
        record, record_errors = validate_record(raw.data, label)
        errors.extend(record_errors)
        if record is None:
            continue
        key = (record.agency.code, record.record_id)
        if key in seen:
            errors.append(
                RecordError(
                    label,
                    "record_id",
                    f"appears twice in this file ({seen[key]} and {raw.position})",
                )
            )
            continue
        seen[key] = raw.position
        first = agencies.setdefault(record.agency.code, (label, record.agency))
        if first[1] != record.agency:
            # One agency, one description: otherwise which name and address would win?
            errors.append(
                RecordError(
                    label,
                    "agency",
                    f"differs from the agency {record.agency.code} given in {first[0]}",
                )
            )
            continue
        errors.extend(_missing_images(label, record, base))
        records.append((label, record))
    return ValidatedFile(path, records, errors)


def _missing_images(label: str, record: Record, base: Path) -> Iterator[RecordError]:
    for path, file in image_references(record):
        if file.startswith("https://"):
            continue
        resolved = resolve_image_path(base, file)
        if resolved is None:
            yield RecordError(label, path, f"{file!r} points outside the images folder")
        elif not resolved.is_file():
            yield RecordError(label, path, f"image file {file!r} not found in {base}")


def image_references(record: Record) -> Iterator[tuple[str, str]]:
    """Every image file a record names, with the field path that names it."""
    for index, image in enumerate(record.images):
        yield f"images[{index}].file", image.file
    listed = {image.file for image in record.images}
    for index, mark in enumerate(record.marks):
        if mark.image is not None and mark.image not in listed:
            yield f"marks[{index}].image", mark.image


def resolve_image_path(base: Path, file: str) -> Path | None:
    """The file inside `base` that a record's relative image path names, or None if it escapes."""
    candidate = (base / file).resolve()
    if not candidate.is_relative_to(base):
        return None
    return candidate
