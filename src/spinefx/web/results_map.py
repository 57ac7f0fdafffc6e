"""Where a page of search results lies around the searched ZIP code, drawn as inline SVG.

No map tiles and nothing from another site: the searched ZIP code sits at the center of a circle
as wide as the search radius, with a ring at half the radius, north at the top, and one dot per
ZIP code where results on the page practice (numbered with how many when more than one). Each
dot's ``<title>`` names its town and the result numbers there. Positions come from
:func:`spinefx.directory.places.result_places` (distances from the centre are true great-circle
distances). Presentation attributes only (no ``style``), so the page's Content-Security-Policy
holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from spinefx.directory.places import ResultPlace

__all__ = ["map_extent", "results_map_svg"]

_SIZE = 320.0  # the drawing is square; it scales down with the page
_PAD = 34.0  # room for the labels around the circle
_RADIUS_PX = _SIZE / 2 - _PAD
_DOT = "#1d4ed8"
_INK = "#1f2933"
_MUTED = "#52606d"  # 7:1 on white


_STEPS = (1, 2, 5, 10, 15, 25, 50, 100, 150, 250, 500)


def map_extent(places: Sequence[ResultPlace], radius_miles: float) -> float:
    """The miles the circle spans: the farthest place, rounded up to a round number, and never
    more than the search radius (ten results within 2 miles are not drawn as a dot at the
    centre of a 25-mile circle).

    >>> map_extent([ResultPlace("02139", 1.2, 0.5, "Cambridge, MA", (1,))], 25)
    2
    >>> map_extent([ResultPlace("10001", -120.0, -140.0, "New York, NY", (1,))], 250)
    250
    """
    farthest = max((math.hypot(p.east, p.north) for p in places), default=0.0)
    for step in _STEPS:
        if step >= farthest * 1.05 and step < radius_miles:
            return step
    return radius_miles


def results_map_svg(
    points: Sequence[ResultPlace], radius_miles: float, centre_label: str, centre_zip: str
) -> Markup:
    """The SVG for ``points`` around the centre, scaled so ``radius_miles`` fills the circle
    (see :func:`map_extent`)."""
    c = _SIZE / 2
    scale = _RADIUS_PX / radius_miles
    count = sum(len(p.numbers) for p in points)
    summary = (
        f"Map of {count} result{'s' if count != 1 else ''} in {len(points)} "
        f"place{'s' if len(points) != 1 else ''}, all within {radius_miles:g} miles of "
        f"{centre_zip}, {centre_label}, north at the top"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_SIZE:g} {_SIZE:g}" '
        f'class="results-map" role="img" aria-labelledby="results-map-title">',
        f'<title id="results-map-title">{escape(summary)}</title>',
        f'<circle cx="{c:g}" cy="{c:g}" r="{_RADIUS_PX:g}" fill="#f5f7fa" stroke="{_MUTED}" '
        'stroke-width="1.5"/>',
        f'<circle cx="{c:g}" cy="{c:g}" r="{_RADIUS_PX / 2:g}" fill="none" stroke="{_MUTED}" '
        'stroke-width="1" stroke-dasharray="4 4"/>',
        # North at the top; the scale under the circle.
        f'<text x="{c:g}" y="{_PAD - 10:g}" text-anchor="middle" font-size="13" '
        f'fill="{_INK}" font-weight="bold">N</text>',
        f'<text x="{c:g}" y="{_SIZE - 10:g}" text-anchor="middle" font-size="12" '
        f'fill="{_MUTED}">circle {radius_miles:g} mi, dashed {radius_miles / 2:g} mi</text>',
    ]
    for p in sorted(points, key=lambda p: -len(p.numbers)):
        x = c + p.east * scale
        y = c - p.north * scale
        n = len(p.numbers)
        r = 6.0 if n == 1 else 10.0
        shown = ", ".join(str(i) for i in p.numbers)
        parts.append(
            f'<g class="map-point" data-numbers="{shown}"><title>'
            f"{escape(p.town)}: result{'s' if n > 1 else ''} {shown}</title>"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:g}" fill="{_DOT}" stroke="#ffffff" '
            'stroke-width="1.5"/>'
            + (
                f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="12" '
                f'fill="#ffffff" font-weight="bold">{n}</text>'
                if n > 1
                else ""
            )
            + "</g>"
        )
    # The centre last, on top: a cross and its ZIP code.
    parts += [
        f'<path d="M{c - 8:g} {c:g}H{c + 8:g}M{c:g} {c - 8:g}V{c + 8:g}" stroke="#b91c1c" '
        'stroke-width="3"/>',
        f'<text x="{c:g}" y="{c - 12:g}" text-anchor="middle" font-size="12" fill="{_INK}" '
        f'font-weight="bold">{escape(centre_zip)}</text>',
        "</svg>",
    ]
    return Markup("".join(parts))
