"""The publishing rules on their own: the status workflow, identification checks, withheld."""

from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from portal.models import CaseStatus
from portal.records.schema import Record
from portal.services import publishing, revisions
from portal.services.publishing import Identification
from tests.conftest import SAMPLE_RECORDS

TODAY = date(2026, 11, 24)


def sample(record_id: str) -> dict[str, Any]:
    for line in SAMPLE_RECORDS.read_text().splitlines():
        record: dict[str, Any] = json.loads(line)
        if record["record_id"] == record_id:
            return record
    raise LookupError(record_id)


def test_the_workflow_table() -> None:
    table = publishing.TRANSITIONS
    assert set(table) == set(CaseStatus)
    assert table[CaseStatus.DRAFT] == {CaseStatus.PUBLISHED}
    assert table[CaseStatus.PUBLISHED] == {CaseStatus.WITHDRAWN, CaseStatus.IDENTIFIED}
    assert table[CaseStatus.WITHDRAWN] == {CaseStatus.PUBLISHED}
    assert table[CaseStatus.IDENTIFIED] == frozenset()  # final
    # Nothing goes back to draft: once public, an appeal's history is public too.
    assert all(CaseStatus.DRAFT not in targets for targets in table.values())
    assert set(publishing.ACTIONS) == {s for targets in table.values() for s in targets}


def identification(**changes: Any) -> Identification:
    values: dict[str, Any] = {
        "name": "Marie Lambert",
        "day": "3",
        "month": "11",
        "year": "2026",
        "statement": "Her family thank you.",
        "family_agreed": True,
    }
    values.update(changes)
    return Identification(**values)


CASE = SimpleNamespace(event_date=date(2014, 4, 2))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, None),
        ({"day": "29", "month": "2", "year": "2024"}, None),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"day": ""}, "identified-day"),
        ({"month": "feb"}, "identified-day"),
        ({"day": "29", "month": "2", "year": "2025"}, "identified-day"),
        ({"year": "0026"}, "identified-day"),
        ({"day": "25", "month": "11", "year": "2026"}, "identified-day"),
        ({"day": "1", "month": "4", "year": "2014"}, "identified-day"),
        ({"day": "\uff12", "month": "4", "year": "2020"}, "identified-day"),  # a full-width 2
        ({"statement": " "}, "statement"),
        ({"statement": "x" * 4001}, "statement"),
        ({"family_agreed": False}, "family_agreed"),
    ],
)
def test_identification_checks(changes: dict[str, Any], field: str | None) -> None:
    errors = publishing.check_identification(CASE, identification(**changes), TODAY)  # type: ignore[arg-type]
    assert list(errors) == ([field] if field else [])


def test_withheld_lists_what_the_public_page_leaves_out() -> None:
    record = Record.model_validate(sample("BE-1992-0603"))
    withheld = revisions.withheld(record)
    assert any(item.startswith("police-only fields: ") for item in withheld)
    named = Record.model_validate({**sample("BE-2001-1117"), "name": "Known to police"})
    assert any("name" in item for item in revisions.withheld(named))
    bare = {key: value for key, value in sample("UK-1988-0101").items() if key != "images"}
    assert revisions.withheld(Record.model_validate(bare)) == []


def test_the_difference_between_two_revisions() -> None:
    before = sample("BE-1992-0603")
    after = {**before, "title": "The woman with the black flower tattoo"}
    lines = revisions.diff(before, after)
    assert any(line.startswith("-") and before["title"] in line for line in lines)
    assert any(line.startswith("+") and "black flower" in line for line in lines)
    assert revisions.diff(before, before) == []
