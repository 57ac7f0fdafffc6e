"""``/clinician/candidacy``: balloon kyphoplasty candidacy against the Medicare coverage
criteria, each criterion with its parts (alternatives inside another), and the codes.

What the page adds to the rule's input (:class:`~spinefx.clinical.candidacy.CandidacyInput`):

- The fracture's age is asked as a date, as the follow-up plan asks it: the weeks from that day
  to today are the rule's ``fracture_age_weeks``, and the result shows them.
- A height loss below 1 % is taken as typed (0.33 is 0.33 %), but the page first asks whether
  a fraction was meant ("did you mean 33 %?"), and goes on only with the clinician's answer.
- What the grading tool carries on to the follow-up plan and this rule does not take (the worst
  Genant grade, the number of fractures) rides along as hidden fields, shown on the page.
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from spinefx.clinical import candidacy
from spinefx.dates import plain_date
from spinefx.errors import InputError
from spinefx.validation import parse_input
from spinefx.web import forms
from spinefx.web.clinician import words
from spinefx.web.clinician.tool_forms import PREFILL, input_json, rule_page
from spinefx.web.deps import TemplatesDep
from spinefx.web.templating import choice_label

__all__ = ["CANDIDACY_FIELDS", "candidacy_rows", "router"]

router = APIRouter(include_in_schema=False)

# The form asks the fracture's date where the rule takes its age in weeks.
FRACTURE_DATE = "fracture_date"
CANDIDACY_FIELDS = tuple(
    replace(f, name=FRACTURE_DATE, kind="date") if f.name == "fracture_age_weeks" else f
    for f in words.in_clinical_words(
        forms.fields_of(candidacy.CandidacyInput, words=choice_label),
        {**words.CANDIDACY_LABELS, "fracture_age_weeks": words.CANDIDACY_LABELS[FRACTURE_DATE]},
        {**words.CANDIDACY_HELP, "fracture_age_weeks": words.CANDIDACY_HELP[FRACTURE_DATE]},
        choices={"levels": words.TREATABLE_LEVELS},
    )
)
# The answer to "did you mean 33 %?": the height loss to use, sent by one of two buttons.
HEIGHT_LOSS_ANSWER = "_height_loss"
# What this page carries from the grading tool to the follow-up plan (the rule takes neither).
CARRIED = {"max_grade": "Worst Genant grade", "vertebral_fractures": "Vertebral fractures"}


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
    return rule_page(
        request, templates, "candidacy.html", CANDIDACY_FIELDS, {}, {},
        carried={}, carried_names=CARRIED,
    )  # fmt: skip


@router.post("/clinician/candidacy")
async def candidacy_result(request: Request, templates: TemplatesDep) -> Response:
    form = await request.form()
    values = forms.form_values(form, CANDIDACY_FIELDS)
    carried = {k: str(values[k]) for k in CARRIED if str(values.get(k) or "").strip()}
    page: dict[str, Any] = {"carried": carried, "carried_names": CARRIED}
    if PREFILL in form:
        values.pop(PREFILL, None)
        return rule_page(
            request, templates, "candidacy.html", CANDIDACY_FIELDS, values, {},
            prefilled=True, **page,
        )  # fmt: skip
    today = datetime.date.today()
    data = forms.form_data(CANDIDACY_FIELDS, form)
    answered = str(form.get(HEIGHT_LOSS_ANSWER) or "").strip()
    if answered:
        values["height_loss_pct"] = answered
        data["height_loss_pct"] = forms.convert("float", answered)
    errors: dict[str, str] = {}
    fracture_day = _fracture_day(data.pop(FRACTURE_DATE, None), today, errors)
    if fracture_day is not None:
        data["fracture_age_weeks"] = (today - fracture_day).days / 7
    try:
        inp = parse_input(candidacy.CandidacyInput, data)
    except InputError as exc:
        names = forms.label_map(CANDIDACY_FIELDS)
        rename = {"fracture_age_weeks": FRACTURE_DATE}
        errors.update(forms.field_messages(exc.problems, rename, names))
    if errors:
        return rule_page(
            request, templates, "candidacy.html", CANDIDACY_FIELDS, values, errors,
            status=422, **page,
        )  # fmt: skip
    loss = inp.height_loss_pct
    if loss is not None and 0 < loss < 1 and not answered:
        # 0.33 is 0.33 %, as typed; but it may be a fraction meant as 33 %: ask, never guess.
        return rule_page(
            request, templates, "candidacy.html", CANDIDACY_FIELDS, values, {},
            confirm_loss={"typed": f"{loss:g}", "meant": f"{loss * 100:g}"}, **page,
        )  # fmt: skip
    result = candidacy.assess(inp)
    followup_prefill: list[tuple[str, str]] = []
    if inp.levels or "vertebral_fractures" in carried:
        count = carried.get("vertebral_fractures") or str(len(inp.levels or ()))
        followup_prefill.append(("vertebral_fractures", count))
    if "max_grade" in carried:
        followup_prefill.append(("max_grade", carried["max_grade"]))
    if fracture_day is not None:
        followup_prefill.append(("fracture_date", fracture_day.isoformat()))
    return rule_page(
        request,
        templates,
        "candidacy.html",
        CANDIDACY_FIELDS,
        values,
        {},
        save_input=input_json(inp),
        result=result,
        outcome_text=candidacy.CANDIDACY_OUTCOMES.get(result.outcome, result.outcome),
        criteria=candidacy_rows(result.criteria),
        # what decided the diagnosis code (malignant, traumatic, osteoporosis documented)
        code_criteria=[(c, candidacy.criterion_text(c.id)) for c in result.codes.criteria],
        fracture_age=_weeks_and_days((today - fracture_day).days) if fracture_day else None,
        fracture_day=fracture_day,
        followup_prefill=followup_prefill,
        prefill_name=PREFILL,
        **page,
    )


def _fracture_day(raw: Any, today: datetime.date, errors: dict[str, str]) -> datetime.date | None:
    """The fracture's date typed in the form, or None (not known, or refused into ``errors``)."""
    if raw is None:
        return None
    try:
        day = datetime.date.fromisoformat(str(raw))
    except ValueError:
        day = None
    if day is None or day.year < 1900:
        errors[FRACTURE_DATE] = (
            "Enter the date of the fracture as a real date (month, day, year), as the date box "
            "shows it."
        )
        return None
    if day > today:
        errors[FRACTURE_DATE] = (
            f"The date of the fracture cannot be after today ({plain_date(today)})."
        )
        return None
    return day


def _weeks_and_days(days: int) -> str:
    """``38`` -> ``5 weeks and 3 days``: a fracture's age as the coverage counts it, in weeks.

    >>> _weeks_and_days(38), _weeks_and_days(7), _weeks_and_days(1)
    ('5 weeks and 3 days', '1 week', '1 day')
    """
    weeks, rest = divmod(days, 7)
    parts = [
        f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in ((weeks, "week"), (rest, "day")) if n
    ]
    return " and ".join(parts) or "0 days"
