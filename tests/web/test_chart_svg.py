"""The server-drawn line charts: points where the values say, gaps for missing values, readable."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from spinefx.web.chart_svg import COLOURS, HEIGHT, Band, Chart, Series, line_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 15), date(2026, 6, 1)


def _parse(chart: Chart) -> ET.Element:
    return ET.fromstring(str(line_chart_svg(chart)))


def _points(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("data-y") is not None]


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _cy(point: ET.Element) -> float:
    if point.tag == f"{SVG}circle":
        return float(point.get("cy", "nan"))
    if point.tag == f"{SVG}rect":
        return float(point.get("y", "nan")) + 4
    raise AssertionError(point.tag)


def test_each_point_is_drawn_once_with_its_date_and_value() -> None:
    chart = Chart("NRS", 0, 10, (Series("Pain", ((D2, 3.0), (D1, 9.0), (D3, 1.0))),))
    points = _points(_parse(chart))
    assert [(p.get("data-x"), p.get("data-y")) for p in points] == [
        ("2026-03-01", "9"),
        ("2026-03-15", "3"),
        ("2026-06-01", "1"),
    ]
    titles = [p.findtext(f"{SVG}title") for p in points]
    assert titles[0] == "Pain, March 1, 2026: 9"


@pytest.mark.parametrize(
    ("value", "expected_fraction"),
    [(0.0, 1.0), (10.0, 0.0), (5.0, 0.5), (2.5, 0.75), (-3.0, 1.0), (12.0, 0.0)],
)
def test_values_map_linearly_onto_the_range_and_clamp_at_its_ends(
    value: float, expected_fraction: float
) -> None:
    chart = Chart("NRS", 0, 10, (Series("Pain", ((D1, value),)),))
    root = _parse(chart)
    (point,) = _points(root)
    top, bottom = 14.0, HEIGHT - 40.0  # the plot area inside the margins
    assert _cy(point) == pytest.approx(top + expected_fraction * (bottom - top), abs=0.06)


def test_a_missing_value_breaks_the_line_instead_of_drawing_zero() -> None:
    points = (
        (D1, 40.0),
        (D2, 60.0),
        (date(2026, 4, 1), None),
        (D3, 90.0),
        (date(2026, 7, 1), 85.0),
    )
    root = _parse(Chart("KPI", 0, 100, (Series("dxa", points),), unit=" %"))
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 2
    assert [len(line.get("points", "").split()) for line in lines] == [2, 2]
    assert [p.get("data-y") for p in _points(root)] == ["40", "60", "90", "85"]
    desc = root.findtext(f"{SVG}desc") or ""
    assert "April 1, 2026: no value" in desc
    assert "March 1, 2026: 40 %" in desc


def test_dates_are_spaced_by_days_between_them() -> None:
    root = _parse(Chart("x", 0, 10, (Series("s", ((D1, 1.0), (D2, 2.0), (D3, 3.0))),)))
    xs = [float(p.get("cx", "nan")) for p in _points(root)]
    assert xs[0] < xs[1] < xs[2]
    ratio = (xs[1] - xs[0]) / (xs[2] - xs[0])
    assert ratio == pytest.approx((D2 - D1).days / (D3 - D1).days, abs=0.01)


def test_bands_are_shaded_between_their_values() -> None:
    bands = (Band(0, 50, "<50", "#fde0dc"), Band(50, 80, "50-80", "#fff3c4"))
    root = _parse(Chart("KPI", 0, 100, (Series("s", ((D1, 70.0),)),), bands=bands))
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("data-band")]
    assert [r.get("data-band") for r in rects] == ["<50", "50-80"]
    low, middle = rects
    low_height, middle_height = float(low.get("height", "0")), float(middle.get("height", "0"))
    assert low_height / middle_height == pytest.approx(50 / 30, abs=0.01)


def test_several_series_get_a_legend_and_distinct_markers() -> None:
    series = (Series("NRS", ((D1, 8.0),)), Series("RDQ", ((D1, 18.0),)))
    root = _parse(Chart("Outcomes", 0, 24, series))
    legend = root.find(f"{SVG}g[@class='legend']")
    assert legend is not None
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["NRS", "RDQ"]
    tags = {p.tag for p in _points(root)}
    assert tags == {f"{SVG}circle", f"{SVG}rect"}


def test_an_empty_chart_says_so() -> None:
    root = _parse(Chart("Nothing", 0, 10, (Series("s", ()),)))
    assert "No values yet" in [t.text for t in root.iter(f"{SVG}text")]
    assert not _points(root)


def test_text_is_escaped_and_there_is_no_style_attribute() -> None:
    svg = str(line_chart_svg(Chart("<b>&", 0, 1, (Series("a<b", ((D1, 1.0),)),))))
    assert "<b>" not in svg and "a<b" not in svg
    assert "style=" not in svg
    ET.fromstring(svg)  # well-formed


def test_the_drawing_is_labelled_for_screen_readers() -> None:
    root = _parse(Chart("Pain over time", 0, 10, (Series("NRS", ((D1, 8.0),)),), dom_id="nrs"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "nrs-title nrs-desc"
    assert root.findtext(f"{SVG}title") == "Pain over time"


def test_line_colours_have_4_5_to_1_contrast_on_white() -> None:
    for colour in COLOURS:
        assert (1.05) / (_luminance(colour) + 0.05) >= 4.5, colour


def test_an_empty_range_is_refused() -> None:
    with pytest.raises(ValueError, match="y_max"):
        line_chart_svg(Chart("x", 5, 5, ()))


@pytest.mark.parametrize("months", [2, 5, 12, 13, 24, 36])
def test_date_labels_never_overlap_and_keep_the_first_and_last(months: int) -> None:
    days = [date(2026 + (m // 12), m % 12 + 1, 1) for m in range(months)]
    root = _parse(Chart("KPI", 0, 100, (Series("s", tuple((d, 50.0) for d in days)),)))
    labels = [t for t in root.iter(f"{SVG}text") if t.get("data-date")]
    assert labels[0].get("data-date") == days[0].isoformat()
    assert labels[-1].get("data-date") == days[-1].isoformat()
    assert len(labels) <= 6
    spans = []  # each label's extent, at about 0.62 em per character of 13 px type
    for t in labels:
        x, width = float(t.get("x", "nan")), 0.62 * 13 * len(t.text or "")
        start = {"start": x, "end": x - width}.get(t.get("text-anchor", ""), x - width / 2)
        spans.append((start, start + width))
    assert spans[0][0] >= 0 and spans[-1][1] <= 400
    assert all(a[1] + 4 <= b[0] for a, b in itertools.pairwise(spans)), spans
