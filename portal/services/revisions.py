"""Editing appeals in the browser: revisions, staged images, preview, publishing, four eyes."""

from __future__ import annotations

import difflib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from portal import media, search
from portal.extensions import db
from portal.models import (
    Agency,
    Case,
    CaseImage,
    CaseRevision,
    CaseStatus,
    ImageKind,
    RevisionState,
    Role,
    User,
)
from portal.models.base import utcnow
from portal.publication import PublicCase, derive_public_case
from portal.records.exporter import case_to_record
from portal.records.importer import (
    _record_digest,
    apply_fields,
    clear_children,
    image_entries,
    public_id_for,
)
from portal.records.schema import Record
from portal.services import alerts
from portal.services.accounts import audit

OPEN_STATES = (RevisionState.DRAFT, RevisionState.AWAITING_APPROVAL)


class RevisionError(ValueError):
    """The step cannot be taken; the message says why, for the publisher."""


@dataclass(frozen=True)
class Upload:
    """An image file picked in one of the editor's upload rows."""

    row: int
    filename: str
    data: bytes


@dataclass
class SaveResult:
    revision: CaseRevision | None = None
    case: Case | None = None
    errors: dict[str, str] = field(default_factory=dict)


def agency_dict(agency: Agency) -> dict[str, Any]:
    values: dict[str, Any] = {"code": agency.code, "name": agency.name, "country": agency.country}
    if agency.tip_email:
        values["tip_email"] = agency.tip_email
    return values


def open_revision(case: Case) -> CaseRevision | None:
    """The revision being edited or awaiting approval, if any."""
    return db.session.scalar(
        select(CaseRevision)
        .where(CaseRevision.case_id == case.id, CaseRevision.state.in_(OPEN_STATES))
        .order_by(CaseRevision.number.desc())
        .limit(1)
    )


def revisions(case: Case) -> list[CaseRevision]:
    return list(
        db.session.scalars(
            select(CaseRevision)
            .where(CaseRevision.case_id == case.id)
            .order_by(CaseRevision.number.desc())
        )
    )


def revision(case: Case, number: int) -> CaseRevision | None:
    return db.session.scalar(
        select(CaseRevision).where(CaseRevision.case_id == case.id, CaseRevision.number == number)
    )


def editable_record(case: Case) -> dict[str, Any]:
    """What the editor starts from: the open revision, or the case as it stands."""
    pending = open_revision(case)
    if pending is not None:
        return dict(pending.record)
    return case_to_record(case, include_restricted=True)


def _stage(
    uploads: Sequence[Upload],
) -> tuple[dict[str, dict[str, Any]], list[str], dict[str, str]]:
    """Clean and store uploaded images now, so a preview can show them before publishing.

    Returns the staged images by their new file name, the names per upload row (for the
    editor), and errors by field id.
    """
    staged: dict[str, dict[str, Any]] = {}
    names: list[str] = []
    errors: dict[str, str] = {}
    store = media.get_media_store()
    for upload in uploads:
        while len(names) < upload.row:
            names.append("")
        try:
            processed = media.process_image(upload.data)
        except media.ImageRejected as exc:
            errors[f"new_image-{upload.row}-upload"] = f"{upload.filename or 'The file'}: {exc}"
            names.append("")
            continue
        prefix = media.save_processed_image(store, processed)
        name = f"upload-{secrets.token_hex(4)}.{processed.extension}"
        staged[name] = {
            "prefix": prefix,
            "source_sha256": processed.source_sha256,
            "extension": processed.extension,
            "content_type": processed.content_type,
            "width": processed.width,
            "height": processed.height,
            "widths": sorted(processed.derivatives),
        }
        names.append(name)
    return staged, names, errors


def _forget_staged(staged: Mapping[str, Mapping[str, Any]]) -> None:
    store = media.get_media_store()
    for entry in staged.values():
        try:
            media.delete_image_set(store, str(entry["prefix"]))
        except media.MediaError:
            continue  # an orphan costs disk space only; nothing points at it


def save(
    user: User,
    case: Case | None,
    form: Mapping[str, Any],
    uploads: Sequence[Upload],
    *,
    agency: Agency,
    record_id: str,
) -> SaveResult:
    """Check the editor's form with the importer's schema and keep it as a new revision.

    A draft case takes the change at once (nobody sees it yet); a public case keeps its public
    text until the revision is published.
    """
    # Imported here: the editor lives in the publishing blueprint's package, which imports
    # this service for its views.
    from portal.publishing import editor

    staged, names, upload_errors = _stage(uploads)
    status = case.status.value if case is not None else CaseStatus.DRAFT.value
    identified = None
    if case is not None and case.identified_date is not None:
        identified = {"date": case.identified_date.isoformat()}
        if case.identified_statement:
            identified["statement"] = case.identified_statement
    record, errors = editor.check_form(
        form,
        record_id=record_id,
        agency=agency_dict(agency),
        status=status,
        identified=identified,
        new_image_names=names,
    )
    errors = {**upload_errors, **errors}
    if case is None and not errors:
        taken = db.session.scalar(
            select(Case.id).where(Case.agency_id == agency.id, Case.record_id == record_id)
        )
        if taken is not None:
            errors["record_id"] = (
                f"Your agency already has an appeal with the reference {record_id}."
            )
    if errors:
        _forget_staged(staged)
        return SaveResult(errors=errors)
    pending = open_revision(case) if case is not None else None
    carried = dict(pending.staged_images) if pending is not None else {}
    used = {file for file, *_ in image_entries(Record.model_validate(record))}
    staged_now = {name: entry for name, entry in {**carried, **staged}.items() if name in used}
    if case is None:
        case = Case(public_id=public_id_for(agency.code, record_id), agency=agency)
        number = 1
    else:
        latest = db.session.scalar(
            select(func.max(CaseRevision.number)).where(CaseRevision.case_id == case.id)
        )
        number = (latest or 0) + 1
    if pending is not None:
        pending.state = RevisionState.SUPERSEDED
    saved = CaseRevision(
        case=case,
        number=number,
        record=record,
        staged_images=staged_now,
        state=RevisionState.DRAFT,
        created_by_id=user.id,
    )
    if case.status is None or case.status is CaseStatus.DRAFT:
        # Not public: the draft case itself says what the latest revision says.
        _apply(case, saved)
    db.session.add(saved)
    db.session.flush()
    audit(
        "case.revision",
        actor=user,
        target_type="case",
        target_id=case.id,
        details={"revision": number, "record_id": record_id},
    )
    db.session.commit()
    search.index_cases([case.id])
    return SaveResult(revision=saved, case=case)


def _images_for(
    case: Case, revision: CaseRevision, *, transient: bool
) -> tuple[dict[str, CaseImage], list[CaseImage]]:
    """The case's images as the revision lists them: kept ones reused, staged ones added."""
    record = Record.model_validate(revision.record)
    existing = {image.source_name: image for image in case.images} if case.id else {}
    by_file: dict[str, CaseImage] = {}
    ordered: list[CaseImage] = []
    for position, (file, kind, caption, publish) in enumerate(image_entries(record)):
        image = existing.get(file)
        if image is not None and transient:
            image = _copy_image(image)
        if image is None:
            entry = revision.staged_images.get(file)
            if entry is None:
                raise RevisionError(f"The image {file} is no longer available: upload it again.")
            prefix = str(entry["prefix"])
            image = CaseImage(
                source_name=file,
                source_sha256=entry["source_sha256"],
                media_prefix=prefix,
                token=prefix.rsplit("/", 1)[-1],
                extension=entry["extension"],
                content_type=entry["content_type"],
                width=entry["width"],
                height=entry["height"],
                derivative_widths=list(entry["widths"]),
            )
        image.position = position
        image.kind = ImageKind(kind)
        image.caption = caption
        image.publish = publish
        by_file[file] = image
        ordered.append(image)
    return by_file, ordered


def _copy_image(image: CaseImage) -> CaseImage:
    return CaseImage(
        source_name=image.source_name,
        source_sha256=image.source_sha256,
        media_prefix=image.media_prefix,
        token=image.token,
        extension=image.extension,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        derivative_widths=list(image.derivative_widths or []),
    )


def _digest(record: Record, images: Mapping[str, CaseImage]) -> str:
    # The same digest an import of this record with the original image files gives, so a
    # records file exported later re-imports as unchanged.
    return _record_digest(record, {file: image.source_sha256 for file, image in images.items()})


def _apply(case: Case, revision: CaseRevision, status: CaseStatus | None = None) -> list[str]:
    """Make the saved case say what the revision says; return media prefixes now unused."""
    data = dict(revision.record)
    if status is not None:
        data["status"] = status.value
    record = Record.model_validate(data)
    by_file, ordered = _images_for(case, revision, transient=False)
    if case.id is not None:
        clear_children(case)
    kept = {id(image) for image in ordered}
    released = [image.media_prefix for image in case.images if id(image) not in kept]
    case.images = ordered
    apply_fields(case, record, case.agency, by_file, _digest(record, by_file))
    return released


@dataclass(frozen=True)
class Preview:
    public: PublicCase
    withheld: list[str]


def preview(case: Case, revision: CaseRevision, status: CaseStatus | None = None) -> Preview:
    """The public page the revision makes, derived by the same code from a case never saved."""
    data = dict(revision.record)
    if status is not None:
        data["status"] = status.value
    record = Record.model_validate(data)
    by_file, ordered = _images_for(case, revision, transient=True)
    agency = case.agency
    copy = Case(
        public_id=case.public_id,
        first_published_at=case.first_published_at,
        updated_at=utcnow(),
        version=case.version,
    )
    copy.images = ordered
    # A detached copy of the agency: attaching the preview to the real one would let the
    # session save the preview along with it.
    stand_in = Agency(
        code=agency.code, name=agency.name, country=agency.country, tip_email=agency.tip_email
    )
    apply_fields(copy, record, stand_in, by_file, "")
    return Preview(public=derive_public_case(copy), withheld=withheld(record))


def withheld(record: Record) -> list[str]:
    """What the public page leaves out, in words, for the publisher to check."""
    items: list[str] = []
    if record.restricted:
        items.append("police-only fields: " + ", ".join(sorted(record.restricted)))
    listed = {image.file for image in record.images}
    private = [image for image in record.images if not image.publish]
    unlisted = {mark.image for mark in record.marks if mark.image and mark.image not in listed}
    count = len(private) + len(unlisted)
    if count:
        items.append(f"{count} {'image' if count == 1 else 'images'} marked private")
    if record.name and record.kind == "unidentified" and record.status != "identified":
        items.append("the name (an unidentified person's name is shown once identified)")
    return items


def publish(user: User, case: Case, revision: CaseRevision) -> str:
    """Publish the revision, or send it for approval when the agency wants four eyes.

    Returns "published" or "awaiting_approval".
    """
    if revision.state is not RevisionState.DRAFT or revision.case_id != case.id:
        raise RevisionError("Only the latest saved draft can be published.")
    if case.status is CaseStatus.IDENTIFIED:
        raise RevisionError("An identified appeal is final: it cannot change here.")
    if case.agency.requires_approval:
        revision.state = RevisionState.AWAITING_APPROVAL
        revision.submitted_at = utcnow()
        audit(
            "case.submit",
            actor=user,
            target_type="case",
            target_id=case.id,
            details={"revision": revision.number, "record_id": case.record_id},
        )
        db.session.commit()
        return "awaiting_approval"
    _go_live(user, case, revision)
    return "published"


def approve(user: User, case: Case, revision: CaseRevision) -> None:
    """A second publisher of the agency approves a revision: it goes live."""
    if revision.state is not RevisionState.AWAITING_APPROVAL or revision.case_id != case.id:
        raise RevisionError("This revision is not waiting for approval.")
    if revision.created_by_id == user.id:
        raise RevisionError("Another publisher must approve your change: that is the rule.")
    if user.role is not Role.ADMIN and user.agency_id != case.agency_id:
        raise RevisionError("Only a publisher of the appeal's agency can approve it.")
    revision.approved_by_id = user.id
    audit(
        "case.approve",
        actor=user,
        target_type="case",
        target_id=case.id,
        details={"revision": revision.number, "record_id": case.record_id},
    )
    _go_live(user, case, revision)


def send_back(user: User, case: Case, revision: CaseRevision) -> None:
    """The approver does not agree: the revision becomes an editable draft again."""
    if revision.state is not RevisionState.AWAITING_APPROVAL or revision.case_id != case.id:
        raise RevisionError("This revision is not waiting for approval.")
    revision.state = RevisionState.DRAFT
    revision.submitted_at = None
    audit(
        "case.send_back",
        actor=user,
        target_type="case",
        target_id=case.id,
        details={"revision": revision.number, "record_id": case.record_id},
    )
    db.session.commit()


def _go_live(user: User, case: Case, revision: CaseRevision) -> None:
    first = case.status is CaseStatus.DRAFT
    # A withdrawn appeal whose revision is published is public again.
    again = case.status is CaseStatus.WITHDRAWN
    status = CaseStatus.PUBLISHED if first or again else case.status
    previous = case.status
    released = _apply(case, revision, status)
    revision.state = RevisionState.PUBLISHED
    revision.published_at = utcnow()
    revision.published_by_id = user.id
    audit(
        "case.publish" if first or again else "case.update",
        actor=user,
        target_type="case",
        target_id=case.id,
        details={
            "revision": revision.number,
            "record_id": case.record_id,
            "from": previous.value,
        },
    )
    db.session.commit()
    store = media.get_media_store()
    for prefix in released:
        try:
            media.delete_image_set(store, prefix)
        except media.MediaError:
            continue
    search.index_cases([case.id])
    if first:
        alerts.after_publish([case.id])


def awaiting_approval(user: User) -> list[CaseRevision]:
    """Revisions of `user`'s agency waiting for a second publisher (not their own)."""
    query = (
        select(CaseRevision)
        .join(CaseRevision.case)
        .where(CaseRevision.state == RevisionState.AWAITING_APPROVAL)
        .order_by(CaseRevision.submitted_at)
    )
    if user.role is not Role.ADMIN:
        query = query.where(Case.agency_id == user.agency_id)
    return [found for found in db.session.scalars(query) if found.created_by_id != user.id]


def diff(older: Mapping[str, Any], newer: Mapping[str, Any]) -> list[str]:
    """A line-by-line difference of two records, as publishers read them (staff only)."""

    def lines(record: Mapping[str, Any]) -> list[str]:
        return json.dumps(record, indent=2, ensure_ascii=False).splitlines()

    return list(difflib.unified_diff(lines(older), lines(newer), "before", "after", lineterm=""))


def staged_image(case: Case, token: str) -> dict[str, Any] | None:
    """A staged image of one of the case's revisions, by its token, for the preview."""
    for found in revisions(case):
        for entry in found.staged_images.values():
            if str(entry["prefix"]).rsplit("/", 1)[-1] == token:
                return dict(entry)
    return None


def publish_case(user: User, case: Case) -> str:
    """Publish a draft or withdrawn appeal as it stands (its latest revision, or the case)."""
    if case.status not in (CaseStatus.DRAFT, CaseStatus.WITHDRAWN):
        raise RevisionError(f"{case.record_id} is already public.")
    pending = open_revision(case)
    if pending is not None and pending.state is RevisionState.AWAITING_APPROVAL:
        raise RevisionError("This appeal is already waiting for a second publisher's approval.")
    if pending is None:
        latest = db.session.scalar(
            select(func.max(CaseRevision.number)).where(CaseRevision.case_id == case.id)
        )
        pending = CaseRevision(
            case=case,
            number=(latest or 0) + 1,
            record=case_to_record(case, include_restricted=True),
            staged_images={},
            state=RevisionState.DRAFT,
            created_by_id=user.id,
        )
        db.session.add(pending)
        db.session.flush()
    return publish(user, case, pending)
