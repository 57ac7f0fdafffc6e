"""Line charts drawn on the server as inline SVG: outcome trajectories and KPIs by month.

:func:`line_chart_svg` is a pure function of a :class:`Chart`: dates along the bottom, a fixed
value range up the side (an instrument's whole scale, or 0-100 % for a KPI), optional shaded
bands (the KPI achievement bands), and one line per :class:`Series`. A missing value (``None``,
e.g. a month whose KPI has no denominator) breaks the line instead of being drawn as zero. Every
point is a circle carrying ``data-x`` / ``data-y`` and a ``<title>`` with its value, and the
drawing has a ``<title>`` and a ``<desc>`` listing every value, so the numbers are readable
without seeing the lines (pages show the same numbers in a table too). Presentation attributes
only (no ``style``): the page's Content-Security-Policy allows no inline style.

>>> from datetime import date
>>> svg = line_chart_svg(Chart("Pain", 0, 10, (Series("NRS", ((date(2026, 3, 1), 8.0),)),)))
>>> svg.startswith("<svg") and 'data-y="8"' in svg
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape

from markupsafe import Markup

from spinefx.dates import plain_date

__all__ = ["COLOURS", "Band", "Chart", "Series", "line_chart_svg"]

# Line colours, each at least 4.5:1 on white, told apart by marker shape and dash as well.
COLOURS: tuple[str, ...] = ("#1f5fa8", "#a63d00", "#1d6b35", "#6b3fa0")
_DASHES: tuple[str, ...] = ("", "6 4", "2 3", "10 3 2 3")

WIDTH = 400.0
HEIGHT = 220.0
_LEFT = 44.0
_RIGHT = 16.0
_TOP = 14.0
_BOTTOM = 40.0
_FONT = 13
_TEXT = "#1a1a1a"
_GRID = "#d0d0d0"
_CHAR_PX = 0.62 * _FONT  # about the width of one character of the labels
_LABEL_GAP_PX = 6.0  # least space between two date labels


@dataclass(frozen=True)
class Series:
    """One line: its name and its (date, value) points; a ``None`` value is a gap."""

    label: str
    points: tuple[tuple[date, float | None], ...]


@dataclass(frozen=True)
class Band:
    """A shaded range of values, e.g. the KPI band ``50-80`` from 50 to 80."""

    low: float
    high: float
    label: str
    fill: str


@dataclass(frozen=True)
class Chart:
    """What to draw: a title, the value range, the lines, bands and value ticks."""

    title: str
    y_min: float
    y_max: float
    series: tuple[Series, ...]
    unit: str = ""
    bands: tuple[Band, ...] = ()
    y_ticks: tuple[float, ...] = field(default=())
    dom_id: str = "chart"


def _fmt(value: float) -> str:
    return f"{value:g}"


def _ticks(chart: Chart) -> tuple[float, ...]:
    if chart.y_ticks:
        return chart.y_ticks
    step = (chart.y_max - chart.y_min) / 4
    return tuple(chart.y_min + i * step for i in range(5))


def _x_dates(chart: Chart) -> list[date]:
    return sorted({d for s in chart.series for d, _ in s.points})


def _date_label(day: date, span_days: int) -> str:
    if span_days > 300 or day.day == 1:
        return day.strftime("%b %Y") if span_days > 300 else day.strftime("%b")
    return f"{day:%b} {day.day}"  # US order, as every date on the pages: Nov 22


def line_chart_svg(chart: Chart) -> Markup:
    """The SVG for ``chart``, scaled to its container by its ``viewBox``."""
    if chart.y_max <= chart.y_min:
        raise ValueError("y_max must be above y_min")
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    days = _x_dates(chart)
    first = days[0] if days else None
    span = (days[-1] - days[0]).days if days else 0

    def x_of(day: date) -> float:
        if first is None or span == 0:
            return _LEFT + plot_w / 2
        return _LEFT + plot_w * (day - first).days / span

    def y_of(value: float) -> float:
        clamped = min(max(value, chart.y_min), chart.y_max)
        return _TOP + plot_h * (chart.y_max - clamped) / (chart.y_max - chart.y_min)

    parts: list[str] = []
    for band in chart.bands:
        top, bottom = y_of(band.high), y_of(band.low)
        parts.append(
            f'<rect class="band" x="{_LEFT:.1f}" y="{top:.1f}" width="{plot_w:.1f}" '
            f'height="{bottom - top:.1f}" fill="{band.fill}" data-band="{escape(band.label)}"/>'
            f'<text x="{WIDTH - _RIGHT - 4:.1f}" y="{top + 13:.1f}" text-anchor="end" '
            f'font-size="12" fill="{_TEXT}">{escape(band.label)}</text>'
        )
    for tick in _ticks(chart):
        y = y_of(tick)
        parts.append(
            f'<line x1="{_LEFT:.1f}" y1="{y:.1f}" x2="{WIDTH - _RIGHT:.1f}" y2="{y:.1f}" '
            f'stroke="{_GRID}" stroke-width="1"/>'
            f'<text x="{_LEFT - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" font-size="{_FONT}" '
            f'fill="{_TEXT}">{_fmt(tick)}</text>'
        )
    parts.append(
        f'<line x1="{_LEFT:.1f}" y1="{_TOP + plot_h:.1f}" x2="{WIDTH - _RIGHT:.1f}" '
        f'y2="{_TOP + plot_h:.1f}" stroke="#555555" stroke-width="1.5"/>'
    )
    for day, anchor in _date_labels(days, x_of, span):
        parts.append(
            f'<text x="{x_of(day):.1f}" y="{HEIGHT - _BOTTOM + 18:.1f}" text-anchor="{anchor}" '
            f'font-size="{_FONT}" fill="{_TEXT}" data-date="{day.isoformat()}">'
            f"{escape(_date_label(day, span))}</text>"
        )
    described: list[str] = []
    for index, series in enumerate(chart.series):
        colour = COLOURS[index % len(COLOURS)]
        dash = _DASHES[index % len(_DASHES)]
        parts.append(_series_svg(series, index, colour, dash, x_of, y_of, chart.unit))
        values = "; ".join(
            f"{plain_date(d)}: {'no value' if v is None else _fmt(v) + chart.unit}"
            for d, v in sorted(series.points, key=lambda p: p[0])
        )
        described.append(f"{series.label}: {values or 'no values'}")
    if len(chart.series) > 1:
        parts.append(_legend(chart.series))
    if not days:
        parts.append(
            f'<text x="{_LEFT + plot_w / 2:.1f}" y="{_TOP + plot_h / 2:.1f}" '
            f'text-anchor="middle" font-size="{_FONT}" fill="{_TEXT}">No values yet</text>'
        )
    ident = escape(chart.dom_id)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="{ident}-title {ident}-desc" id="{ident}">'
        f'<title id="{ident}-title">{escape(chart.title)}</title>'
        f'<desc id="{ident}-desc">{escape("; ".join(described) or "No values.")}</desc>'
    )
    return Markup(head + "".join(parts) + "</svg>")


def _label_extent(x: float, text: str, anchor: str) -> tuple[float, float]:
    width = _CHAR_PX * len(text)
    start = {"start": x, "end": x - width}.get(anchor, x - width / 2)
    return start, start + width


def _date_labels(
    days: Sequence[date], x_of: Callable[[date], float], span: int
) -> list[tuple[date, str]]:
    """The dates to label and their text anchors: the first and the last always (leaning
    inwards so neither is cut at an edge), then evenly spaced ones that do not overlap."""
    if not days:
        return []
    if len(days) == 1:
        return [(days[0], "middle")]
    first, last = (days[0], "start"), (days[-1], "end")
    every = max(1, -(-(len(days) - 1) // 5))
    middle = [(d, "middle") for i, d in enumerate(days[1:-1], start=1) if i % every == 0]
    kept = [first]
    extent = _label_extent(x_of(first[0]), _date_label(first[0], span), "start")
    last_extent = _label_extent(x_of(last[0]), _date_label(last[0], span), "end")
    for day, anchor in middle:
        here = _label_extent(x_of(day), _date_label(day, span), anchor)
        if here[0] >= extent[1] + _LABEL_GAP_PX and here[1] + _LABEL_GAP_PX <= last_extent[0]:
            kept.append((day, anchor))
            extent = here
    if last_extent[0] >= extent[1] + _LABEL_GAP_PX or len(kept) > 1:
        kept.append(last)
    return kept


def _series_svg(
    series: Series,
    index: int,
    colour: str,
    dash: str,
    x_of: Callable[[date], float],
    y_of: Callable[[float], float],
    unit: str,
) -> str:
    runs: list[list[tuple[float, float]]] = [[]]
    marks: list[str] = []
    for day, value in sorted(series.points, key=lambda p: p[0]):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        x, y = x_of(day), y_of(value)
        runs[-1].append((x, y))
        tip = f"{series.label}, {plain_date(day)}: {_fmt(value)}{unit}"
        marks.append(
            _marker(
                index,
                x,
                y,
                colour,
                attrs=f' data-x="{day.isoformat()}" data-y="{_fmt(value)}"',
                inner=f"<title>{escape(tip)}</title>",
            )
        )
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    lines = [
        f'<polyline fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr} points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        + '"/>'
        for run in runs
        if len(run) > 1
    ]
    return (
        f'<g class="series" data-series="{escape(series.label)}">'
        + "".join(lines)
        + "".join(marks)
        + "</g>"
    )


def _marker(
    index: int, x: float, y: float, colour: str, *, attrs: str = "", inner: str = ""
) -> str:
    """The point marker of the ``index``-th line: circle, square, diamond or triangle."""
    shape = index % 4
    if shape == 0:
        tag, geometry = "circle", f'cx="{x:.1f}" cy="{y:.1f}" r="4.5"'
    elif shape == 1:
        tag, geometry = "rect", f'x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8"'
    elif shape == 2:
        tag = "polygon"
        geometry = (
            f'points="{x:.1f},{y - 5.5:.1f} {x + 5.5:.1f},{y:.1f} '
            f'{x:.1f},{y + 5.5:.1f} {x - 5.5:.1f},{y:.1f}"'
        )
    else:
        tag = "polygon"
        geometry = (
            f'points="{x:.1f},{y - 5.5:.1f} {x + 5.5:.1f},{y + 4.5:.1f} '
            f'{x - 5.5:.1f},{y + 4.5:.1f}"'
        )
    return f'<{tag} {geometry} fill="{colour}"{attrs}>{inner}</{tag}>'


def _legend(series: Sequence[Series]) -> str:
    out = []
    x = _LEFT
    y = HEIGHT - 8
    for index, item in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        dash = _DASHES[index % len(_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 22:.1f}" y2="{y - 4:.1f}" '
            f'stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
            + _marker(index, x + 11, y - 4, colour)
            + f'<text x="{x + 28:.1f}" y="{y:.1f}" font-size="{_FONT}" fill="{_TEXT}">'
            f"{escape(item.label)}</text>"
        )
        x += 40 + 8 * len(item.label)
    return '<g class="legend">' + "".join(out) + "</g>"
