"""A published record with a face photograph and a scene photograph, for the photo-warning tests."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from portal.records.importer import import_file, public_id_for

AGENCY = "BE-FPJ-ANTWERP"
RECORD_ID = "BE-2001-0909"
TITLE = "Man found by the Scheldt at Hoboken"


def import_case_with_face_and_scene(records_dir: Path) -> str:
    """Import a record with a face, a scene and a clothing image; return its public id."""
    for name, colour in [("face", (120, 90, 80)), ("scene", (60, 90, 60))]:
        Image.new("RGB", (400, 300), colour).save(records_dir / f"{RECORD_ID}-{name}.jpg", "JPEG")
    record = {
        "record_id": RECORD_ID,
        "agency": {"code": AGENCY, "name": "Federal Judicial Police Antwerp", "country": "BE"},
        "title": TITLE,
        "kind": "unidentified",
        "status": "published",
        "sex": "male",
        "age": {"min": 40, "max": 55},
        "event": {
            "date": "2001-09-09",
            "date_precision": "day",
            "locality": "Hoboken",
            "country": "BE",
        },
        "images": [
            {
                "file": f"{RECORD_ID}-face.jpg",
                "kind": "face",
                "caption": "Post-mortem photograph of his face",
                "publish": True,
            },
            {
                "file": f"{RECORD_ID}-scene.jpg",
                "kind": "scene",
                "caption": "Where he was found",
                "publish": True,
            },
            {
                "file": "be-1992-0603-tattoo.jpg",
                "kind": "clothing",
                "caption": "His jacket",
                "publish": True,
            },
        ],
    }
    path = records_dir / "face-and-scene.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    result = import_file(path)
    assert result.errors == [], result.errors
    return public_id_for(AGENCY, RECORD_ID)
