"""A case's index fracture: the fracture that brought the patient to the service.

The IOF Capture the Fracture KPIs count every window from the sentinel fracture (Javaid,
Osteoporos Int 2020: "within 12 weeks of sentinel fracture"); the UK FLS Database calls it the
index fracture that led to FLS contact. It is not the earliest fracture on record: a hip
fracture ten years ago is history, and a new fracture found during follow-up is a refracture.
So each case marks exactly one fracture ``index: true``, and :attr:`Case.index_date
<spinefx.registry.models.Case.index_date>` is that fracture's date.

- Whoever records the case may say which fracture it is (``index: true`` on one fracture of
  the import line, the API or the fracture form); two are refused.
- When nobody says (:func:`default_index`), the index is the latest fracture dated on or before
  the day the case was opened: prior fractures lie before it, refractures after. When every
  fracture is dated after that day, it is the earliest. A tie goes to the one entered first.
- Once set, the index does not move by itself: a fracture added later (by a person or by
  case-finding) is not the index unless it is marked so, and marking one unmarks the other.
  A fracture cannot be unmarked (``index: false``) while it is the index: mark another one.
  Removing the index fracture gives the case the default again.
- No fracture is dated after the patient's date of death (a fracture found at post-mortem is
  dated on or before it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.errors import Bounds, InputError, ProblemKind
from spinefx.registry.models import Case, Fracture

__all__ = ["UNMARK_ALLOWED", "default_index", "ensure_index", "settle_fracture"]

UNMARK_ALLOWED = (
    "true or null: a case keeps one index fracture; to change it, mark another fracture as "
    "the index"
)


def default_index(fractures: Sequence[tuple[date, int]], opened: date) -> int:
    """The position in ``fractures`` ((date, order entered) pairs) of the default index.

    The latest dated on or before ``opened`` (the day the case was opened), else the earliest;
    ties go to the lowest order (entered first).

    >>> prior, index, later = (date(2015, 6, 1), 1), (date(2026, 3, 2), 2), (date(2026, 9, 1), 3)
    >>> default_index([prior, index, later], opened=date(2026, 3, 20))
    1
    >>> default_index([later], opened=date(2026, 3, 20))
    0
    """
    if not fractures:
        raise ValueError("a case without fractures has no index fracture")
    before = [i for i, (day, _) in enumerate(fractures) if day <= opened]
    if before:
        return max(before, key=lambda i: (fractures[i][0], -fractures[i][1]))
    return min(range(len(fractures)), key=lambda i: fractures[i])


def ensure_index(session: Session, case: Case) -> date | None:
    """Make sure exactly one of the case's fractures is its index; that fracture's date.

    None for a case without fractures. With none marked (a new case whose record did not say,
    or its index fracture removed) the default is marked.
    """
    rows = session.execute(
        sa.select(Fracture.id, Fracture.date, Fracture.is_index)
        .where(Fracture.case_id == case.id)
        .order_by(Fracture.id)
    ).all()
    if not rows:
        return None
    marked = [r for r in rows if r.is_index]
    if len(marked) == 1:
        day: date = marked[0].date
        return day
    opened = (case.created_at.date() if case.created_at else None) or date.today()
    pool = marked or rows  # two marked cannot be written through this package; keep one
    chosen = pool[default_index([(r.date, r.id) for r in pool], opened)]
    for r in rows:
        want = r.id == chosen.id
        if bool(r.is_index) != want:
            fracture = session.get(Fracture, r.id)
            assert fracture is not None
            fracture.is_index = want
    session.flush()
    chosen_day: date = chosen.date
    return chosen_day


def settle_fracture(
    session: Session, case: Case, row: Any, before: dict[str, Any] | None = None
) -> None:
    """The case's rules after fracture ``row`` was added or changed (``before``: its columns
    before a change): not after the date of death; one index (marking it unmarks the others;
    the index cannot be unmarked)."""
    if case.death_date is not None and row.date > case.death_date:
        raise InputError(
            "date",
            row.date.isoformat(),
            f"a date on or before the patient's date of death ({case.death_date.isoformat()})",
            kind=ProblemKind.RANGE,
            expects="date",
            bounds=Bounds(high=case.death_date.isoformat()),
        )
    if row.is_index:
        session.flush()
        for other in session.scalars(
            sa.select(Fracture).where(
                Fracture.case_id == case.id, Fracture.id != row.id, Fracture.is_index.is_(True)
            )
        ):
            other.is_index = False
    elif before is not None and before.get("is_index") and row.is_index is False:
        raise InputError("index", False, UNMARK_ALLOWED)
