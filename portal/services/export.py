"""Export of selected tips as CSV or JSON for police systems; every export is audited."""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.crypto import TipCipher
from portal.extensions import db
from portal.models import Case, ThreadAuthor, Tip, User
from portal.models.base import as_utc, utcnow
from portal.services import tips as tip_service
from portal.services.accounts import audit
from portal.services.moderation import visible_tips

# A spreadsheet treats a cell starting with one of these as a formula (or, for tab and
# carriage return, strips them and then does): tipsters type free text, so such cells are
# prefixed with an apostrophe, which makes the spreadsheet show the text as it was typed.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV file as the local code page unless it starts with a byte order mark.
CSV_BOM = "\ufeff"

# The columns of the CSV file, which are also the keys of each tip in the JSON document.
COLUMNS = (
    "reference",
    "case",
    "record_id",
    "agency",
    "received",
    "status",
    "priority",
    "relationship",
    "message",
    "later_entries",
    "contact_name",
    "contact_email",
    "contact_phone",
    "attachment_count",
    "attachment_names",
    "merged_into",
    "forwarded_at",
)


class ExportFormat(enum.Enum):
    CSV = "csv"
    JSON = "json"


MIMETYPES = {ExportFormat.CSV: "text/csv", ExportFormat.JSON: "application/json"}


@dataclass(frozen=True)
class LaterEntry:
    """Something the tipster added after the tip, or their answer to a moderator's question."""

    at: datetime
    text: str
    answers_question: bool


@dataclass(frozen=True)
class ExportRow:
    """One tip as exported. Contact fields are None unless the tipster agreed to be contacted."""

    tip_id: int  # the portal's own id: for the audit event, not part of the file
    reference: str
    case: str  # the case's public id
    record_id: str  # the owning agency's own record id
    agency: str  # the owning agency's code
    received: datetime
    status: str
    priority: str
    relationship: str | None
    message: str
    later_entries: list[LaterEntry]
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    attachment_count: int
    attachment_names: list[str]
    merged_into: str | None  # the reference of the tip this one was merged into
    forwarded_at: datetime | None


@dataclass(frozen=True)
class TipExport:
    """A finished export, ready to send as a download."""

    content: bytes
    mimetype: str
    filename: str
    tip_ids: list[int]


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, with the Z that police systems parse without doubt."""
    return str(as_utc(moment).isoformat(timespec="seconds")).replace("+00:00", "Z")


def spreadsheet_safe(value: str) -> str:
    """The cell text, defused if a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_text(rows: Iterable[Sequence[str | int]]) -> str:
    """CSV lines for `rows`, every text cell defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([spreadsheet_safe(c) if isinstance(c, str) else c for c in row])
    return buffer.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str | int]]) -> bytes:
    """A UTF-8 CSV document with a byte order mark, every text cell defused."""
    return (CSV_BOM + csv_text([header, *rows])).encode("utf-8")


def _optional(value: str) -> str | None:
    return value or None


def export_rows(cipher: TipCipher, user: User, tip_ids: Iterable[int]) -> list[ExportRow]:
    """The rows for the tips among `tip_ids` that `user` may see, in id order.

    Ids of tips outside the user's scope (or that do not exist) are left out without a word,
    as everywhere else in moderation; at most MAX_BULK tips are exported at once.
    """
    ids = [tip.id for tip in visible_tips(user, tip_ids)]
    if not ids:
        return []
    # One query per relationship rather than several per tip; populate_existing because
    # visible_tips has already put these tips in the session without their relationships.
    tips = db.session.scalars(
        select(Tip)
        .where(Tip.id.in_(ids))
        .order_by(Tip.id)
        .options(
            selectinload(Tip.case).selectinload(Case.agency),
            selectinload(Tip.attachments),
            selectinload(Tip.thread),
            selectinload(Tip.merged_into),
        )
        .execution_options(populate_existing=True)
    )
    return [_row(cipher, tip) for tip in tips]


def _row(cipher: TipCipher, tip: Tip) -> ExportRow:
    contact = tip_service.read_contact(cipher, tip) if tip.contact_ok else None
    later = [
        LaterEntry(
            at=line.created_at, text=line.body, answers_question=line.reply_to_id is not None
        )
        for line in tip_service.followup_view(cipher, tip).thread
        if line.author is ThreadAuthor.TIPSTER
    ]
    return ExportRow(
        tip_id=tip.id,
        reference=tip.reference,
        case=tip.case.public_id,
        record_id=tip.case.record_id,
        agency=tip.case.agency.code,
        received=as_utc(tip.created_at),
        status=tip.status.value,
        priority=tip.priority.value,
        relationship=tip.relation.value if tip.relation is not None else None,
        message=tip_service.read_message(cipher, tip),
        later_entries=later,
        contact_name=_optional(contact.name) if contact else None,
        contact_email=_optional(contact.email) if contact else None,
        contact_phone=_optional(contact.phone) if contact else None,
        attachment_count=len(tip.attachments),
        attachment_names=[
            tip_service.attachment_filename(cipher, attachment) for attachment in tip.attachments
        ],
        merged_into=tip.merged_into.reference if tip.merged_into is not None else None,
        forwarded_at=as_utc(tip.forwarded_at),
    )


def _entry_line(entry: LaterEntry) -> str:
    kind = "answer" if entry.answers_question else "added"
    return f"[{iso_utc(entry.at)} {kind}] {entry.text}"


def to_csv(rows: Sequence[ExportRow]) -> bytes:
    """One line per tip, the COLUMNS in order; lists (entries, file names) one per line."""
    return csv_bytes(
        COLUMNS,
        (
            [
                row.reference,
                row.case,
                row.record_id,
                row.agency,
                iso_utc(row.received),
                row.status,
                row.priority,
                row.relationship or "",
                row.message,
                "\n".join(_entry_line(entry) for entry in row.later_entries),
                row.contact_name or "",
                row.contact_email or "",
                row.contact_phone or "",
                row.attachment_count,
                "\n".join(row.attachment_names),
                row.merged_into or "",
                iso_utc(row.forwarded_at) if row.forwarded_at else "",
            ]
            for row in rows
        ),
    )


def tip_document(row: ExportRow) -> dict[str, Any]:
    """One tip in the JSON export: the COLUMNS as keys, times in ISO 8601 UTC, null if absent.

    `later_entries` is a list of {"at", "text", "answers_question"}; `attachment_names` a list
    of strings; contact fields are null unless the tipster agreed to be contacted.
    """
    return {
        "reference": row.reference,
        "case": row.case,
        "record_id": row.record_id,
        "agency": row.agency,
        "received": iso_utc(row.received),
        "status": row.status,
        "priority": row.priority,
        "relationship": row.relationship,
        "message": row.message,
        "later_entries": [
            {
                "at": iso_utc(entry.at),
                "text": entry.text,
                "answers_question": entry.answers_question,
            }
            for entry in row.later_entries
        ],
        "contact_name": row.contact_name,
        "contact_email": row.contact_email,
        "contact_phone": row.contact_phone,
        "attachment_count": row.attachment_count,
        "attachment_names": row.attachment_names,
        "merged_into": row.merged_into,
        "forwarded_at": iso_utc(row.forwarded_at) if row.forwarded_at else None,
    }


def to_json(rows: Sequence[ExportRow], *, exported_at: datetime, exported_by: str) -> bytes:
    """{"exported_at": ISO 8601 UTC, "exported_by": staff email, "tips": [tip_document...]}."""
    document = {
        "exported_at": iso_utc(exported_at),
        "exported_by": exported_by,
        "tips": [tip_document(row) for row in rows],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def export_tips(
    cipher: TipCipher,
    user: User,
    tip_ids: Iterable[int],
    export_format: ExportFormat,
    *,
    now: datetime | None = None,
) -> TipExport | None:
    """Export the selected tips `user` may see, audited as one event; None if there are none.

    The event names the tips but holds none of their content. It is committed before the file
    is handed over, so no export leaves the portal unrecorded.
    """
    moment = now or utcnow()
    rows = export_rows(cipher, user, tip_ids)
    if not rows:
        return None
    if export_format is ExportFormat.CSV:
        content = to_csv(rows)
    else:
        content = to_json(rows, exported_at=moment, exported_by=user.email)
    exported_ids = [row.tip_id for row in rows]
    audit(
        "tip.export",
        actor=user,
        details={"format": export_format.value, "count": len(rows), "tips": exported_ids},
    )
    db.session.commit()
    stamp = as_utc(moment).strftime("%Y%m%d-%H%M")
    return TipExport(
        content=content,
        mimetype=MIMETYPES[export_format],
        filename=f"recognise-tips-{stamp}.{export_format.value}",
        tip_ids=exported_ids,
    )
