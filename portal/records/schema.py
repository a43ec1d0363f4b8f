"""Pydantic models of the appeal record format (v1): the one schema every door uses."""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, Literal

import pycountry
from babel import Locale, UnknownLocaleError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

RECORD_ID_PATTERN = r"^[A-Za-z0-9._/-]{3,64}$"
AGENCY_CODE_PATTERN = r"^[A-Z0-9-]{2,32}$"
# A practical address check; delivery is what proves an address.
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"
# Anything below U+0020 except tab and newlines breaks pages and PostgreSQL (NUL) alike.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Codes in use by INTERPOL and European police that ISO reserves for user assignment.
_EXTRA_COUNTRY_CODES = {"XK"}
RESTRICTED_MAX_DEPTH = 32
RESTRICTED_MAX_BYTES = 256 * 1024


def _clean_text(value: str) -> str:
    if _CONTROL_CHARS.search(value):
        raise ValueError("contains control characters")
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


def _country(value: str) -> str:
    if value in _EXTRA_COUNTRY_CODES or (
        len(value) == 2 and value.isupper() and pycountry.countries.get(alpha_2=value)
    ):
        return value
    raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (such as GB, NL)")


def _iso_date(value: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a real calendar date") from None
    if parsed > date.today():
        raise ValueError(f"{value} is in the future")
    return value


@lru_cache(maxsize=512)
def _known_language(code: str) -> bool:
    try:
        Locale.parse(code, sep="-")
    except (UnknownLocaleError, ValueError):
        return False
    return True


Text50 = Annotated[str, Field(max_length=50), AfterValidator(_clean_text)]
Text200 = Annotated[str, Field(max_length=200), AfterValidator(_clean_text)]
Text300 = Annotated[str, Field(max_length=300), AfterValidator(_clean_text)]
Text500 = Annotated[str, Field(max_length=500), AfterValidator(_clean_text)]
Text2000 = Annotated[str, Field(max_length=2000), AfterValidator(_clean_text)]
Text4000 = Annotated[str, Field(max_length=4000), AfterValidator(_clean_text)]
Text8000 = Annotated[str, Field(max_length=8000), AfterValidator(_clean_text)]


def _no_negative_zero(value: float) -> float:
    # -0.0 is stored as 0.0 by SQLite: read as 0.0 at once, or an exported record (written
    # from the stored value) would hash differently and re-import as changed.
    return value + 0.0


Country = Annotated[str, AfterValidator(_country)]
IsoDate = Annotated[str, AfterValidator(_iso_date)]


class _Strict(BaseModel):
    # strict: "12" is not an age and 1 is not true; extra: a misspelt field must fail loudly.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Agency(_Strict):
    code: Annotated[str, Field(pattern=AGENCY_CODE_PATTERN)]
    name: Text200
    country: Country
    tip_email: Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)] | None = None


class _Range(_Strict):
    min: int
    max: int

    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class AgeRange(_Range):
    min: Annotated[int, Field(ge=0, le=120)]
    max: Annotated[int, Field(ge=0, le=120)]


class HeightRange(_Range):
    min: Annotated[int, Field(ge=30, le=250)]
    max: Annotated[int, Field(ge=30, le=250)]


class WeightRange(_Range):
    min: Annotated[int, Field(ge=1, le=400)]
    max: Annotated[int, Field(ge=1, le=400)]


class Event(_Strict):
    date: IsoDate
    date_precision: Literal["day", "month", "year"] = "day"
    place: Text300 | None = None
    locality: Text200 | None = None
    region: Text200 | None = None
    country: Country
    lat: Annotated[float, Field(ge=-90, le=90), AfterValidator(_no_negative_zero)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180), AfterValidator(_no_negative_zero)] | None = None

    @model_validator(mode="after")
    def _precision_matches(self) -> Event:
        if self.date_precision == "year" and not self.date.endswith("-01-01"):
            raise ValueError("a date known only to the year is written YYYY-01-01")
        if self.date_precision == "month" and not self.date.endswith("-01"):
            raise ValueError("a date known only to the month is written YYYY-MM-01")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together: give both or neither")
        return self


MarkTypeName = Literal[
    "tattoo", "scar", "birthmark", "piercing", "mark", "amputation", "implant", "other"
]
ImageKindName = Literal[
    "face", "reconstruction", "tattoo", "clothing", "jewellery", "object", "scene"
]


def _image_file(value: str) -> str:
    if value.startswith("https://"):
        return value
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", value):
        raise ValueError("an image given as a URL must use https://")
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", value):
        raise ValueError("must be a path relative to the records file, inside its folder")
    return value


ImageFile = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_image_file)]


class Mark(_Strict):
    type: MarkTypeName
    location: Text200
    description: Text4000
    inscription: Text500 | None = None
    colours: (
        Annotated[
            list[Annotated[str, Field(max_length=40), AfterValidator(_clean_text)]],
            Field(max_length=20),
        ]
        | None
    ) = None
    image: ImageFile | None = None

    @field_validator("colours")
    @classmethod
    def _no_colours_is_none(cls, value: list[str] | None) -> list[str] | None:
        # The portal keeps no difference between no colours and an empty list, and exports
        # neither: both must read the same, or a re-imported export looks changed.
        return value or None


class ClothingItem(_Strict):
    item: Text200
    description: Text2000 | None = None
    colour: Text200 | None = None
    brand: Text200 | None = None
    size: Text50 | None = None
    material: Text200 | None = None


class JewelleryItem(_Strict):
    item: Text200
    description: Text2000 | None = None
    material: Text200 | None = None
    inscription: Text500 | None = None


class Belonging(_Strict):
    item: Text200
    description: Text2000 | None = None


class Biometrics(_Strict):
    dna: bool = False
    fingerprints: bool = False
    dental: bool = False


class Image(_Strict):
    file: ImageFile
    kind: ImageKindName
    caption: Text500 | None = None
    publish: bool = False


class Translation(_Strict):
    title: Text200 | None = None
    circumstances: Text8000 | None = None
    physical_description: Text4000 | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Translation:
        if self.title is None and self.circumstances is None and self.physical_description is None:
            raise ValueError(
                "a translation needs at least one of title, circumstances, physical_description"
            )
        return self


class Identified(_Strict):
    date: IsoDate
    statement: Text4000 | None = None


def _check_restricted(value: dict[str, Any]) -> dict[str, Any]:
    def walk(node: Any, depth: int) -> None:
        if isinstance(node, str) and "\x00" in node:
            raise ValueError("contains a NUL character")
        if isinstance(node, dict | list) and depth > RESTRICTED_MAX_DEPTH:
            # JSON reads deeper nesting than the record can be stored and exported with.
            raise ValueError(f"is nested more than {RESTRICTED_MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            for key, child in node.items():
                walk(key, depth + 1)
                walk(child, depth + 1)
        elif isinstance(node, list):
            for child in node:
                walk(child, depth + 1)

    walk(value, 1)
    if len(json.dumps(value, ensure_ascii=False).encode()) > RESTRICTED_MAX_BYTES:
        raise ValueError(f"is larger than {RESTRICTED_MAX_BYTES // 1024} kB")
    return value


class Record(_Strict):
    """One appeal record, as police hand it to the portal."""

    record_id: Annotated[str, Field(pattern=RECORD_ID_PATTERN)]
    agency: Agency
    kind: Literal["unidentified", "missing"] = "unidentified"
    status: Literal["draft", "published", "identified", "withdrawn"] = "draft"
    title: Text200
    name: Text200 | None = None
    sex: Literal["female", "male", "unknown"]
    age: AgeRange | None = None
    height_cm: HeightRange | None = None
    weight_kg: WeightRange | None = None
    build: Text200 | None = None
    hair: Text200 | None = None
    eyes: Text200 | None = None
    complexion: Text200 | None = None
    physical_description: Text4000 | None = None
    event: Event
    circumstances: Text8000 | None = None
    marks: Annotated[list[Mark], Field(max_length=100)] = []
    clothing: Annotated[list[ClothingItem], Field(max_length=100)] = []
    jewellery: Annotated[list[JewelleryItem], Field(max_length=100)] = []
    belongings: Annotated[list[Belonging], Field(max_length=100)] = []
    dental_summary: Text2000 | None = None
    biometrics: Biometrics = Biometrics()
    images: Annotated[list[Image], Field(max_length=50)] = []
    translations: dict[Annotated[str, Field(max_length=35)], Translation] = {}
    identified: Identified | None = None
    restricted: Annotated[dict[str, Any], AfterValidator(_check_restricted)] = {}


def cross_field_errors(record: Record) -> list[tuple[str, str]]:
    """Rules that span fields, as (field path, message) pairs."""
    errors: list[tuple[str, str]] = []
    if record.kind == "missing" and not record.name:
        errors.append(("name", "required for a missing person"))
    if record.status == "identified":
        if not record.name:
            errors.append(("name", "required once a person is identified"))
        if record.identified is None:
            errors.append(("identified", "required when status is identified (date, statement)"))
    elif record.identified is not None:
        errors.append(("identified", "only allowed when status is identified"))
    if record.identified is not None and record.identified.date < record.event.date:
        errors.append(("identified.date", "is before the event date"))
    for lang in record.translations:
        if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", lang) or not _known_language(
            lang
        ):
            errors.append((f"translations.{lang}", f"{lang!r} is not a known BCP 47 language code"))
    seen: dict[str, int] = {}
    for index, image in enumerate(record.images):
        if image.file in seen:
            errors.append((f"images[{index}].file", f"{image.file!r} is listed twice"))
        seen.setdefault(image.file, index)
    return errors
