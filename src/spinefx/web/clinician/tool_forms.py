"""What the clinician tools' pages share: a tool's form page, reading it into the rule's input,
and the carried answers of one tool's result into the next tool."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel
from starlette.responses import Response

from spinefx.errors import InputError
from spinefx.validation import parse_input
from spinefx.web import forms
from spinefx.web.templating import FormPage

__all__ = [
    "PREFILL",
    "input_json",
    "query_values",
    "rule_form_result",
    "rule_page",
    "saved_input",
]

ModelT = TypeVar("ModelT", bound=BaseModel)

# A button on one tool's result that opens the next tool with what is known filled in posts
# this field with the answers: the form comes back filled in, not yet assessed.
PREFILL = "_prefill"


def input_json(inp: BaseModel) -> str:
    """A tool's validated input as JSON, for the "save to a registry case" form (a hidden field)."""
    return json.dumps(inp.model_dump(mode="json"), separators=(",", ":"))


def saved_input(data: dict[str, Any], model: type[BaseModel]) -> str:
    return input_json(parse_input(model, data))


def query_values(fields: tuple[forms.FormField, ...], query: Mapping[str, str]) -> dict[str, Any]:
    """A tool's form filled from a link's query string, as the CDS Hooks card links to it: each
    parameter named as a field, with the value the rule's JSON takes (``true``/``false`` for a
    yes-no question); other parameters are ignored. Nothing is assessed until it is submitted."""
    values: dict[str, Any] = {}
    for item in fields:
        if item.kind == "group":
            values.update(query_values(item.children, query))
            continue
        raw = query.get(item.name)
        if raw is None or not raw.strip():
            continue
        if item.kind == "tri":
            raw = {"true": forms.YES, "false": forms.NO}.get(raw.strip().lower(), raw)
        values[item.name] = raw.strip()
    return values


def rule_page(
    request: Request,
    templates: Any,
    name: str,
    fields: tuple[forms.FormField, ...],
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    status: int = 200,
    **extra: Any,
) -> Response:
    """A clinician tool's form page (with its result, when ``extra`` carries one)."""
    form = FormPage(name, forms.label_map(fields))
    return form.render(templates, request, values, errors, status=status, fields=fields, **extra)


async def rule_form_result(
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
    values = forms.form_values(form)
    if PREFILL in form:
        values.pop(PREFILL, None)
        return rule_page(request, templates, name, fields, values, {}, prefilled=True)
    try:
        inp = parse_input(model, forms.form_data(fields, form))
    except InputError as exc:
        return rule_page(
            request,
            templates,
            name,
            fields,
            values,
            forms.field_messages(exc.problems, names=forms.label_map(fields)),
            status=422,
        )
    return rule_page(
        request, templates, name, fields, values, {}, save_input=input_json(inp), **shown(inp)
    )
