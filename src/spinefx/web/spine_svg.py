"""A lateral drawing of the spine (T1-L5, the levels the grading form takes), made on the server
as inline SVG.

Each vertebral body is drawn from its measured anterior, middle and posterior heights (front on
the left), so a wedge or a biconcave fracture shows its shape, and filled by its Genant grade.
Levels that were not measured are drawn at a typical size as a dashed grey outline (#767676,
4.5:1 on white). A level not graded because its crush could not be assessed is drawn white with
a solid outline and labelled "not graded, crush not assessed", never "normal" (a grade resting
on the wedge or biconcave loss alone, its crush not assessed, reads "grade 2+": a lower bound).
The drawing is large enough to read each body's shape (about 45 px per level, at most about
830 px in all), with the legend beside the spine. Each body's ``<path>`` carries
``data-level`` (``"L2"``) and, when measured, ``data-grade`` (``"none"`` when not graded; and
``data-crush="not-assessed"`` where it applies). The SVG uses presentation attributes only (no
``style``), so it passes the page's
Content-Security-Policy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from spinefx.clinical.spine import Level

__all__ = [
    "DRAWN_LEVELS",
    "GRADE_COLOURS",
    "NOT_ASSESSED_WORDS",
    "UNMEASURED_COLOUR",
    "Body",
    "lateral_spine_svg",
]

DRAWN_LEVELS: tuple[Level, ...] = tuple(
    level for level in Level if Level.T1.position <= level.position <= Level.L5.position
)
# Fill per Genant grade: 0 neutral grey, 1 yellow, 2 orange, 3 red.
GRADE_COLOURS: Mapping[int, str] = {0: "#b8b8b8", 1: "#f4d03f", 2: "#f0880a", 3: "#c62828"}
UNMEASURED_COLOUR = "#767676"  # 4.5:1 on white
NOT_ASSESSED_FILL = "#ffffff"
NOT_ASSESSED_WORDS = "crush not assessed"
_GRADE_WORDS = {0: "normal", 1: "mild", 2: "moderate", 3: "severe"}

_SCALE = 1.7  # pixels per millimetre at most: typical T1-L5 bodies in about 760 px
_MAX_SPINE_PX = 800.0  # taller measured bodies shrink the scale to stay within this
_GAP_MM = 3.5  # the disc between two bodies
_LEFT = 44.0  # room for the level labels
_TOP = 30.0
_LEGEND_ROW = 24.0


@dataclass(frozen=True)
class Body:
    """One graded vertebral body: heights in mm, its Genant grade, and whether the crush
    (posterior height against a reference level) was assessed. A body graded from an entered
    height loss (``entered_pct``) has no heights of its own: it is drawn at the typical size
    for its level, its outline dashed and its label saying the loss was entered."""

    ha: float
    hm: float
    hp: float
    grade: int | None  # None: not graded (the crush could not be assessed)
    crush_assessed: bool = True
    entered_pct: float | None = None

    @classmethod
    def entered_loss(cls, level: Level, pct: float, grade: int | None) -> Body:
        """A body graded from an entered height loss of ``pct`` %, drawn at the typical size."""
        typical_h, _ = _typical(level)
        return cls(typical_h, typical_h, typical_h, grade, entered_pct=pct)

    @property
    def unjudged(self) -> bool:
        """Not graded, because the crush could not be assessed: never "normal"."""
        return self.grade is None or (self.grade == 0 and not self.crush_assessed)

    @property
    def judged_grade(self) -> int | None:
        """The grade where the crush was judged; None where the body is not assessed."""
        return None if self.unjudged else self.grade

    @property
    def grade_text(self) -> str:
        if self.grade is None:
            return "not graded"
        return f"grade {self.grade}" + ("" if self.crush_assessed else "+")


def _typical(level: Level) -> tuple[float, float]:
    """A typical (height, depth) in mm, growing down the spine, for scale and unmeasured levels."""
    step = level.position - Level.T4.position
    return 19.0 + step * 0.75, 27.0 + step * 0.9


def _heights(level: Level, body: Body | None) -> tuple[float, float, float]:
    if body is None:
        typical_h, _ = _typical(level)
        return (typical_h, typical_h, typical_h)
    return (body.ha, body.hm, body.hp)


def lateral_spine_svg(
    bodies: Mapping[Level, Body], *, title: str = "Lateral view of the spine"
) -> Markup:
    """The SVG for ``bodies`` (any levels T1-L5; others are ignored)."""
    parts: list[str] = []
    y = _TOP
    count = len(DRAWN_LEVELS)
    summary: list[str] = []
    max_x = 0.0
    all_heights = [_heights(level, bodies.get(level)) for level in DRAWN_LEVELS]
    total_mm = sum(max(h) + _GAP_MM for h in all_heights)
    scale = min(_SCALE, (_MAX_SPINE_PX - _TOP) / total_mm)
    for i, level in enumerate(DRAWN_LEVELS):
        _, depth = _typical(level)
        body = bodies.get(level)
        heights = all_heights[i]
        tallest = max(heights) * scale
        centre = y + tallest / 2
        # A gentle kyphosis through the thoracic spine and lordosis through the lumbar spine.
        t = i / (count - 1)
        x0 = (
            _LEFT
            + 24
            + 16 * math.sin(math.pi * min(t / 0.6, 1.0))
            - 12 * math.sin(math.pi * max((t - 0.6) / 0.4, 0.0))
        )
        width = depth * scale
        parts.append(_body_path(level, x0, width, centre, heights, body, scale))
        parts.append(
            f'<text x="{_LEFT - 8:.1f}" y="{centre + 5:.1f}" text-anchor="end" '
            f'font-size="15" fill="#1a1a1a">{level.value}</text>'
        )
        right = x0 + width
        if body is not None and body.entered_pct is not None:
            parts.append(
                f'<text x="{x0 + width + 8:.1f}" y="{centre - 1:.1f}" font-size="14" '
                f'fill="#1a1a1a">grade {body.grade},</text>'
                f'<text x="{x0 + width + 8:.1f}" y="{centre + 13:.1f}" font-size="12" '
                f'fill="#1a1a1a">entered {body.entered_pct:g} %</text>'
            )
            summary.append(
                f"{level.value} grade {body.grade} ({_GRADE_WORDS.get(body.grade or 0, '')}, from "
                f"an entered {body.entered_pct:g} % height loss, not measured heights)"
            )
            right += 100
        elif body is not None:
            if body.unjudged:  # two lines, so the drawing stays narrow on a phone
                parts.append(
                    f'<text x="{x0 + width + 8:.1f}" y="{centre - 1:.1f}" font-size="14" '
                    f'fill="#1a1a1a">{body.grade_text},</text>'
                    f'<text x="{x0 + width + 8:.1f}" y="{centre + 13:.1f}" font-size="12" '
                    f'fill="#1a1a1a">{NOT_ASSESSED_WORDS}</text>'
                )
            else:
                parts.append(
                    f'<text x="{x0 + width + 8:.1f}" y="{centre + 5:.1f}" font-size="14" '
                    f'fill="#1a1a1a">{body.grade_text}</text>'
                )
            judged = body.judged_grade
            words = NOT_ASSESSED_WORDS if judged is None else _GRADE_WORDS.get(judged, "")
            summary.append(f"{level.value} {body.grade_text} ({words})")
            right += 115 if body.unjudged else 60
        max_x = max(max_x, right)
        y += tallest + _GAP_MM * scale

    legend_x = max(max_x, _LEFT + 150) + 24
    entered = any(b.entered_pct is not None for b in bodies.values())
    parts.append(_legend(legend_x, _TOP, entered=entered))
    height = max(y, _TOP + (7 if entered else 6) * _LEGEND_ROW) + 6
    width_px = legend_x + 250
    desc = "; ".join(summary) if summary else "No vertebra measured."
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spine" role="img" '
        f'viewBox="0 0 {width_px:.0f} {height:.0f}" width="{width_px:.0f}" height="{height:.0f}" '
        f'aria-labelledby="spine-title spine-desc">'
        f'<title id="spine-title">{escape(title)}</title>'
        f'<desc id="spine-desc">Front of the body on the left. {escape(desc)}</desc>'
        f'<text x="{_LEFT - 30:.0f}" y="18" font-size="14" fill="#1a1a1a">front (anterior)</text>'
        f'<text x="{_LEFT + 120:.0f}" y="18" font-size="14" fill="#1a1a1a">back (posterior)</text>'
    )
    return Markup(head + "".join(parts) + "</svg>")


def _body_path(
    level: Level,
    x0: float,
    width: float,
    centre: float,
    heights: tuple[float, float, float],
    body: Body | None,
    scale: float,
) -> str:
    ha, hm, hp = (h * scale / 2 for h in heights)
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
            f'stroke-dasharray="4 3" stroke-linejoin="round" data-level="{level.value}"/>'
        )
    judged = body.judged_grade
    fill = NOT_ASSESSED_FILL if judged is None else GRADE_COLOURS.get(judged, "#ffffff")
    shown_grade = "none" if body.grade is None else body.grade
    assessed = "" if body.crush_assessed else ' data-crush="not-assessed"'
    entered = (
        ' stroke-dasharray="7 3" data-graded-from="entered-pct"'
        if body.entered_pct is not None
        else ""
    )
    return (
        f'<path d="{d}" fill="{fill}" stroke="#333333" stroke-width="2" '
        f'stroke-linejoin="round" data-level="{level.value}" data-grade="{shown_grade}"'
        f"{assessed}{entered}/>"
    )


def _legend(x: float, y: float, *, entered: bool = False) -> str:
    rows = [(GRADE_COLOURS[g], "#333333", "", f"grade {g}: {_GRADE_WORDS[g]}") for g in range(4)]
    rows.append((NOT_ASSESSED_FILL, "#333333", "", "not graded"))
    if entered:
        rows.append(("#ffffff", "#333333", ' stroke-dasharray="7 3"', "entered %, no heights"))
    rows.append(("#ffffff", UNMEASURED_COLOUR, ' stroke-dasharray="4 3"', "not measured"))
    out = []
    for i, (fill, stroke, dash, text) in enumerate(rows):
        row_y = y + i * _LEGEND_ROW
        out.append(
            f'<rect x="{x:.0f}" y="{row_y:.0f}" width="26" height="16" rx="4" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="1.5"{dash}/>'
            f'<text x="{x + 36:.0f}" y="{row_y + 13:.0f}" font-size="14" fill="#1a1a1a">'
            f"{escape(text)}</text>"
        )
    return '<g class="legend">' + "".join(out) + "</g>"
