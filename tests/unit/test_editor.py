"""The appeal editor's form: round trips, errors per field, row actions and the page."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask, render_template
from flask_login import login_user

from portal.extensions import db
from portal.models import Role, User
from portal.publishing.editor import (
    EditorForm,
    apply_action,
    check_form,
    country_choices,
    errors_for,
    form_from_record,
    form_from_values,
    record_from_form,
)
from portal.records.schema import Record
from tests.conftest import SAMPLE_RECORDS
from tests.staffkit import make_staff

SAMPLES = [json.loads(line) for line in SAMPLE_RECORDS.read_text().splitlines() if line.strip()]


def normalise(record: dict[str, Any]) -> dict[str, Any]:
    """A record as the schema sees it: defaults filled in, absent and None alike."""
    return Record.model_validate(record).model_dump(mode="json", exclude_none=True)


def case_args(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "record_id": record["record_id"],
        "agency": record["agency"],
        "status": record.get("status", "draft"),
        "identified": record.get("identified"),
    }


def back(record: dict[str, Any], values: dict[str, str], names: list[str] | None = None):
    return record_from_form(values, **case_args(record), new_image_names=names or [])


def check(record: dict[str, Any], values: dict[str, str], names: list[str] | None = None):
    return check_form(values, **case_args(record), new_image_names=names or [])


@pytest.fixture
def sample() -> dict[str, Any]:
    return copy.deepcopy(SAMPLES[0])  # BE-1992-0603: marks, clothing, images, nl, restricted


# --- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("record", SAMPLES, ids=[r["record_id"] for r in SAMPLES])
def test_every_sample_record_round_trips(record: dict[str, Any]) -> None:
    form = form_from_record(record)
    rebuilt = back(record, form.values)
    assert normalise(rebuilt) == normalise(record)
    assert rebuilt.get("restricted", {}) == record.get("restricted", {})
    assert [image["file"] for image in rebuilt.get("images", [])] == [
        image["file"] for image in record.get("images", [])
    ]
    assert errors_for(rebuilt) == {}


def test_round_trip_through_the_rendered_form_values_keeps_rows(sample: dict[str, Any]) -> None:
    form = form_from_record(sample)
    assert (form.marks, form.clothing, form.images, form.translations, form.restricted) == (
        1,
        2,
        1,
        1,
        2,
    )
    assert form.get("marks-0-colours") == "black, green"
    assert form.get("event-date-day") == "3"
    assert form.get("event-date-month") == "6"
    assert form.get("images-0-publish") == "yes"
    again = form_from_values(form.values)
    assert again == form


def test_restricted_values_keep_their_json_type(sample: dict[str, Any]) -> None:
    sample["restricted"] = {
        "count": 3,
        "ratio": 0.5,
        "refs": ["A-1", "B-2"],
        "chart": {"18": "F", "17": ["X", 1]},
        "flag": True,
        "nothing": None,
        "looks_like_a_number": "42",
        "text": "first line\nsecond line",
    }
    form = form_from_record(sample)
    index = list(sample["restricted"]).index("refs")
    assert json.loads(form.get(f"restricted-{index}-value")) == ["A-1", "B-2"]
    assert form.get(f"restricted-{index}-type") == "list"
    # Browsers send textarea line breaks as CRLF.
    values = {key: value.replace("\n", "\r\n") for key, value in form.values.items()}
    assert back(sample, values)["restricted"] == sample["restricted"]


def test_restricted_json_that_no_longer_fits_its_type_becomes_text(sample) -> None:
    sample["restricted"] = {"refs": ["A-1"], "count": 3}
    values = form_from_record(sample).values
    values["restricted-0-value"] = '["A-1",'  # broken JSON
    values["restricted-1-value"] = '"three"'  # valid JSON, but no longer a number
    assert back(sample, values)["restricted"] == {"refs": '["A-1",', "count": '"three"'}


def test_restricted_rows_blank_dropped_and_keys_checked(sample: dict[str, Any]) -> None:
    values = form_from_record(sample).values
    values |= {"restricted-2-key": "", "restricted-2-value": "  "}
    values |= {"restricted-3-key": "notes", "restricted-3-value": "again"}
    values |= {"restricted-4-key": "", "restricted-4-value": "orphan"}
    record, errors = check(sample, values)
    assert record["restricted"] == sample["restricted"]
    assert "already used" in errors["restricted-3-key"]
    assert errors["restricted-4-key"] == "Enter a name for police-only entry 5"


def test_empty_inputs_are_left_out() -> None:
    record = SAMPLES[-1]
    values = form_from_record(record).values | {"build": "  ", "age-min": "", "age-max": ""}
    rebuilt = back(record, values)
    assert "build" not in rebuilt
    assert "age" not in rebuilt
    assert "biometrics" not in rebuilt
    assert "restricted" not in rebuilt


def test_numbers_are_read_leniently(sample: dict[str, Any]) -> None:
    values = form_from_record(sample).values
    values |= {"age-min": " 30 ", "age-max": "", "event-lat": "51,5", "event-lon": "4"}
    values |= {"weight_kg-min": "70.0", "weight_kg-max": "75"}
    rebuilt = back(sample, values)
    assert rebuilt["age"] == {"min": 30, "max": 30}
    assert rebuilt["weight_kg"] == {"min": 70, "max": 75}
    assert (rebuilt["event"]["lat"], rebuilt["event"]["lon"]) == (51.5, 4.0)
    values["height_cm-min"] = "tall"
    values["event-lat"] = "nan"
    rebuilt = back(sample, values)
    assert rebuilt["height_cm"]["min"] == "tall"
    errors = errors_for(rebuilt)
    assert errors["height_cm-min"] == "Lowest height must be a whole number, like 35"
    assert errors["event-lat"] == "Latitude must be a number, like 51.2"


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "month", "year", "precision", "expected"),
    [
        ("3", "6", "1992", "day", "1992-06-03"),
        ("03", "06", "1992", "day", "1992-06-03"),
        ("", "6", "1992", "month", "1992-06-01"),
        ("", "", "1988", "year", "1988-01-01"),
        ("1", "1", "1988", "year", "1988-01-01"),
        ("", "6", "1992", "day", "1992-6-"),
        ("3", "June", "1992", "day", "1992-June-3"),
        ("3", "6", "92", "day", "92-6-3"),
    ],
)
def test_event_dates(day, month, year, precision, expected, sample) -> None:
    values = form_from_record(sample).values
    values |= {"event-date-day": day, "event-date-month": month, "event-date-year": year}
    values["event-date_precision"] = precision
    assert back(sample, values)["event"]["date"] == expected


def test_partial_dates_show_blank_and_invalid_ones_point_at_the_day(sample) -> None:
    sample["event"] |= {"date": "1988-01-01", "date_precision": "year"}
    form = form_from_record(sample)
    assert (form.get("event-date-day"), form.get("event-date-month")) == ("", "")
    assert form.get("event-date-year") == "1988"
    values = form.values | {"event-date-day": "", "event-date-month": "4"}
    values["event-date_precision"] = "day"
    assert errors_for(back(sample, values)) == {
        "event-date-day": "The date found or last seen must be a real date, like 27 3 2007"
    }
    values |= {"event-date-day": "5", "event-date_precision": "year"}
    assert errors_for(back(sample, values))["event-date-day"] == (
        "When only the year is known, leave the day and month blank"
    )
    values |= {"event-date-day": "", "event-date-month": "", "event-date-year": ""}
    assert errors_for(back(sample, values))["event-date-day"] == (
        "Enter the date found or last seen"
    )


# --- errors -------------------------------------------------------------------------------


def test_realistic_bad_input_points_at_the_fields(sample: dict[str, Any]) -> None:
    values = form_from_record(sample).values
    values |= {"title": "", "event-date-day": "31", "event-date-month": "2"}
    values |= {"age-min": "40", "age-max": "30", "marks-0-location": ""}
    values |= {"translations-0-lang": "qq", "images-0-caption": "x" * 501}
    values |= {"restricted-1-value": "bad \x00 byte"}
    _, errors = check(sample, values)
    assert errors == {
        "title": "Enter a title",
        "age-min": "Lowest age must not be more than the highest age",
        "event-date-day": "The date found or last seen must be a real date, like 27 3 2007",
        "marks-0-location": "Enter where on the body mark 1 is",
        "images-0-caption": "Image 1 caption must be 500 characters or fewer",
        "restricted-1-value": "Police-only entry 2 value must not contain a NUL character (\\0)",
    }
    # The language code is checked once the rest of the record is valid (cross-field rules).
    values |= {"title": "A title", "event-date-day": "3", "event-date-month": "6"}
    values |= {"age-max": "45", "marks-0-location": "left arm", "images-0-caption": "x"}
    values["restricted-1-value"] = "fine"
    _, errors = check(sample, values)
    assert errors == {
        "translations-0-lang": "Translation 1 language must be a language code, like nl, fr or de"
    }


def test_errors_follow_the_form_rows_after_blank_and_removed_rows(sample) -> None:
    values = form_from_record(sample).values
    # A blank mark row before a bad one, and the existing image removed.
    shifted = {
        key.replace("marks-0-", "marks-1-"): value
        for key, value in values.items()
        if key.startswith("marks-0-")
    }
    values = {key: value for key, value in values.items() if not key.startswith("marks-")}
    values |= {f"marks-0-{name}": "" for name in ("type", "location", "description")}
    values |= shifted | {"marks-1-location": "", "images-0-remove": "yes"}
    values |= {"new_image-1-caption": "A new face", "new_image-1-publish": "yes"}
    record, errors = check(sample, values, ["", "upload-1.jpg"])
    assert "image" not in record["marks"][0]
    assert record["images"] == [{"file": "upload-1.jpg", "caption": "A new face", "publish": True}]
    assert errors == {
        "marks-1-location": "Enter where on the body mark 2 is",
        "new_image-1-kind": "Select what new image 2 shows",
    }


def test_general_errors_have_no_field(sample: dict[str, Any]) -> None:
    record = back(sample, form_from_record(sample).values)
    record["agency"] = {"code": "bad code", "name": "X", "country": "BE"}
    errors = errors_for(record)
    assert list(errors) == ["_general"]
    assert errors["_general"].startswith("agency.code:")


def test_missing_person_needs_a_name(sample: dict[str, Any]) -> None:
    values = form_from_record(sample).values | {"kind": "missing", "name": ""}
    assert errors_for(back(sample, values)) == {"name": "Name: required for a missing person"}


# --- row actions --------------------------------------------------------------------------


def test_add_row_keeps_everything_typed(sample: dict[str, Any]) -> None:
    values = form_from_record(sample).values | {"title": "Typed but not saved"}
    form = apply_action(values, "add:marks")
    assert form.marks == 2
    assert form.values == values
    assert form.get("marks-1-location") == ""
    assert apply_action(values, "add:restricted").restricted == 3


def test_remove_row_renumbers_later_rows(sample: dict[str, Any]) -> None:
    values = form_from_record(sample).values
    form = apply_action(values, "remove:clothing:0")
    assert form.clothing == 1
    assert form.get("clothing-0-item") == "jeans"
    assert form.get("clothing-0-brand") == "Levi's"
    assert "clothing-1-item" not in form.values
    assert form.get("title") == sample["title"]
    assert form.marks == 1


@pytest.mark.parametrize(
    "action",
    [
        "",
        "save",
        "add",
        "add:images",
        "add:nothing",
        "remove:marks",
        "remove:marks:9",
        "remove:marks:x",
        "remove:marks:-1",
        "add:marks:1",
        "explode:marks",
    ],
)
def test_malformed_actions_change_nothing(sample: dict[str, Any], action: str) -> None:
    values = form_from_record(sample).values
    assert apply_action(values, action) == EditorForm(values, **_counts(sample))


def _counts(record: dict[str, Any]) -> dict[str, int]:
    form = form_from_record(record)
    groups = ("marks", "clothing", "jewellery", "belongings", "images", "translations")
    return {group: getattr(form, group) for group in (*groups, "restricted")}


def test_crafted_row_numbers_are_capped(sample: dict[str, Any]) -> None:
    values = form_from_record(sample).values | {"marks-99999999-type": "tattoo"}
    assert form_from_values(values).marks == 1


def test_countries_include_kosovo_and_use_everyday_names() -> None:
    choices = dict(country_choices())
    assert choices["XK"] == "Kosovo"
    assert choices["BE"] == "Belgium"
    assert len(choices) >= 249


# --- the page -----------------------------------------------------------------------------


class _Page(HTMLParser):
    """Ids, labels, form controls, and which of them sit in the police-only section."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.labels: set[str] = set()
        self.controls: list[str] = []
        self.summary_links: list[str] = []
        self.in_summary = False
        self.restricted_depth = 0
        self.depth = 0
        self.outside_text: list[str] = []
        self.inside_text: list[str] = []
        self.outside_values: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag not in {"input", "img", "meta", "link", "br"}:
            self.depth += 1
        if "id" in attr:
            self.ids.add(attr["id"])
        if tag == "section" and "editor-restricted" in attr.get("class", ""):
            self.restricted_depth = self.depth
        if "error-summary" in attr.get("class", "").split():
            self.in_summary = True
        if tag == "a" and self.in_summary:
            self.summary_links.append(attr["href"])
        if tag == "label":
            self.labels.add(attr.get("for", ""))
        if tag in {"select", "textarea"} or (
            tag == "input" and attr.get("type") not in {"hidden", "submit"}
        ):
            self.controls.append(attr["id"])
        if tag == "input" and not self.restricted_depth:
            self.outside_values.append(attr.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul" and self.in_summary:
            self.in_summary = False
        if self.depth == self.restricted_depth and tag == "section":
            self.restricted_depth = 0
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        (self.inside_text if self.restricted_depth else self.outside_text).append(data)


def test_the_page_links_errors_labels_every_field_and_keeps_police_data_apart(
    app: Flask, sample_cases
) -> None:
    from portal.auth.forms import SignOutForm

    record = copy.deepcopy(SAMPLES[0])
    record["restricted"]["chart"] = {"18": "F"}
    values = form_from_record(record).values
    values |= {"title": "", "marks-0-location": "", "age-min": "50", "age-max": "40"}
    values |= {"restricted-2-key": "", "restricted-2-value": "orphan RESTRICTED-ORPHAN"}
    _, errors = check(record, values)
    errors = {"_general": "Something about the whole appeal"} | errors
    form = form_from_values(values)
    staff = make_staff("publisher@example.org", Role.PUBLISHER, "BE-FPJ-ANTWERP")
    with app.test_request_context("/publishing/cases/x/edit"):
        login_user(db.session.get(User, staff.user_id))
        html = render_template(
            "publishing/edit.html",
            case=object(),
            form=form,
            errors=errors,
            images=[
                {
                    "file": "be-1992-0603-tattoo.jpg",
                    "kind": "tattoo",
                    "caption": "x",
                    "publish": True,
                    "thumbnail_url": "/media/thumb.jpg",
                }
            ],
            agency={"name": "Federal Judicial Police Antwerp", "code": "BE-FPJ-ANTWERP"},
            record_id=record["record_id"],
            action_url="/publishing/cases/x/edit",
            sign_out=SignOutForm(),
        )
    page = _Page()
    page.feed(html)
    assert set(errors) >= {"title", "marks-0-location", "age-min", "restricted-2-key"}
    assert page.summary_links == [f"#{name}" for name in errors if name != "_general"]
    for link in page.summary_links:
        assert link[1:] in page.ids, link
    assert "Something about the whole appeal" in html
    for control in page.controls:
        assert control in page.labels, f"{control} has no label"
    for name in (
        "marks-0-type",
        "event-date-day",
        "event-date-year",
        "new_image-2-upload",
        "images-0-publish",
        "biometrics-dna",
        "translations-0-lang",
        "restricted-0-value",
        "event-country",
    ):
        assert name in page.controls, name
    assert "Police only: never published" in "".join(page.inside_text)
    assert "search index" in "".join(page.inside_text)
    outside = "".join(page.outside_text) + " ".join(page.outside_values)
    inside = "".join(page.inside_text)
    for secret in ("RESTRICTED-SENTINEL-001", "BE-DNA-77812-SECRET", "RESTRICTED-ORPHAN"):
        assert secret in inside
        assert secret not in outside
    assert re.search(
        r'<form[^>]+method="post"[^>]+enctype="multipart/form-data"[^>]+novalidate', html
    )
    assert 'name="action" value="save">Save draft</button>' in html
    assert 'value="preview">Preview</button>' in html
    assert 'value="remove:marks:0"' in html
    assert 'value="add:translations"' in html
    assert "Unpublished images stay inside the portal" in html
    assert 'src="/media/thumb.jpg"' in html
    assert "style=" not in html.split("<main", 1)[-1]
    assert "<script" not in html.split("<main", 1)[-1]


def test_the_page_for_a_new_case_asks_for_the_reference(app: Flask, sample_cases) -> None:
    from portal.auth.forms import SignOutForm

    staff = make_staff("new@example.org", Role.PUBLISHER, "BE-FPJ-ANTWERP")
    with app.test_request_context("/publishing/new"):
        login_user(db.session.get(User, staff.user_id))
        html = render_template(
            "publishing/edit.html",
            case=None,
            form=form_from_values({}),
            errors={},
            images=[],
            agency={"name": "Federal Judicial Police Antwerp", "code": "BE-FPJ-ANTWERP"},
            record_id="",
            action_url="/publishing/new",
            sign_out=SignOutForm(),
        )
    page = _Page()
    page.feed(html)
    assert "record_id" in page.controls
    assert "New appeal" in html
    for control in page.controls:
        assert control in page.labels, f"{control} has no label"
