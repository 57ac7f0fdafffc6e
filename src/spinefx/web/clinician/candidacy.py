"""``/clinician/candidacy``: balloon kyphoplasty candidacy against the Medicare coverage
criteria, each criterion with its parts (alternatives inside another), and the codes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from spinefx.clinical import candidacy
from spinefx.web import forms
from spinefx.web.clinician import words
from spinefx.web.clinician.tool_forms import PREFILL, rule_form_result, rule_page
from spinefx.web.deps import TemplatesDep
from spinefx.web.templating import choice_label

__all__ = ["CANDIDACY_FIELDS", "candidacy_rows", "router"]

router = APIRouter(include_in_schema=False)

CANDIDACY_FIELDS = words.in_clinical_words(
    forms.fields_of(candidacy.CandidacyInput, words=choice_label),
    words.CANDIDACY_LABELS,
    words.CANDIDACY_HELP,
    choices={"levels": words.TREATABLE_LEVELS},
)


def candidacy_rows(criteria: Any) -> list[tuple[Any, str, int, str]]:
    """(criterion, words, depth, shown status) in reading order: each whole, then its parts.

    A part not met inside a whole that is met shows as ``not-needed`` (another alternative
    carried it), not as a failure.
    """
    by_id = {c.id: c for c in criteria}
    parts = words.CANDIDACY_PARTS
    inside = {p for group in parts.values() for p in group}
    rows: list[tuple[Any, str, int, str]] = []

    def add(c: Any, depth: int, whole_met: bool) -> None:
        shown = c.status.value
        if whole_met and shown == "not-met":
            shown = "not-needed"
        rows.append((c, candidacy.criterion_text(c.id), depth, shown))
        met = whole_met or c.status.value == "met"
        for part in parts.get(c.id, ()):
            if part in by_id:
                add(by_id[part], depth + 1, met)

    for c in criteria:
        if c.id not in inside:
            add(c, 0, False)
    return rows


@router.api_route("/clinician/candidacy", methods=["GET", "HEAD"])
def candidacy_form(request: Request, templates: TemplatesDep) -> Response:
    return rule_page(request, templates, "candidacy.html", CANDIDACY_FIELDS, {}, {})


@router.post("/clinician/candidacy")
async def candidacy_result(request: Request, templates: TemplatesDep) -> Response:
    def shown(inp: candidacy.CandidacyInput) -> dict[str, Any]:
        result = candidacy.assess(inp)
        followup_prefill: list[tuple[str, str]] = []
        if inp.levels:
            followup_prefill.append(("vertebral_fractures", str(len(inp.levels))))
        return {
            "result": result,
            "outcome_text": candidacy.CANDIDACY_OUTCOMES.get(result.outcome, result.outcome),
            "criteria": candidacy_rows(result.criteria),
            # what decided the diagnosis code (malignant, traumatic, osteoporosis documented)
            "code_criteria": [(c, candidacy.criterion_text(c.id)) for c in result.codes.criteria],
            "followup_prefill": followup_prefill,
            "prefill_name": PREFILL,
        }

    return await rule_form_result(
        request, templates, "candidacy.html", CANDIDACY_FIELDS, candidacy.CandidacyInput, shown
    )
