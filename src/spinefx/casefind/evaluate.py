"""How well the finder agrees with labelled reports: sensitivity, specificity, PPV, NPV.

How ``uncertain`` is counted: a case-finding search sends both ``present`` and ``uncertain``
findings to a person, so the main figures count both as *found*, on the gold side and on the
pipeline's side alike. The same figures with the pipeline's ``uncertain`` counted as *not
found* are given beside them, with the full 3 x 3 table. Intervals are Wilson score 95 %
intervals. Level accuracy is over true positives: the share whose set of levels equals the
gold set exactly (both empty counts as equal).

>>> [round(x, 3) for x in wilson(92, 100)]
[0.85, 0.959]
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spinefx.errors import InputError

__all__ = ["LABELS", "Evaluation", "Rate", "evaluate_file", "score", "wilson"]

LABELS = ("present", "uncertain", "absent")
Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / n`` (0, 1 when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    """A proportion with its Wilson 95 % interval."""

    successes: int
    n: int

    @property
    def value(self) -> float | None:
        return self.successes / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.successes, self.n)

    def to_dict(self) -> dict[str, Any]:
        low, high = self.interval
        return {"value": self.value, "low": low, "high": high, "k": self.successes, "n": self.n}

    def __str__(self) -> str:
        if not self.n:
            return "n/a (n = 0)"
        low, high = self.interval
        return f"{self.value:6.1%}  ({low:.1%} - {high:.1%})  {self.successes}/{self.n}"


@dataclass(frozen=True)
class Evaluation:
    """The figures for one labelled set."""

    n: int
    sensitivity: Rate
    specificity: Rate
    ppv: Rate
    npv: Rate
    strict: dict[str, Rate]
    level_accuracy: Rate
    confusion: dict[str, dict[str, int]]
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "uncertain_counts_as": "found (present or uncertain, gold and predicted)",
            "sensitivity": self.sensitivity.to_dict(),
            "specificity": self.specificity.to_dict(),
            "ppv": self.ppv.to_dict(),
            "npv": self.npv.to_dict(),
            "predicted_uncertain_as_not_found": {k: v.to_dict() for k, v in self.strict.items()},
            "level_accuracy_on_true_positives": self.level_accuracy.to_dict(),
            "confusion": self.confusion,
            "errors": self.errors,
        }

    def describe(self) -> str:
        lines = [
            f"{self.n} labelled reports; 'uncertain' counts as found (gold and predicted).",
            "                 value    (Wilson 95 %)       k/n",
            f"sensitivity    {self.sensitivity}",
            f"specificity    {self.specificity}",
            f"PPV            {self.ppv}",
            f"NPV            {self.npv}",
            f"level accuracy {self.level_accuracy}   (exact level set, true positives)",
            "With the pipeline's 'uncertain' counted as not found:",
            *(f"  {name:<12} {rate}" for name, rate in self.strict.items()),
            "gold \\ found    " + "  ".join(f"{p:>9}" for p in LABELS),
            *(f"{g:<15}" + "  ".join(f"{self.confusion[g][p]:>9}" for p in LABELS) for g in LABELS),
        ]
        if self.errors:
            lines.append(f"{len(self.errors)} disagreements (id: gold -> found):")
            lines += [
                f"  {e['id']}: {e['gold']} -> {e['found']}  {e.get('levels', '')}"
                for e in self.errors[:30]
            ]
        return "\n".join(lines)


def _binary(gold: Sequence[bool], found: Sequence[bool]) -> dict[str, Rate]:
    tp = sum(g and f for g, f in zip(gold, found, strict=True))
    fp = sum((not g) and f for g, f in zip(gold, found, strict=True))
    fn = sum(g and not f for g, f in zip(gold, found, strict=True))
    tn = sum((not g) and not f for g, f in zip(gold, found, strict=True))
    return {
        "sensitivity": Rate(tp, tp + fn),
        "specificity": Rate(tn, tn + fp),
        "ppv": Rate(tp, tp + fp),
        "npv": Rate(tn, tn + fn),
    }


def score(
    rows: Iterable[tuple[str, str, Sequence[str] | None, str, Sequence[str]]],
) -> Evaluation:
    """Figures from ``(id, gold label, gold levels or None, found vcf, found levels)`` rows."""
    items = list(rows)
    confusion = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    errors: list[dict[str, Any]] = []
    level_hits = level_n = 0
    for rid, gold, gold_levels, found, found_levels in items:
        confusion[gold][found] += 1
        gold_pos, found_pos = gold != "absent", found != "absent"
        if gold_pos and found_pos and gold_levels is not None:
            level_n += 1
            same = set(gold_levels) == set(found_levels)
            level_hits += same
            if not same:
                errors.append(
                    {"id": rid, "gold": gold, "found": found,
                     "levels": f"levels {list(gold_levels)} -> {list(found_levels)}"}
                )  # fmt: skip
        if gold != found:
            errors.append({"id": rid, "gold": gold, "found": found})
    gold_found = [g != "absent" for _, g, _, _, _ in items]
    main = _binary(gold_found, [f != "absent" for _, _, _, f, _ in items])
    strict = _binary(gold_found, [f == "present" for _, _, _, f, _ in items])
    return Evaluation(
        n=len(items),
        sensitivity=main["sensitivity"],
        specificity=main["specificity"],
        ppv=main["ppv"],
        npv=main["npv"],
        strict=strict,
        level_accuracy=Rate(level_hits, level_n),
        confusion=confusion,
        errors=errors,
    )


def _levels(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(v) for v in json.loads(text)]
        except json.JSONDecodeError:
            pass
    return [p.strip() for p in text.replace(",", ";").split(";") if p.strip()]


def evaluate_file(
    path: Path,
    label_column: str = "label",
    levels_column: str | None = "levels",
    id_column: str = "id",
    text_columns: Sequence[str] = ("text",),
    workers: int = 1,
) -> Evaluation:
    """Run the finder over a labelled file and score it (see the module docstring)."""
    from spinefx.casefind.engine import run_local
    from spinefx.casefind.reports import open_reports

    probe = open_reports(path, id_column, text_columns)
    if label_column not in probe.columns:
        listed = ", ".join(probe.columns)
        raise InputError("--label-column", label_column, f"a column of {path.name} ({listed})")
    extra = [label_column]
    levels_key = ""
    if levels_column and levels_column in probe.columns:
        extra.append(levels_column)
        levels_key = "extra_" + levels_column
    elif levels_column and levels_column != "levels":
        raise InputError("--levels-column", levels_column, f"a column of {path.name}")
    source = open_reports(path, id_column, text_columns, extra_columns=extra)
    gold: list[tuple[str, str, list[str] | None]] = []

    def batches() -> Iterable[Any]:
        row = 0
        for batch in source.batches():
            data = batch.to_pydict()
            for i, rid in enumerate(data["id"]):
                row += 1
                label = data["extra_" + label_column][i]
                label = None if label is None else str(label).strip().lower()
                if label not in LABELS:
                    raise InputError(
                        label_column, label, f"present, uncertain or absent (row {row})"
                    )
                lv = _levels(data[levels_key][i]) if levels_key else None
                gold.append((str(rid), label, lv))
            yield batch.select([n for n in batch.schema.names if not n.startswith("extra_")])

    found: list[tuple[str, list[str]]] = []
    for out in run_local(batches(), workers):
        data = out.to_pydict()
        found += list(zip(data["vcf"], data["levels"], strict=True))
    return score(
        (rid, label, lv, vcf, levels)
        for (rid, label, lv), (vcf, levels) in zip(gold, found, strict=True)
    )
