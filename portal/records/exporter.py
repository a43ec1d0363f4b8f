"""Export cases as records in the record format: JSON Lines plus the image files they name."""

# Two kinds of export share this code:
# - with restricted data (the CLI, an agency's own publishers): everything the portal holds,
#   `restricted` and unpublished images included. Re-importing it changes nothing.
# - without (sharing): no `restricted` and no unpublished image, nor any mark's reference to
#   one. Re-imported, such an export would delete that police-only material from the case,
#   so it is for handing on, never for a round trip.
#
# Images are written as the portal stores them: the cleaned re-encoding made at import (the
# bytes first imported are not kept, as they may carry EXIF and GPS data). The importer
# recognises those bytes as the image it already holds, so the record stays unchanged.

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import media
from portal.extensions import db
from portal.models import Agency, Case, CaseImage, CaseStatus, Mark
from portal.records.schema import Record
from portal.records.validation import resolve_image_path

ZIP_RECORDS_NAME = "records.jsonl"
# Cases loaded at a time: children are fetched per batch, and memory stays flat.
BATCH_SIZE = 200
# Record fields in the order of the record format (the schema declares them in that order).
FIELD_ORDER: tuple[str, ...] = tuple(Record.model_fields)
# Python's str.splitlines, which reads JSON Lines, also breaks lines at these; JSON allows
# them unescaped inside strings, so they must be escaped to keep one record per line.
_LINE_BREAKERS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")

Progress = Callable[[int], None]
ImageSink = Callable[[str, bytes], None]


class UnknownAgency(LookupError):
    """No agency has the code asked for."""


@dataclass(frozen=True)
class ExportResult:
    records: int
    images: int
    path: Path | None = None


def case_to_record(case: Case, *, include_restricted: bool) -> dict[str, Any]:
    """The record that imports as `case`; images named as they were imported (`file`).

    Without `include_restricted`: no `restricted`, no unpublished image (see the module notes).
    """
    images = [image for image in case.images if include_restricted or image.publish]
    exported_ids = {image.id for image in images}
    unlisted = _unlisted_mark_images(case)
    event: dict[str, Any] = {
        "date": case.event_date.isoformat(),
        "date_precision": case.event_date_precision.value,
        "place": case.event_place,
        "locality": case.event_locality,
        "region": case.event_region,
        "country": case.event_country,
        "lat": case.event_lat,
        "lon": case.event_lon,
    }
    biometrics = {
        "dna": case.biometric_dna,
        "fingerprints": case.biometric_fingerprints,
        "dental": case.biometric_dental,
    }
    fields: dict[str, Any] = {
        "record_id": case.record_id,
        "agency": _present(
            {
                "code": case.agency.code,
                "name": case.agency.name,
                "country": case.agency.country,
                "tip_email": case.agency.tip_email,
            }
        ),
        "kind": case.kind.value,
        "status": case.status.value,
        "title": case.title,
        "name": case.name,
        "sex": case.sex.value,
        "age": _range(case.age_min, case.age_max),
        "height_cm": _range(case.height_min, case.height_max),
        "weight_kg": _range(case.weight_min, case.weight_max),
        "build": case.build,
        "hair": case.hair,
        "eyes": case.eyes,
        "complexion": case.complexion,
        "physical_description": case.physical_description,
        "event": _present(event),
        "circumstances": case.circumstances,
        "marks": [_mark(mark, exported_ids) for mark in case.marks],
        "clothing": [
            _present(
                {
                    "item": item.item,
                    "description": item.description,
                    "colour": item.colour,
                    "brand": item.brand,
                    "size": item.size,
                    "material": item.material,
                }
            )
            for item in case.clothing
        ],
        "jewellery": [
            _present(
                {
                    "item": item.item,
                    "description": item.description,
                    "material": item.material,
                    "inscription": item.inscription,
                }
            )
            for item in case.jewellery
        ],
        "belongings": [
            _present({"item": item.item, "description": item.description})
            for item in case.belongings
        ],
        "dental_summary": case.dental_summary,
        # All false is the format's default: written only when something is available.
        "biometrics": biometrics if any(biometrics.values()) else None,
        "images": [
            _present(
                {
                    "file": image.source_name,
                    "kind": image.kind.value,
                    "caption": image.caption,
                    "publish": image.publish,
                }
            )
            for image in images
            if image.id not in unlisted
        ],
        "translations": {
            translation.lang: _present(
                {
                    "title": translation.title,
                    "circumstances": translation.circumstances,
                    "physical_description": translation.physical_description,
                }
            )
            for translation in case.translations
        },
        "identified": (
            _present(
                {
                    "date": case.identified_date.isoformat(),
                    "statement": case.identified_statement,
                }
            )
            if case.identified_date is not None
            else None
        ),
        "restricted": (
            copy.deepcopy(case.restricted.data)
            if include_restricted and case.restricted is not None
            else None
        ),
    }
    return {name: fields[name] for name in FIELD_ORDER if fields[name] not in (None, [], {})}


def _present(values: dict[str, Any]) -> dict[str, Any]:
    """Optional fields that have a value: the format omits absent ones rather than nulls."""
    return {key: value for key, value in values.items() if value is not None}


def _range(low: int | None, high: int | None) -> dict[str, int] | None:
    return None if low is None or high is None else {"min": low, "max": high}


def _mark(mark: Mark, exported_ids: set[int]) -> dict[str, Any]:
    image = mark.image
    return _present(
        {
            "type": mark.type.value,
            "location": mark.location,
            "description": mark.description,
            "inscription": mark.inscription,
            "colours": list(mark.colours) or None,
            "image": image.source_name if image is not None and image.id in exported_ids else None,
        }
    )


def _unlisted_mark_images(case: Case) -> set[int]:
    """Images the record named only in a mark, not in `images` (ids), as the importer keeps them.

    The importer appends such images after the listed ones: unpublished, without caption, of
    kind `tattoo` for a tattoo (per the last mark naming it) or else `object`, in the order the
    marks first name them. A trailing run of images that fits exactly is written back the same
    way; otherwise every image is listed, which imports as the very same case.
    """
    first_named: dict[int, int] = {}
    default_kind: dict[int, str] = {}
    for index, mark in enumerate(case.marks):
        if mark.image is not None:
            first_named.setdefault(mark.image.id, index)
            default_kind[mark.image.id] = "tattoo" if mark.type.value == "tattoo" else "object"
    tail: list[CaseImage] = []
    for image in reversed(case.images):
        if (
            image.publish
            or image.caption is not None
            or default_kind.get(image.id) != image.kind.value
        ):
            break
        tail.insert(0, image)
    if [image.id for image in tail] != sorted(
        (image.id for image in tail), key=lambda image_id: first_named[image_id]
    ):
        return set()
    return {image.id for image in tail}


# ---------------------------------------------------------------------------
# Whole exports


def export_records(
    path: Path,
    *,
    agency_code: str | None,
    include_restricted: bool,
    statuses: Collection[CaseStatus] | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the cases (of one agency, or all) as JSON Lines at `path`, images beside it.

    Images go under `path`'s folder at the relative names the records give, so importing
    `path` finds them. The records file is written last and renamed into place, so it never
    names an image that is not there yet.
    """
    case_ids = select_case_ids(agency_code=agency_code, statuses=statuses)
    folder = path.parent.absolute()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / path.name

    def write_image(name: str, data: bytes) -> None:
        target = resolve_image_path(folder.resolve(), name)
        if target is None:  # _image_name never returns such a name; checked as it writes
            raise ValueError(f"image name {name!r} points outside {folder}")
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, data)

    def occupied(name: str, digest: str) -> bool:
        # A file already there with other bytes (the police's own upload, with its metadata,
        # when exporting into the folder the records came from) is never overwritten.
        target = resolve_image_path(folder.resolve(), name)
        if target is None or target.is_dir():
            return True
        if not target.exists():
            return False
        return not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != digest

    exporter = _Exporter(include_restricted, write_image, reserved={path.name}, occupied=occupied)
    with _atomic_file(path) as handle:
        for record in exporter.records(_load(case_ids), progress):
            handle.write(_jsonl_line(record))
    return ExportResult(records=exporter.record_count, images=exporter.image_count, path=path)


def export_zip(cases: Sequence[Case], *, include_restricted: bool) -> bytes:
    """A ZIP of `records.jsonl` and the images it names (for a download from the browser)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def write_image(name: str, data: bytes) -> None:
            # Images are already compressed; deflating them again only costs time.
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)

        exporter = _Exporter(include_restricted, write_image, reserved={ZIP_RECORDS_NAME})
        ordered = sorted(cases, key=lambda case: (case.agency.code, case.record_id))
        text = b"".join(_jsonl_line(record) for record in exporter.records(ordered, None))
        archive.writestr(ZIP_RECORDS_NAME, text)
    return buffer.getvalue()


def select_case_ids(
    *, agency_code: str | None, statuses: Collection[CaseStatus] | None = None
) -> list[int]:
    """Ids of the cases to export, by agency code then record id; UnknownAgency if no such code."""
    query = select(Case.id).join(Case.agency).order_by(Agency.code, Case.record_id)
    if agency_code is not None:
        if db.session.scalar(select(Agency.id).where(Agency.code == agency_code)) is None:
            raise UnknownAgency(f"no agency has the code {agency_code!r}")
        query = query.where(Agency.code == agency_code)
    if statuses is not None:
        query = query.where(Case.status.in_(list(statuses)))
    return list(db.session.scalars(query))


def _load(case_ids: list[int]) -> Iterator[Case]:
    for start in range(0, len(case_ids), BATCH_SIZE):
        batch = case_ids[start : start + BATCH_SIZE]
        loaded = db.session.scalars(
            select(Case)
            .where(Case.id.in_(batch))
            .options(
                selectinload(Case.agency),
                selectinload(Case.marks).selectinload(Mark.image),
                selectinload(Case.clothing),
                selectinload(Case.jewellery),
                selectinload(Case.belongings),
                selectinload(Case.images),
                selectinload(Case.translations),
                selectinload(Case.restricted),
            )
        ).all()
        by_id = {case.id: case for case in loaded}
        # The session holds unchanged objects weakly: once a batch is done it can be freed.
        for case_id in batch:
            if case_id in by_id:  # deleted since the ids were read
                yield by_id[case_id]


class _Exporter:
    """Turns cases into records, writing each image once under a name no other image uses."""

    def __init__(
        self,
        include_restricted: bool,
        sink: ImageSink,
        *,
        reserved: set[str],
        occupied: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.include_restricted = include_restricted
        self.sink = sink
        self.occupied = occupied
        # Names are compared case-folded, for the filesystems (and ZIP tools) that fold case.
        self.reserved = {name.casefold() for name in reserved}
        # folded name -> (name as written, sha256 of its bytes)
        self.written: dict[str, tuple[str, str]] = {}
        self.folders: set[str] = set()
        self.store = media.get_media_store()
        self.record_count = 0

    @property
    def image_count(self) -> int:
        return len(self.written)

    def records(self, cases: Iterable[Case], progress: Progress | None) -> Iterator[dict[str, Any]]:
        for case in cases:
            record = case_to_record(case, include_restricted=self.include_restricted)
            renames: dict[str, str] = {}
            for image in case.images:
                if not (self.include_restricted or image.publish):
                    continue
                data = self.store.get(media.original_key(image.media_prefix, image.extension))
                digest = hashlib.sha256(data).hexdigest()
                name = self._image_name(case, image, digest)
                if name.casefold() not in self.written:
                    self.sink(name, data)
                    self.written[name.casefold()] = (name, digest)
                    parts = name.casefold().split("/")
                    self.folders.update("/".join(parts[:end]) for end in range(1, len(parts)))
                if name != image.source_name:
                    renames[image.source_name] = name
            if renames:
                _rename_images(record, renames)
            self.record_count += 1
            if progress is not None:
                progress(self.record_count)
            yield record

    def _image_name(self, case: Case, image: CaseImage, digest: str) -> str:
        """The image's own name when it is free (or holds these very bytes), else a new one.

        Keeping the name keeps the record unchanged for the importer. A new one is needed for
        an image imported from an https:// URL (an export stands on its own), for a name that
        is not a plain relative path (backslashes, "./"), and when two cases brought different
        images under the same name.
        """
        if _is_plain_relative(image.source_name) and self._free(image.source_name, digest):
            return image.source_name
        record_part = _UNSAFE_NAME_CHARS.sub("_", case.record_id).lstrip(".") or "record"
        stem = f"images/{case.agency.code}/{record_part}/{image.position + 1}-{image.kind.value}"
        name = f"{stem}.{image.extension}"
        suffix = 1
        while not self._free(name, digest):
            suffix += 1
            name = f"{stem}-{suffix}.{image.extension}"
        return name

    def _free(self, name: str, digest: str) -> bool:
        key = name.casefold()
        parts = key.split("/")
        if key in self.reserved or key in self.folders:
            return False
        if any("/".join(parts[:end]) in self.written for end in range(1, len(parts))):
            return False  # a folder of this name would have to be where a file already is
        if key in self.written:
            return self.written[key] == (name, digest)
        return self.occupied is None or not self.occupied(name, digest)


def _is_plain_relative(name: str) -> bool:
    """A relative path of plain '/'-separated segments, the same in a folder and in a ZIP."""
    if name.startswith("https://") or "\\" in name or name.startswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def _rename_images(record: dict[str, Any], renames: dict[str, str]) -> None:
    for image in record.get("images", []):
        image["file"] = renames.get(image["file"], image["file"])
    for mark in record.get("marks", []):
        if "image" in mark:
            mark["image"] = renames.get(mark["image"], mark["image"])


def _jsonl_line(record: dict[str, Any]) -> bytes:
    text = json.dumps(record, ensure_ascii=False)
    for character, escaped in _LINE_BREAKERS.items():
        text = text.replace(character, escaped)
    return (text + "\n").encode("utf-8")


@contextmanager
def _atomic_file(path: Path) -> Iterator[BinaryIO]:
    """Write next to `path` and rename: a reader sees the old file or the whole new one."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp_name)
        raise


def _write_atomically(path: Path, data: bytes) -> None:
    with _atomic_file(path) as handle:
        handle.write(data)
