"""The four clinical tools as one table: what the API serves, the clinician pages run and a
registry case keeps (``POST /api/v1/<path>``, "save to a registry case")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from spinefx.clinical import candidacy, followup, morphometry, screening
from spinefx.errors import InputError, ProblemKind

__all__ = ["RULES", "Rule", "rule_named"]


@dataclass(frozen=True)
class Rule:
    """One clinical rule served at ``POST /api/v1/<path>``."""

    path: str
    input: type[BaseModel]
    result: type[BaseModel]
    run: Callable[[Any], BaseModel]
    summary: str


RULES: tuple[Rule, ...] = (
    Rule(
        "screening",
        screening.ScreeningInput,
        screening.ScreeningResult,
        screening.screen,
        "Patient self-check for a possible vertebral compression fracture (red flags first)",
    ),
    Rule(
        "grading",
        morphometry.GradingInput,
        morphometry.GradingResult,
        morphometry.grade,
        "Genant grade per vertebra and the spinal deformity index from three heights",
    ),
    Rule(
        "candidacy",
        candidacy.CandidacyInput,
        candidacy.CandidacyResult,
        candidacy.assess,
        "Balloon kyphoplasty candidacy against the Medicare coverage criteria, with codes",
    ),
    Rule(
        "followup",
        followup.FollowupInput,
        followup.FollowupPlan,
        followup.plan,
        "Osteoporosis follow-up plan and fracture liaison checklist after the fracture",
    ),
)


def rule_named(kind: str) -> Rule:
    """The rule served at ``kind``, else an :class:`InputError` naming ``kind``."""
    for rule in RULES:
        if rule.path == kind:
            return rule
    paths = [r.path for r in RULES]
    raise InputError(
        "kind", kind, "one of " + ", ".join(paths), kind=ProblemKind.CHOICE, choices=paths
    )
