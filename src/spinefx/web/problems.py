"""RFC 9457 problem details (``application/problem+json``) for every API error.

Each body has ``type``, ``title``, ``status``, ``detail`` and ``instance``; input errors add
``errors``, one ``{field, value, allowed}`` per bad field (the same wording as the CLI), and an
unknown ZIP adds ``suggestions``::

    {"type": "urn:spinefx:problem:invalid-input", "title": "Invalid input", "status": 422,
     "detail": "age: got 130; allowed: an integer from 18 to 120, or null",
     "instance": "/api/v1/screening",
     "errors": [{"field": "age", "value": 130, "allowed": "an integer from 18 to 120, or null"}]}
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from starlette.responses import Response

from spinefx.errors import MISSING, FieldProblem
from spinefx.validation import printable

__all__ = [
    "DIRECTORY_DAMAGED",
    "DIRECTORY_NOT_LOADED",
    "INVALID_INPUT",
    "PROBLEM_JSON",
    "UNKNOWN_ZIP",
    "ProblemError",
    "field_errors",
    "problem",
]

PROBLEM_JSON = "application/problem+json"

# Problem types of our own; everything else is "about:blank" (the HTTP status says it all).
INVALID_INPUT = "urn:spinefx:problem:invalid-input"
UNKNOWN_ZIP = "urn:spinefx:problem:unknown-zip"
DIRECTORY_NOT_LOADED = "urn:spinefx:problem:directory-not-loaded"
DIRECTORY_DAMAGED = "urn:spinefx:problem:directory-damaged"


def problem(
    status: int,
    detail: str,
    *,
    instance: str,
    type: str = "about:blank",
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem+json response; ``extra`` adds members such as ``errors`` or ``suggestions``."""
    body: dict[str, Any] = {
        "type": type,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
    content = json.dumps(_json_safe(body), ensure_ascii=False, allow_nan=False)
    return Response(content, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_errors(problems: Iterable[FieldProblem]) -> list[dict[str, Any]]:
    """``{field, value, allowed}`` per problem; a missing field has value null and missing true."""
    errors: list[dict[str, Any]] = []
    for item in problems:
        entry: dict[str, Any] = {"field": item.field, "value": item.value, "allowed": item.allowed}
        if item.value is MISSING:
            entry["value"] = None
            entry["missing"] = True
        errors.append(entry)
    return errors


def _json_safe(value: Any) -> Any:
    """Echoed input is made JSON-safe: non-finite numbers and odd objects become text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return printable(value)  # a lone surrogate cannot be encoded: shown as \\udXXX
    if value is None or isinstance(value, int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {printable(str(k)): _json_safe(v) for k, v in value.items()}
    if isinstance(value, Sequence | set | frozenset):
        return [_json_safe(v) for v in value]
    return str(value)


class ProblemError(Exception):
    """Raised in a route to answer with a problem; the app's handler renders it."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type: str = "about:blank",
        title: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type
        self.title = title
        self.extra = extra

    def response(self, instance: str) -> Response:
        return problem(
            self.status,
            self.detail,
            instance=instance,
            type=self.type,
            title=self.title,
            **self.extra,
        )
