"""Publishing: which cases a publisher may manage, and the workflow of a case's status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from portal import search
from portal.extensions import db
from portal.models import AuditEvent, Case, CaseStatus, Role, User
from portal.models.base import utcnow
from portal.services import alerts
from portal.services.accounts import audit

MAX_STATEMENT_LENGTH = 4000
PAGE_SIZE = 50

STATUS_LABELS = {
    CaseStatus.DRAFT: "Draft",
    CaseStatus.PUBLISHED: "Published",
    CaseStatus.IDENTIFIED: "Identified",
    CaseStatus.WITHDRAWN: "Withdrawn",
}
# The workflow: a draft is published; a published appeal is withdrawn or its person is
# identified; a withdrawn appeal can be published again. An identification is final here:
# correcting one is a matter for a records import, which says exactly what the case is.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.DRAFT: frozenset({CaseStatus.PUBLISHED}),
    CaseStatus.PUBLISHED: frozenset({CaseStatus.WITHDRAWN, CaseStatus.IDENTIFIED}),
    CaseStatus.WITHDRAWN: frozenset({CaseStatus.PUBLISHED}),
    CaseStatus.IDENTIFIED: frozenset(),
}
ACTIONS = {
    CaseStatus.PUBLISHED: "case.publish",
    CaseStatus.WITHDRAWN: "case.withdraw",
    CaseStatus.IDENTIFIED: "case.identify",
}


class PublishingError(ValueError):
    """The change cannot be made; the message says why, for the publisher."""


def manages_all_agencies(user: User) -> bool:
    return user.role is Role.ADMIN


def case_scope(user: User) -> ColumnElement[bool]:
    """The cases `user` may manage: their agency's, or every case for an admin."""
    if manages_all_agencies(user):
        return true()
    if user.agency_id is None:
        return Case.id.is_(None)  # a publisher without an agency manages nothing
    return Case.agency_id == user.agency_id


def managed_case(user: User, public_id: str) -> Case | None:
    """The case if `user` may manage it; None otherwise (the caller answers 404)."""
    if not public_id.isascii() or not public_id.isalnum() or len(public_id) > 16:
        return None
    return db.session.scalar(select(Case).where(Case.public_id == public_id, case_scope(user)))


@dataclass(frozen=True)
class CaseListPage:
    cases: list[Case]
    total: int
    page: int
    pages: int
    counts: dict[str, int]


def list_cases(user: User, *, status: str = "", text: str = "", page: int = 1) -> CaseListPage:
    """The cases `user` manages, most recently changed first, filtered by status and words."""
    query = select(Case).where(case_scope(user))
    if status in {member.value for member in CaseStatus}:
        query = query.where(Case.status == CaseStatus(status))
    words = text.strip()[:100]
    if words and "\x00" not in words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(
            or_(
                Case.record_id.ilike(pattern, escape="\\"),
                Case.title.ilike(pattern, escape="\\"),
                Case.public_id == words.lower(),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    cases = list(
        db.session.scalars(
            query.order_by(Case.updated_at.desc(), Case.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    counts = {member.value: 0 for member in CaseStatus}
    for found, count in db.session.execute(
        select(Case.status, func.count()).where(case_scope(user)).group_by(Case.status)
    ):
        counts[found.value] = count
    return CaseListPage(cases=cases, total=total, page=page, pages=pages, counts=counts)


@dataclass(frozen=True)
class HistoryLine:
    event: AuditEvent
    actor: str | None


def history(case: Case, limit: int = 50) -> list[HistoryLine]:
    """What staff did to this case and who, newest first."""
    rows = db.session.execute(
        select(AuditEvent, User.email)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.target_type == "case", AuditEvent.target_id == str(case.id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [HistoryLine(event, email) for event, email in rows]


def _check(case: Case, status: CaseStatus) -> None:
    if status is case.status:
        raise PublishingError(f"{case.record_id} is already {STATUS_LABELS[status].lower()}.")
    if status not in TRANSITIONS[case.status]:
        raise PublishingError(
            f"{case.record_id} cannot go from {STATUS_LABELS[case.status].lower()} to "
            f"{STATUS_LABELS[status].lower()}."
        )


def _change(user: User, case: Case, status: CaseStatus, details: dict[str, object]) -> None:
    previous = case.status
    now = utcnow()
    case.status = status
    case.status_changed_at = now
    if status in (CaseStatus.PUBLISHED, CaseStatus.IDENTIFIED) and case.first_published_at is None:
        case.first_published_at = now
    # The version tells caches and the search index that the case moved.
    case.version = (case.version or 0) + 1
    audit(
        ACTIONS[status],
        actor=user,
        target_type="case",
        target_id=case.id,
        details={"record_id": case.record_id, "from": previous.value, **details},
    )
    db.session.commit()
    # Search, the feed and the sitemap read the new status at once on this host; other hosts
    # catch up from the change counter the flush stamped.
    search.index_cases([case.id])
    if status is CaseStatus.PUBLISHED:
        # Families with a matching saved search hear of the new appeal; cron sends what this
        # cannot (many alerts, the mail server down).
        alerts.after_publish([case.id])


def publish(user: User, case: Case) -> None:
    _check(case, CaseStatus.PUBLISHED)
    _change(user, case, CaseStatus.PUBLISHED, {})


def withdraw(user: User, case: Case) -> None:
    _check(case, CaseStatus.WITHDRAWN)
    _change(user, case, CaseStatus.WITHDRAWN, {})


@dataclass(frozen=True)
class Identification:
    """What the publisher typed on the "identified" form, field by field."""

    name: str = ""
    day: str = ""
    month: str = ""
    year: str = ""
    statement: str = ""
    family_agreed: bool = False


def check_identification(case: Case, form: Identification, today: date) -> dict[str, str]:
    """Errors by field name; empty when the identification can be recorded."""
    errors: dict[str, str] = {}
    name = form.name.strip()
    if not name:
        errors["name"] = "Enter the name of the person, as it will be published."
    elif len(name) > 200:
        errors["name"] = "The name must be 200 characters or fewer."
    parts = (form.day.strip(), form.month.strip(), form.year.strip())
    if not all(parts):
        errors["identified-day"] = (
            "Enter the date the person was identified, with day, month and year."
        )
    elif not all(part.isascii() and part.isdigit() for part in parts) or len(parts[2]) != 4:
        errors["identified-day"] = "The date must be numbers, like 27 3 2024."
    else:
        try:
            when = date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            errors["identified-day"] = "The date must be a real date."
        else:
            if when > today:
                errors["identified-day"] = "The date must be today or in the past."
            elif when < case.event_date:
                errors["identified-day"] = (
                    "The date must be after the person was found or last seen "
                    f"({case.event_date:%d %B %Y})."
                )
    statement = form.statement.strip()
    if not statement:
        errors["statement"] = "Enter the statement to publish, as agreed with the family."
    elif len(statement) > MAX_STATEMENT_LENGTH:
        errors["statement"] = f"The statement must be {MAX_STATEMENT_LENGTH} characters or fewer."
    if not form.family_agreed:
        errors["family_agreed"] = "Confirm that the family agreed to this statement."
    return errors


def identify(user: User, case: Case, form: Identification, today: date) -> dict[str, str]:
    """Record the identification (closing the tip form); returns errors instead if any."""
    _check(case, CaseStatus.IDENTIFIED)
    errors = check_identification(case, form, today)
    if errors:
        return errors
    # The record format requires the name of an identified person: it is what they get back.
    case.name = form.name.strip()
    case.identified_date = date(int(form.year), int(form.month), int(form.day))
    case.identified_statement = form.statement.strip()
    identified_on = case.identified_date.isoformat()
    _change(user, case, CaseStatus.IDENTIFIED, {"identified_date": identified_on})
    return {}


def may_see_restricted(user: User, case: Case) -> bool:
    """Restricted fields leave the portal only for the owning agency's publishers."""
    return user.role is Role.PUBLISHER and user.agency_id == case.agency_id


def export_cases(user: User, cases: list[Case]) -> tuple[bytes, bool]:
    """A ZIP of the cases as records, and whether restricted fields are in it (audited)."""
    from portal.records.exporter import export_zip

    include_restricted = bool(cases) and all(may_see_restricted(user, case) for case in cases)
    data = export_zip(cases, include_restricted=include_restricted)
    audit(
        "records.export",
        actor=user,
        target_type="case" if len(cases) == 1 else None,
        target_id=cases[0].id if len(cases) == 1 else None,
        details={"cases": len(cases), "restricted": include_restricted},
    )
    db.session.commit()
    return data, include_restricted


def all_managed_cases(user: User) -> list[Case]:
    return list(db.session.scalars(select(Case).where(case_scope(user)).order_by(Case.record_id)))
