"""Saving a clinician tool's result to a case: the tool's input checked and run again, and the
page to choose the case on (after the login, when the result came from a patient page)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from starlette.responses import Response

from spinefx.errors import InputError
from spinefx.registry import cases
from spinefx.registry.auth import LoginSession
from spinefx.registry.permissions import Action, require
from spinefx.validation import parse_input
from spinefx.web.registry.forms import ASSESSMENT_PAGES
from spinefx.web.registry.pages import page
from spinefx.web.tools import rule_named

__all__ = ["run_rule", "save_chooser"]


def run_rule(kind: str, raw_input: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tool's input as sent and its result as the core computes it now."""
    rule = rule_named(kind)
    try:
        data = json.loads(raw_input)
    except ValueError:
        raise InputError("input", raw_input[:40], "the tool's answers as JSON") from None
    inp = parse_input(rule.input, data)
    return inp.model_dump(mode="json"), rule.run(inp).model_dump(mode="json")


def save_chooser(
    request: Request,
    registry: Any,
    login: LoginSession,
    kind: str,
    raw_input: str,
    *,
    mrn: str = "",
    message: str = "",
    status: int = 200,
) -> Response:
    _, result = run_rule(kind, raw_input)
    with registry.transaction() as session:
        require(login.actor, Action.READ_CASES)
        found = cases.list_cases(session, login.actor, cases.CaseQuery(mrn=mrn or None, limit=30))
    return page(
        request,
        "registry/save.html",
        {
            "kind": kind,
            "kind_name": ASSESSMENT_PAGES.get(kind, kind),
            "raw_input": raw_input,
            "result": result,
            "outcome": result.get("outcome"),
            "found": found.items,
            "total": found.total,
            "mrn": mrn,
            "message": message,
            "allowed": login.actor.can(Action.WRITE_ASSESSMENTS),
        },
        login=login,
        status=status,
    )
