"""Osteoporosis drugs, recognised in what an EHR sends: an RxNorm ingredient code, or the
ingredient's name (or a brand) in a coding's display or a text.

EHR exports code medications as products (a clinical or branded drug: "Alendronic acid 10 MG
[Fosamax]") far more often than as ingredients, so a product code that is not an ingredient
code held here is read by its words. The drugs are those of the AACE/ACE 2020 and Endocrine
Society 2019 guidelines (shared/reference/clinical.md).

>>> recognise_text("Alendronic acid 70 MG Oral Tablet").key
'alendronate'
>>> recognise_text("zoledronate 5 mg/100 ml infusion").ingredient
'zoledronic acid'
>>> recognise_text("Vitamin D3 1000 UNT Oral Tablet") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from spinefx.fhir.codes import RXNORM

__all__ = [
    "DRUGS",
    "Drug",
    "by_key",
    "named",
    "recognise",
    "recognise_coding",
    "recognise_text",
]


@dataclass(frozen=True)
class Drug:
    """An osteoporosis drug: its ingredient, the words that name it and its RxNorm code.

    ``rxnorm`` is the RxNorm ingredient (TTY IN) code where it was checked against a published
    source (docs/fhir.md), else ``None``: the drug is then recognised by its words only and
    written with its name as text.
    """

    key: str
    ingredient: str
    drug_class: str
    names: tuple[str, ...]
    rxnorm: str | None = None


DRUGS: tuple[Drug, ...] = (
    Drug("alendronate", "alendronate", "bisphosphonate",
         ("alendronate", "alendronic acid", "fosamax", "binosto"), rxnorm="46041"),
    Drug("risedronate", "risedronate", "bisphosphonate",
         ("risedronate", "risedronic acid", "actonel", "atelvia")),
    Drug("ibandronate", "ibandronate", "bisphosphonate",
         ("ibandronate", "ibandronic acid", "boniva")),
    Drug("zoledronic-acid", "zoledronic acid", "bisphosphonate",
         ("zoledronic acid", "zoledronate", "zoledronic", "reclast", "aclasta"), rxnorm="77655"),
    Drug("denosumab", "denosumab", "RANKL inhibitor", ("denosumab", "prolia")),
    Drug("teriparatide", "teriparatide", "PTH analogue", ("teriparatide", "forteo")),
    Drug("abaloparatide", "abaloparatide", "PTHrP analogue", ("abaloparatide", "tymlos")),
    Drug("romosozumab", "romosozumab", "sclerostin inhibitor", ("romosozumab", "evenity")),
    Drug("raloxifene", "raloxifene", "SERM", ("raloxifene", "evista")),
    Drug("calcitonin", "calcitonin (salmon)", "calcitonin",
         ("calcitonin", "miacalcin", "fortical")),
)  # fmt: skip

_BY_KEY: Mapping[str, Drug] = MappingProxyType({d.key: d for d in DRUGS})
_BY_RXNORM: Mapping[str, Drug] = MappingProxyType({d.rxnorm: d for d in DRUGS if d.rxnorm})
# One pattern, longest names first, whole words only: "zoledronic acid" before "zoledronic".
_NAMES = sorted(((n, d) for d in DRUGS for n in d.names), key=lambda p: -len(p[0]))
_PATTERN = re.compile(r"\b(" + "|".join(re.escape(n) for n, _ in _NAMES) + r")\b", re.IGNORECASE)
_BY_NAME = {n: d for n, d in _NAMES}


def by_key(key: str) -> Drug:
    return _BY_KEY[key]


def recognise_text(text: str | None) -> Drug | None:
    """The first osteoporosis drug named in ``text``, or ``None``."""
    if not text:
        return None
    found = _PATTERN.search(text)
    return _BY_NAME[found.group(1).lower()] if found else None


def recognise_coding(coding: Mapping[str, Any]) -> Drug | None:
    """A coding's drug: by RxNorm ingredient code first, else by the words of its display."""
    if coding.get("system") == RXNORM:
        drug = _BY_RXNORM.get(str(coding.get("code", "")).strip())
        if drug is not None:
            return drug
    display = coding.get("display")
    return recognise_text(display) if isinstance(display, str) else None


def recognise(concept: Mapping[str, Any] | None) -> Drug | None:
    """The drug of a CodeableConcept (as JSON): any of its codings, then its text."""
    if not isinstance(concept, Mapping):
        return None
    codings = concept.get("coding")
    for coding in codings if isinstance(codings, list) else ():
        if isinstance(coding, Mapping):
            drug = recognise_coding(coding)
            if drug is not None:
                return drug
    text = concept.get("text")
    return recognise_text(text) if isinstance(text, str) else None


def named(texts: Iterable[str | None]) -> Drug | None:
    """The first drug named in any of ``texts``."""
    for text in texts:
        drug = recognise_text(text)
        if drug is not None:
            return drug
    return None
