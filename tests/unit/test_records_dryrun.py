"""The dry run says what an import would do (new, changed, unchanged, errors) and writes nothing."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from portal import media
from portal.extensions import db
from portal.models import Agency, Case
from portal.records import upload
from portal.records.dryrun import DryRun, dry_run
from portal.records.importer import ImportResult, import_file
from portal.records.schema import Record
from portal.records.upload import UploadRejected, unpack
from portal.records.validation import validate_file

ANTWERP = "BE-FPJ-ANTWERP"


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def save(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def counts(dry: DryRun) -> tuple[int, int, int]:
    return len(dry.new), len(dry.changed), len(dry.unchanged)


def reported(result: ImportResult) -> tuple[int, int, int]:
    return result.imported, result.updated, result.unchanged


def nothing_written() -> tuple[int, int, list[str]]:
    cases = db.session.scalar(select(func.count()).select_from(Case)) or 0
    agencies = db.session.scalar(select(func.count()).select_from(Agency)) or 0
    return cases, agencies, list(media.get_media_store().iter_keys())


def test_counts_equal_what_the_import_then_reports(app: Flask, records_dir: Path) -> None:
    path = records_dir / "sample-records.jsonl"
    before = nothing_written()
    first = dry_run(path, None)
    assert nothing_written() == before == (0, 0, [])
    assert first.ok and first.errors == []
    assert counts(first) == (18, 0, 0)
    assert "BE-1992-0603" in first.new
    assert first.summary() == "18 new, 0 changed, 0 unchanged"
    assert reported(import_file(path)) == counts(first)

    again = dry_run(path, None)
    assert counts(again) == (0, 0, 18) and not again.has_changes
    assert reported(import_file(path)) == counts(again)

    records = load(path)
    records[1]["title"] = "A changed title"
    new = dict(records[2], record_id="NL-NEW-0001")
    save(path, [*records, new])
    # New image bytes change the record too, though its text says the same.
    Image.new("RGB", (400, 300), "navy").save(records_dir / "be-1992-0603-tattoo.jpg")
    before = nothing_written()
    changed = dry_run(path, None)
    assert nothing_written() == before
    assert sorted(changed.changed) == ["BE-1992-0603", "BE-2001-1117"]
    assert changed.new == ["NL-NEW-0001"]
    assert counts(changed) == (1, 2, 16)
    assert reported(import_file(path)) == counts(changed)


def test_errors_are_the_lines_validation_reports(app: Flask, records_dir: Path) -> None:
    path = records_dir / "sample-records.jsonl"
    records = load(path)
    records[3]["sex"] = "x"
    records[4]["colour"] = "blue"
    save(path, records)
    with path.open("a") as handle:
        handle.write("not json\n")
    dry = dry_run(path, None)
    assert dry.error_lines == [str(error) for error in validate_file(path).errors]
    assert dry.error_lines[0] == "line 19: (record): invalid JSON at column 1: Expecting value"
    assert [record for record, _ in dry.errors_by_record()] == [
        "line 19",
        records[3]["record_id"],
        records[4]["record_id"],
    ]
    # The valid records are still classified, so the summary says what the rest would do.
    assert counts(dry) == (16, 0, 0)
    assert not dry.ok
    assert import_file(path).errors == dry.errors


def test_an_image_that_cannot_be_loaded_is_an_error_of_its_record(
    app: Flask, records_dir: Path
) -> None:
    path = records_dir / "sample-records.jsonl"
    records = load(path)
    records[0]["images"][0]["file"] = "https://127.0.0.1:9/tattoo.jpg"
    records[0]["marks"][0]["image"] = "https://127.0.0.1:9/tattoo.jpg"
    save(path, records)
    dry = dry_run(path, None)
    assert [(e.record, e.path) for e in dry.errors] == [("BE-1992-0603", "images[0].file")]
    assert "could not be downloaded" in dry.errors[0].message
    assert "BE-1992-0603" not in dry.new
    assert counts(dry) == (17, 0, 0)


def test_a_missing_image_file_is_reported_like_the_cli(app: Flask, records_dir: Path) -> None:
    (records_dir / "be-1992-0603-tattoo.jpg").unlink()
    path = records_dir / "sample-records.jsonl"
    dry = dry_run(path, None)
    assert dry.error_lines == [str(error) for error in validate_file(path).errors]
    assert dry.error_lines[0].startswith("BE-1992-0603: images[0].file: image file")
    assert counts(dry) == (17, 0, 0)


def test_a_rule_refuses_records_as_errors_and_fetches_nothing(
    app: Flask, records_dir: Path
) -> None:
    path = records_dir / "sample-records.jsonl"
    # Another agency's image is not even read: the rule comes first.
    (records_dir / "be-1992-0603-tattoo.jpg").write_bytes(b"not an image")

    def only_uk(record: Record) -> str | None:
        return None if record.agency.code == "UK-MPU" else f"not {record.agency.code}"

    dry = dry_run(path, None, rule=only_uk)
    assert sorted(dry.new) == ["UK-1988-0101", "UK-2011-0615", "UK-2015-0311", "UK-2020-0909"]
    assert len(dry.errors) == 14
    assert dry.errors[0].path == "agency.code"
    assert str(dry.errors[0]) == f"BE-1992-0603: agency.code: not {ANTWERP}"
    assert dry.agencies == {"UK-MPU"}


def test_an_unreadable_file_is_an_error_not_an_exception(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "garbage.jsonl"
    path.write_bytes(b"\xff\xfe\x00binary")
    dry = dry_run(path, None)
    assert dry.error_lines == ["garbage.jsonl: (file): is not UTF-8 text (byte 0)"]
    assert counts(dry) == (0, 0, 0)


# ---------------------------------------------------------------------------
# Unpacking uploads


def zipped(entries: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def test_a_single_records_file_keeps_a_safe_name(tmp_path: Path) -> None:
    found = unpack("../../etc/My records.JSONL", b"{}", tmp_path)
    assert found.records_file == tmp_path / "My_records.JSONL"
    assert unpack("x.json", b"[]", tmp_path / "..").records_file.name == "x.json"


def test_a_zip_unpacks_its_records_file_and_images(tmp_path: Path) -> None:
    data = zipped(
        {
            "export/": b"",
            "export/records.jsonl": b"{}\n",
            "export/images/a.jpg": b"jpeg",
            "__MACOSX/export/._records.jsonl": b"resource fork",
        }
    )
    found = unpack("upload.ZIP", data, tmp_path)
    assert found.records_file == tmp_path.resolve() / "export" / "records.jsonl"
    assert (found.records_file.parent / "images" / "a.jpg").read_bytes() == b"jpeg"
    assert not (tmp_path / "__MACOSX").exists()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"../evil.jsonl": b"{}"}, "points outside the zip"),
        ({"a/../../evil.jsonl": b"{}"}, "points outside the zip"),
        ({"..\\evil.jsonl": b"{}"}, "points outside the zip"),
        ({"/etc/evil.jsonl": b"{}"}, "absolute path"),
        ({"C:/evil.jsonl": b"{}"}, "absolute path"),
        ({"images/a.jpg": b"x"}, "holds no records file"),
        ({"a.jsonl": b"{}", "b/c.json": b"[]"}, "holds 2 records files (a.jsonl, b/c.json)"),
        ({"a.jsonl": b"{}", "A.JSONL": b"{}"}, "holds 'A.JSONL' twice"),
    ],
)
def test_a_harmful_zip_is_refused_with_a_plain_message(
    tmp_path: Path, entries: dict[str, bytes], message: str
) -> None:
    folder = tmp_path / "unpacked"
    folder.mkdir()
    with pytest.raises(UploadRejected, match=message.replace("(", r"\(").replace(")", r"\)")):
        unpack("upload.zip", zipped(entries), folder)
    assert not (tmp_path / "evil.jsonl").exists()


def test_a_symlink_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("records.jsonl", "{}")
        link = zipfile.ZipInfo("images/a.jpg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(UploadRejected, match="symbolic link"):
        unpack("upload.zip", buffer.getvalue(), tmp_path)


def test_zip_bombs_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = zipped({"records.jsonl": b"{}", "images/zeros.jpg": bytes(20 * 1024 * 1024)})
    assert len(bomb) < 100_000
    with pytest.raises(UploadRejected, match="possible zip bomb"):
        unpack("upload.zip", bomb, tmp_path)

    many = zipped({f"images/{n}.jpg": b"x" for n in range(2001)} | {"r.jsonl": b"{}"})
    with pytest.raises(UploadRejected, match="2,002 entries; at most 2,000"):
        unpack("upload.zip", many, tmp_path)

    monkeypatch.setattr(upload, "MAX_UNCOMPRESSED_BYTES", 1000)
    stored = zipped({"r.jsonl": b"{}", "a.jpg": b"y" * 1200}, method=zipfile.ZIP_STORED)
    with pytest.raises(UploadRejected, match="unpacks to more than"):
        unpack("upload.zip", stored, tmp_path)


def test_a_zip_that_lies_about_its_sizes_is_refused(tmp_path: Path) -> None:
    data = bytearray(zipped({"r.jsonl": b"{}" * 500}, method=zipfile.ZIP_STORED))
    # Make both headers claim 10 bytes: the real content is longer than declared.
    real = (1000).to_bytes(4, "little")
    fake = (10).to_bytes(4, "little")
    data = bytearray(bytes(data).replace(real + real, real + fake))
    with pytest.raises(UploadRejected):
        unpack("upload.zip", bytes(data), tmp_path)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("records.txt", b"{}", "must be a .jsonl, .json or .zip file"),
        ("records.jsonl", b"", "is empty"),
        ("upload.zip", b"this is not a zip", "not a zip file that can be opened"),
        ("upload.zip", b"PK\x03\x04" + bytes(40), "not a zip file that can be opened"),
    ],
)
def test_wrong_or_unreadable_files_are_refused(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    with pytest.raises(UploadRejected, match=message):
        unpack(name, data, tmp_path)
