"""Acuity and severity of one mention, read from the words of its clause.

Acuity words come from ``rules/attributes.json``; a word just after "no", "not" or "without"
("no acute fracture") says nothing about the fracture that is there. A phrase that names both
(``age-indeterminate``, ``acute versus chronic``) is indeterminate, and so is a clause with
acute and chronic words both.

Severity follows Genant's semi-quantitative grades (reference pack, clinical.md): a written
grade first, then a percent height loss ([20, 25) % mild, [25, 40] % moderate, > 40 % severe;
below 20 % is reported as mild, the least the schema has; a written range counts as its
middle), then words (mild, moderate,
severe, vertebra plana). Several in one clause: the worst.

>>> acuity_of("mild wedge deformity of T8, age-indeterminate")
'indeterminate'
>>> severity_of("compression fracture with approximately 30% loss of height")
'moderate'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache

__all__ = [
    "ACUITIES",
    "SEVERITIES",
    "acuity_of",
    "percent_severity",
    "severity_of",
    "worst_severity",
]

ACUITIES = ("acute", "indeterminate", "chronic")
SEVERITIES = ("mild", "moderate", "severe")
_GRADE = re.compile(r"\b(?:genant\s+)?(?:grade|sq)\s*-?\s*(1|2|3|i{1,3})\b", re.IGNORECASE)
_GRADE_VALUE = {"1": "mild", "i": "mild", "2": "moderate", "ii": "moderate"}
_PERCENT = re.compile(
    r"(?:(less than|under|below|<|up to|more than|greater than|over|>)\s*)?"
    r"(?:approximately|about|roughly|nearly|almost|~|an estimated)?\s*"
    r"(\d{1,3})(?:\.\d+)?\s*(?:%|percent|per cent)?\s*(?:-|to)?\s*"
    r"(?:(\d{1,3})(?:\.\d+)?\s*)?(?:%|percent|per cent)",
    re.IGNORECASE,
)
_NEGATED_BEFORE = re.compile(r"\b(?:no|not|without|nor)\s+(?:\w+\s+)?$", re.IGNORECASE)


Groups = tuple[tuple[str, tuple[str, ...]], ...]


def _alternatives(groups: Groups, patterns: Groups) -> list[tuple[str, str]]:
    """(regular expression, group) in the order tried: patterns first, then longest phrase."""
    phrases = sorted(((p, g) for g, ps in groups for p in ps), key=lambda x: -len(x[0]))
    return [(r"\s+".join(p.split(" ")), g) for g, ps in patterns for p in ps] + [
        (re.escape(p), g) for p, g in phrases
    ]


@cache
def _compiled(groups: Groups, patterns: Groups = ()) -> re.Pattern[str]:
    body = "|".join(f"(?P<g{i}>{a})" for i, (a, _) in enumerate(_alternatives(groups, patterns)))
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])", re.IGNORECASE)


@cache
def _group_names(groups: Groups, patterns: Groups = ()) -> list[str]:
    return [g for _, g in _alternatives(groups, patterns)]


def _found(
    text: str,
    table: Mapping[str, Sequence[str]],
    skip_negated: bool,
    patterns: Mapping[str, Sequence[str]] | None = None,
) -> set[str]:
    groups = tuple((g, tuple(ps)) for g, ps in table.items())
    extra = tuple((g, tuple(ps)) for g, ps in (patterns or {}).items())
    pattern, names = _compiled(groups, extra), _group_names(groups, extra)
    found: set[str] = set()
    for m in pattern.finditer(text):
        index = int((m.lastgroup or "g0")[1:])
        phrase = m.group(0).lower()
        if skip_negated and " " not in phrase and _NEGATED_BEFORE.search(text[: m.start()]):
            continue
        found.add(names[index])
    return found


def _table(name: str) -> Mapping[str, Sequence[str]]:
    from spinefx.casefind.rules import load_tables

    tables = load_tables()
    if name == "acuity_patterns":
        return tables.acuity_patterns
    return tables.acuity if name == "acuity" else tables.severity


def acuity_of(
    text: str,
    table: Mapping[str, Sequence[str]] | None = None,
    patterns: Mapping[str, Sequence[str]] | None = None,
) -> str | None:
    """acute, chronic or indeterminate from the words of ``text``; None when none is said.

    ``patterns`` (regular expressions by value) are tried before the phrases of ``table``;
    a value outside :data:`ACUITIES` ("none") marks words that say nothing about the age.
    """
    if table is None:
        table, patterns = _table("acuity"), _table("acuity_patterns")
    found = _found(text, table, skip_negated=True, patterns=patterns)
    if "indeterminate" in found or {"acute", "chronic"} <= found:
        return "indeterminate"
    return next((a for a in ACUITIES if a in found), None)


def percent_severity(text: str) -> str | None:
    """Severity from a written percent height loss, the largest one in ``text``."""
    worst: float | None = None
    for m in _PERCENT.finditer(text):
        low, high = int(m.group(2)), int(m.group(3) or m.group(2))
        value = (low + high) / 2  # a written range counts as its middle
        prefix = (m.group(1) or "").lower()
        if prefix in ("less than", "under", "below", "<"):
            value -= 0.5
        elif prefix in ("more than", "greater than", "over", ">"):
            value += 0.5
        if value <= 100:
            worst = value if worst is None else max(worst, value)
    if worst is None:
        return None
    if worst > 40:
        return "severe"
    return "moderate" if worst >= 25 else "mild"


def severity_of(text: str, table: Mapping[str, Sequence[str]] | None = None) -> str | None:
    """mild, moderate or severe: a Genant grade, else a percent, else the worst word."""
    grades = [m.group(1).lower() for m in _GRADE.finditer(text)]
    if grades:
        return worst_severity(_GRADE_VALUE.get(g, "severe") for g in grades)
    by_percent = percent_severity(text)
    if by_percent is not None:
        return by_percent
    return worst_severity(_found(text, table or _table("severity"), skip_negated=True))


def worst_severity(values: Iterable[str | None]) -> str | None:
    """The most severe of ``values`` (None and unknown words ignored)."""
    ranked = [SEVERITIES.index(v) for v in values if v in SEVERITIES]
    return SEVERITIES[max(ranked)] if ranked else None
