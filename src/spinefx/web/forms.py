"""Plain HTML forms over the input models, so that every page works without JavaScript.

One machinery for every form, the patients', the clinicians' and the registry's:
:func:`fields_of` describes each field of a pydantic model as a :class:`FormField` (the widget
to draw, its choices and bounds), read from the model's JSON Schema
(:func:`spinefx.validation.model_spec`, which also words every "allowed"); :func:`form_data`
turns the submitted form back into the JSON value the model reads, so the same validation (and
the same error wording) serves the CLI, the API and the pages. :func:`form_values` is what was
typed, to show the form again; :func:`values_of` what a stored record shows.

Form names are the JSON field names; a nested model's fields are dotted (``red_flags.fever``),
which is also the ``field`` an input error names. Element ids replace the dots with dashes
(``red_flags-fever``), and a radio button adds its value (``red_flags-fever-yes``). Yes/no
questions that may be unanswered use the values ``yes``, ``no`` and ``unknown`` (the default: an
unanswered question is unknown, never "no"). A list of choices that may be unknown has an extra
checkbox, ``_none`` ("None of these"): nothing checked means not known, ``_none`` alone means
known to be empty. A blank field is left out (the model's default, or missing).

The widgets (:data:`Kind`): ``tri`` yes/no/unknown; ``choice`` one of the choices; ``multi``
checkboxes; ``int`` and ``float`` numbers; ``date``; ``text``, ``textarea`` (text of more than
:data:`TEXTAREA_OVER` characters) and ``password``; ``group`` a nested model; and two kinds
typed as text: ``list`` (choices separated by commas, such as levels ``L1, L2``) and
``mapping`` (``key: number`` pairs, such as cement volumes ``L1: 4.5, L2: 3``).

A refused answer is told in plain words (:func:`plain_message`), worded from what the field
takes (the :class:`~spinefx.errors.FieldProblem`'s sort of value, bounds and choices), never
from the core's English:

>>> from spinefx.errors import Bounds, FieldProblem, ProblemKind
>>> def problem(field, expects, low=None, high=None, kind=ProblemKind.RANGE):
...     return FieldProblem(field, 0, "...", kind, expects, Bounds(low, high))
>>> plain_message(problem("age", "integer", 18, 120), "Your age")
'Enter your age in years, from 18 to 120.'
>>> plain_message(problem("pain_days", "integer", 0, 3650), "How many days")
'Enter how many days as a whole number from 0 to 3650.'
>>> plain_message(problem("pain_days", "number", 0), "How many days")
'Enter how many days as a number of 0 or more.'
>>> plain_message(problem("age", "integer", 18, 120), "The patient's age (years)")
"Enter the patient's age in years, from 18 to 120."
>>> convert("float", "27,5"), convert("float", "1,000")
(27.5, '1,000')
>>> plain_message(problem("fracture_date", "date", kind=ProblemKind.TYPE), "Date of the fracture")
'Enter the date of the fracture as a real date (month, day, year), as the date box shows it.'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pydantic import BaseModel
from starlette.datastructures import FormData

from spinefx.errors import FieldProblem, InputError, ProblemKind
from spinefx.validation import FieldSpec, model_spec, parse_int_text, parse_number_text

__all__ = [
    "TEXTAREA_OVER",
    "FormField",
    "Kind",
    "convert",
    "dom_id",
    "field_messages",
    "fields_of",
    "form_data",
    "form_errors",
    "form_values",
    "form_words",
    "humanize",
    "label_map",
    "plain_message",
    "values_of",
]

Kind = Literal[
    "tri",
    "choice",
    "multi",
    "int",
    "float",
    "date",
    "text",
    "textarea",
    "password",
    "group",
    "list",
    "mapping",
]

YES, NO, UNKNOWN = "yes", "no", "unknown"
NONE_OF_THESE = "_none"  # the checkbox that says a nullable list is known to be empty
TEXTAREA_OVER = 200  # text that may be longer than this many characters gets a text area

_WORDS = {
    "nrs": "NRS",
    "rdq": "RDQ",
    "egfr": "eGFR",
    "bmd": "BMD",
    "pct": "%",
    "iu": "IU",
    "mg": "mg",
    "fls": "FLS",
    "t1": "T1",
    "l5": "L5",
}


def humanize(name: str) -> str:
    """``pain_nrs`` -> ``Pain NRS``; ``height-loss`` -> ``Height loss``; ``egfr`` -> ``eGFR``.

    The first word gets a capital letter unless it comes from the table of spelled words.
    """
    parts = [w for w in re.split(r"[_\-\s]+", name) if w]
    words = [_WORDS.get(w, w) for w in parts]
    text = " ".join(words)
    if parts and parts[0] in _WORDS:
        return text
    return text[:1].upper() + text[1:]


def dom_id(name: str) -> str:
    """The element id for a form name: dots and brackets become dashes."""
    return re.sub(r"[^A-Za-z0-9_\-]+", "-", name).strip("-")


@dataclass(frozen=True)
class FormField:
    """One input: its form ``name``, label, widget ``kind``, and what it accepts.

    ``choices`` are (value, words) pairs; ``hint`` says what a ``list`` or ``mapping`` typed as
    text looks like, for the message when it cannot be read.
    """

    name: str
    label: str
    kind: Kind
    nullable: bool = True
    choices: tuple[tuple[str, str], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""
    children: tuple[FormField, ...] = field(default=())
    min_items: int = 0  # for a list: the fewest choices allowed
    hint: str = ""

    @property
    def required(self) -> bool:
        return not self.nullable

    @property
    def offers_none(self) -> bool:
        """A list that may be unknown and may be empty gets a "None of these" box."""
        return self.kind == "multi" and self.nullable and self.min_items == 0

    @property
    def id(self) -> str:
        return dom_id(self.name)


def fields_of(
    model: type[BaseModel],
    *,
    labels: Mapping[str, str] | None = None,
    helps: Mapping[str, str] | None = None,
    words: Callable[[str], str] = humanize,
    widgets: Mapping[str, Kind] | None = None,
    hints: Mapping[str, str] | None = None,
    exclude: Collection[str] = (),
    required: Collection[str] = (),
) -> tuple[FormField, ...]:
    """Describe every field of ``model`` as a form shows it, from the model's JSON Schema.

    ``labels`` and ``helps`` (bare field name -> words) win over the model's own title and
    description, else the humanized name; ``words`` names each choice; ``widgets`` draws a field
    otherwise than its type says (a list of choices typed as ``list`` text, a bounded integer
    as a ``choice``); ``exclude`` leaves fields out; ``required`` marks fields the form needs
    even where the model has a default.
    """
    how = _How(labels or {}, helps or {}, words, widgets or {}, hints or {}, required)
    return tuple(
        how.field(spec, "") for spec in model_spec(model).fields if spec.name not in exclude
    )


@dataclass(frozen=True)
class _How:
    labels: Mapping[str, str]
    helps: Mapping[str, str]
    words: Callable[[str], str]
    widgets: Mapping[str, Kind]
    hints: Mapping[str, str]
    required: Collection[str]

    def field(self, spec: FieldSpec, prefix: str) -> FormField:
        name = prefix + spec.name
        label = self.labels.get(spec.name) or spec.title or humanize(spec.name)
        nullable = (spec.nullable or not spec.required) and spec.name not in self.required
        base = FormField(
            name, label, "text", nullable, help=self.helps.get(spec.name, spec.description)
        )
        if spec.expects == "object":
            children = tuple(self.field(child, f"{name}.") for child in spec.fields)
            return replace(base, kind="group", children=children)
        kind = self.widgets.get(spec.name) or _kind(spec)
        values = spec.item.choices if spec.expects == "list" and spec.item else spec.choices
        if kind == "choice" and not values and spec.bounds is not None:  # a small whole number
            values = tuple(range(int(spec.bounds.low), int(spec.bounds.high) + 1))
        choices = tuple((str(v), self.words(str(v))) for v in values)
        low = spec.bounds.low if spec.bounds else None
        high = spec.bounds.high if spec.bounds else None
        return replace(
            base,
            kind=kind,
            choices=choices,
            minimum=float(low) if isinstance(low, int | float) else None,
            maximum=float(high) if isinstance(high, int | float) else None,
            min_items=int(spec.length.low or 0) if spec.length and spec.expects == "list" else 0,
            hint=self.hints.get(spec.name, ""),
        )


def _kind(spec: FieldSpec) -> Kind:
    """The widget a field's type calls for."""
    if spec.choices:
        return "choice"
    if spec.expects == "list":
        return "multi" if spec.item is not None and spec.item.choices else "text"
    if spec.expects == "text" and spec.length and (spec.length.high or 0) > TEXTAREA_OVER:
        return "textarea"
    kinds: dict[str, Kind] = {
        "boolean": "tri",
        "integer": "int",
        "number": "float",
        "date": "date",
        "mapping": "mapping",
    }
    return kinds.get(spec.expects, "text")


# --- what was sent, what is shown -----------------------------------------------------------


def form_data(fields: tuple[FormField, ...], form: FormData | Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object for ``fields`` from a submitted form (blank or unknown -> left out).

    A value that cannot be converted is passed on as the text typed, so that validation names
    the field and echoes exactly what was given.
    """
    data: dict[str, Any] = {}
    for item in fields:
        key = item.name.rsplit(".", 1)[-1]
        if item.kind == "group":
            inner = form_data(item.children, form)
            if inner:
                data[key] = inner
            continue
        if item.kind == "multi":
            values = _getlist(form, item.name)
            chosen = [v for v in values if v != NONE_OF_THESE]
            if chosen:  # a choice outranks "none of these": never lose a checked item
                data[key] = chosen
            elif values:
                data[key] = []
            continue
        raw = form.get(item.name)
        if raw is None or not isinstance(raw, str):
            continue
        raw = raw.strip()
        if raw == "" or (item.kind == "tri" and raw == UNKNOWN):
            continue
        if item.kind == "list":
            data[key] = _typed_list(item, raw)
        elif item.kind == "mapping":
            data[key] = _typed_mapping(item, raw)
        else:
            data[key] = convert(item.kind, raw)
    return data


def _getlist(form: FormData | Mapping[str, Any], name: str) -> list[str]:
    if isinstance(form, FormData):
        return [v for v in form.getlist(name) if isinstance(v, str) and v]
    value = form.get(name)
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v]


def convert(kind: Kind, raw: str) -> Any:
    if kind == "tri":
        return {YES: True, NO: False}.get(raw, raw)
    if kind == "int":  # ASCII digits only: int() would also read "١٢" or "1_0"
        whole = parse_int_text(raw)
        return raw if whole is None else whole
    if kind == "float":
        number = parse_number_text(raw)
        if number is None and _DECIMAL_COMMA.fullmatch(raw.strip()):
            number = parse_number_text(raw.strip().replace(",", "."))  # 27,5 is 27.5
        return raw if number is None else number
    return raw


# A decimal comma, as much of the world writes 27.5: one or two digits after it, so that a
# thousands separator (1,000) is never read as a decimal (it is refused, with a word on commas).
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]{1,2}")


def _typed_list(item: FormField, raw: str) -> list[str]:
    """``L1, l2; T12`` -> ``["L1", "L2", "T12"]``: each part as the choice it names, in any
    case (a part that names none is kept as typed, for validation to refuse)."""
    by_case = {value.casefold(): value for value, _ in item.choices}
    return [by_case.get(part.casefold(), part) for part in re.split(r"[,;\s]+", raw) if part]


# A key such as L1, then a number, then perhaps "ml" (the only unit a mapping takes now: cement
# volumes; any other word is refused rather than read as millilitres).
_PAIR = re.compile(r"\s*([A-Za-z]+\d+)\s*[:=]?\s*([0-9]+(?:\.[0-9]+)?)\s*(?:ml)?\s*")


def _typed_mapping(item: FormField, raw: str) -> dict[str, str]:
    """``L1: 4.5, l2=3 ml`` -> ``{"L1": "4.5", "L2": "3"}`` (keys in upper case); text that is
    no such pairs is refused."""
    pairs: dict[str, str] = {}
    for part in (p for p in re.split(r"[,;]", raw) if p.strip()):
        match = _PAIR.fullmatch(part)
        if match is None:
            raise InputError(
                item.name, raw, item.hint or "pairs such as A1: 2", kind=ProblemKind.FORMAT
            )
        pairs[match.group(1).upper()] = match.group(2)
    return pairs


def form_values(form: FormData, fields: tuple[FormField, ...] = ()) -> dict[str, Any]:
    """What was typed, to fill the form in again: a repeated name keeps every value, and so
    does each ``multi`` field of ``fields`` (a list even of one)."""
    lists = {f.name for f in fields if f.kind == "multi"}
    values: dict[str, Any] = {}
    for key in form:
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = items if len(items) > 1 or key in lists else (items[0] if items else "")
    return values


def values_of(fields: tuple[FormField, ...], record: Any) -> dict[str, Any]:
    """What the form shows for a stored record (its attributes named as the fields)."""
    values: dict[str, Any] = {}
    for item in fields:
        value = getattr(record, item.name, None)
        if value is None:
            values[item.name] = ""
        elif item.kind == "list":
            values[item.name] = ", ".join(str(v) for v in value)
        elif item.kind == "mapping":
            values[item.name] = ", ".join(f"{k}: {v:g}" for k, v in dict(value).items())
        elif item.kind == "multi":
            values[item.name] = [str(v) for v in value]
        elif item.kind in ("int", "float"):
            values[item.name] = f"{value:g}"
        else:
            values[item.name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return values


def label_map(fields: tuple[FormField, ...]) -> dict[str, str]:
    """Form name -> label, for the error summary at the top of a form."""
    names: dict[str, str] = {}
    for item in fields:
        names.update(label_map(item.children) if item.kind == "group" else {item.name: item.label})
    return names


# --- messages ---------------------------------------------------------------------------------


def form_errors(problems: tuple[FieldProblem, ...], names: Mapping[str, str]) -> dict[str, str]:
    """Field name -> "Allowed: ..." (the registry's user forms, for its staff); a problem inside a
    field (``levels[1]``) goes to that field, one of no field of the form to the form."""
    errors: dict[str, str] = {}
    for problem in problems:
        key = problem.top if problem.top in names else "(input)"
        text = f"Allowed: {problem.allowed}."
        if key == "(input)" and problem.field not in ("(input)", ""):
            text = f"{problem.field}: {text}"
        errors.setdefault(key, text)
    return errors


def form_words(problems: tuple[FieldProblem, ...], names: Mapping[str, str]) -> dict[str, str]:
    """Field name -> what to do, in the form's own words (the registry's case forms): its label, a
    choice to make ("Choose an event."), a range ("RDQ score: 0 to 24."), a date as the date box
    shows it (month/day/year). A problem inside a field (``levels[1]``) goes to that field, one
    of no field of the form to the form.

    >>> from spinefx.errors import Bounds, FieldProblem, ProblemKind
    >>> form_words((FieldProblem("type", "", "...", ProblemKind.MISSING, "text",
    ...     choices=("dxa",)),), {"type": "Event"})
    {'type': 'Choose an event.'}
    >>> form_words((FieldProblem("score", 30, "...", ProblemKind.RANGE, "integer",
    ...     Bounds(0, 24)),), {"score": "RDQ score"})
    {'score': 'RDQ score: 0 to 24.'}
    >>> form_words((FieldProblem("date", "x", "...", ProblemKind.TYPE, "date",
    ...     Bounds("1900-01-01", "2199-12-31")),), {"date": "Date"})
    {'date': 'Date: a real date as month/day/year, from 01/01/1900 to 12/31/2199.'}
    """
    errors: dict[str, str] = {}
    for problem in problems:
        key = problem.top if problem.top in names else "(input)"
        label = names.get(key) or humanize(problem.field)
        text = _form_words(problem, label, names)
        if key == "(input)" and problem.field not in ("(input)", ""):
            text = f"{problem.field}: {text}"
        errors.setdefault(key, text)
    return errors


_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _as_date_box(text: str) -> str:
    """ISO dates in ``text`` as the date box shows them (US: month/day/year)."""
    return _ISO_DAY.sub(lambda m: f"{m[2]}/{m[3]}/{m[1]}", text)


def _form_words(problem: FieldProblem, label: str, names: Mapping[str, str]) -> str:
    bounds = problem.bounds
    if problem.choices and problem.kind in (ProblemKind.MISSING, ProblemKind.CHOICE):
        what = label[:1].lower() + label[1:] if not label[:2].isupper() else label
        article = "an" if what[:1].lower() in "aeiou" else "a"
        return f"Choose {article} {what}."
    if problem.expects == "date" and problem.kind in (ProblemKind.MISSING, ProblemKind.TYPE):
        text = f"{label}: a real date as month/day/year"
        if bounds is not None and bounds.low is not None and bounds.high is not None:
            text += f", from {_as_date_box(str(bounds.low))} to {_as_date_box(str(bounds.high))}"
        return text + "."
    if problem.kind is ProblemKind.MISSING:
        return f"{label}: required."
    if problem.expects in ("integer", "number") and bounds is not None:
        low, high = bounds.low, bounds.high
        if low is not None and high is not None:
            if problem.kind is ProblemKind.TYPE and problem.expects == "integer":
                return f"{label}: a whole number from {low:g} to {high:g}."
            return f"{label}: {low:g} to {high:g}."
    allowed = problem.allowed.removesuffix(", or null").replace("null", "blank")
    for name, shown in names.items():  # "after birth_date" -> "after birth date"
        if "_" in name:
            allowed = re.sub(rf"\b{re.escape(name)}\b", shown.lower(), allowed)
    return f"{label}: {_as_date_box(allowed)}."


def field_messages(
    problems: tuple[FieldProblem, ...],
    rename: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Form name -> message in plain words for each problem (``(input)`` is the form as a
    whole); ``rename`` maps a field to its form name, ``names`` a form name to its label."""
    messages: dict[str, str] = {}
    for item in problems:
        name = (rename or {}).get(item.field, item.field)
        label = (names or {}).get(name, humanize(name.rsplit(".", 1)[-1]))
        messages.setdefault(name, plain_message(replace(item, field=name), label))
    return messages


# Fields whose message reads better said outright ({what} is the label, {low} and {high} the
# range): "Enter your age ..." on the self-check, "Enter the patient's age ..." for a clinician.
_SAID_OUTRIGHT = {
    "age": "Enter {what} in years, from {low} to {high}.",
    "pain_nrs": "Choose how bad the pain is, from {low} (no pain) to {high} (the worst).",
}


def _what(label: str) -> str:
    """The label as the object of "Enter ...": "Your age" -> "your age"; a unit in brackets
    at the end is left to the message ("The patient's age (years)" -> "the patient's age")."""
    text = re.sub(r"\s*\([^()]*\)$", "", label.strip().rstrip("?:"))
    if text[:2].isupper():
        return text  # an abbreviation such as "RDQ score" keeps its capitals
    return text[:1].lower() + text[1:]


def _comma_word(problem: FieldProblem) -> str:
    """A word on the decimal point, for a number typed with a comma that could not be read."""
    if problem.expects == "number" and isinstance(problem.value, str) and "," in problem.value:
        return " Use a point for decimals, such as 27.5."
    return ""


def plain_message(problem: FieldProblem, label: str) -> str:
    """What to do about a refused answer (its field labelled ``label``), in plain words.

    The words follow what the field takes (``expects``, ``bounds``, ``choices``); a rule of our
    own (no such data) is told as its ``allowed`` says. A number typed with a comma that could
    not be read as a decimal comma gets a word on the decimal point.
    """
    return _plain_message(problem, label) + _comma_word(problem)


def _plain_message(problem: FieldProblem, label: str) -> str:
    name = problem.field.rsplit(".", 1)[-1]
    what = _what(label or name.replace("_", " "))
    bounds = problem.bounds
    if problem.expects in ("integer", "number") and bounds is not None:
        number = "a whole number" if problem.expects == "integer" else "a number"
        low, high = bounds.low, bounds.high
        if low is not None and high is not None and not (bounds.low_open or bounds.high_open):
            if name in _SAID_OUTRIGHT:
                return _SAID_OUTRIGHT[name].format(what=what, low=low, high=high)
            return f"Enter {what} as {number} from {low} to {high}."
        if low is not None and high is None:
            if bounds.low_open:
                return f"Enter {what} as a number above {low}."
            return f"Enter {what} as {number} of {low} or more."
    if problem.expects == "date":
        the = what if what.startswith(("the ", "your ")) else "the " + what
        return f"Enter {the} as a real date (month, day, year), as the date box shows it."
    if problem.choices:
        return f"Choose one of the answers for {what}."
    if problem.expects == "boolean":
        return f"Choose an answer for {what}."
    if problem.expects == "list":
        return f"Tick the boxes that apply for {what}."
    allowed = problem.allowed.removesuffix(", or null")
    cleaned = allowed.replace("an integer", "a whole number").replace("null", "blank")
    return f"Check {what}: it should be {cleaned}."
