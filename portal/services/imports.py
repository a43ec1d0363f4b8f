"""Records imports from the browser: who may import what, and uploads kept until confirmed."""

from __future__ import annotations

import contextlib
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from portal import media
from portal.crypto import DecryptionError, get_cipher
from portal.extensions import db
from portal.models import Case, CaseStatus, User
from portal.records.dryrun import RecordRule
from portal.records.schema import Record
from portal.records.upload import unpack
from portal.services.publishing import manages_all_agencies

UPLOAD_PREFIX = "imports/"
UPLOAD_LIFETIME_SECONDS = 3600
_TOKEN = re.compile(r"^(\d{1,12})-[A-Za-z0-9_-]{32}$")


class UploadMissing(LookupError):
    """The stored upload is gone: imported already, expired, or never stored."""


def agency_rule(user: User) -> RecordRule | None:
    """What a publisher may import; an admin imports anything (None), as the CLI does.

    A publisher imports only their own agency's records, may not change the agency's details
    through them (its tip address decides where tips are forwarded: an administrator's
    call), and under the four-eyes rule may not make anything public or change what is.
    """
    if manages_all_agencies(user):
        return None
    agency = user.agency
    own = agency.code if agency is not None else None

    def rule(record: Record) -> str | None:
        if agency is None or record.agency.code != own:
            return f"belongs to agency {record.agency.code}; you publish for {own or 'no agency'}"
        stored = (agency.name, agency.country, agency.tip_email or None)
        given = (record.agency.name, record.agency.country, record.agency.tip_email or None)
        if stored != given:
            return (
                "changes the agency's name, country or tip address; only an administrator "
                "changes those"
            )
        if agency.requires_approval:
            current = db.session.scalar(
                select(Case.status).where(
                    Case.agency_id == agency.id, Case.record_id == record.record_id
                )
            )
            public = (CaseStatus.PUBLISHED, CaseStatus.IDENTIFIED, CaseStatus.WITHDRAWN)
            if record.status != CaseStatus.DRAFT.value or current in public:
                return (
                    "your agency needs a second publisher's approval before an appeal goes "
                    "live or changes: import new appeals as drafts and publish them from "
                    "their page"
                )
        return None

    return rule


@contextlib.contextmanager
def unpacked(filename: str, data: bytes) -> Iterator[Path]:
    """The upload unpacked into a private temporary folder; yields its records file."""
    with tempfile.TemporaryDirectory(prefix="recognise-import-") as folder:
        yield unpack(filename, data, Path(folder)).records_file


def _key(token: str) -> str:
    if not _TOKEN.match(token):
        raise UploadMissing(token)
    return UPLOAD_PREFIX + token


def _context(token: str) -> str:
    return f"records-import:{token}"


def store_upload(data: bytes, now: float | None = None) -> str:
    """Keep the uploaded bytes in the media store (every web host sees it); return its token.

    A records file carries restricted fields (DNA references, investigators' notes): it is
    sealed with the tip key, like tips, so the media bucket never holds it in the clear.
    """
    stamp = int(time.time() if now is None else now)
    # The time in the token lets any host sweep abandoned uploads without a database row.
    token = f"{stamp}-{secrets.token_urlsafe(24)}"
    sealed = get_cipher().encrypt(data, _context(token))
    media.get_media_store().put(_key(token), sealed, "application/octet-stream")
    return token


def load_upload(token: str) -> bytes:
    """The uploaded bytes; UploadMissing if gone, MediaError if the store fails."""
    try:
        sealed = media.get_media_store().get(_key(token))
    except media.MediaNotFound:
        raise UploadMissing(token) from None
    try:
        return get_cipher().decrypt(sealed, _context(token))
    except DecryptionError:
        # Sealed with a key that was since removed: as good as gone.
        raise UploadMissing(token) from None


def delete_upload(token: str) -> None:
    # A leftover costs space only, and the next sweep removes it.
    with contextlib.suppress(media.MediaError, UploadMissing):
        media.get_media_store().delete(_key(token))


def expired(token: str, now: float | None = None) -> bool:
    found = _TOKEN.match(token)
    if found is None:
        return True
    current = time.time() if now is None else now
    return current - int(found.group(1)) > UPLOAD_LIFETIME_SECONDS


def sweep_expired_uploads(now: float | None = None) -> int:
    """Delete uploads older than their lifetime (checked, never confirmed); return how many."""
    store = media.get_media_store()
    removed = 0
    with contextlib.suppress(media.MediaError):
        for key in list(store.iter_keys(UPLOAD_PREFIX)):
            token = key[len(UPLOAD_PREFIX) :]
            if expired(token, now):
                store.delete(key)
                removed += 1
    return removed
