"""The numbered reference list behind every fact in the Learn section (``/learn/references``).

The list is data, in ``content/references.toml``. Numbers 1-9 are the seed patient page's own
nine references, in its order (:data:`SEED_REFERENCES`); what spinefx adds runs from 10::

    >>> reference(1).title.startswith("Mortality following the diagnosis")
    True
    >>> SEED_REFERENCES
    (1, 2, 3, 4, 5, 6, 7, 8, 9)
"""

from __future__ import annotations

from spinefx.learn.loader import default_content
from spinefx.learn.models import Reference

__all__ = ["REFERENCES", "SEED_REFERENCES", "Reference", "reference"]

REFERENCES: tuple[Reference, ...] = default_content().references

SEED_REFERENCES: tuple[int, ...] = tuple(r.number for r in REFERENCES if r.seed)
"""The seed page's own references: numbers 1-9."""

_BY_NUMBER: dict[int, Reference] = {ref.number: ref for ref in REFERENCES}


def reference(number: int) -> Reference:
    """The reference with this number; ``KeyError`` when there is none."""
    try:
        return _BY_NUMBER[number]
    except KeyError:
        raise KeyError(f"no reference number {number}; numbers run 1..{len(REFERENCES)}") from None
