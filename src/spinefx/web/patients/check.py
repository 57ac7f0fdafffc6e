"""``/check``: the patient self-check, warning signs first; ``/check/result``: its printable
result, made from the answers in the query string (POST, then a 303 redirect to it).

Form field names are the JSON field names of
:class:`~spinefx.clinical.screening.ScreeningInput` (nested ones dotted: ``red_flags.fever``);
see :mod:`spinefx.web.forms`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from spinefx.clinical import screening
from spinefx.errors import InputError
from spinefx.validation import parse_input
from spinefx.web import forms
from spinefx.web.deps import TemplatesDep
from spinefx.web.templating import FormPage, choice_label, render

__all__ = ["router", "screening_answers"]

router = APIRouter(include_in_schema=False)

SCREENING_NAMES = {
    "age": "Your age",
    "onset": "How the pain started",
    "pain_nrs": "How bad the pain is",
    "pain_quality": "What the pain feels like",
    "pain_days": "How many days",
    "osteoporosis": "Osteoporosis",
    "minor_trauma": "How the pain began",
    "steroids": "Steroid tablets",
    "zip": "ZIP code",
    **{f"red_flags.{k}": v for k, v in screening.RED_FLAG_SHORT.items()},
}
SCREENING_FIELDS = forms.fields_of(
    screening.ScreeningInput, labels=screening.QUESTION_TEXT, words=choice_label
)


def _screening_groups() -> list[tuple[str, str, list[forms.FormField]]]:
    by_name = {f.name: f for f in SCREENING_FIELDS}
    flags = {f.name: f for f in by_name["red_flags"].children}
    warning = [
        flags[f"red_flags.{n}"] for n in (*screening.EMERGENCY_FLAGS, *screening.URGENT_FLAGS)
    ]
    # The warning signs come first, as the home page promises: they decide before the rest.
    return [
        ("warning", "Warning signs", warning),
        ("about", "About you", [by_name[n] for n in ("age", "osteoporosis", "steroids")]),
        (
            "pain",
            "The pain",
            [
                by_name[n]
                for n in ("onset", "minor_trauma", "pain_nrs", "pain_quality", "pain_days")
            ],
        ),
    ]


CHECK_PAGE = FormPage("check.html", SCREENING_NAMES, {"groups": _screening_groups()})


@router.api_route("/check", methods=["GET", "HEAD"])
def check_form(request: Request, templates: TemplatesDep) -> Response:
    # "Change my answers" on a result comes back here with the answers in the query string:
    # the form is filled in with them, nothing is assessed.
    return CHECK_PAGE.render(templates, request, forms.form_values(_as_form(request)), {})


@router.post("/check")
async def check_submit(request: Request, templates: TemplatesDep) -> Response:
    """Answers that can be assessed go on to :func:`check_result` by a 303 redirect, so that
    the result is a GET page that Back (and reload) can show again; answers that cannot come
    back as the form with its messages, from the POST."""
    form = await request.form()
    assessed = _assess(form)
    if isinstance(assessed, dict):
        return CHECK_PAGE.render(templates, request, forms.form_values(form), assessed, status=422)
    return RedirectResponse(f"/check/result?{result_query(form)}", status_code=303)


@router.api_route("/check/result", methods=["GET", "HEAD"])
def check_result(request: Request, templates: TemplatesDep) -> Response:
    """The result, made again from the answers in the query string each time it is asked for
    (see docs/privacy.md: nothing is kept on the server, and no cookie is set)."""
    form = _as_form(request)  # no answer at all is a result too: nothing can be ruled out
    values = forms.form_values(form)
    assessed = _assess(form)
    if isinstance(assessed, dict):  # a result address edited by hand
        return CHECK_PAGE.render(templates, request, values, assessed, status=422)
    result = assessed
    zip_code = str(form.get("zip") or "").strip()
    criteria = [c for c in result.criteria if not c.id.startswith("red-flag:")]
    flags = [c for c in result.criteria if c.id.startswith("red-flag:")]
    find_query = {"zip": zip_code} if zip_code else {}
    return render(
        templates,
        request,
        "check_result.html",
        {
            "result": result,
            "headline": result.headline,
            "action": result.action,
            "criteria": [(c, screening.criterion_text(c.id)) for c in criteria],
            "flags": [(c, screening.criterion_text(c.id)) for c in flags],
            "flags_present": [c for c in flags if c.status.value == "met"],
            # the blank questions whose answer could change the result, warning signs included
            "unanswered": [
                screening.QUESTION_TEXT.get(n.removeprefix("red_flags."), forms.humanize(n))
                for n in result.to_answer
            ],
            "find_url": "/find" + (f"?{urlencode(find_query)}" if find_query else ""),
            "change_url": f"/check?{result_query(form)}",
            "zip": zip_code,
            "answers": screening_answers(values),
            "made_on": datetime.date.today(),
        },
    )


def _as_form(request: Request) -> FormData:
    items: list[tuple[str, str | UploadFile]] = list(request.query_params.multi_items())
    return FormData(items)


def _assess(form: FormData) -> screening.ScreeningResult | dict[str, str]:
    """The result for the answers in ``form``, or each field's message when it has none."""
    errors: dict[str, str] = {}
    zip_code = str(form.get("zip") or "").strip()
    if zip_code and not (len(zip_code) == 5 and zip_code.isdigit()):
        errors["zip"] = "Enter a US ZIP code of 5 digits, such as 02139, or leave it blank."
    try:
        result = screening.screen(
            parse_input(screening.ScreeningInput, forms.form_data(SCREENING_FIELDS, form))
        )
    except InputError as exc:
        errors.update(forms.field_messages(exc.problems, names=SCREENING_NAMES))
    return errors or result


_KNOWN_NAMES = frozenset([*(f.name for _, _, group in _screening_groups() for f in group), "zip"])
_TRI_NAMES = frozenset(
    f.name for _, _, group in _screening_groups() for f in group if f.kind == "tri"
)


def result_query(form: FormData) -> str:
    """The answers given, as the result's query string: the form's own names and values, in
    the form's order, without the questions left blank or at "I don't know" (they read the
    same way when missing) and without any name the form does not have.

    >>> result_query(FormData([("age", "58"), ("red_flags.fever", "unknown"), ("zip", "")]))
    'age=58'
    """
    kept = [
        (name, value.strip())
        for name, value in form.multi_items()
        if name in _KNOWN_NAMES
        and isinstance(value, str)
        and value.strip()
        and not (name in _TRI_NAMES and value.strip() == forms.UNKNOWN)
    ]
    return urlencode(kept)


ANSWER_WORDS = {"yes": "Yes", "no": "No", "unknown": "I don't know", "": "Not answered"}


def screening_answers(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each self-check question and the answer given, in the form's order, for the printable
    summary (nothing is kept: the page is made from the answers just sent)."""
    shown: list[tuple[str, str]] = []
    for _, _, fields in _screening_groups():
        for f in fields:
            raw = str(values.get(f.name, "") or "")
            if f.kind == "tri":
                text = ANSWER_WORDS.get(raw or "unknown", raw)
            elif f.kind == "choice":
                text = dict(f.choices).get(raw, forms.humanize(raw)) if raw else "I don't know"
            elif raw:
                text = {"age": f"{raw} years", "pain_days": f"{raw} days"}.get(f.name, raw)
                if f.name == "pain_nrs":
                    text = f"{raw} out of 10"
            else:
                text = "Not answered"
            shown.append((f.label, text))
    return shown
