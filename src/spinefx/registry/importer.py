"""Importing cases, all or none: ``registry import CASES.jsonl`` and the FHIR import.

Every case is read and checked before anything is written: a line that is not JSON, a field
that breaks the import format (:mod:`spinefx.registry.schema`) or an MRN given twice in the
same import is an :class:`~spinefx.errors.InputError` naming where it was read and the field,
and nothing is imported. The cases are then written in one transaction.

A case whose MRN is already registered at its site is, by the caller's choice
(:class:`Existing`):

- ``refuse``: an error naming the line (the JSON Lines import: a file of new cases);
- ``update``: the registered case takes the import's identity (name, birth date, sex, status,
  date of death, fictional; only the fields the source states, :attr:`ImportItem.stated`) and
  its rows: a row matching one already registered (a fracture of
  the same date, levels and site; an event of the same type and date; a procedure of the same
  date, kind and levels; a score of the same date, instrument and timepoint) is changed to the
  import's values, any other is added. Nothing registered is removed: an export from another
  system may hold only part of what the registry knows, and a coordinator's records must not
  vanish because it did not send them. A fracture the import marks as the index becomes the
  case's index. The case as it would be after the update is checked by the import format's
  rules first (dates after birth and before death, one index fracture, the row limits); the
  update is one change of the case (its version raised, one audit entry naming the fields and
  the rows added and changed); a case the import leaves as it was is not touched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.errors import FieldProblem, InputError
from spinefx.registry import audit
from spinefx.registry.cases import case_document, create_case
from spinefx.registry.db import Registry
from spinefx.registry.editing import editing, load_case
from spinefx.registry.models import Case, Site
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.rows import ROW_KINDS
from spinefx.registry.schema import CaseIn, parse
from spinefx.validation import json_lines

__all__ = [
    "MAX_PROBLEMS",
    "Existing",
    "ImportItem",
    "ImportReport",
    "import_cases",
    "import_file",
    "read_cases",
]

MAX_PROBLEMS = 20  # problems named in one error; the first is always the first bad line


class Existing(StrEnum):
    """What an import does with a case whose MRN is already registered at its site."""

    REFUSE = "refuse"
    UPDATE = "update"


@dataclass(frozen=True)
class ImportItem:
    """One case to import and where it was read (``line 3``, ``Patient.ndjson line 1``).

    ``locate`` moves a problem of one of the case's fields (``fractures[0].date``) to where
    the field was read; by default the field is named after ``place``.
    """

    place: str
    case: CaseIn
    locate: Callable[[FieldProblem], FieldProblem] | None = None
    # The case's own fields the source states (None: all). An update changes only these: a
    # source that cannot know the registry's status or a date of death leaves them as they are.
    stated: frozenset[str] | None = None

    def where(self, problem: FieldProblem) -> FieldProblem:
        if self.locate is not None:
            return self.locate(problem)
        return replace(problem, field=f"{self.place}: {problem.field}")


@dataclass(frozen=True)
class ImportReport:
    cases: int
    sites: tuple[str, ...]
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def read_cases(lines: Iterable[str]) -> list[ImportItem]:
    """The case of each non-blank line; an :class:`InputError` for any bad line."""
    problems: list[FieldProblem] = []
    cases: list[ImportItem] = []
    seen: dict[tuple[str, str], int] = {}
    for line in json_lines(lines):
        number = line.number
        if line.error is not None:
            problems.append(
                FieldProblem(f"line {number}", line.text[:40], f"one JSON object ({line.error})")
            )
            continue
        try:
            case = parse(CaseIn, line.value)
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
        cases.append(ImportItem(f"line {number}", case))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InputError.from_problems(problems[:MAX_PROBLEMS])
    return cases


def import_cases(
    session: Session,
    actor: Actor,
    items: Sequence[ImportItem],
    *,
    existing: Existing = Existing.REFUSE,
) -> ImportReport:
    """Write ``items`` in the caller's transaction; a registered MRN is refused or updated
    (``existing``). An :class:`InputError` names where the bad case was read."""
    require(actor, Action.IMPORT_EXPORT)
    codes = sorted({item.case.site for item in items})
    registered = {
        (code, mrn): case_id
        for code, mrn, case_id in session.execute(
            sa.select(Site.code, Case.mrn, Case.id)
            .join(Case, Case.site_id == Site.id)
            .where(Site.code.in_(codes))
        )
    }
    if existing is Existing.REFUSE:
        problems = [
            item.where(
                FieldProblem("mrn", item.case.mrn, f"an MRN not yet registered at site {site}")
            )
            for item in items
            if (site := item.case.site, item.case.mrn) in registered
        ]
        if problems:
            raise InputError.from_problems(problems[:MAX_PROBLEMS])
    tally: Counter[str] = Counter()
    for item in items:
        case_id = registered.get((item.case.site, item.case.mrn))
        try:
            if case_id is None:
                create_case(session, actor, item.case, create_site=True)
                tally["created"] += 1
            else:
                changed = update_from_import(session, actor, case_id, item.case, item.stated)
                tally["updated" if changed else "unchanged"] += 1
        except InputError as exc:
            raise InputError.from_problems([item.where(p) for p in exc.problems]) from exc
    audit.record(
        session,
        actor,
        "import",
        "case",
        detail={"cases": len(items), "sites": codes, **{k: tally[k] for k in sorted(tally)}},
    )
    return ImportReport(
        len(items), tuple(codes), tally["created"], tally["updated"], tally["unchanged"]
    )


# --- updating a registered case ------------------------------------------------------------

# The columns that make two rows of a kind the same row (levels in any order).
_ROW_KEYS: Mapping[str, tuple[str, ...]] = {
    "fractures": ("date", "levels", "site"),
    "events": ("type", "date"),
    "procedures": ("date", "kind", "levels"),
    "outcomes": ("date", "instrument", "timepoint"),
}


def _key(kind: str, value: Callable[[str], Any]) -> tuple[Any, ...]:
    return tuple(tuple(sorted(value(k))) if k == "levels" else value(k) for k in _ROW_KEYS[kind])


@dataclass
class _RowPlan:
    """What the import does to the rows of one kind: the rows it changes (registered row,
    new columns), the rows it adds (their columns) and the registered rows it leaves (ids)."""

    changed: list[tuple[Any, dict[str, Any]]]
    added: list[dict[str, Any]]
    left: list[int]


def _plan_rows(case: Case, data: CaseIn) -> tuple[dict[str, _RowPlan], dict[str, Any]]:
    """Each kind's plan, and the rows of the case as they would be after it (import format,
    for the checks: the import's rows first, at their own positions, then the rows left)."""
    document = case_document(case)
    after: dict[str, Any] = {}
    plans: dict[str, _RowPlan] = {}
    marks_index = any(f.index for f in data.fractures)
    for kind, spec in ROW_KINDS.items():
        registered = list(getattr(case, kind))
        docs = {row["id"]: row for row in document[kind]}
        pool: dict[tuple[Any, ...], list[Any]] = {}
        for row in registered:
            pool.setdefault(_key(kind, partial(getattr, row)), []).append(row)
        plan = _RowPlan([], [], [])
        rows_after: list[dict[str, Any]] = []
        matched: set[int] = set()
        for item in getattr(data, kind):
            columns = spec.columns(item)
            imported = item.model_dump(mode="json", exclude={"id"})
            same = pool.get(_key(kind, columns.__getitem__))
            row = same.pop(0) if same else None
            if kind == "fractures":
                # Only a mark moves the index: a row not marked keeps its own, a new one has none.
                if columns.get("is_index") is not True:
                    kept = row is not None and bool(row.is_index) and not marks_index
                    columns["is_index"] = kept
                imported["index"] = columns["is_index"]
            if row is None:
                plan.added.append(columns)
            else:
                matched.add(row.id)
                if any(getattr(row, k) != v for k, v in columns.items()):
                    plan.changed.append((row, columns))
            rows_after.append(imported)
        for row in registered:
            if row.id in matched:
                continue
            plan.left.append(row.id)
            kept_doc = {k: v for k, v in docs[row.id].items() if k != "id"}
            if kind == "fractures" and marks_index and row.is_index:
                kept_doc["index"] = False
                plan.changed.append((row, {"is_index": False}))
            rows_after.append(kept_doc)
        after[kind] = rows_after
        plans[kind] = plan
    return plans, after


def _check_after(
    case: Case,
    data: CaseIn,
    identity: Mapping[str, Any],
    plans: Mapping[str, _RowPlan],
    rows_after: dict[str, Any],
) -> None:
    """The import format's rules over the case as the update leaves it: its identity and the
    import's rows with the registered rows it leaves. A problem on a registered row names it."""
    document = {
        **{k: v.isoformat() if isinstance(v, date) else v for k, v in identity.items()},
        **rows_after,
        "site": case.site.code,
        "mrn": case.mrn,
    }
    try:
        parse(CaseIn, document)
    except InputError as exc:
        raise InputError.from_problems(
            [_registered_row(p, data, plans) for p in exc.problems]
        ) from exc


def _registered_row(
    problem: FieldProblem, data: CaseIn, plans: Mapping[str, _RowPlan]
) -> FieldProblem:
    """A problem at ``fractures[5].date`` where position 5 is a registered row the import left,
    named as the case's ``fractures`` and that row's id."""
    kind, _, rest = problem.field.partition("[")
    position, _, tail = rest.partition("]")
    if kind not in plans or not position.isdigit():
        return problem
    left = int(position) - len(getattr(data, kind))
    if left < 0:
        return problem
    row_id = plans[kind].left[left]
    entity = ROW_KINDS[kind].entity
    return replace(
        problem,
        field=kind,
        allowed=f"{problem.allowed} (the {entity} registered as id {row_id}, "
        f"{tail.lstrip('.') or 'row'}, which this import keeps)",
    )


def update_from_import(
    session: Session,
    actor: Actor,
    case_id: int,
    data: CaseIn,
    stated: frozenset[str] | None = None,
) -> bool:
    """Update registered case ``case_id`` from an imported ``data`` (see the module's text),
    its own fields only where ``stated`` (None: all); whether anything changed."""
    case = load_case(session, actor, case_id, full=True)
    plans, rows_after = _plan_rows(case, data)
    imported = {
        "name": data.name,
        "birth_date": data.birth_date,
        "sex": data.sex.value,
        "status": data.status.value,
        "death_date": data.death_date,
        "fictional": data.fictional,
    }
    identity = {
        k: v if stated is None or k in stated else getattr(case, k) for k, v in imported.items()
    }
    fields = sorted(k for k, v in identity.items() if getattr(case, k) != v)
    if not fields and not any(p.changed or p.added for p in plans.values()):
        return False
    _check_after(case, data, identity, plans, rows_after)
    with editing(session, actor, case_id, Action.WRITE_CASES, full=True) as edit:
        edit.bump(case.version)
        for key in fields:
            setattr(case, key, identity[key])
        for kind, plan in plans.items():
            if plan.changed or plan.added:
                require(actor, ROW_KINDS[kind].action, site_id=case.site_id)
            for row, columns in plan.changed:
                for key, value in columns.items():
                    setattr(row, key, value)
            for columns in plan.added:
                session.add(ROW_KINDS[kind].table(case_id=case.id, **columns))
        edit.record(
            "update",
            "case",
            entity_id=case.id,
            detail={
                "by": "import",
                "fields": fields,
                "added": {k: len(p.added) for k, p in plans.items() if p.added},
                "changed": {k: len(p.changed) for k, p in plans.items() if p.changed},
            },
        )
    return True


def import_file(
    registry: Registry, path: Path, actor: Actor, *, existing: Existing = Existing.REFUSE
) -> ImportReport:
    """Import the ``.jsonl`` file at ``path`` in one transaction (all cases or none)."""
    if not path.is_file():
        raise InputError("cases", str(path), "an existing .jsonl file, one case per line")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("cases", str(path), f"a readable UTF-8 file ({exc})") from exc
    items = read_cases(text.splitlines())
    with registry.transaction() as session:
        return import_cases(session, actor, items, existing=existing)
