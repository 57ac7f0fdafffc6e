"""The page templates, the filters they share and the words for what the rules return.

:func:`make_templates` builds the Jinja environment once per app (autoescaped);
:func:`render` answers with one template. Every page's template lives in ``templates/``, the
registry's under ``templates/registry/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from spinefx.dates import plain_date, plain_month
from spinefx.web import forms
from spinefx.web.clinician import words as clinician_words

__all__ = [
    "CHOICE_LABELS",
    "CLINICAL_STATUS_WORDS",
    "STATUS_WORDS",
    "TEMPLATES_DIR",
    "TRIGGER_WORDS",
    "FormPage",
    "choice_label",
    "install_filters",
    "make_templates",
    "ordinal",
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
# The choices whose words are not their value with a capital (``sharp`` -> ``Sharp``).
CHOICE_LABELS = {"sudden": "Suddenly", "gradual": "Gradually", **clinician_words.CHOICE_LABELS}


def choice_label(value: Any) -> str:
    """The words for one choice of a patient or clinician form (``sudden`` -> ``Suddenly``,
    ``female`` -> ``Female``)."""
    return CHOICE_LABELS.get(str(value), forms.humanize(str(value)))


def zip_code(postal: str | None) -> str | None:
    """A US postal code as people write it: ZIP+4 with its hyphen (``021417637`` ->
    ``02141-7637``); anything else as stored.

    >>> zip_code("021417637"), zip_code("02141"), zip_code(None)
    ('02141-7637', '02141', None)
    """
    if postal and len(postal) == 9 and postal.isascii() and postal.isdigit():
        return f"{postal[:5]}-{postal[5:]}"
    return postal


_ORDINAL_WORDS: tuple[str, ...] = (
    *("first", "second", "third", "fourth", "fifth"),
    *("sixth", "seventh", "eighth", "ninth", "tenth"),
)


def ordinal(number: int) -> str:
    """A count's place in words up to ten, in figures after (``3`` -> ``third``, ``22`` ->
    ``22nd``), as a sentence says it.

    >>> ordinal(1), ordinal(3), ordinal(10), ordinal(11), ordinal(22), ordinal(113)
    ('first', 'third', 'tenth', '11th', '22nd', '113th')
    """
    if 1 <= number <= len(_ORDINAL_WORDS):
        return _ORDINAL_WORDS[number - 1]
    suffix = (
        "th" if 11 <= number % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def install_filters(env: jinja2.Environment) -> None:
    """Filters and globals the templates share."""
    from spinefx.directory.text import display_case, place_line

    env.filters["humanize"] = forms.humanize
    env.filters["plain_date"] = plain_date  # the one date style of every page: March 1, 2027
    env.filters["plain_month"] = plain_month
    env.filters["display_case"] = display_case
    env.filters["zip_code"] = zip_code
    env.filters["ordinal"] = ordinal
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


@dataclass(frozen=True)
class FormPage:
    """A page with a form: its template, each field's label (for the error summary) and what
    the page always shows beside the form (``context``, e.g. the rows and columns it draws)."""

    template: str
    names: Mapping[str, str]
    context: Mapping[str, Any] = field(default_factory=dict)

    def render(
        self,
        templates: Any,
        request: Request,
        values: Mapping[str, Any],
        errors: Mapping[str, str],
        *,
        status: int = 200,
        **context: Any,
    ) -> Response:
        """The page with what was typed (``values``), the messages by field (``errors``) and the
        rest of ``context``."""
        full = {"values": values, "errors": errors, "names": self.names, **self.context, **context}
        return render(templates, request, self.template, full, status=status)
