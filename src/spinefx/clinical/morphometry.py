"""Vertebral morphometry: three heights per vertebra -> Genant grade, type, and the SDI.

For each vertebra, from its anterior (``ha``), middle (``hm``) and posterior (``hp``) heights
in millimetres:

- wedge loss = 1 - ha/hp; biconcave loss = 1 - hm/hp (a fracture of either kind leaves the
  posterior wall standing, so such a vertebra is still a crush reference);
- crush loss = 1 - hp/hp_expected. hp_expected carries the posterior height of the nearest
  **intact** measured vertebra on each side (above and below, as far as the measurements go)
  to this level, scaled by the normal change of posterior height from level to level
  (:data:`EXPECTED_HP_MM`, a normative table kept as data), and averages the sides. A vertebra
  is intact when its posterior height is not crushed (see :func:`intact_levels`): a crushed
  vertebra never serves as a reference, so a run of crushed levels between intact ones is
  judged against the intact ones, and a crush at the end of the measured segment against the
  intact levels on its one side.
- negative losses count as 0; the height loss is the largest of the losses assessed; the
  Genant semi-quantitative grade follows from it (see :func:`grade_from_loss_pct`), and the
  type is the kind of loss that is largest.

A level whose crush cannot be judged (no intact vertebra measured to compare it with) has no
grade (``grade`` null, never 0), unless its wedge or biconcave loss already gives grade 1 or
more (then the grade is at least that). The spinal deformity index (SDI) is the sum of the
grades over T4-L4, and is null, with the reason, while any T4-L4 level has no grade.

Where the heights are not at hand, a level's height loss in percent may be entered instead
(``entered``: the largest loss, as a report or another reader gave it). Such a level is graded
from that percentage by the same edges, its ``graded_from`` is ``"entered-pct"`` (measured
levels say ``"heights"``), it has no ratio losses (``losses`` null) and its type is the one
entered, if any; it is never a crush reference (it has no posterior height). The result lists
these levels in ``entered_levels``, so no reader takes them for measured.

>>> result = grade(GradingInput(vertebrae=[
...     VertebraHeights(level="L1", ha=26.0, hm=26.0, hp=26.3),
...     VertebraHeights(level="L2", ha=18.0, hm=21.0, hp=27.0),
...     VertebraHeights(level="L3", ha=27.0, hm=27.0, hp=27.0)]))
>>> [(v.level.value, v.grade, v.type) for v in result.vertebrae]
[('L1', 0, None), ('L2', 2, 'wedge'), ('L3', 0, None)]
>>> result.sdi
2
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Annotated, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from spinefx.clinical import sources
from spinefx.clinical.criteria import Criterion, criterion, not_applicable
from spinefx.clinical.spine import SDI_LEVELS, Level
from spinefx.errors import InputError

__all__ = [
    "EXPECTED_HP_MM",
    "GENANT_GRADE_LABELS",
    "GRADE_1_FROM_PCT",
    "GRADE_2_FROM_PCT",
    "GRADE_3_ABOVE_PCT",
    "MAX_HEIGHT_MM",
    "NORMATIVE_SOURCE",
    "NOT_ASSESSED_REASON",
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
    "grade",
    "grade_from_loss_pct",
    "headline",
    "intact_levels",
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

# Heights in millimetres: positive, and at most 80 mm (far above any adult vertebral body), to
# catch values typed in the wrong unit.
MAX_HEIGHT_MM: Final = 80


def _load_normative_table() -> tuple[Mapping[Level, float], str]:
    text = (
        resources.files("spinefx.clinical")
        .joinpath("data/posterior_heights.toml")
        .read_text(encoding="utf-8")
    )
    data = tomllib.loads(text)
    table = {Level(name): float(mm) for name, mm in data["expected_hp_mm"].items()}
    missing = [level.value for level in Level if level not in table]
    if missing:  # a packaging error, not an input error: fail at import
        raise RuntimeError(f"posterior_heights.toml lacks levels {missing}")
    return MappingProxyType(table), str(data["source"])


# The normal posterior height of each level (mm) in an average adult: only the ratios between
# levels are used, to carry an intact vertebra's posterior height to the level judged. Kept as
# data (clinical/data/posterior_heights.toml), with its provenance (sources.NORMATIVE_HP).
EXPECTED_HP_MM, NORMATIVE_SOURCE = _load_normative_table()

NOT_ASSESSED_REASON: Final = (
    "crush not assessed: no intact vertebra was measured to compare its posterior height with"
)

Grade = Literal[0, 1, 2, 3]
DeformityType = Literal["wedge", "biconcave", "crush"]
GradedFrom = Literal["heights", "entered-pct"]
Height = Annotated[float, Field(gt=0, le=MAX_HEIGHT_MM, strict=True, allow_inf_nan=False)]
# An entered height loss: a percentage of the vertebra's expected height, 0 to 100.
LossPct = Annotated[float, Field(ge=0, le=100, strict=True, allow_inf_nan=False)]


class VertebraHeights(BaseModel):
    """One measured vertebra: its level and three heights in millimetres."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Level = Field(description="The vertebra, T1 to L5.")
    ha: Height = Field(description="Anterior height, mm (above 0, at most 80).")
    hm: Height = Field(description="Middle height, mm (above 0, at most 80).")
    hp: Height = Field(description="Posterior height, mm (above 0, at most 80).")


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

    ``grade`` is null when the level could not be graded: its crush was not assessed (no intact
    vertebra measured to compare it with) and its wedge and biconcave losses are below grade 1;
    ``not_assessed`` then says why. When the crush was not assessed but a wedge or biconcave
    loss gives grade 1 or more, that grade stands as a lower bound and ``not_assessed`` says so
    too. ``graded_from`` says where the height loss came from: ``heights`` (measured) or
    ``entered-pct`` (a percentage entered without heights; then ``losses`` is null and the type
    is the one entered). ``crush_reference`` names the intact levels whose posterior heights
    made the reference. ``criteria``: each kind of loss against the grade 1 edge (20 %), met,
    not met, unknown (crush not assessed) or not applicable (an entered percentage).
    """

    model_config = ConfigDict(frozen=True)

    level: Level
    grade: Grade | None
    type: DeformityType | None
    height_loss_pct: float
    losses: Losses | None
    crush_assessed: bool
    crush_reference: tuple[Level, ...]
    graded_from: GradedFrom = "heights"
    not_assessed: str | None = None
    criteria: tuple[Criterion, ...] = ()


class GradingResult(BaseModel):
    """Every graded vertebra in spine order (head down), and the SDI over T4-L4.

    ``sdi`` is null while any T4-L4 level in the input has no grade; ``sdi_reason`` then says
    which and why. ``ungraded_levels`` lists every level without a grade; ``entered_levels``
    those graded from an entered percentage, not measured heights.
    """

    model_config = ConfigDict(frozen=True)

    vertebrae: tuple[VertebraGrade, ...]
    sdi: int | None
    sdi_levels: tuple[Level, ...]
    sdi_reason: str | None = None
    ungraded_levels: tuple[Level, ...] = ()
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


def _expected_hp(level: Level, references: list[VertebraHeights]) -> float:
    """The posterior height ``level`` should have, from each reference's posterior height
    scaled by the normal ratio of the two levels (EXPECTED_HP_MM), averaged over the sides."""
    carried = [r.hp * EXPECTED_HP_MM[level] / EXPECTED_HP_MM[r.level] for r in references]
    return sum(carried) / len(carried)


def _references(
    level: Level, by_position: dict[int, VertebraHeights], intact: frozenset[Level] | set[Level]
) -> list[VertebraHeights]:
    """Above, then below: the nearest measured intact level other than ``level``, if any."""
    found: list[VertebraHeights] = []
    for step in (-1, 1):
        position = level.position + step
        while 0 <= position < len(Level):
            other = by_position.get(position)
            if other is not None and other.level in intact:
                found.append(other)
                break
            position += step
    return found


def intact_levels(vertebrae: list[VertebraHeights]) -> frozenset[Level]:
    """The measured levels whose posterior height is not crushed: the crush references.

    Built up from the level whose posterior height is largest for its level (hp divided by
    :data:`EXPECTED_HP_MM`; a fracture only ever lowers a height, so that level is the best
    yardstick measured; the first in spine order on a tie). Then, round by round, every other
    level whose crush loss against the intact levels found so far (nearest on each side,
    scaled by the normative table) is below the grade 1 edge (20 %) joins them, until none
    does. A crushed level therefore never judges its neighbour, however many crushed levels
    lie in a row. Wedge and biconcave deformities do not count: they leave the posterior wall
    standing.
    """
    if not vertebrae:
        return frozenset()
    by_position = {v.level.position: v for v in vertebrae}
    ordered = sorted(vertebrae, key=lambda v: v.level.position)
    seed = max(ordered, key=lambda v: v.hp / EXPECTED_HP_MM[v.level])
    intact: set[Level] = {seed.level}
    while True:
        joining = [
            v.level
            for v in ordered
            if v.level not in intact
            and grade_from_loss_pct(
                _loss_pct(v.hp, _expected_hp(v.level, _references(v.level, by_position, intact)))
            )
            == 0
        ]
        if not joining:
            return frozenset(intact)
        intact.update(joining)


def _deformity_criteria(
    wedge: float, biconcave: float, crush: float | None
) -> tuple[Criterion, ...]:
    genant = sources.GENANT_1993
    return (
        criterion("wedge-loss-20", wedge >= GRADE_1_FROM_PCT, genant),
        criterion("biconcave-loss-20", biconcave >= GRADE_1_FROM_PCT, genant),
        criterion(
            "crush-loss-20",
            None if crush is None else crush >= GRADE_1_FROM_PCT,
            f"{genant}; {sources.NORMATIVE_HP}",
        ),
    )


def _graded(vertebra: VertebraHeights, references: list[VertebraHeights]) -> VertebraGrade:
    wedge = _loss_pct(vertebra.ha, vertebra.hp)
    biconcave = _loss_pct(vertebra.hm, vertebra.hp)
    crush = _loss_pct(vertebra.hp, _expected_hp(vertebra.level, references)) if references else None
    # Ties go to the first kind listed: wedge, then biconcave, then crush (max keeps the first
    # of equal items).
    candidates: list[tuple[DeformityType, float]] = [("wedge", wedge), ("biconcave", biconcave)]
    if crush is not None:
        candidates.append(("crush", crush))
    kind, loss = max(candidates, key=lambda item: item[1])
    level_grade: Grade | None = grade_from_loss_pct(loss)
    not_assessed = None
    if crush is None:
        if level_grade == 0:
            level_grade = None
            not_assessed = f"{NOT_ASSESSED_REASON}; not graded"
        else:
            not_assessed = f"{NOT_ASSESSED_REASON}; grade {level_grade} is a lower bound"
    return VertebraGrade(
        level=vertebra.level,
        grade=level_grade,
        type=kind if level_grade else None,
        height_loss_pct=_shown(loss),
        losses=Losses(
            wedge=_shown(wedge),
            biconcave=_shown(biconcave),
            crush=None if crush is None else _shown(crush),
        ),
        crush_assessed=crush is not None,
        crush_reference=tuple(r.level for r in references),
        not_assessed=not_assessed,
        criteria=_deformity_criteria(wedge, biconcave, crush),
    )


def _entered(entered: EnteredLoss) -> VertebraGrade:
    level_grade = grade_from_loss_pct(entered.height_loss_pct)
    source = sources.GENANT_1993
    return VertebraGrade(
        level=entered.level,
        grade=level_grade,
        type=entered.type if level_grade > 0 else None,
        height_loss_pct=_shown(entered.height_loss_pct),
        losses=None,
        crush_assessed=True,
        crush_reference=(),
        graded_from="entered-pct",
        criteria=(
            criterion("entered-loss-20", entered.height_loss_pct >= GRADE_1_FROM_PCT, source),
            *(
                not_applicable(id, source)
                for id in ("wedge-loss-20", "biconcave-loss-20", "crush-loss-20")
            ),
        ),
    )


def grade(inp: GradingInput) -> GradingResult:
    """Grade every vertebra in ``inp`` and sum the SDI over T4-L4."""
    by_position = {v.level.position: v for v in inp.vertebrae}
    intact = intact_levels(inp.vertebrae)
    graded = [
        _graded(v, _references(v.level, by_position, intact - {v.level})) for v in inp.vertebrae
    ]
    graded += [_entered(e) for e in inp.entered]
    graded.sort(key=lambda v: v.level.position)
    in_sdi = [v for v in graded if v.level in SDI_LEVELS]
    ungraded = tuple(v.level for v in graded if v.grade is None)
    unknown_in_sdi = [v.level.value for v in in_sdi if v.grade is None]
    sdi = None if unknown_in_sdi else sum(v.grade or 0 for v in in_sdi)
    sdi_reason = None
    if unknown_in_sdi:
        sdi_reason = f"{', '.join(unknown_in_sdi)} not graded ({NOT_ASSESSED_REASON})"
    return GradingResult(
        vertebrae=tuple(graded),
        sdi=sdi,
        sdi_levels=tuple(v.level for v in in_sdi),
        sdi_reason=sdi_reason,
        ungraded_levels=ungraded,
        entered_levels=tuple(v.level for v in graded if v.graded_from == "entered-pct"),
    )


def headline(result: GradingResult) -> str:
    """The one-line verdict the page and the command line print above the table. It never
    says "no fracture" while a level is not graded.

    >>> headline(grade(GradingInput(vertebrae=[
    ...     VertebraHeights(level="L2", ha=26.0, hm=26.0, hp=27.0)])))
    'Not every level could be graded: L2 has no grade (crush not assessed: no intact vertebra \
was measured to compare its posterior height with). A crush fracture there is not ruled out.'
    """
    fractured = [v for v in result.vertebrae if v.grade]
    ungraded = [v.level.value for v in result.vertebrae if v.grade is None]
    parts: list[str] = []
    if ungraded:
        verb = "has" if len(ungraded) == 1 else "have"
        parts.append(
            f"Not every level could be graded: {', '.join(ungraded)} {verb} no grade "
            f"({NOT_ASSESSED_REASON}). A crush fracture there is not ruled out."
        )
    if fractured:
        listed = "; ".join(
            f"{v.level.value} grade {v.grade}"
            + (f" ({GENANT_GRADE_LABELS[v.grade or 0]} {v.type})" if v.type else "")
            + ("" if v.crush_assessed else ", at least: crush not assessed")
            for v in fractured
        )
        parts.append(f"Vertebral fracture graded: {listed}.")
    if not parts:
        parts.append("No fracture graded: every level is grade 0.")
    return " ".join(parts)


def _shown(pct: float) -> float:
    return round(pct, PCT_OUTPUT_DECIMALS)
