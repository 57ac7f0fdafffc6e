"""A saved assessment said in one clinical line, for the case timeline and the printed summary.

:func:`summary` is a pure function of the assessment's kind and its saved result (the JSON the
core produced, possibly by an older spinefx): a part it does not find is left out, never an
error, and a result it cannot read at all is said to be saved without a summary.

- screening: what to do, in words, then how many of the checklist's signs were met and any red
  flags (each named);
- grading: each fractured level, ``L2: grade 2 wedge, 33 %`` (the height loss rounded), and the
  spinal deformity index;
- candidacy: the verdict and the criteria not met, and those not known unless the verdict is
  already met (the alternatives inside the indication are said by the indication);
- follow-up: the risk, the first line of treatment and the next FLS item due.

>>> summary("grading", {"vertebrae": [{"level": "L2", "grade": 2, "type": "wedge",
...     "height_loss_pct": 30.2}], "sdi": 2})
'L2: grade 2 wedge, 30 %. SDI 2.'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Final

from spinefx.clinical import candidacy, screening
from spinefx.dates import plain_date

__all__ = [
    "CHECKLIST_SIGNS",
    "SCREENING_ACTIONS",
    "summary",
]

# What the self-check's result asks of the clinician, by outcome (spinefx.clinical.screening).
SCREENING_ACTIONS: Final[Mapping[str, str]] = {
    "emergency": "Emergency: to an emergency department now",
    "urgent": "Urgent: to be seen by a doctor today",
    "possible-vcf": "Possible vertebral compression fracture: to be seen by a doctor within days",
    "see-doctor": (
        "Checklist not met, but reason enough to see a doctor (the self-check safety net): to "
        "be seen by a doctor within days"
    ),
    "not-indicated": (
        "Checklist not met: to see a doctor if the pain worsens or does not ease in 1-2 weeks"
    ),
    "incomplete": "Incomplete: too many answers missing for a result",
}
# The seed checklist's five signs, all needed for "possible-vcf" (the fifth: age or osteoporosis).
CHECKLIST_SIGNS: Final[tuple[str, ...]] = (
    "sudden-onset",
    "severe-pain",
    "sharp-pain",
    "pain-over-3-days",
    "age-over-50-or-osteoporosis",
)
RED_FLAG = "red-flag:"


def summary(kind: str, result: Any) -> str:
    """One line for the saved ``result`` of a ``kind`` of assessment (see the module's doc).

    >>> print(summary("screening", {"outcome": "urgent", "criteria": [
    ...     {"id": "sudden-onset", "status": "met"}, {"id": "red-flag:fever", "status": "met"}]}))
    ... # doctest: +NORMALIZE_WHITESPACE
    Urgent: to be seen by a doctor today. Checklist signs: 1 of 5 met, 4 not known.
    Red flag: fever or chills.
    >>> summary("screening", "not a result")
    'Result saved (no summary for this result).'
    """
    line = ""
    if isinstance(result, Mapping):
        make = {
            "screening": _screening,
            "grading": _grading,
            "candidacy": _candidacy,
            "followup": _followup,
        }.get(kind)
        try:
            line = make(result) if make is not None else ""
        except (TypeError, ValueError, KeyError, AttributeError):  # a result of another shape
            line = ""
    return line or "Result saved (no summary for this result)."


def _criteria(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = result.get("criteria") or result.get("risk_reasons") or []
    return [
        (str(c["id"]), str(c.get("status")))
        for c in _seq(rows)
        if isinstance(c, Mapping) and "id" in c
    ]


def _seq(value: Any) -> Sequence[Any]:
    return value if isinstance(value, Sequence) and not isinstance(value, str) else ()


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text


def _screening(result: Mapping[str, Any]) -> str:
    outcome = str(result.get("outcome") or "")
    action = SCREENING_ACTIONS.get(outcome, outcome.replace("-", " ").capitalize())
    if outcome in ("possible-vcf", "see-doctor") and result.get("action") == "See a doctor today.":
        action = action.replace("within days", "today (pain 9 or 10 of 10)")
    parts = [action]
    status = dict(_criteria(result))
    if any(sign in status for sign in CHECKLIST_SIGNS):
        met = sum(status.get(sign) == "met" for sign in CHECKLIST_SIGNS)
        unknown = sum(status.get(sign) in (None, "unknown") for sign in CHECKLIST_SIGNS)
        parts.append(
            f"Checklist signs: {met} of {len(CHECKLIST_SIGNS)} met"
            + (f", {unknown} not known" if unknown else "")
        )
    flags = [
        _lower_first(screening.RED_FLAG_SHORT.get(id.removeprefix(RED_FLAG), id))
        for id, s in status.items()
        if id.startswith(RED_FLAG) and s == "met"
    ]
    unanswered = _seq(result.get("unanswered_red_flags"))
    if flags:
        parts.append(f"Red flag{'s' if len(flags) > 1 else ''}: " + "; ".join(flags))
    elif any(id.startswith(RED_FLAG) for id in status) and not unanswered:
        parts.append("No red flag")
    if unanswered:
        parts.append(f"{len(unanswered)} red-flag question{'s' * (len(unanswered) > 1)} unanswered")
    return ". ".join(p for p in parts if p) + "."


def _grading(result: Mapping[str, Any]) -> str:
    graded = [v for v in _seq(result.get("vertebrae")) if isinstance(v, Mapping)]
    fractured = [v for v in graded if isinstance(v.get("grade"), int) and v["grade"] > 0]
    # A level without a grade (its crush not assessed) is never summed up as "no fracture".
    ungraded = [str(v.get("level")) for v in graded if v.get("grade") is None]
    parts = []
    if fractured:
        levels = []
        for v in fractured:
            kind = f" {v['type']}" if v.get("type") else ""
            loss = v.get("height_loss_pct")
            pct = f", {float(loss):.0f} %" if isinstance(loss, int | float) else ""
            typed = " (entered, not measured)" if v.get("graded_from") == "entered-pct" else ""
            levels.append(f"{v.get('level')}: grade {v['grade']}{kind}{pct}{typed}")
        parts.append("; ".join(levels))
    if ungraded:
        parts.append("Not graded (crush not assessed): " + ", ".join(ungraded))
    if not parts and graded:
        parts.append(
            "No vertebral fracture: grade 0 at " + ", ".join(str(v.get("level")) for v in graded)
        )
    if not parts:
        return ""
    line = ". ".join(parts)
    sdi = result.get("sdi")
    return line + (f". SDI {sdi}." if isinstance(sdi, int) else ".")


def _candidacy(result: Mapping[str, Any]) -> str:
    outcome = str(result.get("outcome") or "")
    verdict = candidacy.CANDIDACY_OUTCOMES.get(outcome, outcome.replace("-", " ").capitalize())
    status = dict(_criteria(result))
    # the alternatives inside a whole (the indication's parts) are not criteria on their own:
    # the whole is listed, met or not
    inside = {part for parts in candidacy.CRITERION_PARTS.values() for part in parts}

    def counts(id: str, wanted: str) -> bool:
        return status.get(id) == wanted and id not in inside

    def said(ids: list[str]) -> str:
        return "; ".join(_lower_first(candidacy.criterion_text(id)) for id in ids)

    not_met = [id for id in status if counts(id, "not-met")]
    unknown = [id for id in status if counts(id, "unknown")]
    parts = [verdict]
    if not_met:
        parts.append("Not met: " + said(not_met))
    if unknown and outcome != "meets-criteria":
        parts.append("Not known: " + said(unknown))
    if outcome == "meets-criteria" and not not_met:
        parts.append("Every criterion needed is met")
    return ". ".join(parts) + "."


def _first_sentence(text: str) -> str:
    """``text`` up to its first full stop outside brackets."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if ch == "." and depth == 0 and (i + 1 == len(text) or text[i + 1] == " "):
            return text[: i + 1]
    return text


def _followup(result: Mapping[str, Any]) -> str:
    parts = []
    risk = result.get("risk")
    if isinstance(risk, str) and risk:
        parts.append(f"{risk.replace('-', ' ').capitalize()} fracture risk.")
    medication = result.get("medication")
    first = medication.get("first_line") if isinstance(medication, Mapping) else None
    if isinstance(first, str) and first:
        parts.append(f"First line: {_first_sentence(first.strip())}")
    items = [
        i for i in _seq(result.get("fls_checklist")) if isinstance(i, Mapping) and i.get("due_date")
    ]
    if items:
        items.sort(key=lambda i: str(i["due_date"]))  # stable: the checklist's order within a day
        nxt = items[0]
        same_day = sum(str(i["due_date"]) == str(nxt["due_date"]) for i in items) - 1
        more = f" (and {same_day} more that day)" if same_day else ""
        late = ", overdue when the plan was made" if nxt.get("overdue") else ""
        due = _shown_day(str(nxt["due_date"]))
        what = _lower_first(str(nxt.get("item") or nxt.get("id")))
        parts.append(f"Next due by {due}: {what}{more}{late}.")
    return " ".join(parts)


def _shown_day(text: str) -> str:
    """An ISO date as US readers write it ("January 25, 2027"); other text as it is."""
    try:
        return plain_date(date.fromisoformat(text))
    except ValueError:
        return text
