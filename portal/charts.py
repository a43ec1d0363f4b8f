"""Server-rendered SVG charts: no script, no inline style, text escaped, described for readers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from babel import Locale
from markupsafe import Markup, escape

_LOCALE = Locale.parse("en_GB")
_MONTHS: dict[int, str] = dict(_LOCALE.months["format"]["wide"])
_SHORT_MONTHS: dict[int, str] = dict(_LOCALE.months["format"]["abbreviated"])

# The drawing's own units; the SVG scales to its container's width (see .chart in portal.css).
WIDTH = 720
HEIGHT = 260
MARGIN_LEFT = 48
MARGIN_RIGHT = 12
MARGIN_TOP = 14
MARGIN_BOTTOM = 44
PLOT_WIDTH = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
PLOT_HEIGHT = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
# A date label ("12 Sept") needs about this much room; labels are placed no closer.
LABEL_ROOM = 50
# Steps between labelled days: whole weeks once days are too many to label one by one.
_LABEL_STEPS = (1, 2, 3, 7, 14, 21, 28, 35, 42, 49, 56, 63, 70)

BAR_FILL = "#1d70b8"
AXIS_STROKE = "#0b0c0c"
GRID_STROKE = "#b1b4b6"
TEXT_FILL = "#0b0c0c"


class DayValue(Protocol):
    """One day's count (the dashboard's DayCount is one)."""

    @property
    def day(self) -> date: ...

    @property
    def count(self) -> int: ...


def long_day(day: date, *, year: bool = True) -> str:
    text = f"{day.day} {_MONTHS[day.month]}"
    return f"{text} {day.year}" if year else text


def date_range_words(first: date, last: date) -> str:
    """ "1 to 30 November 2024", "3 October to 1 November 2024", or both dates in full."""
    if first == last:
        return long_day(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day} to {long_day(last)}"
    if first.year == last.year:
        return f"{long_day(first, year=False)} to {long_day(last)}"
    return f"{long_day(first)} to {long_day(last)}"


def nice_ticks(largest: int, target: int = 5) -> list[int]:
    """Axis ticks from 0 in steps of 1, 2 or 5 times a power of ten, reaching `largest`."""
    if largest <= 0:
        return [0, 1]
    rough = largest / target
    magnitude = 10 ** max(0, math.floor(math.log10(rough))) if rough >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    top = math.ceil(largest / step) * step
    return list(range(0, top + 1, step))


def label_step(days: int, room: float = PLOT_WIDTH) -> int:
    """Label every Nth day, N the smallest step that keeps labels `LABEL_ROOM` apart."""
    slot = room / max(days, 1)
    for step in _LABEL_STEPS:
        if step * slot >= LABEL_ROOM:
            return step
    return math.ceil(LABEL_ROOM / slot)


def chart_summary(values: Sequence[DayValue]) -> str:
    """The chart in one sentence, for its <desc> and whoever cannot see it."""
    if not values:
        return "No days to show."
    total = sum(value.count for value in values)
    span = date_range_words(values[0].day, values[-1].day)
    if total == 0:
        return f"Tips per day from {span}: no tips."
    busiest = max(values, key=lambda value: value.count)  # the first of equals
    tips = "tip" if total == 1 else "tips"
    return (
        f"Tips per day from {span}: {total} {tips} in total, "
        f"most on {long_day(busiest.day, year=False)} ({busiest.count})."
    )


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def tips_per_day_svg(values: Sequence[DayValue], *, chart_id: str, title: str) -> Markup:
    """A bar chart of tips per day, one bar a day, as an accessible inline SVG element."""
    ticks = nice_ticks(max((value.count for value in values), default=0))
    top = ticks[-1]
    slot = PLOT_WIDTH / max(len(values), 1)
    bar_width = max(slot * 0.8, 0.5)
    baseline = MARGIN_TOP + PLOT_HEIGHT
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc"'
        f' focusable="false">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(chart_summary(values))}</desc>',
    ]
    parts.append('<g class="chart__axis">')
    for tick in ticks:
        y = _number(baseline - tick / top * PLOT_HEIGHT)
        stroke = AXIS_STROKE if tick == 0 else GRID_STROKE
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y}" y2="{y}"'
            f' stroke="{stroke}" stroke-width="1"/>'
            f'<text class="chart__tick" x="{MARGIN_LEFT - 6}" y="{y}" fill="{TEXT_FILL}"'
            f' font-size="12" text-anchor="end" dominant-baseline="middle">{tick}</text>'
        )
    parts.append("</g>")
    parts.append(f'<g class="chart__bars" fill="{BAR_FILL}">')
    for index, value in enumerate(values):
        height = value.count / top * PLOT_HEIGHT
        if value.count:
            # A day with tips stays visible beside a spike a thousand times taller.
            height = max(height, 1.0)
        x = MARGIN_LEFT + index * slot + (slot - bar_width) / 2
        tips = "tip" if value.count == 1 else "tips"
        parts.append(
            f'<rect class="chart__bar" x="{_number(x)}" y="{_number(baseline - height)}"'
            f' width="{_number(bar_width)}" height="{_number(height)}"'
            f' data-count="{value.count}">'
            f"<title>{escape(long_day(value.day))}: {value.count} {tips}</title></rect>"
        )
    parts.append("</g>")
    parts.append(f'<g class="chart__labels" fill="{TEXT_FILL}" font-size="12">')
    step = label_step(len(values))
    previous_year: int | None = None
    for index in range(0, len(values), step):
        middle = MARGIN_LEFT + (index + 0.5) * slot
        if middle + LABEL_ROOM / 2 > WIDTH:
            break  # it would be cut off at the right edge
        day = values[index].day
        centre = _number(middle)
        text = f"{day.day} {_SHORT_MONTHS[day.month]}"
        year = ""
        # The year under the first label, and again where it changes.
        if day.year != previous_year:
            year = f'<tspan x="{centre}" dy="14">{day.year}</tspan>'
            previous_year = day.year
        parts.append(
            f'<text class="chart__label" x="{centre}" y="{baseline + 16}" text-anchor="middle">'
            f"{escape(text)}{year}</text>"
        )
    parts.append("</g></svg>")
    # Every piece of text above went through escape(); the rest is our own markup and numbers.
    return Markup("".join(parts))  # noqa: S704  # nosec B704
