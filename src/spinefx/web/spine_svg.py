"""A lateral drawing of the spine (T4-L5), made on the server as inline SVG.

Each vertebral body is drawn from its measured anterior, middle and posterior heights (front on
the left), so a wedge or a biconcave fracture shows its shape, and filled by its Genant grade.
Levels that were not measured are drawn at a typical size as a light outline. The SVG uses
presentation attributes only (no ``style``), so it passes the page's Content-Security-Policy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from spinefx.clinical.spine import Level

__all__ = ["DRAWN_LEVELS", "GRADE_COLOURS", "UNMEASURED_COLOUR", "Body", "lateral_spine_svg"]

DRAWN_LEVELS: tuple[Level, ...] = tuple(
    level for level in Level if level.position >= Level.T4.position
)
# Fill per Genant grade: 0 neutral grey, 1 yellow, 2 orange, 3 red.
GRADE_COLOURS: Mapping[int, str] = {0: "#b8b8b8", 1: "#f4d03f", 2: "#f0880a", 3: "#c62828"}
UNMEASURED_COLOUR = "#c9c9c9"
_GRADE_WORDS = {0: "normal", 1: "mild", 2: "moderate", 3: "severe"}

_SCALE = 3.2  # pixels per millimetre
_GAP_MM = 4.5  # the disc between two bodies
_LEFT = 70.0  # room for the level labels
_TOP = 30.0


@dataclass(frozen=True)
class Body:
    """One measured vertebral body: heights in mm and its Genant grade."""

    ha: float
    hm: float
    hp: float
    grade: int


def _typical(level: Level) -> tuple[float, float]:
    """A typical (height, depth) in mm, growing from T4 to L5, for scale and unmeasured levels."""
    step = level.position - Level.T4.position
    return 19.0 + step * 0.75, 27.0 + step * 0.9


def lateral_spine_svg(
    bodies: Mapping[Level, Body], *, title: str = "Lateral view of the spine"
) -> Markup:
    """The SVG for ``bodies`` (any levels T4-L5; others are ignored)."""
    parts: list[str] = []
    y = _TOP
    count = len(DRAWN_LEVELS)
    summary: list[str] = []
    max_x = 0.0
    for i, level in enumerate(DRAWN_LEVELS):
        typical_h, depth = _typical(level)
        body = bodies.get(level)
        heights = (body.ha, body.hm, body.hp) if body else (typical_h, typical_h, typical_h)
        tallest = max(heights) * _SCALE
        centre = y + tallest / 2
        # A gentle kyphosis through the thoracic spine and lordosis through the lumbar spine.
        t = i / (count - 1)
        x0 = (
            _LEFT
            + 40
            + 34 * math.sin(math.pi * min(t / 0.6, 1.0))
            - 22 * math.sin(math.pi * max((t - 0.6) / 0.4, 0.0))
        )
        width = depth * _SCALE
        parts.append(_body_path(x0, width, centre, heights, body))
        parts.append(
            f'<text x="{_LEFT - 8:.1f}" y="{centre + 5:.1f}" text-anchor="end" '
            f'font-size="15" fill="#1a1a1a">{level.value}</text>'
        )
        if body is not None:
            parts.append(
                f'<text x="{x0 + width + 10:.1f}" y="{centre + 5:.1f}" font-size="14" '
                f'fill="#1a1a1a">grade {body.grade}</text>'
            )
            summary.append(f"{level.value} grade {body.grade} ({_GRADE_WORDS.get(body.grade, '')})")
        max_x = max(max_x, x0 + width + 80)
        y += tallest + _GAP_MM * _SCALE

    legend_y = y + 10
    parts.append(_legend(_LEFT - 50, legend_y))
    height = legend_y + 5 * 24 + 10
    width_px = max(max_x, 360.0)
    desc = "; ".join(summary) if summary else "No vertebra measured."
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spine" role="img" '
        f'viewBox="0 0 {width_px:.0f} {height:.0f}" width="{width_px:.0f}" height="{height:.0f}" '
        f'aria-labelledby="spine-title spine-desc">'
        f'<title id="spine-title">{escape(title)}</title>'
        f'<desc id="spine-desc">Front of the body on the left. {escape(desc)}</desc>'
        f'<text x="{_LEFT + 20:.0f}" y="18" font-size="13" fill="#1a1a1a">front</text>'
        f'<text x="{_LEFT + 150:.0f}" y="18" font-size="13" fill="#1a1a1a">back</text>'
    )
    return Markup(head + "".join(parts) + "</svg>")


def _body_path(
    x0: float, width: float, centre: float, heights: tuple[float, float, float], body: Body | None
) -> str:
    ha, hm, hp = (h * _SCALE / 2 for h in heights)
    x1 = x0 + width
    xm = x0 + width / 2
    # Quadratic curves through the middle height: control = 2 * middle - mean of the ends.
    top_c = 2 * (centre - hm) - ((centre - ha) + (centre - hp)) / 2
    bottom_c = 2 * (centre + hm) - ((centre + ha) + (centre + hp)) / 2
    d = (
        f"M{x0:.1f},{centre - ha:.1f} Q{xm:.1f},{top_c:.1f} {x1:.1f},{centre - hp:.1f} "
        f"L{x1:.1f},{centre + hp:.1f} Q{xm:.1f},{bottom_c:.1f} {x0:.1f},{centre + ha:.1f} Z"
    )
    if body is None:
        return (
            f'<path d="{d}" fill="#ffffff" stroke="{UNMEASURED_COLOUR}" stroke-width="1.5" '
            'stroke-dasharray="4 3" stroke-linejoin="round"/>'
        )
    fill = GRADE_COLOURS.get(body.grade, "#ffffff")
    return (
        f'<path d="{d}" fill="{fill}" stroke="#333333" stroke-width="2" '
        f'stroke-linejoin="round" data-grade="{body.grade}"/>'
    )


def _legend(x: float, y: float) -> str:
    rows = [(GRADE_COLOURS[g], "#333333", "", f"grade {g}: {_GRADE_WORDS[g]}") for g in range(4)]
    rows.append(("#ffffff", UNMEASURED_COLOUR, ' stroke-dasharray="4 3"', "not measured"))
    out = []
    for i, (fill, stroke, dash, text) in enumerate(rows):
        row_y = y + i * 24
        out.append(
            f'<rect x="{x:.0f}" y="{row_y:.0f}" width="26" height="16" rx="4" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="1.5"{dash}/>'
            f'<text x="{x + 36:.0f}" y="{row_y + 13:.0f}" font-size="14" fill="#1a1a1a">'
            f"{escape(text)}</text>"
        )
    return '<g class="legend">' + "".join(out) + "</g>"
