"""Agencies as administrators manage them: code, name, country and the address tips go to."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import pycountry
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Agency, Case, User
from portal.records.schema import AGENCY_CODE_PATTERN, EMAIL_PATTERN
from portal.services.accounts import MAX_ROW_ID, audit

MAX_NAME = 200
MAX_EMAIL = 254
# The same rules as the records format, so an agency an import created can be edited here.
_CODE = re.compile(AGENCY_CODE_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)
# Used by INTERPOL and European police; ISO reserves it for user assignment (as the records do).
_EXTRA_COUNTRY_CODES = frozenset({"XK"})
FIELDS = ("code", "name", "country", "tip_email", "requires_approval")


class AgencyError(ValueError):
    """The agency cannot be created or changed as asked; `field` names the form field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class AgencyDetails:
    """What an administrator types about an agency, already tidied (see `details`)."""

    code: str
    name: str
    country: str
    tip_email: str | None
    # Four eyes: a second publisher of the agency approves each publication.
    requires_approval: bool = False


@dataclass(frozen=True)
class AgencySummary:
    agency: Agency
    cases: int
    staff: int


def details(
    code: str, name: str, country: str, tip_email: str | None, requires_approval: bool = False
) -> AgencyDetails:
    """Tidy typed values: codes in capitals, no surrounding spaces, an empty email is none."""
    email = (tip_email or "").strip()
    return AgencyDetails(
        code=code.strip().upper(),
        name=" ".join(name.split()),
        country=country.strip().upper(),
        tip_email=email or None,
        requires_approval=requires_approval,
    )


def code_problem(code: str) -> str | None:
    if not code:
        return "Enter the agency’s code, like BE-FPJ-ANTWERP."
    if not _CODE.fullmatch(code):
        return "The code must be 2 to 32 capital letters, digits or hyphens, like BE-FPJ-ANTWERP."
    return None


def name_problem(name: str) -> str | None:
    if not name:
        return "Enter the agency’s name."
    if len(name) > MAX_NAME:
        return f"The name must be {MAX_NAME} characters or fewer."
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "The name must not contain control characters."
    return None


def country_problem(country: str) -> str | None:
    if not country:
        return "Enter the agency’s country as a two-letter code, like BE or NL."
    known = country in _EXTRA_COUNTRY_CODES or (
        len(country) == 2
        and country.isascii()
        and country.isalpha()
        and pycountry.countries.get(alpha_2=country) is not None
    )
    if not known:
        return "Enter an ISO 3166 two-letter country code, like BE, NL or GB."
    return None


def tip_email_problem(tip_email: str | None) -> str | None:
    if tip_email is None:
        return None
    if len(tip_email) > MAX_EMAIL or not _EMAIL.fullmatch(tip_email):
        return "Enter the email address tips are forwarded to, like tips@police.example."
    return None


def _check(agency_details: AgencyDetails) -> None:
    problems = {
        "code": code_problem(agency_details.code),
        "name": name_problem(agency_details.name),
        "country": country_problem(agency_details.country),
        "tip_email": tip_email_problem(agency_details.tip_email),
        "requires_approval": None,
    }
    for field in FIELDS:
        problem = problems[field]
        if problem is not None:
            raise AgencyError(problem, field)


def _code_taken(code: str, other_than: int | None = None) -> bool:
    query = select(Agency.id).where(Agency.code == code)
    if other_than is not None:
        query = query.where(Agency.id != other_than)
    return db.session.scalar(query) is not None


def _taken(code: str) -> AgencyError:
    return AgencyError(f"There is already an agency with the code {code}.", "code")


def list_agencies() -> list[AgencySummary]:
    cases = (
        select(Case.agency_id, func.count(Case.id).label("n")).group_by(Case.agency_id).subquery()
    )
    staff = (
        select(User.agency_id, func.count(User.id).label("n")).group_by(User.agency_id).subquery()
    )
    rows = db.session.execute(
        select(Agency, func.coalesce(cases.c.n, 0), func.coalesce(staff.c.n, 0))
        .outerjoin(cases, cases.c.agency_id == Agency.id)
        .outerjoin(staff, staff.c.agency_id == Agency.id)
        .order_by(Agency.code)
    ).all()
    return [AgencySummary(agency, int(n_cases), int(n_staff)) for agency, n_cases, n_staff in rows]


def all_agencies() -> list[Agency]:
    return list(db.session.scalars(select(Agency).order_by(Agency.name, Agency.code)))


def get_agency(agency_id: int) -> Agency | None:
    return db.session.get(Agency, agency_id) if 0 < agency_id <= MAX_ROW_ID else None


def case_count(agency: Agency) -> int:
    return db.session.scalar(select(func.count(Case.id)).where(Case.agency_id == agency.id)) or 0


def create_agency(agency_details: AgencyDetails, *, actor: User | None) -> Agency:
    _check(agency_details)
    if _code_taken(agency_details.code):
        raise _taken(agency_details.code)
    agency = Agency(**asdict(agency_details))
    db.session.add(agency)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request took the code between the check above and now.
        db.session.rollback()
        raise _taken(agency_details.code) from None
    audit(
        "agency.create",
        actor=actor,
        target_type="agency",
        target_id=agency.id,
        details=asdict(agency_details),
    )
    db.session.commit()
    return agency


def update_agency(agency: Agency, agency_details: AgencyDetails, *, actor: User | None) -> bool:
    """Change an agency; False if nothing differs (nothing audited)."""
    _check(agency_details)
    before = {field: getattr(agency, field) for field in FIELDS}
    after = asdict(agency_details)
    changed = [field for field in FIELDS if before[field] != after[field]]
    if not changed:
        return False
    if "code" in changed:
        # A case's public id and the records importer both key on the agency code: renaming
        # it under existing cases would orphan them from their records.
        if case_count(agency):
            raise AgencyError(
                f"The code cannot change because this agency has cases. It stays {agency.code}.",
                "code",
            )
        if _code_taken(agency_details.code, other_than=agency.id):
            raise _taken(agency_details.code)
    for field in changed:
        setattr(agency, field, after[field])
    audit(
        "agency.update",
        actor=actor,
        target_type="agency",
        target_id=agency.id,
        details={
            "from": {field: before[field] for field in changed},
            "to": {field: after[field] for field in changed},
        },
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _taken(agency_details.code) from None
    return True
