"""A case as its page shows it: the timeline of everything recorded, the outcome charts, the
case-finding evidence highlighted in the report text, and what the page needs besides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from spinefx.registry.assessments import summary as assessment_summary
from spinefx.registry.models import Case
from spinefx.registry.vocab import EVENT_ORDER, INSTRUMENT_RANGES, FoundBy, Instrument
from spinefx.web.chart_svg import Chart, Series, line_chart_svg
from spinefx.web.registry.forms import (
    ASSESSMENT_PAGES,
    CASE_FIELDS,
    CONTACT_FORM,
    EVENT_NAMES,
    INSTRUMENT_NAMES,
    ROW_FORMS,
    word,
)
from spinefx.web.registry.pages import PREFIX, today

__all__ = [
    "LETTER_TITLES",
    "TimelineItem",
    "case_context",
    "event_defaults",
    "evidence_segments",
    "timeline",
]

LETTER_TITLES = {"pcp": "Letter to the primary care clinician", "patient": "Letter to the patient"}


@dataclass(frozen=True)
class TimelineItem:
    day: date
    kind: str  # fractures, events, procedures, outcomes, assessments, letters
    title: str
    detail: str
    edit_url: str | None
    anchor: str


def evidence_segments(evidence: Any) -> list[tuple[str, str | None]]:
    """The report text cut into (text, status) pieces: ``status`` set on the evidence spans.

    Spans whose offsets do not match their text, or that overlap one already taken, are not
    highlighted (the text is shown whole all the same). Without a report text, each evidence
    snippet is one piece.
    """
    if not isinstance(evidence, Mapping):
        return []
    spans = evidence.get("evidence") or evidence.get("spans") or []
    report = evidence.get("report_text") or evidence.get("text")
    if not isinstance(spans, Sequence) or isinstance(spans, str):
        spans = []
    if not isinstance(report, str):
        return [
            (str(s.get("text", "")), str(s.get("status") or "present"))
            for s in spans
            if isinstance(s, Mapping) and s.get("text")
        ]
    pieces: list[tuple[str, str | None]] = []
    at = 0
    good = []
    for s in spans:
        if not isinstance(s, Mapping):
            continue
        start, end = s.get("start"), s.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end:
            continue
        if end > len(report):
            continue
        if s.get("text") is not None and report[start:end] != s.get("text"):
            continue
        good.append((start, end, str(s.get("status") or "present")))
    for start, end, status in sorted(good):
        if start < at:
            continue
        if start > at:
            pieces.append((report[at:start], None))
        pieces.append((report[start:end], status))
        at = end
    if at < len(report):
        pieces.append((report[at:], None))
    return pieces


def outcome_charts(case: Case) -> list[tuple[str, Any, list[tuple[date, float]]]]:
    charts = []
    ticks = {
        Instrument.NRS: (0, 2, 4, 6, 8, 10),
        Instrument.RDQ: (0, 6, 12, 18, 24),
        Instrument.ODI: (0, 25, 50, 75, 100),
    }
    for instrument in Instrument:
        points = sorted(
            (o.date, float(o.score)) for o in case.outcomes if o.instrument == instrument.value
        )
        low, high = INSTRUMENT_RANGES[instrument]
        unit = " %" if instrument is Instrument.ODI else ""
        svg = line_chart_svg(
            Chart(
                f"{INSTRUMENT_NAMES[instrument.value]} over time",
                low,
                high,
                (Series(instrument.value.upper(), tuple(points)),),
                unit=unit,
                y_ticks=ticks[instrument],
                dom_id=f"chart-{instrument.value}",
            )
        )
        charts.append((instrument.value, svg, points))
    return charts


def _item(base: str, kind: str, row: Any, day: date, title: str, detail: str) -> TimelineItem:
    """The timeline's item of ``row``, one of the case's ``kind``: linked to its edit page where
    the kind has a form (a fracture, an event, a procedure, an outcome), and its own anchor."""
    edit_url = f"{base}/{kind}/{row.id}/edit" if kind in ROW_FORMS else None
    return TimelineItem(day, kind, title, detail, edit_url, f"{kind.removesuffix('s')}-{row.id}")


def timeline(case: Case) -> list[TimelineItem]:
    base = f"{PREFIX}/cases/{case.id}"
    items: list[TimelineItem] = []
    for f in case.fractures:
        where = ", ".join(f.levels) if f.levels else (f.site or "")
        grade = f", Genant grade {f.genant_grade}" if f.genant_grade is not None else ""
        title = f"{'Index fracture' if f.is_index else 'Fracture'} {where}"
        items.append(
            _item(base, "fractures", f, f.date, title, f"Found: {word(f.found_by)}{grade}")
        )
    for e in case.events:
        detail = word(e.status) + (f". {e.note}" if e.note else "")
        items.append(_item(base, "events", e, e.date, EVENT_NAMES.get(e.type, e.type), detail))
    for p in case.procedures:
        cement = ", ".join(f"{k} {v:g} ml" for k, v in dict(p.cement_ml).items())
        parts = [word(x) for x in (p.approach, p.anaesthesia) if x]
        if cement:
            parts.append(f"cement {cement}")
        parts.append(
            "complications: "
            + (", ".join(word(c) for c in p.complications) if p.complications else "none")
        )
        if p.operator_npi:
            parts.append(f"operator NPI {p.operator_npi}")
        title = f"{word(p.kind)} {', '.join(p.levels)}"
        items.append(_item(base, "procedures", p, p.date, title, "; ".join(parts)))
    for o in case.outcomes:
        unit = " %" if o.instrument == Instrument.ODI.value else ""
        when = f" ({word(o.timepoint)})" if o.timepoint else ""
        title = f"{INSTRUMENT_NAMES.get(o.instrument, o.instrument)}"
        items.append(_item(base, "outcomes", o, o.date, title, f"{o.score:g}{unit}{when}"))
    for a in case.assessments:
        title = f"{ASSESSMENT_PAGES.get(a.kind, a.kind)} saved"
        detail = f"{assessment_summary(a.kind, a.result)} (spinefx {a.spinefx_version})"
        items.append(_item(base, "assessments", a, a.created_at.date(), title, detail))
    for letter in case.letters:
        title = LETTER_TITLES.get(letter.kind, letter.kind)
        items.append(
            _item(base, "letters", letter, letter.created_at.date(), title, letter.subject)
        )
    order = {
        "fractures": 0,
        "procedures": 1,
        "assessments": 2,
        "events": 3,
        "outcomes": 4,
        "letters": 5,
    }
    return sorted(items, key=lambda i: (i.day, order[i.kind], i.anchor))


def event_defaults(next_event: str | None) -> dict[str, Any]:
    """A new event's form: the case's next due event, done today."""
    chosen = {"date": today().isoformat(), "status": "done"}
    return {**chosen, "type": next_event} if next_event else chosen


def case_context(case: Case) -> dict[str, Any]:
    found = [f for f in case.fractures if f.found_by == FoundBy.CASE_FINDING.value]
    recorded = {e.type for e in case.events}
    return {
        "case": case,
        "timeline": timeline(case),
        "charts": outcome_charts(case),
        "findings": [(f, evidence_segments(f.evidence)) for f in found],
        "event_plan": [(t.value, EVENT_NAMES[t.value], t.value in recorded) for t in EVENT_ORDER],
        "row_forms": ROW_FORMS,
        "row_defaults": {"events": event_defaults(case.next_event)},
        "case_fields": CASE_FIELDS,
        "case_values": {
            "name": case.name,
            "birth_date": case.birth_date.isoformat(),
            "sex": case.sex,
            "status": case.status,
            "death_date": case.death_date.isoformat() if case.death_date else "",
        },
        "index_fracture": next((f for f in case.fractures if f.is_index), None),
        "letter_titles": LETTER_TITLES,
        "contact_fields": CONTACT_FORM,
        "contact_values": {f.name: getattr(case, f.name) or "" for f in CONTACT_FORM},
        "today": today(),
    }
