"""Tests for the demo dataset, its drawings and the synthetic record generator."""

from __future__ import annotations

import io
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from portal.demo import drawing
from portal.demo.dataset import RESTRICTED_MARKER, write_demo_records
from portal.demo.synthetic import generate_records, write_jsonl

Record = dict[str, Any]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Drawing every image takes a few seconds; share one written copy across the read-only tests.
    folder = tmp_path_factory.mktemp("demo")
    write_demo_records(folder)
    return folder


@pytest.fixture(scope="module")
def records(demo_dir: Path) -> list[Record]:
    lines = (demo_dir / "demo-records.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_counts(records: list[Record]) -> None:
    assert len(records) >= 44
    assert len({r["agency"]["country"] for r in records}) >= 8
    assert len({r["event"]["country"] for r in records}) >= 8
    assert len({r["agency"]["code"] for r in records}) >= 8
    statuses = Counter(r["status"] for r in records)
    assert statuses["draft"] == 1
    assert statuses["withdrawn"] == 1
    assert statuses["identified"] >= 4
    assert statuses["published"] >= len(records) * 0.75
    assert sum(r["kind"] == "missing" for r in records) >= 6


def test_identified_and_missing_records_are_named(records: list[Record]) -> None:
    for record in records:
        if record["status"] == "identified":
            assert record["name"]
            assert set(record["identified"]) == {"date", "statement"}
            assert record["identified"]["date"] >= record["event"]["date"]
        else:
            assert "identified" not in record
        if record["kind"] == "missing":
            assert record["name"]
        elif record["status"] != "identified":
            assert "name" not in record, record["record_id"]


def test_record_ids_are_unique_and_prefixed(records: list[Record]) -> None:
    ids = [r["record_id"] for r in records]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"DEMO-[A-Za-z0-9._/-]{1,59}", i) for i in ids)


def test_agencies_are_fictional(records: list[Record]) -> None:
    agencies = {r["agency"]["code"]: r["agency"] for r in records}
    for code, agency in agencies.items():
        assert re.fullmatch(r"[A-Z0-9-]{2,32}", code)
        assert agency["tip_email"].endswith(".example")
    # One code, one agency: the same code never appears with two different names.
    assert len({json.dumps(r["agency"], sort_keys=True) for r in records}) == len(agencies)


def test_every_restricted_object_carries_the_marker(records: list[Record]) -> None:
    for record in records:
        assert RESTRICTED_MARKER in json.dumps(record["restricted"], ensure_ascii=False)
        public = {k: v for k, v in record.items() if k != "restricted"}
        assert RESTRICTED_MARKER not in json.dumps(public, ensure_ascii=False)


def test_dates_span_the_range_with_mixed_precision(records: list[Record]) -> None:
    dates = [r["event"]["date"] for r in records]
    assert min(dates) < "1980" and max(dates) >= "2020"
    assert all("1975-01-01" <= d <= "2025-12-31" for d in dates)
    precisions = Counter(r["event"]["date_precision"] for r in records)
    assert set(precisions) == {"day", "month", "year"}
    for record in records:
        event = record["event"]
        if event["date_precision"] == "year":
            assert event["date"].endswith("-01-01")
        elif event["date_precision"] == "month":
            assert event["date"].endswith("-01")


def test_content_is_varied(records: list[Record]) -> None:
    marks = [m for r in records for m in r.get("marks", [])]
    inscriptions = [m["inscription"] for m in marks if "inscription" in m]
    assert any(not i.isascii() for i in inscriptions)
    assert any(re.search(r"[^\w\s]", i) for i in inscriptions)
    assert {"left forearm", "back of the right hand", "nape of the neck"} <= {
        m["location"] for m in marks
    }
    assert any(m.get("colours") for m in marks)
    clothing = [c for r in records for c in r.get("clothing", [])]
    assert any("brand" in c and "size" in c and "colour" in c for c in clothing)
    assert any("inscription" in j for r in records for j in r.get("jewellery", []))
    assert any(r.get("belongings") for r in records)
    assert any(r.get("dental_summary") for r in records)
    assert all("biometrics" in r for r in records)
    assert sum("lat" in r["event"] for r in records) >= 8
    languages = {lang for r in records for lang in r.get("translations", {})}
    assert {"nl", "fr", "de", "es", "it", "pl"} <= languages


def test_images_exist_open_and_carry_no_metadata(demo_dir: Path, records: list[Record]) -> None:
    referenced: set[str] = set()
    for record in records:
        for image in record.get("images", []):
            file = image["file"]
            assert "/" not in file and "\\" not in file
            referenced.add(file)
            raw = (demo_dir / file).read_bytes()
            with Image.open(io.BytesIO(raw)) as img:
                assert img.format == "JPEG"
                assert img.size == (drawing.WIDTH, drawing.HEIGHT)
                assert not img.getexif()
                assert "exif" not in img.info and "icc_profile" not in img.info
                img.load()
            assert b"Exif\x00\x00" not in raw
    assert {p.name for p in demo_dir.glob("*.jpg")} == referenced


def test_image_references(records: list[Record]) -> None:
    published = [r for r in records if r["status"] == "published"]
    with_images = [r for r in published if any(i["publish"] for i in r.get("images", []))]
    assert 0.45 <= len(with_images) / len(published) <= 0.75
    kinds = Counter(i["kind"] for r in records for i in r.get("images", []))
    assert {"tattoo", "clothing", "jewellery", "object", "scene"} <= set(kinds)
    for record in records:
        images = {i["file"]: i for i in record.get("images", [])}
        assert len(images) == len(record.get("images", []))
        for image in images.values():
            assert image["publish"] is (image["kind"] != "scene")
        tattoo_files = {f for f, i in images.items() if i["kind"] == "tattoo"}
        mark_files = {m["image"] for m in record.get("marks", []) if "image" in m}
        assert tattoo_files == mark_files
        for mark in record.get("marks", []):
            if "image" in mark:
                assert mark["type"] == "tattoo"


def test_two_runs_are_byte_identical(demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "out"
    assert write_demo_records(out) == out / "demo-records.jsonl"
    first = {p.name: p.read_bytes() for p in demo_dir.iterdir()}
    second = {p.name: p.read_bytes() for p in out.iterdir()}
    assert first.keys() == second.keys()
    for name, content in first.items():
        assert content == second[name], name


def test_demo_records_validate(demo_dir: Path) -> None:
    validation = pytest.importorskip("portal.records.validation")
    result = validation.validate_file(demo_dir / "demo-records.jsonl")
    assert [str(e) for e in result.errors] == []
    assert len(result.records) >= 44


# --- drawings ---------------------------------------------------------------------------


@pytest.mark.parametrize("motif", drawing.TATTOO_MOTIFS)
def test_every_tattoo_motif_draws(motif: str) -> None:
    text = "Semper fidelis" if motif in ("text", "heart") else None
    data = drawing.draw_tattoo(motif, colours=["black", "red", "green"], inscription=text)
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (drawing.WIDTH, drawing.HEIGHT)
        assert not img.getexif()


def test_drawings_are_deterministic() -> None:
    calls: list[Callable[[], bytes]] = [
        lambda: drawing.draw_tattoo("koi", colours=["orange", "red"], skin="brown"),
        lambda: drawing.draw_tattoo("rose", inscription="R'Nick", variant=3),
        lambda: drawing.draw_clothing("parka with hood", "olive green", brand="Acme"),
        lambda: drawing.draw_clothing("trainers", "white"),
        lambda: drawing.draw_clothing("cap", "red"),
        lambda: drawing.draw_clothing("t-shirt", "navy blue"),
        lambda: drawing.draw_jewellery("ring", material="gold", inscription="J & M"),
        lambda: drawing.draw_jewellery("necklace", pendant="letter", inscription="A"),
        lambda: drawing.draw_jewellery("watch", material="steel", inscription="For Tom"),
        lambda: drawing.draw_object("lighter", engraving="ship"),
        lambda: drawing.draw_object("keys", colour="blue", inscription="Room 14"),
        lambda: drawing.draw_scene_sketch(variant=2),
    ]
    outputs = [call() for call in calls]
    assert outputs == [call() for call in calls]
    assert len(set(outputs)) == len(outputs)
    assert drawing.draw_tattoo("anchor", variant=1) != drawing.draw_tattoo("anchor", variant=2)


def test_drawings_refuse_text_the_font_cannot_show() -> None:
    assert drawing.is_drawable_text("Carpe diem! 1999 & co.")
    assert not drawing.is_drawable_text("Małgosia")
    with pytest.raises(ValueError, match="font"):
        drawing.draw_tattoo("text", inscription="Мама")
    with pytest.raises(ValueError, match="font"):
        drawing.draw_jewellery("ring", inscription="für immer")
    with pytest.raises(ValueError, match="motif"):
        drawing.draw_tattoo("unicorn")


# --- synthetic records ------------------------------------------------------------------


def test_synthetic_ids_are_unique_and_sequential() -> None:
    ids = [r["record_id"] for r in generate_records(2_000, seed=7)]
    assert len(set(ids)) == 2_000
    assert ids[0] == "SYN-000001" and ids[-1] == "SYN-002000"


def test_synthetic_is_deterministic_per_seed() -> None:
    first = list(generate_records(300, seed=42))
    assert first == list(generate_records(300, seed=42))
    assert first != list(generate_records(300, seed=43))
    assert len({json.dumps(r, sort_keys=True) for r in first}) == 300


def test_synthetic_spread(tmp_path: Path) -> None:
    records = list(generate_records(5_000, seed=1))
    assert len({r["agency"]["code"] for r in records}) >= 28
    assert len({r["agency"]["country"] for r in records}) >= 20
    statuses = Counter(r["status"] for r in records)
    assert set(statuses) == {"published", "identified", "draft", "withdrawn"}
    assert statuses["published"] > len(records) * 0.7
    assert {r["kind"] for r in records} == {"unidentified", "missing"}
    assert all(RESTRICTED_MARKER in json.dumps(r["restricted"]) for r in records)
    assert all("images" not in r for r in records)
    path = tmp_path / "syn.jsonl"
    assert write_jsonl(records, path) == 5_000
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5_000 and json.loads(lines[-1]) == records[-1]


def test_synthetic_generates_fifty_thousand_quickly() -> None:
    started = time.perf_counter()
    ids = {r["record_id"] for r in generate_records(50_000)}
    assert len(ids) == 50_000
    assert time.perf_counter() - started < 30


def test_synthetic_records_validate() -> None:
    validation = pytest.importorskip("portal.records.validation")
    errors: list[str] = []
    for record in generate_records(3_000, seed=11):
        _, problems = validation.validate_record(record, record["record_id"])
        errors.extend(str(p) for p in problems)
    assert errors == []
