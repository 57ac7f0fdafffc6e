"""Plain HTML forms over the rule input models, so that every page works without JavaScript.

:func:`fields_of` describes each field of a pydantic model as a :class:`FormField` (the widget
to draw, its choices and bounds); :func:`form_data` turns the submitted form back into the JSON
value the model reads, so the same :func:`spinefx.validation.parse_input` (and the same error
wording) serves the CLI, the API and the pages.

Form names are the JSON field names; a nested model's fields are dotted
(``red_flags.fever``), which is also the ``field`` an input error names. Element ids replace the
dots with dashes (``red_flags-fever``), and a radio button adds its value
(``red_flags-fever-yes``). Yes/no questions that may be unanswered use the values ``yes``,
``no`` and ``unknown`` (the default: an unanswered question is unknown, never "no"). A list of
choices that may be unknown has an extra checkbox, ``_none`` ("None of these"): nothing
checked means not known, ``_none`` alone means known to be empty.

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
>>> plain_message(problem("fracture_date", "date", kind=ProblemKind.TYPE), "Date of the fracture")
'Enter the date of the fracture as a real date (month, day, year), as the date box shows it.'
"""

from __future__ import annotations

import datetime
import enum
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel
from starlette.datastructures import FormData

from spinefx.errors import FieldProblem
from spinefx.validation import parse_int_text, parse_number_text

__all__ = [
    "FormField",
    "Kind",
    "convert",
    "dom_id",
    "field_messages",
    "fields_of",
    "form_data",
    "form_values",
    "humanize",
    "label_map",
    "plain_message",
]

Kind = Literal["tri", "bool", "int", "float", "choice", "multi", "date", "text", "group"]

YES, NO, UNKNOWN = "yes", "no", "unknown"
NONE_OF_THESE = "_none"  # the checkbox that says a nullable list is known to be empty

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
    """One input: its form ``name``, label, widget ``kind``, and what it accepts."""

    name: str
    label: str
    kind: Kind
    nullable: bool = True
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""
    children: tuple[FormField, ...] = field(default=())
    min_items: int = 0  # for a list: the fewest choices allowed

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
    prefix: str = "",
) -> tuple[FormField, ...]:
    """Describe every field of ``model`` (labels: bare field name -> question text)."""
    labels = labels or {}
    described: list[FormField] = []
    for name, info in model.model_fields.items():
        full = f"{prefix}{name}"
        annotation, nullable = _strip_none(info.annotation)
        annotation, meta = _unwrap(annotation)
        metadata = [*info.metadata, *meta]
        label = labels.get(name) or info.title or humanize(name)
        help_text = info.description or ""
        kind, choices = _kind(annotation)
        if kind == "group":
            children = fields_of(annotation, labels=labels, prefix=f"{full}.")
            described.append(
                FormField(full, label, "group", nullable, help=help_text, children=children)
            )
            continue
        low, high = _bounds(metadata)
        min_items = max(
            (m.min_length for m in metadata if isinstance(m, annotated_types.MinLen)), default=0
        )
        described.append(
            FormField(
                full,
                label,
                kind,
                nullable or not info.is_required(),
                choices,
                low,
                high,
                help_text,
                min_items=min_items,
            )
        )
    return tuple(described)


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
        if raw == "" or (item.kind in ("tri", "bool") and raw == UNKNOWN):
            continue
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
    if kind in ("tri", "bool"):
        return {YES: True, NO: False}.get(raw, raw)
    if kind == "int":  # ASCII digits only: int() would also read "١٢" or "1_0"
        whole = parse_int_text(raw)
        return raw if whole is None else whole
    if kind == "float":
        number = parse_number_text(raw)
        return raw if number is None else number
    return raw


def _strip_none(annotation: Any) -> tuple[Any, bool]:
    annotation, _ = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0], len(rest) < len(args)
    return annotation, False


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    metadata: list[Any] = []
    while typing.get_origin(annotation) is typing.Annotated:
        annotation, *meta = typing.get_args(annotation)
        metadata.extend(meta)
    return annotation, metadata


def _kind(annotation: Any) -> tuple[Kind, tuple[str, ...]]:
    annotation, _ = _strip_none(annotation)
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return "tri", ()
    if origin is typing.Literal:
        return "choice", tuple(str(v) for v in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "choice", tuple(str(m.value) for m in annotation)
    if origin in (list, tuple, set, frozenset):
        args = typing.get_args(annotation)
        inner_kind, inner_choices = _kind(args[0]) if args else ("text", ())
        if inner_kind == "choice":
            return "multi", inner_choices
        return "text", ()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "group", ()
    if annotation is int:
        return "int", ()
    if annotation is float:
        return "float", ()
    if annotation is datetime.date:
        return "date", ()
    return "text", ()


def _bounds(metadata: list[Any]) -> tuple[float | None, float | None]:
    """A number field's bounds (a date field's are checked by the model, not the form)."""
    low = high = None
    for item in metadata:
        for part in item if isinstance(item, annotated_types.Interval) else [item]:
            if isinstance(part, annotated_types.Ge | annotated_types.Gt):
                low = getattr(part, "ge", getattr(part, "gt", None))
            elif isinstance(part, annotated_types.Le | annotated_types.Lt):
                high = getattr(part, "le", getattr(part, "lt", None))
    return (
        float(low) if isinstance(low, int | float) else None,
        float(high) if isinstance(high, int | float) else None,
    )


def form_values(form: FormData) -> dict[str, Any]:
    """What was typed, to fill the form in again (a repeated name keeps every value)."""
    values: dict[str, Any] = {}
    for key in form:
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = items if len(items) > 1 else (items[0] if items else "")
    return values


def label_map(fields: tuple[FormField, ...]) -> dict[str, str]:
    """Form name -> label, for the error summary at the top of a form."""
    names: dict[str, str] = {}
    for item in fields:
        names.update(label_map(item.children) if item.kind == "group" else {item.name: item.label})
    return names


# --- messages in plain words ----------------------------------------------------------------


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


# Fields whose message reads better said outright ({low} and {high} are the range).
_SAID_OUTRIGHT = {
    "age": "Enter your age in years, from {low} to {high}.",
    "pain_nrs": "Choose how bad the pain is, from {low} (no pain) to {high} (the worst).",
}


def _what(label: str) -> str:
    """The label as the object of "Enter ...": "Your age" -> "your age"."""
    text = label.strip().rstrip("?:")
    if text[:2].isupper():
        return text  # an abbreviation such as "RDQ score" keeps its capitals
    return text[:1].lower() + text[1:]


def plain_message(problem: FieldProblem, label: str) -> str:
    """What to do about a refused answer (its field labelled ``label``), in plain words.

    The words follow what the field takes (``expects``, ``bounds``, ``choices``); a rule of our
    own (no such data) is told as its ``allowed`` says.
    """
    name = problem.field.rsplit(".", 1)[-1]
    what = _what(label or name.replace("_", " "))
    bounds = problem.bounds
    if problem.expects in ("integer", "number") and bounds is not None:
        number = "a whole number" if problem.expects == "integer" else "a number"
        low, high = bounds.low, bounds.high
        if low is not None and high is not None and not (bounds.low_open or bounds.high_open):
            if name in _SAID_OUTRIGHT:
                return _SAID_OUTRIGHT[name].format(low=low, high=high)
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
