"""Printable A4 posters of public cases: a PDF in the visitor's language, built from PublicCase."""

from __future__ import annotations

import io
import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path
from threading import Lock
from typing import Any

import segno
from babel import Locale
from babel.dates import format_date
from flask import current_app
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from PIL import Image, UnidentifiedImageError

from portal import i18n, media
from portal.i18n import _
from portal.publication import PublicCase, PublicImage, PublicItem, PublicMark
from portal.services import cases
from portal.templating import country_name_in, localised_date, page_locale, recognise_question
from portal.urls import external_url

log = logging.getLogger(__name__)


FONTS_DIR = Path(__file__).parent / "fonts"
FONT = "DejaVuSans"
# A4 portrait in PostScript points: fpdf2 then measures everything in the same unit as the spec.
PAGE_WIDTH, PAGE_HEIGHT = 595.28, 841.89
MARGIN = 36.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
FOOTER_HEIGHT = 190.0  # the QR code, the short URL and the contact, kept at the page's foot
PHOTO_WIDTH = 230.0
PHOTO_MAX_HEIGHT = 290.0
# A derivative sharp enough for the photo box at print resolution (230 pt is about 960 px at
# 300 dpi) without embedding a camera original.
PHOTO_PIXELS = 960
QR_SIZE = 150.0
ACCENT = (176, 32, 38)
INK = (20, 20, 20)
GREY = (90, 90, 90)
# A feature on the poster is a line or two; the appeal page has the rest.
FEATURE_CHARS = 170
SUMMARY_LINES = 6
# Kinds never put on a poster: a face or scene photograph may show a body (as share_image).
_NOT_PRINTED_KINDS = frozenset({"face", "scene"})


@dataclass(frozen=True)
class PosterText:
    """The poster's words, already translated and formatted for the current language."""

    banner: str
    headline: str
    title: str
    name: str | None
    reference: str
    summary: str | None
    facts: tuple[tuple[str, str], ...]
    features_heading: str
    features: tuple[str, ...]
    call_to_action: str
    short_url: str
    anonymous: str
    contact: str
    generated: str
    language: str


@dataclass(frozen=True)
class Poster:
    """Everything a poster shows; `photo` is the decoded image, or None to print without one."""

    text: PosterText
    photo: Image.Image | None = field(default=None, compare=False)
    photo_caption: str | None = None
    creation_date: datetime = field(default_factory=lambda: datetime.now(UTC))


def poster_image(case: PublicCase) -> PublicImage | None:
    """The first published image that may go on a poster: never a face or scene photograph."""
    for image in case.images:
        if image.kind not in _NOT_PRINTED_KINDS:
            return image
    return None


def qr_code(url: str) -> segno.QRCode:
    # Medium error correction survives a crease or a smudge on a poster without a larger code.
    return segno.make(url, error="m", micro=False)


def short_url(case: PublicCase) -> str:
    """The case's short URL, without the printer's language: a poster on a wall is read by
    people of many languages, and the page then opens in each reader's own."""
    return external_url("public.short", public_id=case.id, **{i18n.QUERY_ARG: None})


def event_date_text(value: date, precision: str, locale: Locale) -> str:
    """A date as precisely as it is known, in the locale's own words and order."""
    if precision == "year":
        return str(value.year)
    return localised_date(value, precision, str(locale))


def _range(value: Any, unit: str = "") -> str | None:
    if value is None:
        return None
    return f"{value} {unit}".strip()


def _sex(case: PublicCase) -> str:
    return {"female": _("Female"), "male": _("Male")}.get(case.sex, _("Unknown"))


def _headline(case: PublicCase) -> str:
    # Whole sentences per pronoun: translators need them whole, not a pronoun spliced in.
    if case.is_identified:
        return _("This person has been identified")
    if case.kind == "missing":
        return {"female": _("Have you seen her?"), "male": _("Have you seen him?")}.get(
            case.sex, _("Have you seen this person?")
        )
    return recognise_question(case)


def _mark_type(kind: str) -> str:
    return {
        "tattoo": _("Tattoo"),
        "scar": _("Scar"),
        "birthmark": _("Birthmark"),
        "piercing": _("Piercing"),
        "mark": _("Mark"),
        "amputation": _("Amputation"),
        "implant": _("Implant"),
    }.get(kind, _("Other feature"))


def _shorten(text: str, limit: int = FEATURE_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def _mark_text(mark: PublicMark) -> str:
    text = f"{_mark_type(mark.type)}, {mark.location}: {mark.description}"
    if mark.inscription:
        if _printable(mark.inscription):
            text += " " + _("(reads “%(inscription)s”)", inscription=mark.inscription)
        else:
            # Lettering in a script the poster's font lacks: the page shows it exactly.
            text += " " + _("(lettering shown on the appeal page)")
    if mark.colours:
        text += f" ({', '.join(mark.colours)})"
    return text


def _item_text(label: str, item: PublicItem) -> str:
    details = [
        value
        for value in (
            item.colour,
            item.description,
            item.brand,
            item.material,
            item.size,
        )
        if value
    ]
    text = f"{label}: {item.item}"
    if details:
        text += f" ({', '.join(details)})"
    if item.inscription and _printable(item.inscription):
        text += " " + _("(reads “%(inscription)s”)", inscription=item.inscription)
    return text


def _features(case: PublicCase) -> list[str]:
    """Marks first (they are what people remember), then clothing, then jewellery."""
    texts = [_mark_text(mark) for mark in case.marks]
    texts += [_item_text(_("Clothing"), item) for item in case.clothing]
    texts += [_item_text(_("Jewellery"), item) for item in case.jewellery]
    return [_shorten(text) for text in texts]


def _facts(case: PublicCase, locale: Locale) -> list[tuple[str, str]]:
    event = case.event
    found = case.kind != "missing"
    place = ", ".join(
        part
        for part in (
            event.locality,
            event.region,
            country_name_in(event.country.upper(), str(locale)),
        )
        if part
    )
    rows: list[tuple[str, str | None]] = [
        (_("Sex"), _sex(case)),
        (_("Estimated age") if found else _("Age when last seen"), _range(case.age, _("years"))),
        (_("Height"), _range(case.height_cm, "cm")),
        (_("Build"), case.build),
        (_("Hair"), case.hair),
        (_("Eyes"), case.eyes),
        (
            _("Found") if found else _("Last seen"),
            event_date_text(event.date, event.date_precision, locale),
        ),
        (_("Place"), place),
        (_("Where"), event.place),
    ]
    return [(label, _shorten(value, 120)) for label, value in rows if value]


def poster_text(case: PublicCase, today: date) -> PosterText:
    """The words of a case's poster in the current language, from public data only."""
    locale = page_locale()
    translation = case.translation(locale.language)
    title = (translation.title if translation else None) or case.title
    summary = (translation.circumstances if translation else None) or case.circumstances
    if case.identified is not None and case.identified.statement:
        # Published with the family's consent: on an identified case's poster it comes first.
        summary = case.identified.statement
    url = short_url(case)
    agency = case.agency
    if case.is_identified:
        contact = _("This appeal was made by %(agency)s.", agency=agency.name)
    elif agency.tip_email:
        contact = _("Or contact %(agency)s: %(email)s", agency=agency.name, email=agency.tip_email)
    else:
        contact = _("This appeal is made by %(agency)s.", agency=agency.name)
    return PosterText(
        banner=_("Missing person") if case.kind == "missing" else _("Unidentified person"),
        headline=_headline(case),
        title=title,
        # A missing person's title often names them already; once is enough.
        name=case.name if case.name and case.name not in title else None,
        reference=_(
            "Reference %(reference)s, %(agency)s", reference=case.record_id, agency=agency.name
        ),
        summary=summary,
        facts=tuple(_facts(case, locale)),
        features_heading={
            "female": _("What may help you recognise her"),
            "male": _("What may help you recognise him"),
        }.get(case.sex, _("What may help you recognise this person")),
        features=tuple(_features(case)),
        call_to_action=_("Read about the case at")
        if case.is_identified
        else _("Do you know something? Send information at"),
        short_url=url,
        anonymous=_("Thank you to everyone who shared the appeal.")
        if case.is_identified
        else _("You do not need to be sure, and you can stay anonymous."),
        contact=contact,
        generated=_(
            "Poster printed from %(site)s on %(date)s. The appeal page has the latest details.",
            site=current_app.config["PORTAL_SITE_NAME"],
            date=format_date(today, "long", locale=locale),
        ),
        language=locale.language,
    )


def load_photo(image: PublicImage) -> Image.Image | None:
    """The image's web derivative from the media store, decoded; None if it cannot be had."""
    found = cases.public_image(image.token)
    if found is None:
        return None
    prefix, _content_type, widths = found
    if not widths:
        return None
    width = min((w for w in widths if w >= PHOTO_PIXELS), default=max(widths))
    try:
        data = media.get_media_store().get(media.derivative_key(prefix, width))
        photo = Image.open(io.BytesIO(data))
        photo.load()
    except (media.MediaError, UnidentifiedImageError, OSError, ValueError, SyntaxError):
        # A poster without its photo is better than no poster: the appeal page still has it.
        log.warning("poster photo unavailable for image %s", image.token, exc_info=True)
        return None
    return photo.convert("RGB")


# Setting a poster takes the best part of a second (fpdf2 parses and subsets the fonts), so a
# surge of visitors printing one appeal must not set it again for each: the bytes are kept,
# per app, under everything that decides them. Words are cheap to work out; pages are not.
CACHE_SIZE = 64
_CACHE_KEY = "portal_posters"
_CACHE_LOCK = Lock()
_CacheKey = tuple[PosterText, str | None, str | None, date]


def _cache() -> OrderedDict[_CacheKey, bytes]:
    cache: OrderedDict[_CacheKey, bytes] = current_app.extensions.setdefault(
        _CACHE_KEY, OrderedDict()
    )
    return cache


def case_poster(case: PublicCase, today: date | None = None) -> bytes:
    """The case's poster as PDF bytes: same case, language and day give the same bytes."""
    today = today or datetime.now(UTC).date()
    text = poster_text(case, today)
    image = poster_image(case)
    key: _CacheKey = (text, image.token if image else None, image.caption if image else None, today)
    with _CACHE_LOCK:
        cache = _cache()
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    photo = load_photo(image) if image is not None else None
    pdf = render(
        Poster(
            text=text,
            photo=photo,
            photo_caption=image.caption if photo is not None and image is not None else None,
            # Fixed within the day, so the bytes (and the ETag) stay the same between requests.
            creation_date=datetime.combine(today, time(), UTC),
        )
    )
    if image is None or photo is not None:  # a photo that failed may load next time
        with _CACHE_LOCK:
            cache[key] = pdf
            while len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
    return pdf


@lru_cache(maxsize=1)
def _load_glyphs() -> frozenset[int]:
    """The characters the vendored font can draw, read once: others would print as nothing."""
    with TTFont(FONTS_DIR / f"{FONT}.ttf") as font:
        return frozenset(font.getBestCmap())


def _printable(text: str) -> bool:
    glyphs = _load_glyphs()
    return all(char.isspace() or ord(char) in glyphs for char in text)


def _clean(text: str) -> str:
    """The text with characters the font cannot draw left out (fpdf2 would log each one)."""
    glyphs = _load_glyphs()
    return "".join(char for char in text if char.isspace() or ord(char) in glyphs).strip()


class _PosterPDF(FPDF):
    def lines(self, text: str, width: float, height: float) -> list[str]:
        result = self.multi_cell(
            width, height, _clean(text), dry_run=True, output=MethodReturnValue.LINES
        )
        assert isinstance(result, list)  # what output=LINES returns
        return result

    def paragraph(
        self,
        text: str,
        width: float,
        height: float,
        *,
        x: float | None = None,
        max_lines: int | None = None,
    ) -> None:
        """Write text wrapped to width from the current position, cut at max_lines with '…'."""
        lines = self.lines(text, width, height)
        if max_lines is not None and len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = lines[-1].rstrip()[:-1].rstrip() + "…"
        for line in lines:
            self.set_x(MARGIN if x is None else x)
            self.cell(width, height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render(poster: Poster) -> bytes:
    """Lay out a poster on one A4 page."""
    text = poster.text
    pdf = _PosterPDF(orientation="portrait", unit="pt", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)  # one page: what does not fit is left for the appeal page
    pdf.add_font(FONT, "", FONTS_DIR / f"{FONT}.ttf")
    pdf.add_font(FONT, "B", FONTS_DIR / f"{FONT}-Bold.ttf")
    pdf.set_title(_clean(f"{text.headline} {text.title}"))
    pdf.set_subject(_clean(text.reference))
    pdf.set_creator(str(current_app.config["PORTAL_SITE_NAME"]))
    pdf.set_lang(text.language)
    pdf.set_creation_date(poster.creation_date)
    pdf.add_page()
    pdf.set_text_color(*INK)

    # Banner: what kind of appeal, readable from across a room.
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, PAGE_WIDTH, 30, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, "B", 13)
    pdf.set_xy(MARGIN, 8)
    pdf.cell(CONTENT_WIDTH, 15, _clean(text.banner.upper()))
    pdf.set_text_color(*INK)

    pdf.set_xy(MARGIN, 46)
    pdf.set_font(FONT, "B", 32)
    pdf.paragraph(text.headline, CONTENT_WIDTH, 36, max_lines=2)
    pdf.ln(4)
    pdf.set_font(FONT, "B", 18)
    pdf.paragraph(text.title, CONTENT_WIDTH, 22, max_lines=2)
    if text.name:
        pdf.set_font(FONT, "", 16)
        pdf.paragraph(text.name, CONTENT_WIDTH, 20, max_lines=1)
    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(*GREY)
    pdf.paragraph(text.reference, CONTENT_WIDTH, 14, max_lines=1)
    pdf.set_text_color(*INK)
    pdf.ln(8)

    top = pdf.get_y()
    facts_x = MARGIN
    photo_bottom = top
    if poster.photo is not None:
        photo_bottom = _draw_photo(pdf, poster.photo, poster.photo_caption, top)
        facts_x = MARGIN + PHOTO_WIDTH + 18
    pdf.set_xy(facts_x, top)
    _draw_facts(pdf, text.facts, facts_x, PAGE_WIDTH - MARGIN - facts_x)
    y = max(pdf.get_y(), photo_bottom) + 10

    footer_top = PAGE_HEIGHT - MARGIN - FOOTER_HEIGHT
    pdf.set_xy(MARGIN, y)
    if text.summary and y + 60 < footer_top:
        pdf.set_font(FONT, "", 10.5)
        pdf.paragraph(text.summary, CONTENT_WIDTH, 14, max_lines=SUMMARY_LINES)
        pdf.ln(8)
    _draw_features(pdf, text.features_heading, text.features, footer_top - 8)
    _draw_footer(pdf, text, footer_top)
    return bytes(pdf.output())


def _draw_photo(pdf: _PosterPDF, photo: Image.Image, caption: str | None, top: float) -> float:
    """Place the photo at the top left, scaled into its box; the y below it and its caption."""
    scale = min(PHOTO_WIDTH / photo.width, PHOTO_MAX_HEIGHT / photo.height)
    width, height = photo.width * scale, photo.height * scale
    pdf.image(photo, x=MARGIN + (PHOTO_WIDTH - width) / 2, y=top, w=width, h=height)
    y = top + height
    if caption:
        pdf.set_xy(MARGIN, y + 3)
        pdf.set_font(FONT, "", 8.5)
        pdf.set_text_color(*GREY)
        pdf.paragraph(caption, PHOTO_WIDTH, 11, max_lines=2)
        pdf.set_text_color(*INK)
        y = pdf.get_y()
    return y


def _draw_facts(pdf: _PosterPDF, facts: Iterable[tuple[str, str]], x: float, width: float) -> None:
    label_width = min(110.0, width * 0.38)
    for label, value in facts:
        row_y = pdf.get_y()
        pdf.set_xy(x, row_y)
        pdf.set_font(FONT, "B", 11)
        pdf.paragraph(label, label_width - 6, 15, x=x, max_lines=2)
        label_bottom = pdf.get_y()
        pdf.set_xy(x + label_width, row_y)
        pdf.set_font(FONT, "", 11)
        pdf.paragraph(value, width - label_width, 15, x=x + label_width, max_lines=3)
        pdf.set_y(max(pdf.get_y(), label_bottom) + 3)


def _draw_features(pdf: _PosterPDF, heading: str, features: Sequence[str], bottom: float) -> None:
    """As many features as fit above the footer, each whole: none is cut mid-sentence."""
    if not features or pdf.get_y() + 40 > bottom:
        return
    pdf.set_font(FONT, "B", 13)
    pdf.paragraph(heading, CONTENT_WIDTH, 18, max_lines=1)
    pdf.ln(2)
    pdf.set_font(FONT, "", 10.5)
    bullet_indent = 12.0
    for feature in features:
        lines = pdf.lines(feature, CONTENT_WIDTH - bullet_indent, 14)
        if pdf.get_y() + 14 * len(lines) > bottom:
            break
        pdf.set_x(MARGIN)
        pdf.cell(bullet_indent, 14, "•")
        pdf.paragraph(feature, CONTENT_WIDTH - bullet_indent, 14, x=MARGIN + bullet_indent)
        pdf.ln(2)


def _draw_qr(pdf: FPDF, code: segno.QRCode, x: float, y: float, size: float) -> None:
    """Draw the code as filled runs of modules: vector, so it prints sharp at any size."""
    rows = list(code.matrix_iter(scale=1, border=4))
    module = size / len(rows)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(rows):
        start: int | None = None
        for col, dark in enumerate([*row, False]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                pdf.rect(
                    x + start * module, y + row_index * module, (col - start) * module, module, "F"
                )
                start = None


def _draw_footer(pdf: _PosterPDF, text: PosterText, top: float) -> None:
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(2)
    pdf.line(MARGIN, top, PAGE_WIDTH - MARGIN, top)
    _draw_qr(pdf, qr_code(text.short_url), MARGIN, top + 10, QR_SIZE)
    x = MARGIN + QR_SIZE + 16
    width = PAGE_WIDTH - MARGIN - x
    pdf.set_xy(x, top + 16)
    pdf.set_font(FONT, "B", 13)
    pdf.paragraph(text.call_to_action, width, 17, x=x, max_lines=2)
    pdf.set_font(FONT, "B", 15 if len(text.short_url) < 40 else 12)
    pdf.set_text_color(*ACCENT)
    pdf.paragraph(text.short_url, width, 20, x=x, max_lines=2)
    pdf.set_text_color(*INK)
    pdf.ln(4)
    pdf.set_font(FONT, "", 10.5)
    pdf.paragraph(text.anonymous, width, 14, x=x, max_lines=2)
    pdf.paragraph(text.contact, width, 14, x=x, max_lines=3)
    pdf.set_xy(MARGIN, PAGE_HEIGHT - MARGIN - 10)
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*GREY)
    pdf.paragraph(text.generated, CONTENT_WIDTH, 10, max_lines=1)
