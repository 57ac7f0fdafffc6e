"""``/clinician/grading``: Genant grade per vertebra and the spinal deformity index, from three
heights or an entered height loss, drawn on a lateral spine.

The form names each height ``<level>.<ha|hm|hp>`` (``L2.ha``) and a level's height loss in %
``<level>.loss`` (``L2.loss``), for T1-L5 as the CLI grades them (the SDI itself counts T4-L4).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from spinefx.clinical import morphometry
from spinefx.clinical.spine import Level
from spinefx.errors import InputError
from spinefx.validation import parse_input
from spinefx.web import forms
from spinefx.web.clinician import words
from spinefx.web.clinician.tool_forms import PREFILL, saved_input
from spinefx.web.deps import TemplatesDep
from spinefx.web.spine_svg import Body, lateral_spine_svg
from spinefx.web.templating import FormPage

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

# T1-L5, as the CLI grades them (the SDI itself counts T4-L4).
GRADING_FORM_LEVELS: tuple[Level, ...] = tuple(Level(v) for v in words.TREATABLE_LEVELS)
HEIGHT_NAMES = {"ha": "anterior", "hm": "middle", "hp": "posterior"}
# Where the heights are not at hand, a level's height loss in % (``L2.loss``) instead.
LOSS_NAME = "loss"
GRADING_NAMES = {
    **{
        f"{level.value}.{h}": f"{level.value} {word} height"
        for level in GRADING_FORM_LEVELS
        for h, word in HEIGHT_NAMES.items()
    },
    **{f"{level.value}.{LOSS_NAME}": f"{level.value} height loss" for level in GRADING_FORM_LEVELS},
}


# The form's rows and columns.
GRADING_PAGE = FormPage(
    "grading.html", GRADING_NAMES, {"levels": GRADING_FORM_LEVELS, "heights": HEIGHT_NAMES}
)


@router.api_route("/clinician/grading", methods=["GET", "HEAD"])
def grading_form(request: Request, templates: TemplatesDep) -> Response:
    return GRADING_PAGE.render(templates, request, {}, {})


@router.post("/clinician/grading")
async def grading_result(request: Request, templates: TemplatesDep) -> Response:
    form = await request.form()
    values = forms.form_values(form)
    vertebrae: list[dict[str, Any]] = []
    entered: list[dict[str, Any]] = []
    both: dict[str, str] = {}
    for level in GRADING_FORM_LEVELS:
        row = {h: str(form.get(f"{level.value}.{h}") or "").strip() for h in HEIGHT_NAMES}
        loss = str(form.get(f"{level.value}.{LOSS_NAME}") or "").strip()
        if loss and any(row.values()):
            both[f"{level.value}.{LOSS_NAME}"] = (
                f"{level.value}: enter the three heights or a height loss in %, not both."
            )
        elif loss:
            entered.append({"level": level.value, "height_loss_pct": forms.convert("float", loss)})
        if not any(row.values()):
            continue  # a blank row is a level that was not measured
        entry: dict[str, Any] = {"level": level.value}
        for h, raw in row.items():
            if raw:
                entry[h] = forms.convert("float", raw)
        vertebrae.append(entry)
    rename = {}
    for i, entry in enumerate(vertebrae):
        for h in HEIGHT_NAMES:
            rename[f"vertebrae[{i}].{h}"] = f"{entry['level']}.{h}"
    for i, entry in enumerate(entered):
        rename[f"entered[{i}].height_loss_pct"] = f"{entry['level']}.{LOSS_NAME}"
    if both:
        return GRADING_PAGE.render(templates, request, values, both, status=422)
    if not vertebrae and not entered:
        errors = {
            "(input)": "Enter the three heights of at least one vertebra, or its height loss in %."
        }
        return GRADING_PAGE.render(templates, request, values, errors, status=422)
    data = {"vertebrae": vertebrae, "entered": entered}
    try:
        result = morphometry.grade(parse_input(morphometry.GradingInput, data))
    except InputError as exc:
        return GRADING_PAGE.render(
            templates,
            request,
            values,
            forms.field_messages(exc.problems, rename, GRADING_NAMES),
            status=422,
        )
    measured = {Level(e["level"]): e for e in vertebrae}
    bodies = {
        v.level: (
            Body(
                measured[v.level]["ha"],
                measured[v.level]["hm"],
                measured[v.level]["hp"],
                v.grade,
                crush_assessed=v.crush_assessed,
            )
            if v.level in measured
            else Body.entered_loss(v.level, v.height_loss_pct, v.grade)
        )
        for v in result.vertebrae
    }
    fractured = [v for v in result.vertebrae if v.grade]  # grade None: not graded
    summary = [
        f"{v.level.value}: grade {v.grade}{' ' + v.type if v.type else ''}, "
        f"{v.height_loss_pct:.0f} %"
        + (" (entered, not measured)" if v.graded_from == "entered-pct" else "")
        for v in fractured
    ]
    candidacy_prefill: list[tuple[str, str]] = [("levels", v.level.value) for v in fractured]
    followup_prefill: list[tuple[str, str]] = []
    if fractured:
        worst = max(v.height_loss_pct for v in fractured)
        candidacy_prefill.append(("height_loss_pct", f"{worst:g}"))
        followup_prefill = [
            ("vertebral_fractures", str(len(fractured))),
            ("max_grade", str(max(v.grade or 0 for v in fractured))),
        ]
        # Candidacy does not take these, but carries them on to the follow-up plan.
        candidacy_prefill += followup_prefill
    return GRADING_PAGE.render(
        templates,
        request,
        values,
        {},
        save_input=saved_input(data, morphometry.GradingInput),
        result=result,
        svg=lateral_spine_svg(bodies),
        labels=morphometry.GENANT_GRADE_LABELS,
        summary=summary,
        headline=morphometry.headline(result),
        candidacy_prefill=candidacy_prefill,
        followup_prefill=followup_prefill,
        prefill_name=PREFILL,
    )
