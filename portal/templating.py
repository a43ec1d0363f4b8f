"""Template filters and globals: dates, countries and labels in plain words."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Flask, current_app, request, url_for
from markupsafe import Markup, escape

from portal.publication import PublicCase, PublicImage, PublicRange
from portal.search.vocabulary import BODY_REGIONS
from portal.urls import external_url

LOCALE = "en_GB"

MARK_TYPE_LABELS = {
    "tattoo": "Tattoo",
    "scar": "Scar",
    "birthmark": "Birthmark",
    "piercing": "Piercing",
    "mark": "Mark",
    "amputation": "Amputation",
    "implant": "Implant",
    "other": "Other",
}
MARK_TYPE_PLURALS = {
    "tattoo": "Tattoos",
    "scar": "Scars",
    "birthmark": "Birthmarks",
    "piercing": "Piercings",
    "mark": "Other marks",
    "amputation": "Amputations",
    "implant": "Implants",
    "other": "Other features",
}
SEX_LABELS = {"female": "Female", "male": "Male", "unknown": "Sex unknown"}
KIND_LABELS = {"unidentified": "Unidentified person", "missing": "Missing person"}
STATUS_LABELS = {
    "draft": "Draft",
    "published": "Appeal open",
    "identified": "Identified",
    "withdrawn": "Withdrawn",
}


@lru_cache(maxsize=512)
def country_name(code: str | None) -> str:
    if not code:
        return ""
    return str(Locale.parse(LOCALE).territories.get(code.upper(), code.upper()))


def event_date(value: date, precision: str = "day") -> str:
    """A date as precisely as it is known: '3 June 1992', 'January 1988' or '1988'."""
    if precision == "year":
        return str(value.year)
    if precision == "month":
        return format_date(value, "MMMM y", locale=LOCALE)
    return format_date(value, "d MMMM y", locale=LOCALE)


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, "d MMMM y", locale=LOCALE)


def range_text(value: PublicRange | None, unit: str = "") -> str:
    if value is None:
        return ""
    text = str(value)
    return f"{text} {unit}".strip()


def event_label(case: PublicCase) -> str:
    return "Last seen" if case.kind == "missing" else "Found"


def place_text(case: PublicCase) -> str:
    event = case.event
    parts = [event.locality, event.region, country_name(event.country)]
    return ", ".join(part for part in parts if part)


def pronoun(case: PublicCase) -> str:
    return {"female": "her", "male": "him"}.get(case.sex, "this person")


def image_url(image: PublicImage, width: int | None = None) -> str:
    chosen = width if width in image.widths else image.largest_width
    return url_for("public.media", token=image.token, variant=f"w{chosen}")


def image_srcset(image: PublicImage) -> Markup:
    # Safe: the URL is escaped and the width is an integer.
    return Markup(", ").join(
        Markup(f"{escape(image_url(image, width))} {width}w")  # noqa: S704
        for width in image.widths
    )


@lru_cache(maxsize=4096)
def number(value: int) -> str:
    return format_decimal(value, locale=LOCALE)


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = str(value)
    assert request.endpoint is not None
    values: dict[str, Any] = {**(request.view_args or {}), **args}
    return url_for(request.endpoint, **values)


class _CountryLabels:
    """A mapping-like view of country names, for templates that label country codes."""

    def get(self, code: str, default: str | None = None) -> str:
        return country_name(code) or (default or code)


REGION_LABELS = {region: region.replace("_", " ").capitalize() for region in BODY_REGIONS}


def register(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(
        country_name=country_name,
        event_date=event_date,
        long_date=long_date,
        range_text=range_text,
        number=number,
    )
    app.jinja_env.globals.update(
        MARK_TYPE_LABELS=MARK_TYPE_LABELS,
        MARK_TYPE_PLURALS=MARK_TYPE_PLURALS,
        SEX_LABELS=SEX_LABELS,
        KIND_LABELS=KIND_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        event_label=event_label,
        place_text=place_text,
        pronoun=pronoun,
        image_url=image_url,
        image_srcset=image_srcset,
        url_with=url_with,
        country_labels=_CountryLabels(),
        REGION_LABELS=REGION_LABELS,
        external_url=external_url,
        now=lambda: datetime.now(UTC),
        site_name=lambda: current_app.config["PORTAL_SITE_NAME"],
    )
