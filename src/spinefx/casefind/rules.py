"""The case-finding rule tables: words for the finding, their modifiers and their attributes.

The tables are data, reviewed as data: ``rules/targets.json`` (target rules in medspaCy's
``TargetRule`` form), ``rules/context.json`` (modifier rules in medspaCy's ``ConTextRule`` form,
read by :mod:`spinefx.casefind.context`) and ``rules/attributes.json`` (acuity, severity, sites
and regions). This module reads and checks them; it builds no pipeline.

>>> tables = load_tables()
>>> sorted({rule["category"] for rule in tables.targets})
['MIMIC', 'TREATMENT', 'VCF', 'VCF_ANCHORED']
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from spinefx.casefind.context import ContextRule
from spinefx.errors import DataError

__all__ = [
    "CONTEXT_CATEGORIES",
    "PLACEHOLDER",
    "TARGET_CATEGORIES",
    "RuleTables",
    "load_tables",
    "with_placeholders",
]

TARGET_CATEGORIES = ("VCF", "VCF_ANCHORED", "TREATMENT", "MIMIC")
CONTEXT_CATEGORIES = (
    "NEGATED_EXISTENCE",
    "POSSIBLE_EXISTENCE",
    "HISTORICAL",
    "HYPOTHETICAL",
    "PLANNED",
    "PSEUDO",
    "CONJ",
)
# A de-identification placeholder ("XXXX") may stand between any two tokens of a target rule.
# (a set of spellings, not a regular expression: the matcher tests it at every token)
PLACEHOLDER: dict[str, Any] = {"LOWER": {"IN": ["x" * n for n in range(2, 13)]}, "OP": "*"}
_ATTRIBUTE_KEYS = ("acuity", "severity", "vertebral_sites", "other_sites", "regions")


@dataclass(frozen=True)
class RuleTables:
    """The three tables as plain data, checked."""

    targets: tuple[dict[str, Any], ...]
    context: tuple[dict[str, Any], ...]
    prefilter: tuple[str, ...]
    acuity: dict[str, tuple[str, ...]]
    acuity_patterns: dict[str, tuple[str, ...]]
    severity: dict[str, tuple[str, ...]]
    vertebral_sites: tuple[str, ...]
    other_sites: tuple[str, ...]
    regions: dict[str, tuple[str, ...]]

    @property
    def prefilter_pattern(self) -> re.Pattern[str]:
        """Text without any of these stems cannot match a target rule: skip the pipeline."""
        return re.compile("|".join(re.escape(s) for s in self.prefilter), re.IGNORECASE)


def _read(name: str) -> dict[str, Any]:
    try:
        text = (
            resources.files("spinefx.casefind").joinpath("rules").joinpath(name).read_text("utf-8")
        )
        data = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"case-finding rule table rules/{name} cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise DataError(f"case-finding rule table rules/{name} must be a JSON object")
    return data


def _check_rules(name: str, rules: Any, key: str, categories: tuple[str, ...]) -> None:
    if not isinstance(rules, list) or not rules:
        raise DataError(f"rules/{name}: '{key}' must be a non-empty list")
    for i, rule in enumerate(rules):
        where = f"rules/{name} {key}[{i}]"
        if not isinstance(rule, dict) or not isinstance(rule.get("literal"), str):
            raise DataError(f"{where}: each rule needs a 'literal'")
        if rule.get("category") not in categories:
            raise DataError(f"{where}: category must be one of {', '.join(categories)}")
        meta = rule.get("metadata")
        if not isinstance(meta, dict) or not {"example", "expect"} <= meta.keys():
            raise DataError(f"{where}: metadata needs an 'example' and what it must 'expect'")


def _phrases(name: str, value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise DataError(f"rules/{name}: '{key}' must be a list of phrases")
    return tuple(v.lower() for v in value)


def _patterns(name: str, value: Any, key: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DataError(f"rules/{name}: '{key}' must map each value to its patterns")
    groups = {k: _phrases(name, v, f"{key}.{k}") for k, v in value.items()}
    for group, patterns in groups.items():
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise DataError(
                    f"rules/{name}: {key}.{group}: '{pattern}' is not a regular expression: {exc}"
                ) from exc
    return groups


def _grouped(name: str, value: Any, key: str, exclusive: bool) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise DataError(f"rules/{name}: '{key}' must map each value to its phrases")
    groups = {k: _phrases(name, v, f"{key}.{k}") for k, v in value.items()}
    if exclusive:
        seen: dict[str, str] = {}
        for group, phrases in groups.items():
            for phrase in phrases:
                if phrase in seen and seen[phrase] != group:
                    raise DataError(
                        f"rules/{name}: '{phrase}' is listed under both "
                        f"{key}.{seen[phrase]} and {key}.{group}"
                    )
                seen[phrase] = group
    return groups


@cache
def load_tables() -> RuleTables:
    """Read and check the three rule tables shipped with spinefx (cached)."""
    targets = _read("targets.json")
    context = _read("context.json")
    attrs = _read("attributes.json")
    _check_rules("targets.json", targets.get("target_rules"), "target_rules", TARGET_CATEGORIES)
    _check_rules("context.json", context.get("context_rules"), "context_rules", CONTEXT_CATEGORIES)
    for i, row in enumerate(context["context_rules"]):
        try:
            ContextRule.from_dict(row)
        except ValueError as exc:
            raise DataError(f"rules/context.json context_rules[{i}]: {exc}") from exc
    missing = [k for k in _ATTRIBUTE_KEYS if k not in attrs]
    if missing:
        raise DataError(f"rules/attributes.json lacks {', '.join(missing)}")
    return RuleTables(
        targets=tuple(targets["target_rules"]),
        context=tuple(context["context_rules"]),
        prefilter=_phrases("targets.json", targets.get("prefilter"), "prefilter"),
        acuity=_grouped("attributes.json", attrs["acuity"], "acuity", exclusive=True),
        acuity_patterns=_patterns(
            "attributes.json", attrs.get("acuity_patterns"), "acuity_patterns"
        ),
        severity=_grouped("attributes.json", attrs["severity"], "severity", exclusive=True),
        vertebral_sites=_phrases("attributes.json", attrs["vertebral_sites"], "vertebral_sites"),
        other_sites=_phrases("attributes.json", attrs["other_sites"], "other_sites"),
        regions=_grouped("attributes.json", attrs["regions"], "regions", exclusive=False),
    )


def with_placeholders(rule: dict[str, Any]) -> dict[str, Any]:
    """The target rule as a token pattern that lets a placeholder stand between its tokens.

    A rule given by its literal alone becomes one token per word, matched in lower case.
    """
    pattern = rule.get("pattern")
    if pattern is None:
        pattern = [{"LOWER": word} for word in rule["literal"].lower().split()]
    if not isinstance(pattern, list):
        raise DataError(f"target rule '{rule['literal']}': pattern must be a token list")
    spaced: list[dict[str, Any]] = []
    for i, token in enumerate(pattern):
        if i:
            spaced.append(PLACEHOLDER)
        spaced.append(token)
    return {**rule, "pattern": spaced}
