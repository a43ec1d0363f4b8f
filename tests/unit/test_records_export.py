"""Record export: valid records, images beside them, and re-importing an export changes nothing."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from portal import media
from portal.extensions import db
from portal.models import Case, CaseImage, CaseStatus
from portal.records.exporter import (
    FIELD_ORDER,
    ZIP_RECORDS_NAME,
    UnknownAgency,
    case_to_record,
    export_records,
    export_zip,
)
from portal.records.importer import import_file
from portal.records.schema import Record
from portal.records.validation import validate_file

SENTINELS = [f"RESTRICTED-SENTINEL-00{n}" for n in range(1, 6)] + ["BE-DNA-77812-SECRET"]


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def save(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")


def normalised(record: dict[str, Any]) -> dict[str, Any]:
    return Record.model_validate(record).model_dump(mode="json")


def snapshot() -> dict[str, tuple[int, Any]]:
    db.session.expire_all()
    return {c.public_id: (c.version, c.updated_at) for c in db.session.scalars(select(Case))}


def output_bytes(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def picture(path: Path, colour: str) -> None:
    Image.new("RGB", (64, 48), colour).save(path, "JPEG")


@pytest.fixture
def private_images(app: Flask, records_dir: Path) -> Path:
    """The sample records with an unpublished image and an image named only by a mark."""
    path = records_dir / "sample-records.jsonl"
    records = load(path)
    record = records[1]  # BE-2001-1117
    picture(records_dir / "scene.jpg", "olive")
    picture(records_dir / "scar.jpg", "maroon")
    record["images"] = [{"file": "scene.jpg", "kind": "scene", "caption": "Sketch map"}]
    record["marks"][0]["image"] = "scar.jpg"
    save(path, records)
    result = import_file(path)
    assert result.errors == []
    return path


def test_round_trip_changes_nothing(app: Flask, sample_cases: Path, tmp_path: Path) -> None:
    out = tmp_path / "export" / "records.jsonl"
    before = snapshot()
    keys_before = sorted(media.get_media_store().iter_keys())
    result = export_records(out, agency_code=None, include_restricted=True)
    assert (result.records, result.images) == (18, 1)
    validated = validate_file(out)
    assert validated.errors == []
    assert len(validated.records) == 18
    imported = import_file(out)
    assert imported.summary() == "imported 0, updated 0, unchanged 18"
    assert snapshot() == before
    assert sorted(media.get_media_store().iter_keys()) == keys_before


def test_exported_records_equal_the_originals(
    app: Flask, sample_cases: Path, tmp_path: Path
) -> None:
    out = tmp_path / "records.jsonl"
    export_records(out, agency_code=None, include_restricted=True)
    originals = {r["record_id"]: normalised(r) for r in load(sample_cases)}
    exported = load(out)
    assert [(r["agency"]["code"], r["record_id"]) for r in exported] == sorted(
        (r["agency"]["code"], r["record_id"]) for r in load(sample_cases)
    )
    for record in exported:
        assert list(record) == [name for name in FIELD_ORDER if name in record]
        assert None not in record.values()
        assert normalised(record) == originals[record["record_id"]], record["record_id"]
    assert "restricted" in next(r for r in exported if r["record_id"] == "BE-1992-0603")


def test_exported_image_is_the_stored_original(
    app: Flask, sample_cases: Path, tmp_path: Path
) -> None:
    out = tmp_path / "records.jsonl"
    export_records(out, agency_code=None, include_restricted=True)
    image = db.session.scalar(select(CaseImage))
    assert image is not None
    stored = media.get_media_store().get(media.original_key(image.media_prefix, image.extension))
    assert (tmp_path / "be-1992-0603-tattoo.jpg").read_bytes() == stored
    assert b"EXIF-SENTINEL" not in stored


def test_edited_export_updates_only_that_case_and_keeps_its_images(
    app: Flask, sample_cases: Path, tmp_path: Path
) -> None:
    out = tmp_path / "records.jsonl"
    export_records(out, agency_code=None, include_restricted=True)
    prefix = db.session.scalar(select(CaseImage.media_prefix))
    records = load(out)
    edited = next(r for r in records if r["record_id"] == "BE-1992-0603")
    edited["title"] = "The woman with the flower tattoo (new details)"
    save(out, records)
    assert import_file(out).summary() == "imported 0, updated 1, unchanged 17"
    db.session.expire_all()
    # The exported bytes were recognised as the stored image: not re-encoded, not stored again.
    assert db.session.scalar(select(CaseImage.media_prefix)) == prefix
    # The original file brings the old title back, still with the same stored image.
    assert import_file(sample_cases).summary() == "imported 0, updated 1, unchanged 17"
    assert import_file(sample_cases).summary() == "imported 0, updated 0, unchanged 18"
    db.session.expire_all()
    assert db.session.scalar(select(CaseImage.media_prefix)) == prefix


def test_restricted_export_keeps_private_images_and_round_trips(
    app: Flask, private_images: Path, tmp_path: Path
) -> None:
    out = tmp_path / "records.jsonl"
    result = export_records(out, agency_code=None, include_restricted=True)
    assert result.images == 3
    assert {"scene.jpg", "scar.jpg"} <= {p.name for p in tmp_path.iterdir()}
    record = next(r for r in load(out) if r["record_id"] == "BE-2001-1117")
    original = next(r for r in load(private_images) if r["record_id"] == "BE-2001-1117")
    assert normalised(record) == normalised(original)
    assert record["images"] == [
        {"file": "scene.jpg", "kind": "scene", "caption": "Sketch map", "publish": False}
    ]
    assert record["marks"][0]["image"] == "scar.jpg"
    assert import_file(out).summary() == "imported 0, updated 0, unchanged 18"


def test_export_without_restricted_leaves_out_police_only_material(
    app: Flask, private_images: Path, tmp_path: Path
) -> None:
    out = tmp_path / "public" / "records.jsonl"
    result = export_records(out, agency_code=None, include_restricted=False)
    assert (result.records, result.images) == (18, 1)
    records = load(out)
    assert all("restricted" not in record for record in records)
    record = next(r for r in records if r["record_id"] == "BE-2001-1117")
    assert "images" not in record
    assert "image" not in record["marks"][0]
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "be-1992-0603-tattoo.jpg",
        "records.jsonl",
    ]
    written = output_bytes(out.parent)
    for sentinel in SENTINELS:
        assert sentinel.encode() not in written
    assert validate_file(out).errors == []


def test_agency_and_status_filters(app: Flask, sample_cases: Path, tmp_path: Path) -> None:
    out = tmp_path / "be.jsonl"
    result = export_records(out, agency_code="BE-FPJ-ANTWERP", include_restricted=True)
    expected = sorted(
        r["record_id"] for r in load(sample_cases) if r["agency"]["code"] == "BE-FPJ-ANTWERP"
    )
    assert result.records == len(expected) == 3
    assert [r["record_id"] for r in load(out)] == expected
    assert import_file(out).summary() == "imported 0, updated 0, unchanged 3"
    published = export_records(
        tmp_path / "published.jsonl",
        agency_code=None,
        include_restricted=True,
        statuses=[CaseStatus.PUBLISHED],
    )
    assert published.records == 15
    with pytest.raises(UnknownAgency):
        export_records(tmp_path / "x.jsonl", agency_code="NO-SUCH", include_restricted=True)
    assert not (tmp_path / "x.jsonl").exists()


def test_zip_holds_the_same_export(app: Flask, sample_cases: Path, tmp_path: Path) -> None:
    out = tmp_path / "folder" / "records.jsonl"
    export_records(out, agency_code=None, include_restricted=True)
    cases = list(db.session.scalars(select(Case).order_by(Case.id.desc())))
    data = export_zip(cases, include_restricted=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["be-1992-0603-tattoo.jpg", ZIP_RECORDS_NAME]
        assert archive.read(ZIP_RECORDS_NAME) == out.read_bytes()
        assert (
            archive.read("be-1992-0603-tattoo.jpg")
            == (out.parent / "be-1992-0603-tattoo.jpg").read_bytes()
        )
        archive.extractall(tmp_path / "unzipped")
    unzipped = tmp_path / "unzipped" / ZIP_RECORDS_NAME
    assert import_file(unzipped).summary() == "imported 0, updated 0, unchanged 18"


def test_zip_of_one_case_without_restricted(app: Flask, sample_cases: Path) -> None:
    case = db.session.scalar(select(Case).where(Case.record_id == "BE-1992-0603"))
    assert case is not None
    data = export_zip([case], include_restricted=False)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        [record] = [json.loads(line) for line in archive.read(ZIP_RECORDS_NAME).splitlines()]
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert record["record_id"] == "BE-1992-0603"
    assert "restricted" not in record
    assert record == case_to_record(case, include_restricted=False)
    for sentinel in SENTINELS:
        assert sentinel.encode() not in everything


def test_same_image_name_from_two_folders_is_renamed(
    app: Flask, sample_cases: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    picture(other / "be-1992-0603-tattoo.jpg", "teal")
    record = load(sample_cases)[0]
    record["record_id"] = "BE-1992-0603-B"
    save(other / "more.jsonl", [record])
    assert import_file(other / "more.jsonl").imported == 1
    out = tmp_path / "export" / "records.jsonl"
    result = export_records(out, agency_code=None, include_restricted=True)
    assert (result.records, result.images) == (19, 2)
    renamed = next(r for r in load(out) if r["record_id"] == "BE-1992-0603-B")
    name = "images/BE-FPJ-ANTWERP/BE-1992-0603-B/1-tattoo.jpg"
    assert renamed["images"][0]["file"] == renamed["marks"][0]["image"] == name
    assert (out.parent / name).is_file()
    assert validate_file(out).errors == []
    # Only the name differs, which the record's hash covers: one update, then stable.
    assert import_file(out).summary() == "imported 0, updated 1, unchanged 18"
    assert import_file(out).summary() == "imported 0, updated 0, unchanged 19"


def test_export_beside_the_original_files_never_overwrites_them(
    app: Flask, sample_cases: Path
) -> None:
    upload = (sample_cases.parent / "be-1992-0603-tattoo.jpg").read_bytes()
    out = sample_cases.parent / "export.jsonl"
    result = export_records(out, agency_code=None, include_restricted=True)
    assert result.images == 1
    assert (sample_cases.parent / "be-1992-0603-tattoo.jpg").read_bytes() == upload
    name = "images/BE-FPJ-ANTWERP/BE-1992-0603/1-tattoo.jpg"
    assert (sample_cases.parent / name).is_file()
    assert validate_file(out).errors == []
    # A second export into the same place reuses its own earlier file.
    export_records(out, agency_code=None, include_restricted=True)
    assert len(list((sample_cases.parent / "images").rglob("*.jpg"))) == 1


def reexported(path: Path, tmp_path: Path) -> Path:
    """Import `path`, export everything, and check the export re-imports as unchanged."""
    assert import_file(path).errors == []
    out = tmp_path / "records.jsonl"
    export_records(out, agency_code=None, include_restricted=True)
    assert import_file(out).summary() == "imported 0, updated 0, unchanged 18"
    return out


def test_line_separators_in_text_stay_inside_one_line(
    app: Flask, records_dir: Path, tmp_path: Path
) -> None:
    path = records_dir / "sample-records.jsonl"
    records = load(path)
    records[0]["circumstances"] += "\u2028Second paragraph\u2029third\x85fourth"
    records[0]["restricted"]["notes"] += "\u2028more"
    save(path, records)
    # The importer reads lines with str.splitlines, so the input must escape them too.
    path.write_text(
        path.read_text("utf-8")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
        .replace("\x85", "\\u0085"),
        "utf-8",
    )
    out = reexported(path, tmp_path)
    assert len(out.read_text("utf-8").split("\n")) == 19  # 18 lines and the final newline


def test_a_mark_with_an_empty_colour_list_round_trips_unchanged(
    app: Flask, records_dir: Path, tmp_path: Path
) -> None:
    # Found by tests/unit/test_records_fuzz.py: `"colours": []` was exported as no colours,
    # which then read as a changed record and updated the case on every re-import.
    path = records_dir / "sample-records.jsonl"
    records = load(path)
    records[1]["marks"][0]["colours"] = []
    save(path, records)
    reexported(path, tmp_path)
    assert import_file(path).summary() == "imported 0, updated 0, unchanged 18"


def test_a_place_at_minus_zero_round_trips_unchanged(
    app: Flask, records_dir: Path, tmp_path: Path
) -> None:
    # Found by tests/unit/test_records_fuzz.py: a longitude of -0.0 was stored as 0.0, so the
    # export hashed differently and updated its case on re-import.
    path = records_dir / "sample-records.jsonl"
    records = load(path)
    records[0]["event"]["lat"], records[0]["event"]["lon"] = 51.5, -0.0
    save(path, records)
    reexported(path, tmp_path)
    assert import_file(path).summary() == "imported 0, updated 0, unchanged 18"


def test_cli_export_and_reimport(app: Flask, sample_cases: Path, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    out = tmp_path / "backup" / "all.jsonl"
    result = runner.invoke(args=["records", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"exported 18 records, 1 images to {out}"
    assert "RESTRICTED-SENTINEL-001" in out.read_text("utf-8")
    validate = runner.invoke(args=["records", "validate", str(out)])
    assert validate.output.strip() == "valid: 18 records"
    again = runner.invoke(args=["records", "import", str(out)])
    assert again.output.splitlines()[-1] == "imported 0, updated 0, unchanged 18"
    one = runner.invoke(
        args=["records", "export", str(tmp_path / "uk.jsonl"), "--agency", "UK-MPU"]
    )
    assert one.output.splitlines()[-1] == f"exported 4 records, 0 images to {tmp_path / 'uk.jsonl'}"


def test_cli_unknown_agency_is_a_clear_error(
    app: Flask, sample_cases: Path, tmp_path: Path
) -> None:
    out = tmp_path / "x.jsonl"
    result = app.test_cli_runner().invoke(args=["records", "export", str(out), "--agency", "ZZ"])
    assert result.exit_code == 1
    assert "Error: no agency has the code 'ZZ'" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
