"""``registry import CASES.jsonl``: all cases or none.

Every line is read and checked before anything is written: a line that is not JSON, a field
that breaks the import format (:mod:`spinefx.registry.schema`) or an MRN already registered at
its site (in the database or earlier in the file) is an :class:`~spinefx.errors.InputError`
naming the line and the field, and nothing is imported. The cases are then written in one
transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.errors import FieldProblem, InputError
from spinefx.registry import audit
from spinefx.registry.cases import create_case
from spinefx.registry.db import Registry
from spinefx.registry.models import Case, Site
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.schema import CaseIn, parse

__all__ = ["MAX_PROBLEMS", "ImportReport", "import_cases", "import_file", "read_cases"]

MAX_PROBLEMS = 20  # problems named in one error; the first is always the first bad line


@dataclass(frozen=True)
class ImportReport:
    cases: int
    sites: tuple[str, ...]


def read_cases(lines: Iterable[str]) -> list[tuple[int, CaseIn]]:
    """(line number, case) for each non-blank line; an :class:`InputError` for any bad line."""
    problems: list[FieldProblem] = []
    cases: list[tuple[int, CaseIn]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(
                FieldProblem(f"line {number}", line[:40], f"one JSON object ({exc.msg})")
            )
            continue
        try:
            case = parse(CaseIn, data)
        except InputError as exc:
            problems.extend(replace(p, field=f"line {number}: {p.field}") for p in exc.problems)
            continue
        first = seen.setdefault((case.site, case.mrn), number)
        if first != number:
            problems.append(
                FieldProblem(
                    f"line {number}: mrn",
                    case.mrn,
                    f"an MRN not already on line {first} for site {case.site}",
                )
            )
        cases.append((number, case))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InputError.from_problems(problems[:MAX_PROBLEMS])
    return cases


def import_cases(
    session: Session, actor: Actor, cases: Sequence[tuple[int, CaseIn]]
) -> ImportReport:
    """Write ``cases`` in the caller's transaction; an MRN already registered names its line."""
    require(actor, Action.IMPORT_EXPORT)
    codes = sorted({case.site for _, case in cases})
    taken = {
        (code, mrn)
        for code, mrn in session.execute(
            sa.select(Site.code, Case.mrn)
            .join(Case, Case.site_id == Site.id)
            .where(Site.code.in_(codes))
        )
    }
    problems = [
        FieldProblem(f"line {n}: mrn", c.mrn, f"an MRN not yet registered at site {c.site}")
        for n, c in cases
        if (c.site, c.mrn) in taken
    ]
    if problems:
        raise InputError.from_problems(problems[:MAX_PROBLEMS])
    for number, case in cases:
        try:
            create_case(session, actor, case, create_site=True)
        except InputError as exc:
            raise InputError.from_problems(
                [
                    FieldProblem(f"line {number}: {p.field}", p.value, p.allowed)
                    for p in exc.problems
                ]
            ) from exc
    audit.record(session, actor, "import", "case", detail={"cases": len(cases), "sites": codes})
    return ImportReport(len(cases), tuple(codes))


def import_file(registry: Registry, path: Path, actor: Actor) -> ImportReport:
    """Import the ``.jsonl`` file at ``path`` in one transaction (all cases or none)."""
    if not path.is_file():
        raise InputError("cases", str(path), "an existing .jsonl file, one case per line")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("cases", str(path), f"a readable UTF-8 file ({exc})") from exc
    cases = read_cases(text.splitlines())
    with registry.transaction() as session:
        return import_cases(session, actor, cases)
