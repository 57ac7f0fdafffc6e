"""The pages: plain HTML forms and server-rendered results that work without JavaScript.

Patient answers are sent with POST (``/check`` and the clinician tools), so they never appear
in a URL, a browser history entry or an access log; the specialist search is a GET (nothing in
it is personal beyond a ZIP code, and the access log drops every query string anyway).
Nothing is stored and no cookie is set.

Form field names are the JSON field names (nested ones dotted: ``red_flags.fever``); the
grading form names each height ``<level>.<ha|hm|hp>`` (``L2.ha``). See :mod:`spinefx.web.forms`.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.datastructures import FormData
from starlette.responses import Response

from spinefx.clinical import candidacy, followup, morphometry, screening
from spinefx.clinical.spine import Level
from spinefx.dates import plain_date
from spinefx.directory.store import Directory
from spinefx.errors import DataError, DirectoryNotLoaded, FieldProblem, InputError
from spinefx.learn import DISCLAIMER, REFERENCES, TOPICS, topic
from spinefx.validation import parse_input
from spinefx.web import clinician_words, forms
from spinefx.web.deps import DirectoryDep, TemplatesDep
from spinefx.web.plain_errors import plain_message
from spinefx.web.spine_svg import Body, lateral_spine_svg

ModelT = TypeVar("ModelT", bound=BaseModel)

__all__ = ["error_page", "install_filters", "router"]

router = APIRouter(include_in_schema=False)

# --- Words for what the rules return -------------------------------------------------------

STATUS_WORDS = {"met": "Yes", "not-met": "No", "unknown": "Don't know"}
CLINICAL_STATUS_WORDS = {
    "met": "Met",
    "not-met": "Not met",
    "unknown": "Unknown",
    "not-applicable": "Not applicable",
    "not-needed": "Not needed",  # not met, inside an alternative that another part met
}

CHOICE_LABELS = {
    "sudden": "Suddenly",
    "gradual": "Gradually",
    "sharp": "Sharp",
    "dull": "Dull",
    "aching": "Aching",
    "burning": "Burning",
    "female": "Female",
    "male": "Male",
    **clinician_words.CHOICE_LABELS,
}


TRIGGER_WORDS = {"met": "Yes", "not-met": "No", "unknown": "Not known"}
# The numbered panels of a Learn figure, captioned in the page (not in the drawing) so that the
# words keep the page's type size on a phone.
FIGURE_STEPS: dict[str, tuple[str, ...]] = {
    "img/bkp-steps.svg": (
        "A needle enters the collapsed bone from the back.",
        "A balloon inflates inside the bone and lifts it.",
        "The balloon is removed, leaving a cavity.",
        "Bone cement fills the cavity and sets hard.",
    ),
}
FIND_RADII = (5, 10, 25, 50, 100, 250, 500)
# A button on one tool's result that opens the next tool with what is known filled in posts
# this field with the answers: the form comes back filled in, not yet assessed.
PREFILL = "_prefill"
# T1-L5, as the CLI grades them (the SDI itself counts T4-L4).
GRADING_FORM_LEVELS: tuple[Level, ...] = tuple(Level(v) for v in clinician_words.TREATABLE_LEVELS)
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


def install_filters(env: jinja2.Environment) -> None:
    """Filters and globals the templates share."""
    from spinefx.directory.text import display_case, place_line

    env.filters["humanize"] = forms.humanize
    env.filters["plain_date"] = plain_date
    env.filters["display_case"] = display_case
    env.globals["place_line"] = place_line
    env.filters["choice_label"] = lambda v: CHOICE_LABELS.get(str(v), forms.humanize(str(v)))
    env.globals["dom_id"] = forms.dom_id
    env.globals["STATUS_WORDS"] = STATUS_WORDS
    env.globals["CLINICAL_STATUS_WORDS"] = CLINICAL_STATUS_WORDS
    env.globals["TRIGGER_WORDS"] = TRIGGER_WORDS


def render(
    templates: Any,
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    response: Response = templates.TemplateResponse(
        request, name, dict(context or {}), status_code=status, headers=headers
    )
    return response


def error_page(
    request: Request,
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An HTML error page (404, 405, 422, 503...) with a way home."""
    titles = {404: "Page not found", 405: "Not allowed here", 413: "Too much data sent"}
    return render(
        request.app.state.templates,
        request,
        "error.html",
        {
            "status": status,
            "title": title or titles.get(status, "Something went wrong"),
            "detail": detail,
        },
        status=status,
        headers=headers,
    )


def field_messages(
    problems: tuple[FieldProblem, ...],
    rename: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Form name -> message in plain words for each problem (``(input)`` is the form as a
    whole); ``names`` gives each form name's label, which the message names."""
    messages: dict[str, str] = {}
    for item in problems:
        name = (rename or {}).get(item.field, item.field)
        label = (names or {}).get(name, forms.humanize(name.rsplit(".", 1)[-1]))
        messages.setdefault(name, plain_message(name, item.allowed, label))
    return messages


def label_map(fields: tuple[forms.FormField, ...]) -> dict[str, str]:
    """Form name -> label, for the error summary at the top of a form."""
    names: dict[str, str] = {}
    for item in fields:
        names.update(label_map(item.children) if item.kind == "group" else {item.name: item.label})
    return names


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


def form_values(form: FormData) -> dict[str, Any]:
    """What was typed, to fill the form in again (a repeated name keeps every value)."""
    values: dict[str, Any] = {}
    for key in form:
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = items if len(items) > 1 else (items[0] if items else "")
    return values


# --- Home and the self-check ---------------------------------------------------------------


@router.api_route("/", methods=["GET", "HEAD"])
def home(request: Request, templates: TemplatesDep) -> Response:
    return render(templates, request, "index.html")


SCREENING_FIELDS = forms.fields_of(screening.ScreeningInput, labels=screening.QUESTION_TEXT)


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


def _check_form(
    request: Request,
    templates: Any,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    status: int = 200,
) -> Response:
    return render(
        templates,
        request,
        "check.html",
        {
            "groups": _screening_groups(),
            "values": values,
            "errors": errors,
            "names": SCREENING_NAMES,
        },
        status=status,
    )


@router.api_route("/check", methods=["GET", "HEAD"])
def check_form(request: Request, templates: TemplatesDep) -> Response:
    return _check_form(request, templates, {}, {})


@router.post("/check")
async def check_result(request: Request, templates: TemplatesDep) -> Response:
    form = await request.form()
    values = form_values(form)
    errors: dict[str, str] = {}
    zip_code = str(form.get("zip") or "").strip()
    if zip_code and not (len(zip_code) == 5 and zip_code.isdigit()):
        errors["zip"] = "Enter a US ZIP code of 5 digits, such as 02139, or leave it blank."
    result = None
    try:
        result = screening.screen(
            parse_input(screening.ScreeningInput, forms.form_data(SCREENING_FIELDS, form))
        )
    except InputError as exc:
        errors.update(field_messages(exc.problems, names=SCREENING_NAMES))
    if errors or result is None:
        return _check_form(request, templates, values, errors, status=422)
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
            "zip": zip_code,
            "answers": screening_answers(values),
            "made_on": datetime.date.today(),
        },
    )


ANSWER_WORDS = {"yes": "Yes", "no": "No", "unknown": "I don't know", "": "Not answered"}


def screening_answers(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each self-check question and the answer given, in the form's order, for the printable
    summary (nothing is kept: the page is made from the answers just sent)."""
    shown: list[tuple[str, str]] = []
    for _, _, fields in _screening_groups():
        for f in fields:
            raw = str(values.get(f.name, "") or "")
            if f.kind in ("tri", "bool"):
                text = ANSWER_WORDS.get(raw or "unknown", raw)
            elif f.kind == "choice":
                text = CHOICE_LABELS.get(raw, forms.humanize(raw)) if raw else "I don't know"
            elif raw:
                text = {"age": f"{raw} years", "pain_days": f"{raw} days"}.get(f.name, raw)
                if f.name == "pain_nrs":
                    text = f"{raw} out of 10"
            else:
                text = "Not answered"
            shown.append((f.label, text))
    return shown


# --- Learn ----------------------------------------------------------------------------------


@router.api_route("/learn", methods=["GET", "HEAD"])
def learn_index(request: Request, templates: TemplatesDep) -> Response:
    return render(
        templates, request, "learn_index.html", {"topics": TOPICS, "disclaimer": DISCLAIMER}
    )


@router.api_route("/learn/references", methods=["GET", "HEAD"])
def learn_references(request: Request, templates: TemplatesDep) -> Response:
    return render(
        templates,
        request,
        "references.html",
        {
            "seed": [r for r in REFERENCES if r.seed],
            "added": [r for r in REFERENCES if not r.seed],
        },
    )


@router.api_route("/learn/{slug}", methods=["GET", "HEAD"])
def learn_topic(request: Request, slug: str, templates: TemplatesDep) -> Response:
    found = topic(slug)
    if found is None:
        return error_page(
            request, 404, "Page not found", f"There is no Learn page called “{slug}”."
        )
    position = [t.slug for t in TOPICS].index(found.slug)
    return render(
        templates,
        request,
        "learn_topic.html",
        {
            "topic": found,
            "disclaimer": DISCLAIMER,
            "previous": TOPICS[position - 1] if position > 0 else None,
            "next": TOPICS[position + 1] if position + 1 < len(TOPICS) else None,
            "figure_steps": FIGURE_STEPS.get(found.figure.src, ()) if found.figure else (),
        },
    )


# --- Find a specialist ----------------------------------------------------------------------


FIND_NAMES = {
    "zip": "ZIP code",
    "radius": "Distance",
    "specialty": "Specialties",
    "name": "Name",
    "sort": "Order",
}
SORT_ORDERS = {"distance": "Nearest first", "volume": "Most kyphoplasty procedures first"}


def _directory_facts(directory: Directory) -> Any:
    """The loaded directory's facts (demo or not, Medicare year), or None when none is read."""
    from spinefx.directory.store import directory_facts

    try:
        return directory_facts(directory)
    except DataError:
        return None


@router.api_route("/find", methods=["GET", "HEAD"])
def find(request: Request, directory: DirectoryDep, templates: TemplatesDep) -> Response:
    from spinefx.directory.geo import UnknownZip
    from spinefx.directory.places import result_places, town_of
    from spinefx.directory.search import VOLUME_NOTE
    from spinefx.directory.taxonomy import BKP_SPECIALTIES, SPECIALTIES
    from spinefx.web.results_map import map_extent, results_map_svg
    from spinefx.web.routes.api import search_data, search_directory

    params = request.query_params
    chosen = [s for s in params.getlist("specialty") if s] or list(BKP_SPECIALTIES)
    context: dict[str, Any] = {
        "specialties": SPECIALTIES,
        "chosen": chosen,
        "radii": FIND_RADII,
        "sorts": SORT_ORDERS,
        "zip": params.get("zip", ""),
        "radius": params.get("radius", "25"),
        "sort": params.get("sort", "distance"),
        "name": params.get("name", ""),
        "performs_bkp": params.get("performs_bkp", "") in ("true", "1", "on", "yes"),
        "errors": {},
        "directory_state": directory.state(),
        "volume_note": VOLUME_NOTE,
        "result": None,
        "suggestions": [],
        "facts": None,
    }
    if "zip" not in params:
        return render(templates, request, "find.html", context)
    status = 200
    try:
        result = search_directory(directory, search_data(params))
    except InputError as exc:
        context["errors"] = field_messages(exc.problems, names=FIND_NAMES)
        if isinstance(exc, UnknownZip):
            context["errors"]["zip"] = (
                f"We do not know the ZIP code {exc.value}. Check it, or choose one below."
            )
            context["suggestions"] = [
                (s, town_of(s), "/find?" + _find_query(params, zip=s, offset=None))
                for s in exc.suggestions
            ]
        elif "zip" in context["errors"]:
            context["errors"]["zip"] = (
                "Enter a US ZIP code of 5 digits, such as 02139 (ZIP+4 such as 02139-4307 "
                "works too)."
            )
        status = 422
    except DataError as exc:
        context["directory_state"] = (
            "not-loaded" if isinstance(exc, DirectoryNotLoaded) else "damaged"
        )
        status = 503
    else:
        context["result"] = result
        context["facts"] = _directory_facts(directory)
        q = result.query
        context["town"] = town_of(q.zip)
        shown_to = q.offset + len(result.results)
        context["shown"] = (q.offset + 1 if result.results else 0, shown_to)
        places = result_places(
            q.zip, ((q.offset + i + 1, hit.zip) for i, hit in enumerate(result.results))
        )
        if places:
            context["map_miles"] = map_extent(places, q.radius)
            context["map_svg"] = results_map_svg(
                places, context["map_miles"], context["town"] or "", q.zip
            )
        context["back_query"] = urlencode({"back": "/find?" + _find_query(params)})
        context["sort_urls"] = {
            key: "/find?" + _find_query(params, sort=key, offset=None) for key in SORT_ORDERS
        }
        if q.offset > 0:
            context["previous_url"] = "/find?" + _find_query(
                params, offset=max(0, q.offset - q.limit) or None
            )
        if shown_to < result.total:
            context["next_url"] = "/find?" + _find_query(params, offset=shown_to)
    return render(templates, request, "find.html", context, status=status)


@router.api_route("/find/provider/{npi}", methods=["GET", "HEAD"])
def find_provider(
    request: Request, npi: str, directory: DirectoryDep, templates: TemplatesDep
) -> Response:
    from spinefx.directory.search import provider_info
    from spinefx.directory.taxonomy import SPECIALTIES
    from spinefx.directory.utilization import BKP_CODES, CODE_NAMES

    try:
        detail = provider_info(directory, npi)
    except InputError:
        return error_page(
            request,
            404,
            "Provider not found",
            "The specialist directory has no provider with this NPI. Search again from the "
            "Find a specialist page.",
        )
    except DataError:
        return error_page(
            request,
            503,
            "The specialist directory is not available",
            "The directory is not loaded or cannot be read. Whoever runs this site can load "
            "it again with spinefx directory demo or spinefx directory ingest.",
        )
    back = request.query_params.get("back", "")
    # Only a search page of this site may be the way back (never another address).
    back_url = back if back.startswith("/find?") else "/find"
    searched = parse_qs(urlsplit(back_url).query).get("zip", [""])[0]
    origin, miles = _miles_from(searched, [detail.zip, *(loc.zip for loc in detail.locations)])
    return render(
        templates,
        request,
        "provider.html",
        {
            "p": detail,
            "facts": _directory_facts(directory),
            "specialties": SPECIALTIES,
            "code_names": CODE_NAMES,
            "bkp_codes": BKP_CODES,
            "back_url": back_url,
            # The searched ZIP code, and each practice location's miles from it (the main one
            # first), as the search measures them: between ZIP centres.
            "origin_zip": origin,
            "miles": miles,
        },
    )


def _miles_from(searched: str, zips: list[str | None]) -> tuple[str | None, list[float | None]]:
    """The searched ZIP code (five digits) and the miles from it to each of ``zips`` (``None``
    for one without a known position); no ZIP code and no miles when the search had none."""
    from spinefx.directory.geo import centroid, haversine_miles, parse_zip

    try:
        origin = parse_zip(searched)
    except InputError:
        return None, [None] * len(zips)
    miles: list[float | None] = []
    for code in zips:
        place = centroid(code) if code else None
        miles.append(
            None
            if place is None
            else round(haversine_miles(origin.lat, origin.lon, place.lat, place.lon), 1)
        )
    return origin.zip, miles


def _find_query(params: Any, **changes: Any) -> str:
    """The query string of ``params`` with ``changes`` applied in place (None removes a key)."""
    items: list[tuple[str, str]] = []
    done: set[str] = set()
    for key, value in params.multi_items():
        if key not in changes:
            items.append((key, value))
        elif key not in done:
            done.add(key)
            if changes[key] is not None:
                items.append((key, str(changes[key])))
    items += [(k, str(v)) for k, v in changes.items() if k not in done and v is not None]
    return urlencode(items)


# --- Clinician tools ------------------------------------------------------------------------


@router.api_route("/clinician", methods=["GET", "HEAD"])
def clinician(request: Request, templates: TemplatesDep) -> Response:
    return render(templates, request, "clinician.html")


def _grading_form(
    request: Request,
    templates: Any,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    status: int = 200,
    **extra: Any,
) -> Response:
    return render(
        templates,
        request,
        "grading.html",
        {
            "levels": GRADING_FORM_LEVELS,
            "heights": HEIGHT_NAMES,
            "values": values,
            "errors": errors,
            "names": GRADING_NAMES,
            **extra,
        },
        status=status,
    )


@router.api_route("/clinician/grading", methods=["GET", "HEAD"])
def grading_form(request: Request, templates: TemplatesDep) -> Response:
    return _grading_form(request, templates, {}, {})


@router.post("/clinician/grading")
async def grading_result(request: Request, templates: TemplatesDep) -> Response:
    form = await request.form()
    values = form_values(form)
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
        return _grading_form(request, templates, values, both, status=422)
    if not vertebrae and not entered:
        errors = {
            "(input)": "Enter the three heights of at least one vertebra, or its height loss in %."
        }
        return _grading_form(request, templates, values, errors, status=422)
    data = {"vertebrae": vertebrae, "entered": entered}
    try:
        result = morphometry.grade(parse_input(morphometry.GradingInput, data))
    except InputError as exc:
        return _grading_form(
            request,
            templates,
            values,
            field_messages(exc.problems, rename, GRADING_NAMES),
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
    return _grading_form(
        request,
        templates,
        values,
        {},
        save_input=_save_input(data, morphometry.GradingInput),
        result=result,
        svg=lateral_spine_svg(bodies),
        labels=morphometry.GENANT_GRADE_LABELS,
        summary=summary,
        headline=morphometry.headline(result),
        candidacy_prefill=candidacy_prefill,
        followup_prefill=followup_prefill,
        prefill_name=PREFILL,
    )


def _json(inp: BaseModel) -> str:
    """A tool's validated input as JSON, for the "save to a registry case" form (a hidden field)."""
    return json.dumps(inp.model_dump(mode="json"), separators=(",", ":"))


def _save_input(data: dict[str, Any], model: type[BaseModel]) -> str:
    return _json(parse_input(model, data))


CANDIDACY_FIELDS = clinician_words.in_clinical_words(
    forms.fields_of(candidacy.CandidacyInput),
    clinician_words.CANDIDACY_LABELS,
    clinician_words.CANDIDACY_HELP,
    choices={"levels": clinician_words.TREATABLE_LEVELS},
)
FOLLOWUP_FIELDS = clinician_words.in_clinical_words(
    forms.fields_of(followup.FollowupInput),
    clinician_words.FOLLOWUP_LABELS,
    clinician_words.FOLLOWUP_HELP,
)


def _rule_page(
    request: Request,
    templates: Any,
    name: str,
    fields: tuple[forms.FormField, ...],
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    status: int = 200,
    **extra: Any,
) -> Response:
    return render(
        templates,
        request,
        name,
        {"fields": fields, "values": values, "errors": errors, "names": label_map(fields), **extra},
        status=status,
    )


async def _rule_form_result(
    request: Request,
    templates: Any,
    name: str,
    fields: tuple[forms.FormField, ...],
    model: type[ModelT],
    shown: Callable[[ModelT], dict[str, Any]],
) -> Response:
    """Read a clinician form into ``model``: the result, or the form again with messages (422).

    A form carrying :data:`PREFILL` (sent from another tool's result) comes back filled in.
    """
    form = await request.form()
    values = form_values(form)
    if PREFILL in form:
        values.pop(PREFILL, None)
        return _rule_page(request, templates, name, fields, values, {}, prefilled=True)
    try:
        inp = parse_input(model, forms.form_data(fields, form))
    except InputError as exc:
        return _rule_page(
            request,
            templates,
            name,
            fields,
            values,
            field_messages(exc.problems, names=label_map(fields)),
            status=422,
        )
    return _rule_page(
        request, templates, name, fields, values, {}, save_input=_json(inp), **shown(inp)
    )


def candidacy_rows(criteria: Any) -> list[tuple[Any, str, int, str]]:
    """(criterion, words, depth, shown status) in reading order: each whole, then its parts.

    A part not met inside a whole that is met shows as ``not-needed`` (another alternative
    carried it), not as a failure.
    """
    by_id = {c.id: c for c in criteria}
    parts = clinician_words.CANDIDACY_PARTS
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
    return _rule_page(request, templates, "candidacy.html", CANDIDACY_FIELDS, {}, {})


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

    return await _rule_form_result(
        request, templates, "candidacy.html", CANDIDACY_FIELDS, candidacy.CandidacyInput, shown
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
    return _rule_page(request, templates, "followup.html", FOLLOWUP_FIELDS, {}, {})


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

    return await _rule_form_result(
        request, templates, "followup.html", FOLLOWUP_FIELDS, followup.FollowupInput, shown
    )
