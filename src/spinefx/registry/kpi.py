"""The IOF Capture the Fracture patient-level KPIs (Javaid, Osteoporos Int 2020), per issues 11
and 20.

- A case is anchored on its index (sentinel) fracture, the one that brought the patient to the
  service (:mod:`spinefx.registry.index_fracture`), never on the earliest fracture on record;
  the case is in the period when the index date ``d`` lies in ``[start, end]`` (both days
  included).
- For an event type with a window of ``W`` weeks (12 for ``risk-assessment``, ``dxa``,
  ``falls-assessment``; 16 for ``medication-recommended``, ``exercise-started``, ``monitoring``,
  ``medication-started``), the denominator is the cases in the period with ``d + 7W days <=
  as_of`` and no event of that type marked ``not-applicable``; the numerator is those of them
  with an event of that type ``done`` dated in ``[d, d + 7W days]`` (both days included: day
  ``7W`` counts, day ``7W + 1`` does not).
- ``on-medication-at-52-weeks``: ``done`` dated in ``[d + 336 days, d + 392 days]`` (weeks 48 to
  56), denominator ``d + 392 days <= as_of``.
- The percent has one decimal (half rounded up), ``null`` for an empty denominator. Bands:
  ``<50``, ``50-80``, ``>80`` (50.0 and 80.0 are in the middle band), for
  ``medication-recommended`` ``<50`` and ``>=50``; the band is read from the rounded percent,
  so the figure shown and its band always agree.
- Identification: the cases in the period with a spine fracture, and of those the ones with a
  spine fracture found radiologically or by case-finding.
- Completeness: the percent of (case, event type) pairs in the denominators above that have
  any event of that type recorded (done, declined; any date).
- Deceased (issue 20): a KPI falls due on the last day of its window, ``d + 7W`` days
  (``d + 392`` for the one at 52 weeks). A patient whose date of death is before that day
  leaves that KPI (numerator, denominator and completeness); one who died on or after it
  stays. A deceased case with no date of death recorded stays in every KPI. The count of
  cases and identification are not measures that fall due, and keep every case.

Convention (ours): a case still ``to-review`` (a case-finding hit nobody has confirmed) or one
that was dismissed is not a case of the service, and is left out of every count.

The computation (:func:`compute`) is pure; :func:`kpi_report` reads the rows it needs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from spinefx.errors import Bounds, InputError, ProblemKind
from spinefx.registry import audit
from spinefx.registry.models import Case, Dismissal, Event, Fracture, Site
from spinefx.registry.permissions import Action, Actor, require
from spinefx.registry.vocab import (
    EVENT_ORDER,
    EVENT_WINDOWS,
    CaseStatus,
    EventStatus,
    EventType,
    FoundBy,
)

__all__ = [
    "BANDS",
    "BIT",
    "CaseFlags",
    "Kpi",
    "KpiCase",
    "KpiReport",
    "band",
    "case_flags",
    "compute",
    "died_before_due",
    "due_date",
    "kpi_monthly",
    "kpi_report",
    "load_kpi_cases",
    "monthly",
    "percent",
]

BANDS_THREE = ("<50", "50-80", ">80")
BANDS: dict[EventType, tuple[str, ...]] = {
    kind: (("<50", ">=50") if kind is EventType.MEDICATION_RECOMMENDED else BANDS_THREE)
    for kind in EVENT_ORDER
}
_IDENTIFIED_BY = frozenset({FoundBy.RADIOLOGICAL.value, FoundBy.CASE_FINDING.value})


@dataclass(frozen=True)
class KpiCase:
    """What the KPIs read of one case."""

    case_id: int
    index_date: date
    spine: bool = True  # has a spine fracture
    spine_found_by: frozenset[str] = frozenset()  # how its spine fractures were found
    events: tuple[tuple[str, str, date], ...] = ()  # (type, status, date)
    death_date: date | None = None


@dataclass(frozen=True)
class Kpi:
    id: str
    numerator: int
    denominator: int
    percent: float | None
    band: str | None


@dataclass(frozen=True)
class KpiReport:
    start: date
    end: date
    as_of: date
    site: str | None
    cases: int
    kpis: tuple[Kpi, ...]
    identification: dict[str, Any] = field(default_factory=dict)
    completeness_percent: float | None = None
    completeness_pairs: int = 0

    @property
    def completeness_text(self) -> str:
        if self.completeness_percent is None:
            return "no (case, event) pairs due yet"
        return (
            f"{self.completeness_percent:.1f} % of {self.completeness_pairs} (case, event) "
            "pairs due have an event recorded"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "as_of": self.as_of.isoformat(),
            "site": self.site,
            "cases": self.cases,
            "kpis": [
                {
                    "id": k.id,
                    "numerator": k.numerator,
                    "denominator": k.denominator,
                    "percent": k.percent,
                    "band": k.band,
                }
                for k in self.kpis
            ],
            "identification": dict(self.identification),
            "completeness_percent": self.completeness_percent,
        }


SPINE = 1  # fracture_flags: the case has a spine fracture
SPINE_IDENTIFIED = 2  # ... found radiologically or by case-finding
BIT: dict[EventType, int] = {kind: 1 << i for i, kind in enumerate(EVENT_ORDER)}


@dataclass(frozen=True)
class CaseFlags:
    """What the KPIs need of one case, kept on its row: bit masks over :data:`BIT`."""

    recorded: int = 0
    not_applicable: int = 0
    done_in_window: int = 0
    fracture: int = 0
    died_before_due: int = 0


def due_date(index_date: date, kind: EventType) -> date:
    """The day a KPI falls due: the last day of its window after the index fracture."""
    return index_date + timedelta(days=7 * EVENT_WINDOWS[kind][1])


def died_before_due(index_date: date, death_date: date | None, kind: EventType) -> bool:
    """The patient died before ``kind`` fell due, so the case leaves that KPI."""
    return death_date is not None and death_date < due_date(index_date, kind)


def case_flags(
    index_date: date | None,
    events: Iterable[tuple[str, str, date]],
    spine_found_by: Iterable[str] | None,
    *,
    death_date: date | None = None,
) -> CaseFlags:
    """The KPI bits of a case from its events, its spine fractures' ``found_by`` and the date
    of death.

    None of them depends on the period or on ``as_of``: a window is fixed by the index date.
    ``spine_found_by`` is ``None`` when the case has no spine fracture.
    """
    died = 0
    if index_date is not None:
        for kind in EVENT_ORDER:
            if died_before_due(index_date, death_date, kind):
                died |= BIT[kind]
    recorded = not_applicable = done = 0
    for kind_text, status, day in events:
        try:
            kind = EventType(kind_text)
        except ValueError:
            continue
        bit = BIT[kind]
        recorded |= bit
        if status == EventStatus.NOT_APPLICABLE:
            not_applicable |= bit
        if status == EventStatus.DONE and index_date is not None:
            first_week, last_week = EVENT_WINDOWS[kind]
            if (
                index_date + timedelta(days=7 * first_week)
                <= day
                <= index_date + timedelta(days=7 * last_week)
            ):
                done |= bit
    fracture = 0
    if spine_found_by is not None:
        fracture |= SPINE
        if set(spine_found_by) & _IDENTIFIED_BY:
            fracture |= SPINE_IDENTIFIED
    return CaseFlags(recorded, not_applicable, done, fracture, died)


def percent(numerator: int, denominator: int) -> float | None:
    """``100 * numerator / denominator`` with one decimal, half up; ``None`` for 0 / 0."""
    if denominator == 0:
        return None
    value = (Decimal(100 * numerator) / Decimal(denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    return float(value)


def band(kind: EventType | str, value: float | None) -> str | None:
    """The achievement band of a (rounded) percent: 50 and 80 fall in the middle band."""
    if value is None:
        return None
    if EventType(kind) is EventType.MEDICATION_RECOMMENDED:
        return "<50" if value < 50 else ">=50"
    if value < 50:
        return "<50"
    return "50-80" if value <= 80 else ">80"


def _before_start(start: date, end: date) -> InputError:
    """The period's end (``to``) before its start (``from``)."""
    return InputError(
        "to",
        end.isoformat(),
        f"a date on or after the start of the period ({start})",
        kind=ProblemKind.RANGE,
        expects="date",
        bounds=Bounds(low=start.isoformat()),
    )


def compute(
    cases: Iterable[KpiCase],
    *,
    start: date,
    end: date,
    as_of: date,
    site: str | None = None,
) -> KpiReport:
    """The KPI report over ``cases`` (those outside ``[start, end]`` are ignored)."""
    if end < start:
        raise _before_start(start, end)
    tally = _Tally()
    for case in cases:
        d = case.index_date
        if not start <= d <= end:
            continue
        tally.cases += 1
        if case.spine:
            tally.spine += 1
            if case.spine_found_by & _IDENTIFIED_BY:
                tally.identified += 1
        by_type: dict[str, list[tuple[str, date]]] = defaultdict(list)
        for kind, status, day in case.events:
            by_type[kind].append((status, day))
        for kind in EVENT_ORDER:
            first_week, last_week = EVENT_WINDOWS[kind]
            window_end = d + timedelta(days=7 * last_week)
            if window_end > as_of or died_before_due(d, case.death_date, kind):
                continue
            recorded = by_type.get(kind.value, [])
            if any(status == EventStatus.NOT_APPLICABLE for status, _ in recorded):
                continue
            tally.denominators[kind] += 1
            tally.pairs += 1
            if recorded:
                tally.recorded_pairs += 1
            window_start = d + timedelta(days=7 * first_week)
            if any(
                status == EventStatus.DONE and window_start <= day <= window_end
                for status, day in recorded
            ):
                tally.numerators[kind] += 1
    return tally.report(start=start, end=end, as_of=as_of, site=site)


@dataclass
class _Tally:
    """The counts a report is made from (cases in the period, per event type, ...)."""

    cases: int = 0
    spine: int = 0
    identified: int = 0
    recorded_pairs: int = 0
    pairs: int = 0
    numerators: dict[EventType, int] = field(default_factory=lambda: dict.fromkeys(EVENT_ORDER, 0))
    denominators: dict[EventType, int] = field(
        default_factory=lambda: dict.fromkeys(EVENT_ORDER, 0)
    )

    def report(self, *, start: date, end: date, as_of: date, site: str | None) -> KpiReport:
        """Each KPI's percent and band, identification, completeness."""
        kpis = []
        for kind in EVENT_ORDER:
            top, bottom = self.numerators[kind], self.denominators[kind]
            value = percent(top, bottom)
            kpis.append(Kpi(kind.value, top, bottom, value, band(kind, value)))
        return KpiReport(
            start=start,
            end=end,
            as_of=as_of,
            site=site,
            cases=self.cases,
            kpis=tuple(kpis),
            identification={
                "spine_fracture_cases": self.spine,
                "found_radiologically_or_by_case_finding": self.identified,
                "found_radiologically_or_by_case_finding_percent": percent(
                    self.identified, self.spine
                ),
            },
            completeness_percent=percent(self.recorded_pairs, self.pairs),
            completeness_pairs=self.pairs,
        )


def _months(start: date, end: date) -> Iterator[tuple[date, date, date]]:
    """Each calendar month touching ``[start, end]``: its first day, and the part inside."""
    first = date(start.year, start.month, 1)
    while first <= end:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        yield first, max(first, start), min(following - timedelta(days=1), end)
        first = following


def monthly(
    cases: Sequence[KpiCase], *, start: date, end: date, as_of: date, site: str | None = None
) -> list[tuple[date, KpiReport]]:
    """One report per calendar month of index fractures in ``[start, end]`` (for the charts)."""
    return [
        (first, compute(cases, start=lo, end=hi, as_of=as_of, site=site))
        for first, lo, hi in _months(start, end)
    ]


def _period_filter(actor: Actor, start: date, end: date, site: str | None) -> list[Any]:
    conditions: list[Any] = [
        Case.index_date >= start,
        Case.index_date <= end,
        Case.status != CaseStatus.TO_REVIEW.value,
        ~sa.exists().where(Dismissal.case_id == Case.id),
    ]
    if actor.site_ids is not None:
        conditions.append(Case.site_id.in_(actor.site_ids))
    if site is not None:
        conditions.append(
            Case.site_id == sa.select(Site.id).where(Site.code == site).scalar_subquery()
        )
    return conditions


def _check_site(session: Session, actor: Actor, site: str | None) -> list[int]:
    """The ids of the sites counted (``site``, else the actor's: none for the command line);
    an :class:`InputError` naming ``site`` when no site of the actor has that code. Another
    site's code gets the same answer as an unknown one: its existence is not disclosed."""
    if site is None:
        return audit.scope_of(actor)
    site_id = session.scalar(sa.select(Site.id).where(Site.code == site))
    if site_id is None or not actor.sees_site(site_id):
        raise InputError("site", site, "the code of one of your sites")
    return [site_id]


def _record_read(
    session: Session, actor: Actor, site_ids: list[int], start: date, end: date, as_of: date
) -> None:
    """The KPI read's audit entry, under each site counted."""
    audit.record(
        session,
        actor,
        "read",
        "kpi",
        site_ids=site_ids,
        detail={"from": start.isoformat(), "to": end.isoformat(), "as_of": as_of.isoformat()},
    )


def load_kpi_cases(
    session: Session, actor: Actor, *, start: date, end: date, site: str | None = None
) -> list[KpiCase]:
    """The cases whose index fracture lies in ``[start, end]``, with what the KPIs read."""
    require(actor, Action.READ_KPIS)
    _check_site(session, actor, site)
    where = _period_filter(actor, start, end, site)
    index: dict[int, date] = {}
    deaths: dict[int, date | None] = {}
    for case_id, day, death in session.execute(
        sa.select(Case.id, Case.index_date, Case.death_date).where(*where)
    ):
        if day is not None:
            index[case_id], deaths[case_id] = day, death
    events: dict[int, list[tuple[str, str, date]]] = defaultdict(list)
    for case_id, kind, status, day in session.execute(
        sa.select(Event.case_id, Event.type, Event.status, Event.date)
        .join(Case, Case.id == Event.case_id)
        .where(*where)
    ):
        events[case_id].append((kind, status, day))
    found: dict[int, set[str]] = defaultdict(set)
    for case_id, how in session.execute(
        sa.select(Fracture.case_id, Fracture.found_by)
        .join(Case, Case.id == Fracture.case_id)
        .where(*where, Fracture.site.is_(None))
        .distinct()
    ):
        found[case_id].add(how)
    return [
        KpiCase(
            case_id,
            day,
            spine=case_id in found,
            spine_found_by=frozenset(found.get(case_id, ())),
            events=tuple(events.get(case_id, ())),
            death_date=deaths[case_id],
        )
        for case_id, day in index.items()
    ]


def kpi_report(
    session: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    as_of: date,
    site: str | None = None,
    record_read: bool = True,
) -> KpiReport:
    """The KPIs of the actor's sites (or of ``site``) for index fractures in ``[start, end]``;
    the read is an audit entry under each site counted (unless not ``record_read``).

    The same rules as :func:`compute`, counted by the database in one grouped query over the
    period's case rows, from the bits :func:`case_flags` keeps on each (the tests hold the two
    ways to the same answers).
    """
    if end < start:
        raise _before_start(start, end)
    require(actor, Action.READ_KPIS)
    site_ids = _check_site(session, actor, site)
    where = _period_filter(actor, start, end, site)
    if record_read:
        _record_read(session, actor, site_ids, start, end, as_of)

    # Cases fall into few groups of (window closed by as_of?, bits): the database counts the
    # groups, Python adds them up per event type.
    windows = sorted({EVENT_WINDOWS[kind][1] for kind in EVENT_ORDER})
    closed = [
        sa.case((Case.index_date <= as_of - timedelta(days=7 * weeks), 1), else_=0)
        for weeks in windows
    ]
    keys = [
        *closed,
        Case.kpi_not_applicable,
        Case.kpi_done_in_window,
        Case.kpi_recorded,
        Case.fracture_flags,
        Case.kpi_died_before_due,
    ]
    grouped = session.execute(sa.select(*keys, sa.func.count()).where(*where).group_by(*keys)).all()
    tally = _Tally()
    for row in grouped:
        *window_closed, not_applicable, done, recorded, fracture, died, count = row
        closed_by_weeks = dict(zip(windows, window_closed, strict=True))
        tally.cases += count
        if fracture & SPINE:
            tally.spine += count
        if fracture & SPINE_IDENTIFIED:
            tally.identified += count
        for kind in EVENT_ORDER:
            bit = BIT[kind]
            if not closed_by_weeks[EVENT_WINDOWS[kind][1]] or (not_applicable | died) & bit:
                continue
            tally.denominators[kind] += count
            tally.pairs += count
            if done & bit:
                tally.numerators[kind] += count
            if recorded & bit:
                tally.recorded_pairs += count
    return tally.report(start=start, end=end, as_of=as_of, site=site)


def kpi_monthly(
    session: Session,
    actor: Actor,
    *,
    start: date,
    end: date,
    as_of: date,
    site: str | None = None,
) -> list[tuple[date, KpiReport]]:
    """:func:`kpi_report` for each calendar month of index fractures in ``[start, end]``
    (one audit entry for them all)."""
    require(actor, Action.READ_KPIS)
    _record_read(session, actor, _check_site(session, actor, site), start, end, as_of)
    return [
        (
            first,
            kpi_report(session, actor, start=lo, end=hi, as_of=as_of, site=site, record_read=False),
        )
        for first, lo, hi in _months(start, end)
    ]
