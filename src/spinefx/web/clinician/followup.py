"""``/clinician/followup``: the osteoporosis follow-up plan and the fracture liaison checklist
after the fracture, printable with what it was made from."""

from __future__ import annotations

import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from spinefx.clinical import followup
from spinefx.dates import plain_date
from spinefx.web import forms
from spinefx.web.clinician import words
from spinefx.web.clinician.tool_forms import rule_form_result, rule_page
from spinefx.web.deps import TemplatesDep
from spinefx.web.templating import CHOICE_LABELS, choice_label

__all__ = ["FOLLOWUP_FIELDS", "followup_inputs", "router"]

router = APIRouter(include_in_schema=False)

FOLLOWUP_FIELDS = words.in_clinical_words(
    forms.fields_of(followup.FollowupInput, words=choice_label),
    words.FOLLOWUP_LABELS,
    words.FOLLOWUP_HELP,
)


def followup_inputs(inp: followup.FollowupInput) -> list[tuple[str, str]]:
    """What the plan was made from, as (label, value) lines for the printed plan."""
    words = {True: "Yes", False: "No", None: "Not known"}
    shown: list[tuple[str, str]] = []
    for f in FOLLOWUP_FIELDS:
        value = getattr(inp, f.name, None)
        if f.name == "as_of" and value is None:
            text = "today"
        elif isinstance(value, bool) or value is None:
            text = words[value]
        elif f.name == "egfr":
            text = f"{value:g} ml/min (creatinine clearance, or an eGFR standing in for it)"
        elif isinstance(value, datetime.date):
            text = plain_date(value)
        else:
            text = CHOICE_LABELS.get(str(value), str(value))
        shown.append((f.label, text))
    return shown


@router.api_route("/clinician/followup", methods=["GET", "HEAD"])
def followup_form(request: Request, templates: TemplatesDep) -> Response:
    return rule_page(request, templates, "followup.html", FOLLOWUP_FIELDS, {}, {})


@router.post("/clinician/followup")
async def followup_result(request: Request, templates: TemplatesDep) -> Response:
    def shown(inp: followup.FollowupInput) -> dict[str, Any]:
        plan = followup.plan(inp)
        triggers = [(c, followup.criterion_text(c.id)) for c in plan.risk_reasons]
        return {
            "result": plan,
            "triggers": triggers,
            "plan_inputs": followup_inputs(inp),
            "made_on": plan.as_of,
        }

    return await rule_form_result(
        request, templates, "followup.html", FOLLOWUP_FIELDS, followup.FollowupInput, shown
    )
