"""The FLS KPIs exactly as issue 11 defines them, at every window edge, on both databases."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from spinefx.cli import run
from spinefx.registry.cases import create_case
from spinefx.registry.kpi import KpiCase, band, compute, kpi_report, monthly, percent
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, parse

CLI = Actor.command_line("test")
D = date(2026, 1, 5)  # the index fracture of the edge cases
FROM, TO = date(2026, 1, 1), date(2026, 1, 31)
LATE = date(2030, 1, 1)  # an as-of day after every window


def day(n: int) -> str:
    return (D + timedelta(days=n)).isoformat()


def kpi_of(report, kind):
    return next(k for k in report.kpis if k.id == kind)


def add(
    registry, make_case, mrn="E-1", *, events=(), fractures=None, status="active", site="north"
):
    data = make_case(
        mrn,
        site=site,
        status=status,
        events=[{"type": t, "status": s, "date": day(n)} for t, s, n in events],
        fractures=fractures
        or [{"date": D.isoformat(), "levels": ["L1"], "site": None, "found_by": "clinical"}],
        procedures=[],
        outcomes=[],
    )
    with registry.transaction() as session:
        create_case(session, CLI, parse(CaseIn, data), create_site=True)


def report(registry, *, as_of=LATE, start=FROM, end=TO, site=None):
    with registry.transaction() as session:
        return kpi_report(session, CLI, start=start, end=end, as_of=as_of, site=site)


# (event type, status, day after the index fracture, numerator, denominator)
EDGES = [
    ("dxa", "done", 0, 1, 1),
    ("dxa", "done", 84, 1, 1),  # day W*7 counts
    ("dxa", "done", 85, 0, 1),  # day W*7 + 1 does not
    ("dxa", "done", -1, 0, 1),  # before the fracture
    ("dxa", "declined", 10, 0, 1),
    ("dxa", "not-applicable", 10, 0, 0),
    ("risk-assessment", "done", 84, 1, 1),
    ("falls-assessment", "done", 85, 0, 1),
    ("medication-recommended", "done", 112, 1, 1),
    ("exercise-started", "done", 113, 0, 1),
    ("monitoring", "done", 112, 1, 1),
    ("medication-started", "done", 113, 0, 1),
    ("on-medication-at-52-weeks", "done", 335, 0, 1),  # before week 48
    ("on-medication-at-52-weeks", "done", 336, 1, 1),  # week 48
    ("on-medication-at-52-weeks", "done", 392, 1, 1),  # week 56
    ("on-medication-at-52-weeks", "done", 393, 0, 1),
    ("on-medication-at-52-weeks", "not-applicable", 300, 0, 0),
]


@pytest.mark.parametrize(("kind", "status", "offset", "num", "den"), EDGES)
def test_event_window_edges(registry, make_case, kind, status, offset, num, den):
    add(registry, make_case, events=[(kind, status, offset)])
    item = kpi_of(report(registry), kind)
    assert (item.numerator, item.denominator) == (num, den)
    assert item.percent == (None if den == 0 else 100.0 * num)


@pytest.mark.parametrize(
    ("kind", "weeks"),
    [
        ("dxa", 12),
        ("falls-assessment", 12),
        ("monitoring", 16),
        ("medication-started", 16),
        ("on-medication-at-52-weeks", 56),
    ],
)
def test_a_case_enters_the_denominator_on_the_day_its_window_closes(
    registry, make_case, kind, weeks
):
    add(registry, make_case)
    closes = D + timedelta(days=7 * weeks)
    assert kpi_of(report(registry, as_of=closes - timedelta(days=1)), kind).denominator == 0
    assert kpi_of(report(registry, as_of=closes), kind).denominator == 1


def test_the_period_includes_both_end_days(registry, make_case):
    # The index fracture against another fracture on record: tests/registry/test_kpi_anchor.py
    def fracture(when):
        return {"date": when.isoformat(), "levels": ["L1"], "site": None, "found_by": "clinical"}

    add(registry, make_case, "on-from", fractures=[fracture(FROM)])
    add(registry, make_case, "on-to", fractures=[fracture(TO)])
    add(registry, make_case, "before", fractures=[fracture(FROM - timedelta(days=1))])
    add(registry, make_case, "after", fractures=[fracture(TO + timedelta(days=1))])
    assert report(registry).cases == 2


def test_cases_waiting_for_review_are_not_counted(registry, make_case):
    add(registry, make_case, "R-1", status="to-review")
    add(registry, make_case, "A-1")
    assert report(registry).cases == 1


def test_identification_counts_spine_fractures_and_those_found_by_imaging(registry, make_case):
    def fracture(found_by, levels=("L1",), site=None):
        return {"date": D.isoformat(), "levels": list(levels), "site": site, "found_by": found_by}

    add(registry, make_case, "c", fractures=[fracture("clinical")])
    add(registry, make_case, "r", fractures=[fracture("radiological")])
    add(registry, make_case, "f", fractures=[fracture("case-finding")])
    add(registry, make_case, "hip", fractures=[fracture("radiological", levels=(), site="hip")])
    ident = report(registry).identification
    assert ident["spine_fracture_cases"] == 3
    assert ident["found_radiologically_or_by_case_finding"] == 2
    assert ident["found_radiologically_or_by_case_finding_percent"] == 66.7


def test_completeness_counts_any_recorded_event_among_the_pairs_due(registry, make_case):
    # as of day 84: the three 12-week KPIs are due (3 pairs); dxa declined and falls done late
    add(registry, make_case, events=[("dxa", "declined", 5), ("falls-assessment", "done", 200)])
    result = report(registry, as_of=D + timedelta(days=84))
    assert result.completeness_pairs == 3
    assert result.completeness_percent == 66.7
    assert kpi_of(result, "falls-assessment").numerator == 0


def test_a_site_filter_counts_only_that_site(registry, make_case):
    add(registry, make_case, "N-1", site="north")
    add(registry, make_case, "S-1", site="south")
    assert report(registry, site="south").cases == 1
    assert report(registry).cases == 2


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [(0, 0, None), (2, 3, 66.7), (1, 8, 12.5), (1, 16, 6.3), (1, 3, 33.3), (5, 5, 100.0)],
)
def test_percent_has_one_decimal_rounded_half_up(num, den, expected):
    assert percent(num, den) == expected


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("dxa", None, None),
        ("dxa", 49.9, "<50"),
        ("dxa", 50.0, "50-80"),
        ("dxa", 80.0, "50-80"),
        ("dxa", 80.1, ">80"),
        ("medication-recommended", 49.9, "<50"),
        ("medication-recommended", 50.0, ">=50"),
        ("medication-recommended", 95.0, ">=50"),
    ],
)
def test_bands_put_50_and_80_in_the_middle(kind, value, expected):
    assert band(kind, value) == expected


def test_monthly_reports_split_cases_by_index_month():
    cases = [
        KpiCase(1, date(2026, 1, 31)),
        KpiCase(2, date(2026, 2, 1)),
        KpiCase(3, date(2026, 2, 28)),
    ]
    months = monthly(cases, start=date(2026, 1, 15), end=date(2026, 3, 10), as_of=LATE)
    assert [(m.isoformat(), r.cases) for m, r in months] == [
        ("2026-01-01", 1),
        ("2026-02-01", 2),
        ("2026-03-01", 0),
    ]
    assert compute(cases, start=date(2026, 1, 1), end=date(2026, 12, 31), as_of=LATE).cases == 3


def test_cli_kpi_json_has_the_issues_shape(cli_env, registry, make_case, capsys):
    add(registry, make_case, events=[("dxa", "done", 30)])
    status = run(
        [
            "registry",
            "kpi",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--as-of",
            "2027-06-01",
            "--site",
            "north",
            "--json",
        ]
    )
    out = capsys.readouterr()
    assert status == 0, out.err
    data = json.loads(out.out)
    assert list(data) == [
        "from",
        "to",
        "as_of",
        "site",
        "cases",
        "kpis",
        "identification",
        "completeness_percent",
    ]
    assert (data["from"], data["to"], data["as_of"], data["site"]) == (
        "2026-01-01",
        "2026-01-31",
        "2027-06-01",
        "north",
    )
    assert [k["id"] for k in data["kpis"]] == [
        "risk-assessment",
        "dxa",
        "falls-assessment",
        "medication-recommended",
        "exercise-started",
        "monitoring",
        "medication-started",
        "on-medication-at-52-weeks",
    ]
    dxa = data["kpis"][1]
    assert dxa == {"id": "dxa", "numerator": 1, "denominator": 1, "percent": 100.0, "band": ">80"}
    assert data["kpis"][0]["band"] == "<50"
    assert data["completeness_percent"] == 12.5


@pytest.mark.parametrize(
    "argv",
    [
        ["--from", "2026-02-30", "--to", "2026-03-01"],
        ["--from", "2026-03-02", "--to", "2026-03-01"],
        ["--from", "2026-01-01", "--to", "2026-03-01", "--site", "nowhere"],
    ],
)
def test_cli_kpi_refuses_bad_dates_and_unknown_sites(cli_env, capsys, argv):
    assert run(["registry", "kpi", *argv, "--json"]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_the_database_count_agrees_with_the_pure_rules_on_random_cases(registry, make_case):
    import random

    from spinefx.registry.kpi import load_kpi_cases
    from spinefx.registry.vocab import EVENT_ORDER

    rng = random.Random(3)
    statuses = ["done", "done", "declined", "not-applicable"]
    for n in range(40):
        start = D + timedelta(days=rng.randint(-20, 40))
        fractures = [
            {
                "date": start.isoformat(),
                "levels": ["L1"] if rng.random() < 0.8 else [],
                "site": None,
                "found_by": rng.choice(["clinical", "radiological"]),
            }
        ]
        if not fractures[0]["levels"]:
            fractures[0]["site"] = "hip"
        events = [
            (
                kind.value,
                rng.choice(statuses),
                (start - D).days + rng.choice([-1, 0, 84, 85, 112, 113, 336, 392, 393]),
            )
            for kind in EVENT_ORDER
            for _ in range(rng.randint(0, 2))
        ]
        add(
            registry,
            make_case,
            f"R-{n}",
            events=events,
            fractures=fractures,
            status=rng.choice(["active", "active", "closed", "to-review"]),
        )
    for as_of in (D + timedelta(days=90), D + timedelta(days=130), D + timedelta(days=420)):
        with registry.transaction() as session:
            by_rows = compute(
                load_kpi_cases(session, CLI, start=FROM, end=TO), start=FROM, end=TO, as_of=as_of
            )
            by_sql = kpi_report(session, CLI, start=FROM, end=TO, as_of=as_of)
        assert by_sql.as_json() == by_rows.as_json()
        assert by_sql.completeness_pairs == by_rows.completeness_pairs
