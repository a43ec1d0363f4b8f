"""Record import: all or nothing per file, idempotent, updates in place, images stored stripped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import media
from portal.extensions import db
from portal.models import Agency, Case, CaseImage, CaseRestricted, CaseStatus, Mark
from portal.records.importer import ImportFailed, import_file, public_id_for


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def save(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_sample_records_import_with_image(app: Flask, sample_cases: Path) -> None:
    assert count(Case) == 18
    assert count(Agency) == 7
    case = db.session.scalar(select(Case).where(Case.record_id == "BE-1992-0603"))
    assert case is not None
    assert case.public_id == public_id_for("BE-FPJ-ANTWERP", "BE-1992-0603")
    assert case.status is CaseStatus.PUBLISHED
    assert case.restricted is not None
    assert case.restricted.data["dna_profile_ref"] == "BE-DNA-77812-SECRET"
    [image] = case.images
    assert image.publish is True
    assert case.marks[0].image is image
    assert case.marks[0].inscription == "R'Nick"
    store = media.get_media_store()
    stored = list(store.iter_keys(image.media_prefix))
    assert stored, "the image and its derivatives are in the media store"
    for key in stored:
        data = store.get(key)
        assert b"EXIF-SENTINEL" not in data
        assert b"ExampleCam" not in data


def test_reimporting_the_same_file_changes_nothing(app: Flask, sample_cases: Path) -> None:
    before = {c.public_id: (c.version, c.updated_at) for c in db.session.scalars(select(Case))}
    keys_before = sorted(media.get_media_store().iter_keys())
    result = import_file(sample_cases)
    assert (result.imported, result.updated, result.unchanged) == (0, 0, 18)
    assert result.summary() == "imported 0, updated 0, unchanged 18"
    db.session.expire_all()
    after = {c.public_id: (c.version, c.updated_at) for c in db.session.scalars(select(Case))}
    assert after == before
    assert sorted(media.get_media_store().iter_keys()) == keys_before


def test_changed_record_updates_its_case(app: Flask, sample_cases: Path) -> None:
    records = load(sample_cases)
    records[1]["title"] = "Woman found near the E19 motorway at Wommelgem"
    records[1]["marks"] = records[1]["marks"][:1]
    records[1]["restricted"] = {"notes": "new"}
    save(sample_cases, records)
    case_id = db.session.scalar(select(Case.id).where(Case.record_id == "BE-2001-1117"))
    result = import_file(sample_cases)
    assert (result.imported, result.updated, result.unchanged) == (0, 1, 17)
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case is not None
    assert case.title.endswith("at Wommelgem")
    assert case.version == 2
    assert len(case.marks) == 1
    assert case.restricted is not None and case.restricted.data == {"notes": "new"}
    assert count(Case) == 18
    assert count(Mark) == sum(len(r.get("marks", [])) for r in records)


def test_replaced_image_is_stored_and_old_files_removed(app: Flask, sample_cases: Path) -> None:
    from PIL import Image

    store = media.get_media_store()
    old = db.session.scalar(select(CaseImage))
    assert old is not None
    old_prefix = old.media_prefix
    Image.new("RGB", (800, 600), "navy").save(sample_cases.parent / "be-1992-0603-tattoo.jpg")
    result = import_file(sample_cases)
    assert (result.updated, result.unchanged) == (1, 17)
    db.session.expire_all()
    new = db.session.scalar(select(CaseImage))
    assert new is not None
    assert new.media_prefix != old_prefix
    assert list(store.iter_keys(old_prefix)) == []
    assert list(store.iter_keys(new.media_prefix))


def test_a_file_with_one_bad_record_imports_nothing(app: Flask, records_dir: Path) -> None:
    path = records_dir / "sample-records.jsonl"
    records = load(path)
    records[5]["event"]["country"] = "XX"
    save(path, records)
    result = import_file(path)
    assert [str(e) for e in result.errors] == [
        "DE-2010-0705: event.country: "
        "'XX' is not an ISO 3166-1 alpha-2 country code (such as GB, NL)"
    ]
    assert count(Case) == 0
    assert list(media.get_media_store().iter_keys()) == []


def test_an_image_that_is_not_an_image_is_an_error(app: Flask, records_dir: Path) -> None:
    (records_dir / "be-1992-0603-tattoo.jpg").write_text("<html><script>alert(1)</script></html>")
    result = import_file(records_dir / "sample-records.jsonl")
    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith(
        "BE-1992-0603: images[0].file: 'be-1992-0603-tattoo.jpg':"
    )
    assert count(Case) == 0


def test_storage_failure_mid_import_leaves_nothing(
    app: Flask, records_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_commit() -> None:
        raise media.MediaError("bucket unreachable")

    monkeypatch.setattr(db.session, "commit", failing_commit)
    with pytest.raises(ImportFailed):
        import_file(records_dir / "sample-records.jsonl")
    monkeypatch.undo()
    db.session.rollback()
    assert count(Case) == 0
    assert list(media.get_media_store().iter_keys()) == [], "stored images were cleaned up"


def test_unpublished_and_unlisted_mark_images_are_kept_private(
    app: Flask, records_dir: Path
) -> None:
    path = records_dir / "sample-records.jsonl"
    records = load(path)
    record = records[1]
    (records_dir / "scar.jpg").write_bytes((records_dir / "be-1992-0603-tattoo.jpg").read_bytes())
    record["marks"][0]["image"] = "scar.jpg"  # named by the mark, not listed in images
    save(path, records)
    assert import_file(path).errors == []
    case = db.session.scalar(select(Case).where(Case.record_id == "BE-2001-1117"))
    assert case is not None
    [image] = case.images
    assert image.publish is False
    assert case.marks[0].image is image


def test_removing_restricted_data_deletes_it(app: Flask, sample_cases: Path) -> None:
    records = load(sample_cases)
    for record in records:
        record.pop("restricted", None)
    save(sample_cases, records)
    import_file(sample_cases)
    assert count(CaseRestricted) == 0


def test_status_change_sets_first_published(app: Flask, sample_cases: Path) -> None:
    records = load(sample_cases)
    draft = next(r for r in records if r["status"] == "draft")
    case = db.session.scalar(select(Case).where(Case.record_id == draft["record_id"]))
    assert case is not None and case.first_published_at is None
    draft["status"] = "published"
    save(sample_cases, records)
    import_file(sample_cases)
    db.session.expire_all()
    assert case.first_published_at is not None


def test_https_image_that_cannot_be_fetched_is_an_error(app: Flask, records_dir: Path) -> None:
    path = records_dir / "sample-records.jsonl"
    records = load(path)
    records[0]["images"][0]["file"] = "https://127.0.0.1:9/tattoo.jpg"
    records[0]["marks"][0]["image"] = "https://127.0.0.1:9/tattoo.jpg"
    save(path, records)
    result = import_file(path)
    assert [e.path for e in result.errors] == ["images[0].file"]
    assert "could not be downloaded" in result.errors[0].message
    assert count(Case) == 0
