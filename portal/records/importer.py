"""Import records files: validate everything, then upsert cases all or nothing per file."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from portal import media, search
from portal.extensions import db
from portal.models import (
    Agency,
    Belonging,
    Case,
    CaseImage,
    CaseKind,
    CaseRestricted,
    CaseStatus,
    CaseTranslation,
    ClothingItem,
    DatePrecision,
    ImageKind,
    JewelleryItem,
    Mark,
    MarkType,
    Sex,
)
from portal.models.base import utcnow
from portal.records.schema import Record
from portal.records.validation import (
    RecordError,
    image_references,
    resolve_image_path,
    validate_file,
)

DOWNLOAD_TIMEOUT_SECONDS = 30
FLUSH_EVERY = 500
Progress = Callable[[int], None]


class ImportFailed(RuntimeError):
    """Storage or the database failed mid-import; nothing from the file was kept."""


@dataclass
class ImportResult:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RecordError] = field(default_factory=list)
    # Every case this import created or changed (for the search index and caches).
    changed_case_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return f"imported {self.imported}, updated {self.updated}, unchanged {self.unchanged}"

    def add(self, other: ImportResult) -> None:
        self.imported += other.imported
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.errors.extend(other.errors)
        self.changed_case_ids.extend(other.changed_case_ids)


def public_id_for(agency_code: str, record_id: str) -> str:
    """A stable, URL-safe case id: the same record gets the same URL on every portal."""
    digest = hashlib.sha256(f"{agency_code}\n{record_id}".encode()).digest()
    return base64.b32encode(digest).decode("ascii")[:10].lower()


@dataclass
class _Planned:
    label: str
    record: Record
    content_hash: str
    image_bytes: dict[str, bytes]
    # sha256 per file; for an image exported by this portal, the digest of the bytes first imported.
    image_digests: dict[str, str]
    existing: Case | None


def import_file(
    path: Path, *, images_dir: Path | None = None, progress: Progress | None = None
) -> ImportResult:
    """Validate and import one file. Errors mean nothing was written."""
    validated = validate_file(path, images_dir)
    result = ImportResult(errors=list(validated.errors))
    if result.errors:
        return result
    base = (images_dir or path.parent).resolve()
    return import_records(validated.records, base, progress=progress)


def import_records(
    records: list[tuple[str, Record]], base: Path, *, progress: Progress | None = None
) -> ImportResult:
    """Upsert validated records in one transaction; image files are read relative to `base`."""
    result = ImportResult()
    existing = _existing_cases(records)
    plans: list[_Planned] = []
    for label, record in records:
        images, errors = _load_images(label, record, base)
        if errors:
            result.errors.extend(errors)
            continue
        found = existing.get((record.agency.code, record.record_id))
        digests = {file: hashlib.sha256(data).hexdigest() for file, data in images.items()}
        digest = _record_digest(record, digests)
        if found is not None and found[1] != digest and _recognise_exported(found[0], digests):
            digest = _record_digest(record, digests)
        if found is not None and found[1] == digest:
            result.unchanged += 1
            continue
        case = db.session.get(Case, found[0]) if found is not None else None
        plans.append(_Planned(label, record, digest, images, digests, case))
    if result.errors:
        return result

    processed, errors = _process_new_images(plans)
    if errors:
        result.errors.extend(errors)
        return result

    store = media.get_media_store()
    written: list[str] = []
    replaced: list[str] = []
    try:
        stored: dict[tuple[int, str], str] = {}
        for key, image in processed.items():
            prefix = media.save_processed_image(store, image)
            written.append(prefix)
            stored[key] = prefix
        agencies = _upsert_agencies(plans)
        batch: list[Case] = []
        for done, (index, plan) in enumerate(enumerate(plans), 1):
            case = plan.existing
            if case is None:
                case = Case(public_id=public_id_for(plan.record.agency.code, plan.record.record_id))
                db.session.add(case)
                result.imported += 1
            else:
                result.updated += 1
            replaced.extend(
                _apply_record(
                    case, plan, agencies[plan.record.agency.code], processed, stored, index
                )
            )
            batch.append(case)
            if len(batch) >= FLUSH_EVERY or done == len(plans):
                # Write in batches and let go of written cases: memory stays flat however
                # large the file, while the whole file is still one transaction.
                db.session.flush()
                result.changed_case_ids.extend(saved.id for saved in batch)
                for saved in batch:
                    db.session.expunge(saved)
                batch.clear()
            if progress is not None:
                progress(done)
        db.session.commit()
    except media.MediaError as exc:
        db.session.rollback()
        _forget(store, written)
        raise ImportFailed(f"media storage failed: {exc}") from exc
    except Exception:
        db.session.rollback()
        _forget(store, written)
        raise
    _forget(store, replaced)
    search.index_cases(result.changed_case_ids)
    # Imported appeals that are new and public reach matching search alerts (best effort).
    from portal.services import alerts

    alerts.after_publish(result.changed_case_ids)
    return result


def _forget(store: media.MediaStore, prefixes: Iterable[str]) -> None:
    for prefix in prefixes:
        # An orphaned file costs disk space only; the database never points at it.
        with contextlib.suppress(media.MediaError):
            media.delete_image_set(store, prefix)


def content_hash(record: Record, images: dict[str, bytes]) -> str:
    """A digest of everything a record says, including the bytes of its images."""
    return _record_digest(
        record, {name: hashlib.sha256(data).hexdigest() for name, data in images.items()}
    )


def _record_digest(record: Record, image_digests: dict[str, str]) -> str:
    payload = {"record": record.model_dump(mode="json"), "images": image_digests}
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def _recognise_exported(case_id: int, digests: dict[str, str]) -> bool:
    """Treat images exported by this portal as the bytes they were first imported from.

    Only the cleaned re-encoding of an image is stored, so `records export` writes those bytes
    and they never hash like the file first imported. An image whose bytes are exactly the
    stored original of the same file of the same case is that image: `digests` gets the
    digest of its first import, so an export re-imports as unchanged and keeps its images.
    Read only when a record's hash differs, so a plain re-import costs nothing extra.
    """
    rows = db.session.execute(
        select(
            CaseImage.source_name,
            CaseImage.source_sha256,
            CaseImage.media_prefix,
            CaseImage.extension,
        ).where(CaseImage.case_id == case_id)
    ).all()
    store = media.get_media_store()
    recognised = False
    for name, source_sha256, prefix, extension in rows:
        if name not in digests or digests[name] == source_sha256:
            continue
        try:
            stored = store.get(media.original_key(prefix, extension))
        except media.MediaError:
            # Unreadable now: the image counts as changed and is stored afresh, which is safe.
            continue
        if hashlib.sha256(stored).hexdigest() == digests[name]:
            digests[name] = source_sha256
            recognised = True
    return recognised


def _existing_cases(records: list[tuple[str, Record]]) -> dict[tuple[str, str], tuple[int, str]]:
    """(case id, content hash) of the cases these records already have, by (agency, record id).

    Only the two columns are loaded: a re-import of a large unchanged file touches no objects.
    """
    codes = {record.agency.code for _, record in records}
    if not codes:
        return {}
    wanted = {(record.agency.code, record.record_id) for _, record in records}
    rows = db.session.execute(
        select(Agency.code, Case.record_id, Case.id, Case.content_hash)
        .join(Case.agency)
        .where(Agency.code.in_(codes))
    ).all()
    return {
        (code, record_id): (case_id, digest)
        for code, record_id, case_id, digest in rows
        if (code, record_id) in wanted
    }


def _load_images(
    label: str, record: Record, base: Path
) -> tuple[dict[str, bytes], list[RecordError]]:
    images: dict[str, bytes] = {}
    errors: list[RecordError] = []
    for path, file in image_references(record):
        if file in images:
            continue
        try:
            images[file] = _read_image(base, file)
        except (OSError, ValueError) as exc:
            errors.append(RecordError(label, path, str(exc)))
    return images, errors


def _read_image(base: Path, file: str) -> bytes:
    if file.startswith("https://"):
        return _download(file)
    resolved = resolve_image_path(base, file)
    if resolved is None:
        raise ValueError(f"{file!r} points outside the images folder")
    if not resolved.is_file():
        raise ValueError(f"image file {file!r} not found in {base}")
    if resolved.stat().st_size > media.MAX_IMAGE_BYTES:
        raise ValueError(f"image file {file!r} is larger than {media.MAX_IMAGE_BYTES >> 20} MB")
    return resolved.read_bytes()


def _download(url: str) -> bytes:
    # The schema lets only https:// through; checked again so no file: or ftp: URL is opened.
    if not url.startswith("https://"):
        raise ValueError(f"image {url!r} must be an https:// URL")
    request = urllib.request.Request(url, headers={"User-Agent": "Recognise record import"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310
            data: bytes = response.read(media.MAX_IMAGE_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ValueError(f"image {url!r} could not be downloaded: {reason}") from None
    if len(data) > media.MAX_IMAGE_BYTES:
        raise ValueError(f"image {url!r} is larger than {media.MAX_IMAGE_BYTES >> 20} MB")
    return data


def _process_new_images(
    plans: list[_Planned],
) -> tuple[dict[tuple[int, str], media.ProcessedImage], list[RecordError]]:
    """Check and strip every image that is new or changed, before anything is written."""
    processed: dict[tuple[int, str], media.ProcessedImage] = {}
    errors: list[RecordError] = []
    for index, plan in enumerate(plans):
        reusable = _reusable_images(plan)
        paths = dict((file, path) for path, file in image_references(plan.record))
        for file, data in plan.image_bytes.items():
            if file in reusable:
                continue
            try:
                processed[(index, file)] = media.process_image(data)
            except media.ImageRejected as exc:
                errors.append(RecordError(plan.label, paths[file], f"{file!r}: {exc}"))
    return processed, errors


def _reusable_images(plan: _Planned) -> dict[str, CaseImage]:
    """Images of the existing case whose bytes are unchanged: kept, not stored again."""
    if plan.existing is None:
        return {}
    return {
        image.source_name: image
        for image in plan.existing.images
        if plan.image_digests.get(image.source_name) == image.source_sha256
    }


def _upsert_agencies(plans: list[_Planned]) -> dict[str, Agency]:
    wanted = {plan.record.agency.code: plan.record.agency for plan in plans}
    found = {
        agency.code: agency
        for agency in db.session.scalars(select(Agency).where(Agency.code.in_(wanted)))
    }
    for code, data in wanted.items():
        agency = found.get(code)
        if agency is None:
            agency = Agency(code=code)
            db.session.add(agency)
            found[code] = agency
        agency.name = data.name
        agency.country = data.country
        agency.tip_email = data.tip_email
    return found


def _apply_record(
    case: Case,
    plan: _Planned,
    agency: Agency,
    processed: dict[tuple[int, str], media.ProcessedImage],
    stored: dict[tuple[int, str], str],
    index: int,
) -> list[str]:
    """Make `case` say what the record says; return media prefixes no longer used."""
    if case.id is not None:
        clear_children(case)
    images, released = _apply_images(case, plan, processed, stored, index)
    apply_fields(case, plan.record, agency, images, plan.content_hash)
    return released


def clear_children(case: Case) -> None:
    """Empty a saved case's child rows before `apply_fields` writes their replacements.

    In two steps: rows with unique keys (a translation per language) must be deleted before
    their replacements are inserted.
    """
    case.marks, case.clothing, case.jewellery, case.belongings, case.translations = (
        [],
        [],
        [],
        [],
        [],
    )
    db.session.flush()


def apply_fields(
    case: Case, record: Record, agency: Agency, images: dict[str, CaseImage], digest: str
) -> None:
    """Set every field and child row of `case` from `record`, given its images by file name.

    The one place a record becomes a case: imports, the browser editor and its preview (on a
    case that is never saved) all go through here, so a preview shows what publishing makes.
    """
    status = CaseStatus(record.status)
    now = utcnow()
    if case.id is None or case.status != status:
        case.status_changed_at = now
    if status in (CaseStatus.PUBLISHED, CaseStatus.IDENTIFIED) and case.first_published_at is None:
        case.first_published_at = now
    case.version = (case.version or 0) + 1
    case.agency = agency
    case.record_id = record.record_id
    case.kind = CaseKind(record.kind)
    case.status = status
    case.title = record.title
    case.name = record.name
    case.sex = Sex(record.sex)
    case.age_min, case.age_max = _range(record.age)
    case.height_min, case.height_max = _range(record.height_cm)
    case.weight_min, case.weight_max = _range(record.weight_kg)
    case.build, case.hair, case.eyes = record.build, record.hair, record.eyes
    case.complexion = record.complexion
    case.physical_description = record.physical_description
    event = record.event
    case.event_date = date.fromisoformat(event.date)
    case.event_date_precision = DatePrecision(event.date_precision)
    case.event_place, case.event_locality = event.place, event.locality
    case.event_region, case.event_country = event.region, event.country
    case.event_lat, case.event_lon = event.lat, event.lon
    case.circumstances = record.circumstances
    case.dental_summary = record.dental_summary
    case.biometric_dna = record.biometrics.dna
    case.biometric_fingerprints = record.biometrics.fingerprints
    case.biometric_dental = record.biometrics.dental
    case.identified_date = date.fromisoformat(record.identified.date) if record.identified else None
    case.identified_statement = record.identified.statement if record.identified else None
    case.content_hash = digest

    if record.restricted:
        if case.restricted is None:
            case.restricted = CaseRestricted(data=dict(record.restricted))
        else:
            case.restricted.data = dict(record.restricted)
    else:
        case.restricted = None

    case.marks = [
        Mark(
            position=position,
            type=MarkType(mark.type),
            location=mark.location,
            description=mark.description,
            inscription=mark.inscription,
            colours=list(mark.colours or []),
            image=images.get(mark.image) if mark.image else None,
        )
        for position, mark in enumerate(record.marks)
    ]
    case.clothing = [
        ClothingItem(position=position, **item.model_dump())
        for position, item in enumerate(record.clothing)
    ]
    case.jewellery = [
        JewelleryItem(position=position, **item.model_dump())
        for position, item in enumerate(record.jewellery)
    ]
    case.belongings = [
        Belonging(position=position, **item.model_dump())
        for position, item in enumerate(record.belongings)
    ]
    case.translations = [
        CaseTranslation(lang=lang, **translation.model_dump())
        for lang, translation in sorted(record.translations.items())
    ]


def image_entries(record: Record) -> list[tuple[str, str, str | None, bool]]:
    """(file, kind, caption, publish) of every image a record uses, in the order they are kept.

    A mark may name an image the `images` list leaves out: it is kept, and never published.
    """
    listed = {image.file for image in record.images}
    unlisted = [
        (mark.image, "tattoo" if mark.type == "tattoo" else "object")
        for mark in record.marks
        if mark.image and mark.image not in listed
    ]
    entries: list[tuple[str, str, str | None, bool]] = [
        (image.file, image.kind, image.caption, image.publish) for image in record.images
    ]
    entries += [(file, kind, None, False) for file, kind in dict(unlisted).items()]
    return entries


def _apply_images(
    case: Case,
    plan: _Planned,
    processed: dict[tuple[int, str], media.ProcessedImage],
    stored: dict[tuple[int, str], str],
    index: int,
) -> tuple[dict[str, CaseImage], list[str]]:
    reusable = _reusable_images(plan)
    entries = image_entries(plan.record)

    by_file: dict[str, CaseImage] = {}
    new_images: list[CaseImage] = []
    for position, (file, kind, caption, publish) in enumerate(entries):
        image = reusable.get(file)
        if image is None:
            data = processed[(index, file)]
            prefix = stored[(index, file)]
            image = CaseImage(
                source_name=file,
                source_sha256=data.source_sha256,
                media_prefix=prefix,
                token=prefix.rsplit("/", 1)[-1],
                extension=data.extension,
                content_type=data.content_type,
                width=data.width,
                height=data.height,
                derivative_widths=sorted(data.derivatives),
            )
        image.position = position
        image.kind = ImageKind(kind)
        image.caption = caption
        image.publish = publish
        by_file[file] = image
        new_images.append(image)
    kept = {id(image) for image in new_images}
    released = [image.media_prefix for image in case.images if id(image) not in kept]
    case.images = new_images
    return by_file, released


def _range(value: object) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    low: int = getattr(value, "min")  # noqa: B009 - typed ranges share only these attributes
    high: int = getattr(value, "max")  # noqa: B009
    return low, high
