"""What every rule result is made of: three-valued criteria, each with its source.

Three-valued logic (Kleene): ``True`` met, ``False`` not met, ``None`` unknown (not answered).
A false term makes an AND false whatever else is unknown; a true term makes an OR true.
A criterion that does not apply on the path a rule took (for instance the osteoporotic
fracture-age test for a malignant fracture) is listed as ``not-applicable``
(:func:`not_applicable`) and takes no part in the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Criterion",
    "Status",
    "Tri",
    "all_of",
    "any_of",
    "at_least",
    "criterion",
    "not_applicable",
    "status_of",
]

Tri = bool | None


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not-met"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not-applicable"


class Criterion(BaseModel):
    """One line of a rule's reasoning: what was checked, how it came out, and on whose authority."""

    model_config = ConfigDict(frozen=True)

    id: str
    status: Status
    source: str


def status_of(value: Tri) -> Status:
    if value is None:
        return Status.UNKNOWN
    return Status.MET if value else Status.NOT_MET


def criterion(id: str, value: Tri, source: str) -> Criterion:
    return Criterion(id=id, status=status_of(value), source=source)


def not_applicable(id: str, source: str) -> Criterion:
    """A criterion listed for completeness that does not apply on this path."""
    return Criterion(id=id, status=Status.NOT_APPLICABLE, source=source)


def _kleene(values: Iterable[Tri], decisive: bool) -> Tri:
    """``decisive`` if any value is it, else None if any is None, else ``not decisive``."""
    result: Tri = not decisive
    for value in values:
        if value is decisive:
            return decisive
        if value is None:
            result = None
    return result


def all_of(values: Iterable[Tri]) -> Tri:
    """Kleene AND: False if any is False, else None if any is None, else True."""
    return _kleene(values, decisive=False)


def any_of(values: Iterable[Tri]) -> Tri:
    """Kleene OR: True if any is True, else None if any is None, else False."""
    return _kleene(values, decisive=True)


def at_least(count: int, values: Iterable[Tri]) -> Tri:
    """True when at least ``count`` are True; False when too few could still be True."""
    items = list(values)
    true = sum(1 for v in items if v is True)
    unknown = sum(1 for v in items if v is None)
    if true >= count:
        return True
    if true + unknown < count:
        return False
    return None
