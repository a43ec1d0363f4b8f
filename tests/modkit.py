"""Helpers for moderation tests: tips stored through the real intake, and staff pages' forms."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from portal.crypto import get_cipher
from portal.extensions import db
from portal.media import get_media_store
from portal.models import Case, Tip
from portal.services import tips as tip_service
from portal.services.tips import Contact, TipSubmission, Upload


def case_by_public_id(public_id: str) -> Case:
    found = db.session.scalar(select(Case).where(Case.public_id == public_id))
    assert found is not None, public_id
    return found


def add_tip(
    case: Case | str,
    message: str = "I think this is my aunt Rosa; she had that rose tattoo.",
    *,
    contact: Contact | None = None,
    uploads: list[Upload] | None = None,
    created_at: datetime | None = None,
) -> Tip:
    """A tip stored by the same service the public form uses; returns the row."""
    if isinstance(case, str):
        case = case_by_public_id(case)
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
