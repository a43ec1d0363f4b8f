"""The command-line contract: records validate/import output, exit codes, and no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case


def test_validate_valid_file(app: Flask, records_dir: Path) -> None:
    result = app.test_cli_runner().invoke(
        args=["records", "validate", str(records_dir / "sample-records.jsonl")]
    )
    assert result.exit_code == 0
    assert result.output.strip() == "valid: 18 records"


def test_validate_prints_one_line_per_error_and_exits_1(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"record_id": "X-1", "agency": {"code": "A1", "name": "A", "country": "GB"}, '
        '"title": "t", "sex": "x", "event": {"date": "2020-02-30", "country": "GB"}}\n'
        "not json\n"
    )
    result = app.test_cli_runner().invoke(args=["records", "validate", str(path)])
    assert result.exit_code == 1
    assert sorted(result.output.splitlines()) == [
        "X-1: event.date: '2020-02-30' is not a real calendar date",
        "X-1: sex: must be one of 'female', 'male' or 'unknown' (got 'x')",
        "line 2: (record): invalid JSON at column 1: Expecting value",
    ]
    assert "Traceback" not in result.output


def test_validate_missing_file_is_an_error_not_a_traceback(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(
        args=["records", "validate", str(tmp_path / "nope.jsonl")]
    )
    assert result.exit_code == 1
    assert result.output.startswith("nope.jsonl: (file): cannot be read")


def test_import_prints_summary_and_is_idempotent(app: Flask, records_dir: Path) -> None:
    runner = app.test_cli_runner()
    path = str(records_dir / "sample-records.jsonl")
    first = runner.invoke(args=["records", "import", path])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines()[-1] == "imported 18, updated 0, unchanged 0"
    second = runner.invoke(args=["records", "import", path])
    assert second.output.splitlines()[-1] == "imported 0, updated 0, unchanged 18"


def test_import_into_a_database_without_schema_says_what_to_do(
    app: Flask, records_dir: Path
) -> None:
    db.drop_all()
    runner = app.test_cli_runner()
    for args in (
        ["records", "import", str(records_dir / "sample-records.jsonl")],
        ["demo", "load", "--if-empty"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert "run `flask --app app db upgrade`" in result.output
        assert "Traceback" not in result.output


def test_demo_load_is_idempotent(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert first.output.strip().startswith("demo: imported 46, updated 0, unchanged 0")
    again = runner.invoke(args=["demo", "load"])
    assert again.output.strip() == "demo: imported 0, updated 0, unchanged 46"
    skipped = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "nothing loaded" in skipped.output


def test_demo_generate_writes_synthetic_records(app: Flask, tmp_path: Path) -> None:
    out = tmp_path / "syn.jsonl"
    result = app.test_cli_runner().invoke(args=["demo", "generate", str(out), "--count", "250"])
    assert result.exit_code == 0
    assert result.output.strip() == f"wrote 250 records to {out}"
    validate = app.test_cli_runner().invoke(args=["records", "validate", str(out)])
    assert validate.output.strip() == "valid: 250 records"


def test_import_with_images_dir(app: Flask, records_dir: Path, tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    (records_dir / "be-1992-0603-tattoo.jpg").rename(images / "be-1992-0603-tattoo.jpg")
    runner = app.test_cli_runner()
    path = str(records_dir / "sample-records.jsonl")
    failed = runner.invoke(args=["records", "import", path])
    assert failed.exit_code == 1
    assert "images[0].file: image file 'be-1992-0603-tattoo.jpg' not found" in failed.output
    ok = runner.invoke(args=["records", "import", path, "--images-dir", str(images)])
    assert ok.exit_code == 0, ok.output


def test_import_is_all_or_nothing_per_file(app: Flask, records_dir: Path, tmp_path: Path) -> None:
    good = records_dir / "sample-records.jsonl"
    bad = tmp_path / "bad.json"
    record = json.loads(good.read_text().splitlines()[1])
    record["record_id"] = "BE-NEW-1"
    record["age"] = {"min": 50, "max": 40}
    bad.write_text(json.dumps([record]))
    result = app.test_cli_runner().invoke(args=["records", "import", str(good), str(bad)])
    assert result.exit_code == 1
    assert "BE-NEW-1: age: min (50) is greater than max (40)" in result.output
    assert result.output.splitlines()[-1] == "imported 18, updated 0, unchanged 0"
    assert db.session.scalar(select(func.count()).select_from(Case)) == 18


def test_page_links_show_ends_and_neighbours() -> None:
    from portal.services.cases import CasePage

    def links(page: int, total: int) -> list[int | None]:
        return CasePage([], total, page, 20).page_links

    assert links(1, 15) == [1]
    assert links(1, 100) == [1, 2, 3, 4, 5]
    assert links(50, 78_000) == [1, None, 48, 49, 50, 51, 52, None, 3900]
    assert links(3900, 78_000) == [1, None, 3898, 3899, 3900]
