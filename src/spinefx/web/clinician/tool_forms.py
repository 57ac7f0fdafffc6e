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
from spinefx.web.templating import render

__all__ = ["PREFILL", "input_json", "rule_form_result", "rule_page", "saved_input"]

ModelT = TypeVar("ModelT", bound=BaseModel)

# A button on one tool's result that opens the next tool with what is known filled in posts
# this field with the answers: the form comes back filled in, not yet assessed.
PREFILL = "_prefill"


def input_json(inp: BaseModel) -> str:
    """A tool's validated input as JSON, for the "save to a registry case" form (a hidden field)."""
    return json.dumps(inp.model_dump(mode="json"), separators=(",", ":"))


def saved_input(data: dict[str, Any], model: type[BaseModel]) -> str:
    return input_json(parse_input(model, data))


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
    return render(
        templates,
        request,
        name,
        {
            "fields": fields,
            "values": values,
            "errors": errors,
            "names": forms.label_map(fields),
            **extra,
        },
        status=status,
    )


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
