"""Helpers for moderation tests: tips stored through the real intake, and staff pages' forms."""

from __future__ import annotations

import io
import uuid
from datetime import datetime

from PIL import Image
from sqlalchemy import select

from portal.crypto import get_cipher
from portal.extensions import db
from portal.media import get_media_store
from portal.models import Case, Tip
from portal.services import tips as tip_service
from portal.services.tips import Contact, TipSubmission, Upload


def case_by_record(record_id: str) -> Case:
    """A sample case by its record id (for example "BE-1992-0603")."""
    found = db.session.scalar(select(Case).where(Case.record_id == record_id))
    assert found is not None, record_id
    return found


def add_tip(
    case: Case | str,
    message: str = "I think this is my aunt Rosa; she had that rose tattoo.",
    *,
    contact: Contact | None = None,
    uploads: list[Upload] | None = None,
    created_at: datetime | None = None,
) -> Tip:
    """A tip stored by the same service the public form uses; returns the row.

    `case` is a Case or a sample record id.
    """
    if isinstance(case, str):
        case = case_by_record(case)
    submission = TipSubmission(
        submission_id=str(uuid.uuid4()),
        message=message,
        contact_ok=contact is not None,
        contact=contact or Contact(),
        uploads=uploads or [],
    )
    receipt = tip_service.submit_tip(get_cipher(), get_media_store(), case, submission)
    tip = db.session.scalar(select(Tip).where(Tip.reference == receipt.reference))
    assert tip is not None
    if created_at is not None:
        tip.created_at = created_at
        db.session.commit()
    return tip


def photo_jpeg(colour: str = "teal", size: tuple[int, int] = (40, 30)) -> bytes:
    """A small real JPEG, as a phone would send."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()
