"""The page templates, the filters they share and the words for what the rules return.

:func:`make_templates` builds the Jinja environment once per app (autoescaped);
:func:`render` answers with one template. Every page's template lives in ``templates/``, the
registry's under ``templates/registry/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from spinefx.dates import plain_date
from spinefx.web import forms
from spinefx.web.clinician import words as clinician_words

__all__ = [
    "CHOICE_LABELS",
    "CLINICAL_STATUS_WORDS",
    "STATUS_WORDS",
    "TEMPLATES_DIR",
    "TRIGGER_WORDS",
    "choice_label",
    "make_templates",
    "render",
]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

STATUS_WORDS = {"met": "Yes", "not-met": "No", "unknown": "Don't know"}
CLINICAL_STATUS_WORDS = {
    "met": "Met",
    "not-met": "Not met",
    "unknown": "Unknown",
    "not-applicable": "Not applicable",
    "not-needed": "Not needed",  # not met, inside an alternative that another part met
}
TRIGGER_WORDS = {"met": "Yes", "not-met": "No", "unknown": "Not known"}
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


def choice_label(value: Any) -> str:
    """The words for one choice of a patient or clinician form (``sudden`` -> ``Suddenly``)."""
    return CHOICE_LABELS.get(str(value), forms.humanize(str(value)))


def install_filters(env: jinja2.Environment) -> None:
    """Filters and globals the templates share."""
    from spinefx.directory.text import display_case, place_line

    env.filters["humanize"] = forms.humanize
    env.filters["plain_date"] = plain_date
    env.filters["display_case"] = display_case
    env.globals["place_line"] = place_line
    env.filters["choice_label"] = choice_label
    env.globals["dom_id"] = forms.dom_id
    env.globals["STATUS_WORDS"] = STATUS_WORDS
    env.globals["CLINICAL_STATUS_WORDS"] = CLINICAL_STATUS_WORDS
    env.globals["TRIGGER_WORDS"] = TRIGGER_WORDS


def make_templates() -> Jinja2Templates:
    """The page templates, autoescaped, with the shared filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    install_filters(env)
    return Jinja2Templates(env=env)


def render(
    templates: Any,
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The page ``name`` made from ``context``."""
    response: Response = templates.TemplateResponse(
        request, name, dict(context or {}), status_code=status, headers=headers
    )
    return response
