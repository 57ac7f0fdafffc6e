"""Vertebral morphometry: three heights per vertebra -> Genant grade, type, and the SDI.

For each vertebra, from its anterior (``ha``), middle (``hm``) and posterior (``hp``) heights
in millimetres:

- wedge loss = 1 - ha/hp; biconcave loss = 1 - hm/hp;
- crush loss = 1 - hp/hp_ref, where hp_ref is the mean posterior height of the reference
  levels: above and below, the nearest measured level within two levels that is not itself
  collapsed (see :func:`collapsed_levels`); a collapsed or unmeasured neighbour is passed over.
  No reference on either side: the crush is not assessed (``losses.crush`` null,
  ``crush_assessed`` false), and a grade 0 then means "no wedge or biconcave deformity, crush
  not assessed", never "normal";
- negative losses count as 0; the height loss is the largest of the three;
- the Genant semi-quantitative grade follows from the height loss in percent (see
  :func:`grade_from_loss_pct`), and the type is the kind of loss that is largest.

The spinal deformity index (SDI) is the sum of the grades over T4-L4.

Where the heights are not at hand, a level's height loss in percent may be entered instead
(``entered``: the largest loss, as a report or another reader gave it). Such a level is graded
from that percentage by the same edges, its ``graded_from`` is ``"entered-pct"`` (measured
levels say ``"heights"``), it has no ratio losses (``losses`` null) and its type is the one
entered, if any; it is never a crush reference (it has no posterior height). The result lists
these levels in ``entered_levels``, so no reader takes them for measured.

>>> result = grade(GradingInput(vertebrae=[
...     VertebraHeights(level="L1", ha=28.0, hm=28.0, hp=28.0),
...     VertebraHeights(level="L2", ha=18.0, hm=21.0, hp=27.0),
...     VertebraHeights(level="L3", ha=28.0, hm=28.0, hp=28.0)]))
>>> [(v.level.value, v.grade, v.type) for v in result.vertebrae]
[('L1', 0, None), ('L2', 2, 'wedge'), ('L3', 0, None)]
>>> result.sdi
2
"""

from __future__ import annotations

import math
from typing import Annotated, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from spinefx.clinical.spine import SDI_LEVELS, Level
from spinefx.errors import InputError

__all__ = [
    "GENANT_GRADE_LABELS",
    "GRADE_1_FROM_PCT",
    "GRADE_2_FROM_PCT",
    "GRADE_3_ABOVE_PCT",
    "MAX_HEIGHT_MM",
    "MAX_REFERENCE_REACH",
    "PCT_COMPARE_DECIMALS",
    "PCT_OUTPUT_DECIMALS",
    "DeformityType",
    "EnteredLoss",
    "Grade",
    "GradedFrom",
    "GradingInput",
    "GradingResult",
    "Losses",
    "VertebraGrade",
    "VertebraHeights",
    "collapsed_levels",
    "grade",
    "grade_from_loss_pct",
]

# --- Genant semi-quantitative grades (sources.GENANT_1993; sources.SDI_KERKENI_2009) --------
# Genant 1993 gives overlapping ranges (20-25 %, 25-40 %, > 40 %). Convention for the shared
# edges: [20, 25) -> grade 1, [25, 40] -> grade 2, above 40 -> grade 3.
GRADE_1_FROM_PCT: Final = 20.0
GRADE_2_FROM_PCT: Final = 25.0
GRADE_3_ABOVE_PCT: Final = 40.0
GENANT_GRADE_LABELS: Final[dict[int, str]] = {0: "normal", 1: "mild", 2: "moderate", 3: "severe"}

# Convention: a loss in percent is rounded to 9 decimals before it is compared with a grade
# edge, so that float noise (1 - 20/25 is 0.19999999999999996) cannot move an exact 20, 25 or
# 40 % across an edge. Differences below 1e-9 % are far below any measurement precision.
PCT_COMPARE_DECIMALS: Final = 9
# Losses are reported in percent with one decimal, the precision a reader can act on.
PCT_OUTPUT_DECIMALS: Final = 1

# The crush reference (convention; sources.GENANT_1993, McCloskey 1993): on each side, the
# nearest measured level at most this many levels away that is not itself collapsed. Two levels
# lets two adjacent collapsed vertebrae (T12 28 / L1 18 / L2 18 / L3 28 mm) each be judged
# against an intact one instead of hiding each other.
MAX_REFERENCE_REACH: Final = 2

# Heights in millimetres: positive, and at most 80 mm (far above any adult vertebral body), to
# catch values typed in the wrong unit.
MAX_HEIGHT_MM: Final = 80

Grade = Literal[0, 1, 2, 3]
DeformityType = Literal["wedge", "biconcave", "crush"]
GradedFrom = Literal["heights", "entered-pct"]
Height = Annotated[float, Field(gt=0, le=MAX_HEIGHT_MM, strict=True, allow_inf_nan=False)]
# An entered height loss: a percentage of the vertebra's expected height, 0 to 100.
LossPct = Annotated[float, Field(ge=0, le=100, strict=True, allow_inf_nan=False)]


class VertebraHeights(BaseModel):
    """One measured vertebra: its level and three heights in millimetres."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Level
    ha: Height
    hm: Height
    hp: Height


class EnteredLoss(BaseModel):
    """A vertebra whose heights are not at hand: its level and its height loss in percent
    (and, if known, the type of deformity)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Level
    height_loss_pct: LossPct
    type: DeformityType | None = None


class GradingInput(BaseModel):
    """The measured vertebrae and any entered height losses: at least one level in all, each
    level at most once (measured or entered), in any order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    vertebrae: Annotated[list[VertebraHeights], Field(max_length=len(Level))] = []
    entered: Annotated[list[EnteredLoss], Field(max_length=len(Level))] = []

    @model_validator(mode="after")
    def _each_level_once(self) -> Self:
        if not self.vertebrae and not self.entered:
            raise InputError(
                "vertebrae", [], "at least one vertebra: three heights, or an entered height loss"
            )
        seen: set[Level] = set()
        for field, items in (("vertebrae", self.vertebrae), ("entered", self.entered)):
            for item in items:
                if item.level in seen:
                    raise InputError(field, item.level.value, "each level at most once")
                seen.add(item.level)
        return self


class Losses(BaseModel):
    """The three losses in percent (one decimal); ``crush`` is null when not assessed."""

    model_config = ConfigDict(frozen=True)

    wedge: float
    biconcave: float
    crush: float | None


class VertebraGrade(BaseModel):
    """The Genant grade of one vertebra, its type (null for grade 0) and its losses.

    ``graded_from`` says where the height loss came from: ``heights`` (measured) or
    ``entered-pct`` (a percentage entered without heights; then ``losses`` is null and the
    type is the one entered). ``crush_assessed`` is false when no usable reference level was
    measured; then the grade rests on the wedge and biconcave ratios alone, and a grade 0 is
    not "normal" (an entered loss stands for the whole height loss: true).
    ``crush_reference`` names the levels whose posterior heights made the reference.
    """

    model_config = ConfigDict(frozen=True)

    level: Level
    grade: Grade
    type: DeformityType | None
    height_loss_pct: float
    losses: Losses | None
    crush_assessed: bool
    crush_reference: tuple[Level, ...]
    graded_from: GradedFrom = "heights"


class GradingResult(BaseModel):
    """Every graded vertebra in spine order (head down), and the SDI over T4-L4;
    ``entered_levels`` are those graded from an entered percentage, not measured heights."""

    model_config = ConfigDict(frozen=True)

    vertebrae: tuple[VertebraGrade, ...]
    sdi: int
    sdi_levels: tuple[Level, ...]
    entered_levels: tuple[Level, ...] = ()


def grade_from_loss_pct(pct: float) -> Grade:
    """The Genant grade for a height loss in percent.

    >>> [grade_from_loss_pct(p) for p in (19.99, 20, 24.99, 25, 40, 40.01)]
    [0, 1, 1, 2, 2, 3]
    """
    if not math.isfinite(pct):
        raise ValueError(f"a height loss must be a finite percentage, got {pct!r}")
    value = round(pct, PCT_COMPARE_DECIMALS)
    if value > GRADE_3_ABOVE_PCT:
        return 3
    if value >= GRADE_2_FROM_PCT:
        return 2
    if value >= GRADE_1_FROM_PCT:
        return 1
    return 0


def _loss_pct(height: float, reference: float) -> float:
    """How much shorter ``height`` is than ``reference``, in percent; never below 0."""
    return max(0.0, round((reference - height) * 100 / reference, PCT_COMPARE_DECIMALS))


def collapsed_levels(vertebrae: list[VertebraHeights]) -> frozenset[Level]:
    """The measured levels that may not serve as a crush reference (convention).

    A level is collapsed when, by the grade 1 edge (20 %), either its own wedge or biconcave
    loss is a deformity, or its posterior height is that much below the tallest posterior
    height measured within :data:`MAX_REFERENCE_REACH` levels of it. Neither test needs a
    reference, so the judgement is not circular.
    """
    posterior = {v.level.position: v.hp for v in vertebrae}
    out: set[Level] = set()
    for vertebra in vertebrae:
        own = max(_loss_pct(vertebra.ha, vertebra.hp), _loss_pct(vertebra.hm, vertebra.hp))
        i = vertebra.level.position
        near = [
            posterior[j]
            for j in range(i - MAX_REFERENCE_REACH, i + MAX_REFERENCE_REACH + 1)
            if j != i and j in posterior
        ]
        lower = _loss_pct(vertebra.hp, max(near)) if near else 0.0
        if grade_from_loss_pct(max(own, lower)) > 0:
            out.add(vertebra.level)
    return frozenset(out)


def _references(
    level: Level, by_position: dict[int, VertebraHeights], collapsed: frozenset[Level]
) -> list[VertebraHeights]:
    """Above, then below: the nearest measured, uncollapsed level within reach, if any."""
    found: list[VertebraHeights] = []
    for step in (-1, 1):
        for distance in range(1, MAX_REFERENCE_REACH + 1):
            other = by_position.get(level.position + step * distance)
            if other is not None and other.level not in collapsed:
                found.append(other)
                break
    return found


def grade(inp: GradingInput) -> GradingResult:
    """Grade every vertebra in ``inp`` and sum the SDI over T4-L4."""
    by_position = {v.level.position: v for v in inp.vertebrae}
    collapsed = collapsed_levels(inp.vertebrae)
    graded: list[VertebraGrade] = []
    for vertebra in sorted(inp.vertebrae, key=lambda v: v.level.position):
        references = _references(vertebra.level, by_position, collapsed)
        wedge = _loss_pct(vertebra.ha, vertebra.hp)
        biconcave = _loss_pct(vertebra.hm, vertebra.hp)
        crush = (
            _loss_pct(vertebra.hp, sum(r.hp for r in references) / len(references))
            if references
            else None
        )
        # Ties go to the first kind listed: wedge, then biconcave, then crush (max keeps the
        # first of equal items).
        candidates: list[tuple[DeformityType, float]] = [("wedge", wedge), ("biconcave", biconcave)]
        if crush is not None:
            candidates.append(("crush", crush))
        kind, loss = max(candidates, key=lambda item: item[1])
        level_grade = grade_from_loss_pct(loss)
        graded.append(
            VertebraGrade(
                level=vertebra.level,
                grade=level_grade,
                type=kind if level_grade > 0 else None,
                height_loss_pct=_shown(loss),
                losses=Losses(
                    wedge=_shown(wedge),
                    biconcave=_shown(biconcave),
                    crush=None if crush is None else _shown(crush),
                ),
                crush_assessed=crush is not None,
                crush_reference=tuple(r.level for r in references),
            )
        )
    for entered in inp.entered:
        level_grade = grade_from_loss_pct(entered.height_loss_pct)
        graded.append(
            VertebraGrade(
                level=entered.level,
                grade=level_grade,
                type=entered.type if level_grade > 0 else None,
                height_loss_pct=_shown(entered.height_loss_pct),
                losses=None,
                crush_assessed=True,
                crush_reference=(),
                graded_from="entered-pct",
            )
        )
    graded.sort(key=lambda v: v.level.position)
    in_sdi = [v for v in graded if v.level in SDI_LEVELS]
    return GradingResult(
        vertebrae=tuple(graded),
        sdi=sum(v.grade for v in in_sdi),
        sdi_levels=tuple(v.level for v in in_sdi),
        entered_levels=tuple(v.level for v in graded if v.graded_from == "entered-pct"),
    )


def _shown(pct: float) -> float:
    return round(pct, PCT_OUTPUT_DECIMALS)
