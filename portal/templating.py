"""Template filters and globals: dates, countries and labels in plain words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import quote

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal
from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_babel import lazy_gettext
from markupsafe import Markup, escape

from portal.i18n import _, get_locale, url_language
from portal.models.base import as_utc
from portal.publication import PublicCase, PublicImage, PublicRange
from portal.search.vocabulary import BODY_REGIONS
from portal.urls import external_url

# English pages use British conventions ("3 June 1992"); the other languages their own.
LOCALE = "en_GB"
_ENGLISH = Locale.parse(LOCALE)

# Lazy: each label is translated when a page shows it, into that page's language.
MARK_TYPE_LABELS = {
    "tattoo": lazy_gettext("Tattoo"),
    "scar": lazy_gettext("Scar"),
    "birthmark": lazy_gettext("Birthmark"),
    "piercing": lazy_gettext("Piercing"),
    "mark": lazy_gettext("Mark"),
    "amputation": lazy_gettext("Amputation"),
    "implant": lazy_gettext("Implant"),
    "other": lazy_gettext("Other"),
}
MARK_TYPE_PLURALS = {
    "tattoo": lazy_gettext("Tattoos"),
    "scar": lazy_gettext("Scars"),
    "birthmark": lazy_gettext("Birthmarks"),
    "piercing": lazy_gettext("Piercings"),
    "mark": lazy_gettext("Other marks"),
    "amputation": lazy_gettext("Amputations"),
    "implant": lazy_gettext("Implants"),
    "other": lazy_gettext("Other features"),
}
SEX_LABELS = {
    "female": lazy_gettext("Female"),
    "male": lazy_gettext("Male"),
    "unknown": lazy_gettext("Sex unknown"),
}
KIND_LABELS = {
    "unidentified": lazy_gettext("Unidentified person"),
    "missing": lazy_gettext("Missing person"),
}
STATUS_LABELS = {
    "draft": lazy_gettext("Draft"),
    "published": lazy_gettext("Appeal open"),
    "identified": lazy_gettext("Identified"),
    "withdrawn": lazy_gettext("Withdrawn"),
}
IMAGE_KIND_ALTS = {
    "face": lazy_gettext("Image of the face"),
    "scene": lazy_gettext("Image of the scene"),
    "tattoo": lazy_gettext("Image of the tattoo"),
    "scar": lazy_gettext("Image of the scar"),
    "mark": lazy_gettext("Image of the mark"),
    "clothing": lazy_gettext("Image of the clothing"),
    "jewellery": lazy_gettext("Image of the jewellery"),
    "belonging": lazy_gettext("Image of a belonging"),
}


def page_locale() -> Locale:
    """The Babel locale of the current page: British English unless another was chosen."""
    if not has_request_context():
        return _ENGLISH
    locale = get_locale()
    if locale is None or locale.language == "en":
        return _ENGLISH
    return locale


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return country_name_in(code.upper(), str(page_locale()))


@lru_cache(maxsize=4096)
def country_name_in(code: str, locale: str) -> str:
    return str(Locale.parse(locale).territories.get(code, code))


def image_alt(image: PublicImage) -> str:
    return str(IMAGE_KIND_ALTS.get(image.kind) or _("Image from the appeal"))


# The locale's month names: "d MMMM y" and "MMMM y" put together without Babel's pattern
# machinery, some 40 µs a date (a results page shows twenty). Tests compare with format_date.
_MONTHS: dict[int, str] = dict(_ENGLISH.months["format"]["wide"])


def event_date(value: date, precision: str = "day") -> str:
    """A date as precisely as it is known: '3 June 1992', 'January 1988' or '1988'."""
    if precision == "year":
        return str(value.year)
    locale = page_locale()
    if locale is not _ENGLISH:
        return localised_date(value, precision, str(locale))
    if precision == "month":
        return f"{_MONTHS[value.month]} {value.year}"
    return f"{value.day} {_MONTHS[value.month]} {value.year}"


@lru_cache(maxsize=8192)
def localised_date(value: date, precision: str, locale: str) -> str:
    # Babel's patterns for the language: "3 juin 1992", "3. Juni 1992", "juni 1992".
    if precision == "month":
        return str(format_skeleton("yMMMM", value, locale=locale))
    return str(format_date(value, format="long", locale=locale))


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return event_date(value)


def date_time(value: datetime | None) -> str:
    """A staff timestamp: "3 November 2026, 14:05 UTC"."""
    if value is None:
        return ""
    value = as_utc(value).astimezone(UTC)
    return f"{event_date(value.date())}, {value:%H:%M} UTC"


def age(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in the largest whole unit: "5 minutes", "3 hours", "2 days" (staff pages,
    which are in English)."""
    if value is None:
        return ""
    seconds = max(0, int(((now or datetime.now(UTC)) - as_utc(value)).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return "less than a minute"


def range_text(value: PublicRange | None, unit: str = "") -> str:
    if value is None:
        return ""
    text = str(value)
    return f"{text} {unit}".strip()


def event_label(case: PublicCase) -> str:
    return _("Last seen") if case.kind == "missing" else _("Found")


def event_sentence(case: PublicCase) -> str:
    """ "Found 3 June 1992 in Antwerp, Belgium." as one translatable sentence."""
    when = event_date(case.event.date, case.event.date_precision)
    place = place_text(case)
    if case.kind == "missing":
        if place:
            return _("Last seen %(date)s in %(place)s.", date=when, place=place)
        return _("Last seen %(date)s.", date=when)
    if place:
        return _("Found %(date)s in %(place)s.", date=when, place=place)
    return _("Found %(date)s.", date=when)


def place_text(case: PublicCase) -> str:
    event = case.event
    parts = [event.locality, event.region, country_name(event.country)]
    return ", ".join(part for part in parts if part)


def pronoun(case: PublicCase) -> str:
    """Her, him or this person, in English: for text that is not translated (staff pages)."""
    return {"female": "her", "male": "him"}.get(case.sex, "this person")


def recognise_question(case: PublicCase) -> str:
    # Whole sentences, not a pronoun slotted in: other languages inflect it differently.
    if case.sex == "female":
        return _("Do you recognise her?")
    if case.sex == "male":
        return _("Do you recognise him?")
    return _("Do you recognise this person?")


# Characters route arguments keep as they are in a URL (werkzeug's converters percent-encode
# the others): an argument made only of these can go into a URL built once, as written.
_PLAIN = re.compile(r"[A-Za-z0-9_.~/-]+").fullmatch
_SLOT = "portal_slot_{}_"
URL_PATTERNS = "portal_url_patterns"


def _url_pattern(endpoint: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """The endpoint's URL in pieces around its arguments, once per app and script root."""
    patterns: dict[tuple[str, tuple[str, ...], str | None, str | None], tuple[str, ...]]
    patterns = current_app.extensions.setdefault(URL_PATTERNS, {})
    # The chosen language travels in page links (portal.i18n), so it is part of the pattern.
    key = (
        endpoint,
        names,
        request.script_root if has_request_context() else None,
        url_language(),
    )
    pattern = patterns.get(key)
    if pattern is None:
        slots: dict[str, Any] = {name: _SLOT.format(i) for i, name in enumerate(names)}
        url = url_for(endpoint, **slots)
        pieces = [url]
        for i in range(len(names)):
            pieces[-1:] = pieces[-1].split(_SLOT.format(i))
        pattern = patterns[key] = tuple(pieces)
    return pattern


def fast_url(endpoint: str, **values: str) -> str:
    """url_for(endpoint, **values) for a route made of path arguments only, without a route
    lookup per call: a results page links twenty cases and their images, every page the same
    header and footer links."""
    args: dict[str, Any] = values
    if not all(_PLAIN(value) for value in values.values()):
        return url_for(endpoint, **args)
    pieces = _url_pattern(endpoint, tuple(values))
    if len(pieces) != len(values) + 1:  # not a plain route after all: let Flask build it
        return url_for(endpoint, **args)
    out = [pieces[0]]
    for value, piece in zip(values.values(), pieces[1:], strict=True):
        out += (value, piece)
    return "".join(out)


def case_url(case: PublicCase) -> str:
    return fast_url("public.case_detail", case_id=case.id)


def image_url(image: PublicImage, width: int | None = None) -> str:
    chosen = width if width in image.widths else image.largest_width
    preview_of = g.get("preview_case") if has_request_context() else None
    if preview_of:
        # A publisher's preview: images not yet published are served from the staff area.
        return url_for(
            "publishing.preview_media", public_id=preview_of, token=image.token, width=chosen
        )
    return fast_url("public.media", token=image.token, variant=f"w{chosen}")


def image_srcset(image: PublicImage) -> Markup:
    # Safe: the URL is escaped and the width is an integer.
    return Markup(", ").join(
        Markup(f"{escape(image_url(image, width))} {width}w")  # noqa: S704  # nosec B704
        for width in image.widths
    )


# Kinds never offered to social previews: a face or scene photo may show a body.
_NOT_SHARED_KINDS = frozenset({"face", "scene"})
SHARE_IMAGE_WIDTH = 1200


@dataclass(frozen=True)
class ShareImage:
    """The image a social preview of a case shows: absolute URL, size and text alternative."""

    url: str
    width: int
    height: int
    alt: str


def share_image(case: PublicCase) -> ShareImage | None:
    """The case's first published image that may be shown in a social preview, if any."""
    for image in case.images:
        if image.kind in _NOT_SHARED_KINDS:
            continue
        widths = image.widths or (image.width,)
        width = min(widths, key=lambda w: (abs(w - SHARE_IMAGE_WIDTH), -w))
        height = round(image.height * width / image.width) if image.width else image.height
        return ShareImage(
            url=external_url("public.media", token=image.token, variant=f"w{width}"),
            width=width,
            height=height,
            alt=image.caption or image_alt(image),
        )
    return None


@dataclass(frozen=True)
class ShareLinks:
    short_url: str
    email: str
    whatsapp: str


def share_links(case: PublicCase) -> ShareLinks:
    """The case's short URL and plain links that share it by email or WhatsApp, no scripts."""
    short = external_url("public.short", public_id=case.id)
    question = recognise_question(case)
    text = f"{case.title}. {question} {short}"
    subject = f"{question} {case.title}"
    return ShareLinks(
        short_url=short,
        email=f"mailto:?subject={quote(subject, safe='')}&body={quote(text, safe='')}",
        whatsapp=f"https://wa.me/?text={quote(text, safe='')}",
    )


def canonical_url() -> str | None:
    """The absolute URL of the current page without its query, or None outside a route."""
    if not has_request_context() or request.endpoint is None:
        return None
    values: dict[str, Any] = dict(request.view_args or {})
    return external_url(request.endpoint, **values)


def number(value: int) -> str:
    """A count as the page's language writes it: 1,234 / 1 234 / 1.234."""
    return _number(value, str(page_locale()))


@lru_cache(maxsize=4096)
def _number(value: int, locale: str) -> str:
    return format_decimal(value, locale=locale)


class Labels(Protocol):
    def get(self, key: str, default: str, /) -> str | None: ...


def facet_options(
    counts: list[tuple[str, int]], selected: str | None, labels: Labels
) -> list[tuple[str, str, bool]]:
    """A filter's options: value, "Label (count)" and whether it is chosen. A chosen value that
    no result has any more stays on the list, with 0, so the form still says what is chosen."""
    options = [
        (value, f"{labels.get(value, value)} ({number(count)})", selected == value)
        for value, count in counts
    ]
    if selected and all(value != selected for value, _count in counts):
        options.append((selected, f"{labels.get(selected, selected)} (0)", True))
    return options


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


REGION_LABELS = {
    "head": lazy_gettext("Head"),
    "face": lazy_gettext("Face"),
    "neck": lazy_gettext("Neck"),
    "shoulder": lazy_gettext("Shoulder"),
    "arm": lazy_gettext("Arm"),
    "hand": lazy_gettext("Hand"),
    "chest": lazy_gettext("Chest"),
    "abdomen": lazy_gettext("Abdomen"),
    "back": lazy_gettext("Back"),
    "hip": lazy_gettext("Hip"),
    "groin": lazy_gettext("Groin"),
    "buttocks": lazy_gettext("Buttocks"),
    "leg": lazy_gettext("Leg"),
    "foot": lazy_gettext("Foot"),
}
# A region the vocabulary gains later is still labelled, in English, until it is translated.
for _region in BODY_REGIONS:
    REGION_LABELS.setdefault(_region, lazy_gettext(_region.replace("_", " ").capitalize()))


# Flask escapes only .html, .htm, .xml, .xhtml and .svg templates. The Atom feed is XML too and
# carries titles and agency names that staff type: unescaped, a title could add elements to it.
AUTOESCAPED_SUFFIXES = (".html", ".htm", ".xml", ".xhtml", ".svg", ".atom")


def _autoescape(name: str | None) -> bool:
    return name is None or name.endswith(AUTOESCAPED_SUFFIXES)


def register(app: Flask) -> None:
    app.jinja_env.autoescape = _autoescape
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(
        country_name=country_name,
        event_date=event_date,
        long_date=long_date,
        date_time=date_time,
        age=age,
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
        event_sentence=event_sentence,
        recognise_question=recognise_question,
        image_alt=image_alt,
        place_text=place_text,
        pronoun=pronoun,
        case_url=case_url,
        image_url=image_url,
        image_srcset=image_srcset,
        url_with=url_with,
        fast_url=fast_url,
        facet_options=facet_options,
        country_labels=_CountryLabels(),
        REGION_LABELS=REGION_LABELS,
        external_url=external_url,
        canonical_url=canonical_url,
        share_image=share_image,
        share_links=share_links,
        og_locale=lambda: str(page_locale()),
        now=lambda: datetime.now(UTC),
        site_name=lambda: current_app.config["PORTAL_SITE_NAME"],
    )
