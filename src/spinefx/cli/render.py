"""Readable (rich) renderings of the rule results for the terminal."""

from __future__ import annotations

from typing import Any

from spinefx.cli.output import console


def _generic(result: Any) -> None:
    console.print(result)


screening = grading = candidacy = followup = pathway = _generic
