"""The tips-per-day SVG chart: well-formed, proportional, described, escaped, readable labels."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from portal.charts import PLOT_HEIGHT, chart_summary, nice_ticks, tips_per_day_svg
from portal.services.dashboard import DayCount

SVG = "{http://www.w3.org/2000/svg}"


def series(counts: list[int], first: date = date(2024, 11, 1)) -> list[DayCount]:
    return [DayCount(first + timedelta(days=index), count) for index, count in enumerate(counts)]


def parse(counts: list[int], title: str = "Tips per day", first: date = date(2024, 11, 1)):
    svg = tips_per_day_svg(series(counts, first), chart_id="chart", title=title)
    return ET.fromstring(str(svg))


def bars(root: ET.Element) -> list[ET.Element]:
    return root.findall(f".//{SVG}rect[@class='chart__bar']")


def labels(root: ET.Element) -> list[ET.Element]:
    return root.findall(f".//{SVG}text[@class='chart__label']")


def test_one_bar_a_day_with_heights_in_proportion() -> None:
    counts = [3, 0, 6, 12, 9, 1, 4]
    root = parse(counts)
    found = bars(root)
    assert len(found) == len(counts)
    heights = [float(bar.attrib["height"]) for bar in found]
    top = nice_ticks(max(counts))[-1]
    for count, height in zip(counts, heights, strict=True):
        assert height == pytest.approx(count / top * PLOT_HEIGHT, abs=0.01)
    # Bars stand on one baseline, left to right in day order.
    bottoms = {round(float(bar.attrib["y"]) + float(bar.attrib["height"]), 1) for bar in found}
    assert len(bottoms) == 1
    xs = [float(bar.attrib["x"]) for bar in found]
    assert xs == sorted(xs)


def test_accessible_name_and_description() -> None:
    counts = [0] * 30
    counts[11] = 140
    counts[3] = 172 - 140
    root = parse(counts)
    assert root.attrib["role"] == "img"
    assert root.attrib["aria-labelledby"] == "chart-title chart-desc"
    assert root.find(f"{SVG}title").text == "Tips per day"
    assert root.find(f"{SVG}desc").text == (
        "Tips per day from 1 to 30 November 2024: 172 tips in total, most on 12 November (140)."
    )
    assert "style" not in str(tips_per_day_svg(series(counts), chart_id="c", title="t"))


def test_summary_across_months_and_years() -> None:
    days = series([1, 2], date(2024, 12, 31))
    assert chart_summary(days).startswith("Tips per day from 31 December 2024 to 1 January 2025")
    days = series([0] * 5, date(2024, 10, 30))
    assert chart_summary(days) == "Tips per day from 30 October to 3 November 2024: no tips."


def test_text_is_escaped() -> None:
    title = "Tips for <script>alert('x')</script> & co"
    svg = str(tips_per_day_svg(series([1, 2]), chart_id='x"><script>', title=title))
    assert "<script>" not in svg
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == title


def test_all_zero_days() -> None:
    root = parse([0] * 30)
    assert len(bars(root)) == 30
    assert all(float(bar.attrib["height"]) == 0 for bar in bars(root))
    ticks = [text.text for text in root.findall(f".//{SVG}text[@class='chart__tick']")]
    assert ticks == ["0", "1"]
    assert root.find(f"{SVG}desc").text.endswith(": no tips.")


def test_a_huge_spike_keeps_small_days_visible() -> None:
    counts = [1] * 90
    counts[40] = 25_000
    root = parse(counts)
    heights = [float(bar.attrib["height"]) for bar in bars(root)]
    assert max(heights) == pytest.approx(25_000 / 25_000 * PLOT_HEIGHT, rel=0.25)
    assert heights[40] <= PLOT_HEIGHT
    assert min(heights) >= 1


@pytest.mark.parametrize(
    ("largest", "expected"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (140, [0, 50, 100, 150]),
        (999, [0, 200, 400, 600, 800, 1000]),
    ],
)
def test_nice_ticks(largest: int, expected: list[int]) -> None:
    assert nice_ticks(largest) == expected


@pytest.mark.parametrize("days", [7, 30, 90, 365])
def test_date_labels_do_not_crowd(days: int) -> None:
    root = parse([5] * days, first=date(2024, 3, 5))
    assert len(bars(root)) == days
    found = labels(root)
    xs = [float(label.attrib["x"]) for label in found]
    assert 2 <= len(found) <= 14
    # A label such as "12 Sept" is some 45 units wide at this size.
    assert min(b - a for a, b in itertools.pairwise(xs)) >= 48
    assert all(48 <= x <= 720 - 25 for x in xs)  # none cut off at either edge
    assert found[0].text == "5 Mar"


def test_year_shown_under_the_first_label_and_where_it_changes() -> None:
    root = parse([1] * 365, first=date(2024, 3, 5))
    years = [tspan.text for tspan in root.findall(f".//{SVG}tspan")]
    assert years == ["2024", "2025"]
