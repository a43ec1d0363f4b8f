"""The appeal editor's form: record dicts to flat form values and back, and errors per field."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pycountry
from babel import Locale

from portal.records.validation import validate_record

# Upload rows shown at a time: enough for a face, a tattoo and a garment in one go.
NEW_IMAGE_ROWS = 3
# Rows beyond the schema's own limits can never validate; a crafted form must not make us loop.
MAX_ROWS = {
    "marks": 100,
    "clothing": 100,
    "jewellery": 100,
    "belongings": 100,
    "images": 50,
    "translations": 100,
    "restricted": 500,
    "new_image": NEW_IMAGE_ROWS,
}
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    "marks": ("type", "location", "description", "inscription", "colours", "image"),
    "clothing": ("item", "description", "colour", "brand", "size", "material"),
    "jewellery": ("item", "description", "material", "inscription"),
    "belongings": ("item", "description"),
    "translations": ("lang", "title", "circumstances", "physical_description"),
    "restricted": ("key", "value"),
}
# Groups the "add:" and "remove:" buttons work on; images have their own remove checkbox.
ACTION_GROUPS = tuple(ROW_FIELDS)
GROUPS = (*ROW_FIELDS, "images", "new_image")
TEXT_FIELDS = (
    "title",
    "name",
    "build",
    "hair",
    "eyes",
    "complexion",
    "physical_description",
    "circumstances",
    "dental_summary",
)
RANGES = ("age", "height_cm", "weight_kg")
EVENT_TEXT = ("place", "locality", "region", "country")
BIOMETRICS = ("dna", "fingerprints", "dental")
GENERAL = "_general"
CHECKED = "yes"

SEX_CHOICES = [("female", "Female"), ("male", "Male"), ("unknown", "Not known")]
KIND_CHOICES = [
    ("unidentified", "Unidentified person (found, cannot be named)"),
    ("missing", "Missing person (named, last seen)"),
]
DATE_PRECISION_CHOICES = [
    ("day", "The exact day is known"),
    ("month", "Only the month is known"),
    ("year", "Only the year is known"),
]
MARK_TYPE_CHOICES = [
    ("tattoo", "Tattoo"),
    ("scar", "Scar"),
    ("birthmark", "Birthmark"),
    ("piercing", "Piercing"),
    ("mark", "Other mark on the skin"),
    ("amputation", "Amputation"),
    ("implant", "Implant"),
    ("other", "Something else"),
]
IMAGE_KIND_CHOICES = [
    ("face", "Face"),
    ("reconstruction", "Facial reconstruction"),
    ("tattoo", "Tattoo or mark"),
    ("clothing", "Clothing"),
    ("jewellery", "Jewellery"),
    ("object", "Object found"),
    ("scene", "Place found or last seen"),
]


@lru_cache(maxsize=1)
def country_choices() -> list[tuple[str, str]]:
    """Every country code the schema accepts, by its everyday English name."""
    names = Locale.parse("en_GB").territories
    codes = {country.alpha_2 for country in pycountry.countries} | {"XK"}
    # Babel's names are the everyday ones ("South Korea", not "Korea, Republic of").
    choices = [(code, str(names.get(code, code))) for code in codes]
    return sorted(choices, key=lambda choice: choice[1])


@dataclass
class EditorForm:
    """What the editor shows: flat field values and how many rows each repeatable group has."""

    values: dict[str, str]
    marks: int = 0
    clothing: int = 0
    jewellery: int = 0
    belongings: int = 0
    images: int = 0
    translations: int = 0
    restricted: int = 0
    new_image: int = NEW_IMAGE_ROWS

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def checked(self, name: str) -> bool:
        return _is_checked(self.values.get(name, ""))

    def rows(self, group: str) -> range:
        count: int = getattr(self, group)
        return range(count)

    @property
    def choices(self) -> dict[str, list[tuple[str, str]]]:
        """The options of every select, so the template needs nothing else passed in."""
        return {
            "sex": SEX_CHOICES,
            "kind": KIND_CHOICES,
            "date_precision": DATE_PRECISION_CHOICES,
            "mark_type": MARK_TYPE_CHOICES,
            "image_kind": IMAGE_KIND_CHOICES,
            "country": country_choices(),
        }

    def image_files(self) -> list[str]:
        """The files a mark can point at: the existing images not marked for removal."""
        return [
            self.get(f"images-{row}-file")
            for row in self.rows("images")
            if self.get(f"images-{row}-file") and not self.checked(f"images-{row}-remove")
        ]


def _is_checked(value: str) -> bool:
    return value.strip().lower() in {CHECKED, "on", "true", "1", "y"}


# ---------------------------------------------------------------------------------------------
# Record -> form


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return CHECKED if value else ""
    return str(value)


def _json_kind(value: Any) -> str:
    """The JSON type of a restricted value that is not a plain string."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "string"


def form_from_record(record: Mapping[str, Any]) -> EditorForm:
    """The values to show for a record dict in the record format (optional fields absent or None).

    Restricted data is shown as key/value rows. A value that is a plain string is shown as it
    is; any other value (number, true/false, null, list, object) is shown as JSON text, and the
    hidden field `restricted-N-type` remembers its JSON type so that `record_from_form` turns it
    back into that type, as long as the text still parses as JSON of that type.
    """
    values: dict[str, str] = {}
    for name in ("title", "kind", "sex", *TEXT_FIELDS):
        values[name] = _text(record.get(name))
    for name in RANGES:
        bounds = record.get(name) or {}
        values[f"{name}-min"] = _text(bounds.get("min"))
        values[f"{name}-max"] = _text(bounds.get("max"))

    event = record.get("event") or {}
    precision = event.get("date_precision") or "day"
    values["event-date_precision"] = precision
    day = month = year = ""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", str(event.get("date") or ""))
    if match:
        year, month, day = match.group(1), str(int(match.group(2))), str(int(match.group(3)))
        # What is not known is shown blank, as it was typed: "01" would read as a fact.
        if precision in {"month", "year"} and day == "1":
            day = ""
        if precision == "year" and month == "1":
            month = ""
    elif event.get("date"):
        year = str(event["date"])
    values["event-date-day"], values["event-date-month"], values["event-date-year"] = (
        day,
        month,
        year,
    )
    for name in (*EVENT_TEXT, "lat", "lon"):
        values[f"event-{name}"] = _text(event.get(name))

    for index, mark in enumerate(record.get("marks") or []):
        for name in ROW_FIELDS["marks"]:
            value = mark.get(name)
            values[f"marks-{index}-{name}"] = (
                ", ".join(value) if name == "colours" and value else _text(value)
            )
    for group in ("clothing", "jewellery", "belongings"):
        for index, item in enumerate(record.get(group) or []):
            for name in ROW_FIELDS[group]:
                values[f"{group}-{index}-{name}"] = _text(item.get(name))

    biometrics = record.get("biometrics") or {}
    for name in BIOMETRICS:
        values[f"biometrics-{name}"] = CHECKED if biometrics.get(name) else ""

    images = record.get("images") or []
    for index, image in enumerate(images):
        values[f"images-{index}-file"] = _text(image.get("file"))
        values[f"images-{index}-kind"] = _text(image.get("kind"))
        values[f"images-{index}-caption"] = _text(image.get("caption"))
        values[f"images-{index}-publish"] = CHECKED if image.get("publish") else ""
        values[f"images-{index}-remove"] = ""

    translations = record.get("translations") or {}
    for index, (lang, translation) in enumerate(translations.items()):
        values[f"translations-{index}-lang"] = str(lang)
        for name in ROW_FIELDS["translations"][1:]:
            values[f"translations-{index}-{name}"] = _text((translation or {}).get(name))

    restricted = record.get("restricted") or {}
    for index, (key, value) in enumerate(restricted.items()):
        values[f"restricted-{index}-key"] = str(key)
        if isinstance(value, str):
            values[f"restricted-{index}-value"] = value
            values[f"restricted-{index}-type"] = ""
        else:
            values[f"restricted-{index}-value"] = json.dumps(value, ensure_ascii=False, indent=1)
            values[f"restricted-{index}-type"] = _json_kind(value)

    return EditorForm(
        values,
        marks=len(record.get("marks") or []),
        clothing=len(record.get("clothing") or []),
        jewellery=len(record.get("jewellery") or []),
        belongings=len(record.get("belongings") or []),
        images=len(images),
        translations=len(translations),
        restricted=len(restricted),
    )


# ---------------------------------------------------------------------------------------------
# Form -> record


def flat_values(form: Mapping[str, Any]) -> dict[str, str]:
    """A submitted form (a dict or werkzeug MultiDict, whose `get` gives the first value) as str."""
    values: dict[str, str] = {}
    for key in form:
        value = form.get(key)
        if isinstance(value, str):
            # Browsers send textarea line breaks as CRLF; records hold plain newlines.
            values[str(key)] = value.replace("\r\n", "\n")
    return values


def _row_indexes(values: Mapping[str, str], group: str) -> list[int]:
    """The row numbers a form has for a group, within the group's limit, in order."""
    pattern = re.compile(rf"{re.escape(group)}-(\d{{1,4}})-")
    found = {int(m.group(1)) for key in values if (m := pattern.match(key))}
    return sorted(index for index in found if index < MAX_ROWS[group])


def _counts(values: Mapping[str, str]) -> dict[str, int]:
    counts = {}
    for group in GROUPS:
        if group == "new_image":
            continue
        indexes = _row_indexes(values, group)
        counts[group] = indexes[-1] + 1 if indexes else 0
    return counts


def form_from_values(form: Mapping[str, Any]) -> EditorForm:
    """The editor showing exactly what was submitted, to render it again (after errors)."""
    values = flat_values(form)
    return EditorForm(values, **_counts(values))


def _integer(text: str) -> int | str | None:
    text = text.strip().replace(" ", "")
    if not text:
        return None
    if re.fullmatch(r"[+-]?[0-9]+(\.0*)?", text):
        return int(float(text)) if "." in text else int(text)
    # Not a number: the raw text goes to the schema, which reports it in its own words.
    return text


def _decimal(text: str) -> float | str | None:
    text = text.strip().replace(" ", "")
    if not text:
        return None
    candidate = text.replace(",", ".")
    if re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)", candidate):
        number = float(candidate)
        if math.isfinite(number):
            return number
    return text


def _event_date(day: str, month: str, year: str, precision: str) -> str | None:
    day, month, year = day.strip(), month.strip(), year.strip()
    if not (day or month or year):
        return None
    # What the precision says is unknown may be left blank: the format writes it as 01.
    if precision == "year":
        month, day = month or "1", day or "1"
    elif precision == "month":
        day = day or "1"
    if (
        re.fullmatch(r"[0-9]{1,2}", day)
        and re.fullmatch(r"[0-9]{1,2}", month)
        and re.fullmatch(r"[0-9]{4}", year)
    ):
        return f"{year}-{int(month):02d}-{int(day):02d}"
    # Deliberately not a date, so the schema rejects it and the error points at the day.
    return f"{year}-{month}-{day}"


def _parse_restricted(text: str, kind: str) -> Any:
    """A restricted value: back to its JSON type if it was one and still parses as one."""
    if kind in {"", "string"}:
        return text
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return text
    return parsed if _json_kind(parsed) == kind else text


@dataclass
class FormRecord:
    """A record built from a form, where each of its rows came from, and form-only problems."""

    record: dict[str, Any]
    # Record path prefix ("marks[2]", "translations.nl", "restricted.notes") -> form prefix.
    origins: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def build_record(
    form: Mapping[str, Any],
    *,
    record_id: str,
    agency: dict[str, Any],
    status: str,
    identified: dict[str, Any] | None,
    new_image_names: list[str],
) -> FormRecord:
    """The record a form says, with the form row behind each record entry."""
    values = flat_values(form)

    def text(name: str) -> str:
        return values.get(name, "").strip()

    result = FormRecord({})
    record = result.record
    record["record_id"] = record_id
    record["agency"] = agency
    record["status"] = status
    if identified is not None:
        record["identified"] = identified
    for name in ("title", "kind", "sex", *TEXT_FIELDS):
        if text(name):
            record[name] = text(name)

    for name in RANGES:
        low, high = _integer(values.get(f"{name}-min", "")), _integer(values.get(f"{name}-max", ""))
        if low is not None or high is not None:
            # One number alone means exactly that: "age 30" is 30 to 30.
            record[name] = {
                "min": low if low is not None else high,
                "max": high if high is not None else low,
            }

    event: dict[str, Any] = {}
    precision = text("event-date_precision")
    date = _event_date(
        values.get("event-date-day", ""),
        values.get("event-date-month", ""),
        values.get("event-date-year", ""),
        precision or "day",
    )
    if date is not None:
        event["date"] = date
    if precision:
        event["date_precision"] = precision
    for name in EVENT_TEXT:
        if text(f"event-{name}"):
            event[name] = text(f"event-{name}")
    for name in ("lat", "lon"):
        number = _decimal(values.get(f"event-{name}", ""))
        if number is not None:
            event[name] = number
    if event:
        record["event"] = event

    images, removed = _images(values, new_image_names, result)

    marks: list[dict[str, Any]] = []
    for row in _row_indexes(values, "marks"):
        if not any(text(f"marks-{row}-{name}") for name in ROW_FIELDS["marks"]):
            continue
        mark: dict[str, Any] = {}
        for name in ("type", "location", "description", "inscription"):
            if text(f"marks-{row}-{name}"):
                mark[name] = text(f"marks-{row}-{name}")
        colours = [part.strip() for part in text(f"marks-{row}-colours").split(",")]
        if any(colours):
            mark["colours"] = [colour for colour in colours if colour]
        image = text(f"marks-{row}-image")
        if image and image not in removed:
            mark["image"] = image
        result.origins[f"marks[{len(marks)}]"] = f"marks-{row}"
        marks.append(mark)
    if marks:
        record["marks"] = marks

    for group in ("clothing", "jewellery", "belongings"):
        items: list[dict[str, Any]] = []
        for row in _row_indexes(values, group):
            item = {
                name: text(f"{group}-{row}-{name}")
                for name in ROW_FIELDS[group]
                if text(f"{group}-{row}-{name}")
            }
            if item:
                result.origins[f"{group}[{len(items)}]"] = f"{group}-{row}"
                items.append(item)
        if items:
            record[group] = items

    biometrics = {name: _is_checked(values.get(f"biometrics-{name}", "")) for name in BIOMETRICS}
    if any(biometrics.values()):
        record["biometrics"] = biometrics
    if images:
        record["images"] = images

    translations: dict[str, dict[str, str]] = {}
    for row in _row_indexes(values, "translations"):
        lang = text(f"translations-{row}-lang")
        translation = {
            name: text(f"translations-{row}-{name}")
            for name in ROW_FIELDS["translations"][1:]
            if text(f"translations-{row}-{name}")
        }
        if not lang and not translation:
            continue
        if lang in translations:
            result.errors.setdefault(
                f"translations-{row}-lang", f"Translation {row + 1}: this language is given twice"
            )
            continue
        result.origins[f"translations.{lang}"] = f"translations-{row}"
        translations[lang] = translation
    if translations:
        record["translations"] = translations

    restricted: dict[str, Any] = {}
    for row in _row_indexes(values, "restricted"):
        key = text(f"restricted-{row}-key")
        raw = text(f"restricted-{row}-value")
        if not key and not raw:
            continue
        if not key:
            result.errors.setdefault(
                f"restricted-{row}-key", f"Enter a name for police-only entry {row + 1}"
            )
            continue
        if key in restricted:
            result.errors.setdefault(
                f"restricted-{row}-key",
                f"Police-only entry {row + 1}: the name {key!r} is already used above",
            )
            continue
        result.origins[f"restricted.{key}"] = f"restricted-{row}"
        restricted[key] = _parse_restricted(raw, text(f"restricted-{row}-type"))
    if restricted:
        record["restricted"] = restricted
    return result


def _images(
    values: Mapping[str, str], new_image_names: list[str], result: FormRecord
) -> tuple[list[dict[str, Any]], set[str]]:
    """Existing images not removed, then new uploads; and the files removed."""

    def text(name: str) -> str:
        return values.get(name, "").strip()

    images: list[dict[str, Any]] = []
    removed: set[str] = set()
    for row in _row_indexes(values, "images"):
        file = text(f"images-{row}-file")
        if _is_checked(values.get(f"images-{row}-remove", "")):
            removed.add(file)
            continue
        if not file:
            continue
        image: dict[str, Any] = {"file": file}
        if text(f"images-{row}-kind"):
            image["kind"] = text(f"images-{row}-kind")
        if text(f"images-{row}-caption"):
            image["caption"] = text(f"images-{row}-caption")
        image["publish"] = _is_checked(values.get(f"images-{row}-publish", ""))
        result.origins[f"images[{len(images)}]"] = f"images-{row}"
        images.append(image)
    for row, name in enumerate(new_image_names[:NEW_IMAGE_ROWS]):
        if not name:
            continue
        image = {"file": name}
        if text(f"new_image-{row}-kind"):
            image["kind"] = text(f"new_image-{row}-kind")
        if text(f"new_image-{row}-caption"):
            image["caption"] = text(f"new_image-{row}-caption")
        image["publish"] = _is_checked(values.get(f"new_image-{row}-publish", ""))
        result.origins[f"images[{len(images)}]"] = f"new_image-{row}"
        images.append(image)
    return images, removed


def record_from_form(
    form: Mapping[str, Any],
    *,
    record_id: str,
    agency: dict[str, Any],
    status: str,
    identified: dict[str, Any] | None,
    new_image_names: list[str],
) -> dict[str, Any]:
    """The record dict a submitted editor form says.

    `record_id`, `agency`, `status` and `identified` come from the case, never the form.
    `new_image_names` has one entry per upload row, in row order: the staged file name, or ""
    where that row had no file (rows without a file are ignored; a shorter list is fine).
    """
    return build_record(
        form,
        record_id=record_id,
        agency=agency,
        status=status,
        identified=identified,
        new_image_names=new_image_names,
    ).record


def check_form(
    form: Mapping[str, Any],
    *,
    record_id: str,
    agency: dict[str, Any],
    status: str,
    identified: dict[str, Any] | None,
    new_image_names: list[str],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The record a form says and every error by field id: what a view calls on save."""
    built = build_record(
        form,
        record_id=record_id,
        agency=agency,
        status=status,
        identified=identified,
        new_image_names=new_image_names,
    )
    errors = errors_for(built.record, built.origins)
    for name, message in built.errors.items():
        errors.setdefault(name, message)
    return built.record, errors


# ---------------------------------------------------------------------------------------------
# Row actions


def apply_action(form_values: Mapping[str, Any], action: str) -> EditorForm:
    """The form with a blank row added ("add:marks") or one removed ("remove:marks:2")."""
    values = flat_values(form_values)
    form = EditorForm(values, **_counts(values))
    parts = action.split(":")
    if len(parts) < 2 or parts[1] not in ACTION_GROUPS:
        return form
    group = parts[1]
    count: int = getattr(form, group)
    if parts[0] == "add" and len(parts) == 2:
        if count < MAX_ROWS[group]:
            setattr(form, group, count + 1)
        return form
    if parts[0] != "remove" or len(parts) != 3 or not re.fullmatch(r"[0-9]{1,4}", parts[2]):
        return form
    removed = int(parts[2])
    if removed >= count:
        return form
    pattern = re.compile(rf"{re.escape(group)}-([0-9]+)-(.+)")
    renumbered: dict[str, str] = {}
    for key, value in values.items():
        match = pattern.fullmatch(key)
        if not match:
            renumbered[key] = value
            continue
        row = int(match.group(1))
        if row == removed:
            continue
        # Later rows move up one, so that the numbers shown stay 1, 2, 3 without gaps.
        new_row = row - 1 if row > removed else row
        renumbered[f"{group}-{new_row}-{match.group(2)}"] = value
    form.values = renumbered
    setattr(form, group, count - 1)
    return form


# ---------------------------------------------------------------------------------------------
# Errors


_LABELS = {
    "record_id": "Reference",
    "title": "Title",
    "kind": "Kind of appeal",
    "name": "Name",
    "sex": "Sex",
    "age-min": "Lowest age",
    "age-max": "Highest age",
    "height_cm-min": "Lowest height",
    "height_cm-max": "Highest height",
    "weight_kg-min": "Lowest weight",
    "weight_kg-max": "Highest weight",
    "build": "Build",
    "hair": "Hair",
    "eyes": "Eyes",
    "complexion": "Complexion",
    "physical_description": "Physical description",
    "event-date-day": "Date",
    "event-date_precision": "How precisely the date is known",
    "event-place": "Place",
    "event-locality": "Town or city",
    "event-region": "Region",
    "event-country": "Country",
    "event-lat": "Latitude",
    "event-lon": "Longitude",
    "circumstances": "Circumstances",
    "dental_summary": "Dental summary",
    "biometrics-dna": "DNA",
    "biometrics-fingerprints": "Fingerprints",
    "biometrics-dental": "Dental records",
}
_ROW_LABELS = {
    "marks": "Mark",
    "clothing": "Clothing item",
    "jewellery": "Jewellery item",
    "belongings": "Belonging",
    "images": "Image",
    "new_image": "New image",
    "translations": "Translation",
    "restricted": "Police-only entry",
}
_FIELD_WORDS = {
    "type": "type",
    "location": "location",
    "description": "description",
    "inscription": "inscription",
    "colours": "colours",
    "image": "image",
    "item": "item",
    "colour": "colour",
    "brand": "brand",
    "size": "size",
    "material": "material",
    "kind": "what it shows",
    "caption": "caption",
    "publish": "publish",
    "upload": "file",
    "lang": "language",
    "title": "title",
    "circumstances": "circumstances",
    "physical_description": "physical description",
    "key": "name",
    "value": "value",
}
# "Enter …" or "Select …" for a required field, as the GOV.UK Design System words it.
_REQUIRED = {
    "record_id": "Enter the reference",
    "title": "Enter a title",
    "name": "Enter the person's name",
    "sex": "Select the sex",
    "event-date-day": "Enter the date found or last seen",
    "event-country": "Select the country",
}
_REQUIRED_ROW = {
    "type": "Select the type of mark {n}",
    "location": "Enter where on the body mark {n} is",
    "description": "Describe mark {n}",
    "item": "Enter what {row} {n} is",
    "kind": "Select what {row} {n} shows",
}


def label_for(field_id: str) -> str:
    """The words for a field in error messages: "Title", "Mark 2 location"."""
    if field_id in _LABELS:
        return _LABELS[field_id]
    match = re.fullmatch(r"([a-z_]+)-([0-9]+)-([a-z_]+)", field_id)
    if match and match.group(1) in _ROW_LABELS:
        group, row, name = match.groups()
        return f"{_ROW_LABELS[group]} {int(row) + 1} {_FIELD_WORDS.get(name, name)}"
    return field_id.replace("_", " ").replace("-", " ").capitalize()


def _path_parts(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for token in re.findall(r"\[(\d+)\]|([^.\[\]]+)", path):
        parts.append(int(token[0]) if token[0] else token[1])
    return parts


def field_id_for(
    path: str, message: str, record: Mapping[str, Any], origins: Mapping[str, str] | None = None
) -> str:
    """The editor field an error at a record path points at; `_general` when none fits."""
    origins = origins or {}
    parts = _path_parts(path)
    if not parts:
        return GENERAL
    head = parts[0]
    rest = parts[1:]
    if head in {"record_id", "title", "kind", "name", "sex", *TEXT_FIELDS}:
        return str(head)
    if head in RANGES:
        return f"{head}-max" if rest[:1] == ["max"] else f"{head}-min"
    if head == "event":
        name = rest[0] if rest else None
        if name in (*EVENT_TEXT, "lat", "lon", "date_precision"):
            return f"event-{name}"
        if name is None and "lat and lon" in message:
            return "event-lat"
        return "event-date-day"
    if head == "biometrics":
        return f"biometrics-{rest[0]}" if rest and rest[0] in BIOMETRICS else "biometrics-dna"
    if head in {"marks", "clothing", "jewellery", "belongings", "images"}:
        if not rest or not isinstance(rest[0], int):
            return GENERAL
        prefix = origins.get(f"{head}[{rest[0]}]", f"{head}-{rest[0]}")
        name = str(rest[1]) if len(rest) > 1 else ""
        if head == "images":
            if name == "file" or not name:
                # An existing image's file is not editable; a new one's is the upload.
                name = "upload" if prefix.startswith("new_image") else "kind"
            return f"{prefix}-{name}"
        if head == "marks" and name not in ROW_FIELDS["marks"]:
            name = "type"
        elif head != "marks" and name not in ROW_FIELDS[str(head)]:
            name = "item"
        return f"{prefix}-{name}"
    if head == "translations":
        if not rest:
            return GENERAL
        lang = str(rest[0])
        langs = list((record.get("translations") or {}).keys())
        fallback = f"translations-{langs.index(lang)}" if lang in langs else "translations-0"
        prefix = origins.get(f"translations.{lang}", fallback)
        name = str(rest[1]) if len(rest) > 1 else ""
        if name in ROW_FIELDS["translations"][1:]:
            return f"{prefix}-{name}"
        if name or "language code" in message:
            return f"{prefix}-lang"
        return f"{prefix}-title"
    if head == "restricted":
        return _restricted_field(record, origins, message)
    return GENERAL


def _restricted_field(record: Mapping[str, Any], origins: Mapping[str, str], message: str) -> str:
    restricted = record.get("restricted")
    if not isinstance(restricted, dict) or not restricted:
        return "restricted-0-key"
    keys = list(restricted)
    if "NUL" in message:
        # Point at the entry that holds the character, not just the section.
        for index, key in enumerate(keys):
            prefix = origins.get(f"restricted.{key}", f"restricted-{index}")
            if "\x00" in str(key):
                return f"{prefix}-key"
            if _contains_nul(restricted[key]):
                return f"{prefix}-value"
    prefix = origins.get(f"restricted.{keys[0]}", "restricted-0")
    return f"{prefix}-value"


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(child) for key, child in value.items())
    if isinstance(value, list):
        return any(_contains_nul(child) for child in value)
    return False


def plain_message(field_id: str, message: str) -> str:
    """A validation message as a sentence a publisher understands."""
    label = label_for(field_id)
    row = re.fullmatch(r"([a-z_]+)-([0-9]+)-([a-z_]+)", field_id)
    if message in {"required", "must not be blank"}:
        if field_id in _REQUIRED:
            return _REQUIRED[field_id]
        if row and row.group(3) in _REQUIRED_ROW:
            group, number, name = row.groups()
            template = _REQUIRED_ROW[name]
            return template.format(n=int(number) + 1, row=_ROW_LABELS[group].lower())
        if field_id.endswith("-max"):
            return f"Enter the {label.lower()}"
        return f"Enter {label[0].lower() + label[1:]}"
    if field_id == "event-date-day":
        return _date_message(message)
    too_long = re.fullmatch(r"is too long: at most (\d+) characters", message)
    if too_long:
        return f"{label} must be {too_long.group(1)} characters or fewer"
    if message == "must be a whole number":
        return f"{label} must be a whole number, like 35"
    if message == "must be a number":
        return f"{label} must be a number, like 51.2"
    bound = re.fullmatch(r"must be (at least|at most) (-?[0-9.]+) \(got .*\)", message, re.S)
    if bound:
        words = "or more" if bound.group(1) == "at least" else "or less"
        return f"{label} must be {bound.group(2)} {words}"
    ordered = re.fullmatch(r"min \((.+)\) is greater than max \((.+)\)", message)
    if ordered:
        higher = label.replace("Lowest", "highest")
        return f"{label} must not be more than the {higher}"
    if message.startswith("must be one of "):
        return f"Choose one of the options for {label[0].lower() + label[1:]}"
    if "is not a known BCP 47 language code" in message:
        return f"{label} must be a language code, like nl, fr or de"
    if "lat and lon go together" in message:
        return "Enter both the latitude and the longitude, or neither"
    if "a translation needs at least one of" in message:
        return f"{label[: -len(' title')]}: enter a title, circumstances or physical description"
    if message == "contains control characters":
        return f"{label} must not contain control characters"
    if "contains a NUL character" in message:
        return f"{label} must not contain a NUL character (\\0)"
    if field_id == "record_id" and "does not have the required form" in message:
        return "Reference must be 3 to 64 letters, digits, dots, dashes, slashes or underscores"
    if "is listed twice" in message:
        return f"{label}: this file is listed twice"
    return f"{label}: {message}"


def _date_message(message: str) -> str:
    if "known only to the year" in message:
        return "When only the year is known, leave the day and month blank"
    if "known only to the month" in message:
        return "When only the month is known, leave the day blank"
    if "in the future" in message:
        return "The date found or last seen must be today or in the past"
    return "The date found or last seen must be a real date, like 27 3 2007"


def errors_for(record: dict[str, Any], origins: Mapping[str, str] | None = None) -> dict[str, str]:
    """Validate with the importer's code; each error by editor field id, in plain words.

    Without `origins`, row N of the record is row N of the form (true for a form made by
    `form_from_record`). After a submitted form dropped blank rows, pass the origins from
    `build_record`, or call `check_form`. Errors no field fits are under `_general`.
    """
    _, problems = validate_record(record, str(record.get("record_id") or "the appeal"))
    errors: dict[str, str] = {}
    for problem in problems:
        field_id = field_id_for(problem.path, problem.message, record, origins)
        if field_id == GENERAL:
            message = f"{problem.path}: {problem.message}"
        else:
            message = plain_message(field_id, problem.message)
        # One message per field, the first, as the design system shows them.
        errors.setdefault(field_id, message)
    return _ordered(errors)


def _ordered(errors: dict[str, str]) -> dict[str, str]:
    """General errors first, then in the order the fields appear on the page."""
    order = {name: index for index, name in enumerate(field_order())}

    def position(name: str) -> tuple[int, int, str]:
        if name == GENERAL:
            return (-1, 0, name)
        match = re.fullmatch(r"([a-z_]+)-([0-9]+)-([a-z_]+)", name)
        if match and match.group(1) in _ROW_LABELS:
            return (order.get(match.group(1), len(order)), int(match.group(2)), name)
        return (order.get(name, len(order)), 0, name)

    return dict(sorted(errors.items(), key=lambda item: position(item[0])))


@lru_cache(maxsize=1)
def field_order() -> tuple[str, ...]:
    """Fields and groups in page order."""
    return (
        "record_id",
        "title",
        "kind",
        "name",
        "sex",
        *(f"{name}-{end}" for name in RANGES for end in ("min", "max")),
        "build",
        "hair",
        "eyes",
        "complexion",
        "physical_description",
        "event-date-day",
        "event-date_precision",
        *(f"event-{name}" for name in (*EVENT_TEXT, "lat", "lon")),
        "circumstances",
        "marks",
        "clothing",
        "jewellery",
        "belongings",
        "dental_summary",
        *(f"biometrics-{name}" for name in BIOMETRICS),
        "images",
        "new_image",
        "translations",
        "restricted",
    )


def choices_label(choices: Iterable[tuple[str, str]], value: str) -> str:
    """The label of a choice, for showing a chosen value in words."""
    return dict(choices).get(value, value)
