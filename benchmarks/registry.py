"""Registry benchmark: the worklist page and a year's KPIs on a generated registry.

Prints figures beside a baseline measured in the same run; it is not a test and CI does not
run it. It generates ``--cases`` cases (default 100,000) at five sites, with one or two
fractures each and about ten FLS events each (about 1,000,000 events), index fractures spread
over five years, written straight into a fresh database of each kind:

- SQLite: a file in a temporary folder;
- PostgreSQL: a database of its own on the server named by ``--postgres-url`` (default
  ``$SPINEFX_TEST_DATABASE_URL``), created for the run and dropped after it.

Then, on each database:

- **worklist**: :func:`spinefx.registry.worklist.worklist` for a coordinator of one site, each
  call one transaction with its audit entry, cycling through the first pages, the
  ``to-review`` filter, case-finding hits, overdue only and a 30-day due window: p50 and p99
  over ``--rounds`` calls. Goal: p99 <= 50 ms. Baseline: the naive way, every open case of the
  site with its events read case by case and the next event computed in Python, then sorted
  (a few rounds only: it is slow).
- **KPIs**: :func:`spinefx.registry.kpi.kpi_report` for the whole registry and one calendar
  year of index fractures (median of 5). Goal: <= 500 ms. Baseline: the same rules computed
  in Python (:func:`spinefx.registry.kpi.compute`) over every event row of the year's cases.

    .venv/bin/python benchmarks/registry.py --cases 100000
    .venv/bin/python benchmarks/registry.py --cases 20000 --backend sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from spinefx.registry.cases import next_event
from spinefx.registry.db import Registry
from spinefx.registry.kpi import case_flags, compute, kpi_report, load_kpi_cases
from spinefx.registry.models import Case, Event, Fracture, Site, User, UserSite
from spinefx.registry.permissions import Actor
from spinefx.registry.vocab import EVENT_ORDER, EVENT_WINDOWS, OPEN_STATUSES
from spinefx.registry.worklist import worklist

SITES = ("north", "south", "east", "west", "central")
FIRST_DAY = date(2021, 12, 1)
TODAY = date(2026, 12, 1)
YEAR = (date(2025, 1, 1), date(2025, 12, 31))
WORKLIST_GOAL_MS = 50.0
KPI_GOAL_MS = 500.0


def generate(n_cases: int, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """Rows for every table, with the kept columns computed as the data layer does."""
    rng = random.Random(seed)
    span = (TODAY - FIRST_DAY).days
    now = datetime(2026, 12, 1, tzinfo=UTC)
    cases: list[dict[str, Any]] = []
    fractures: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    levels = ["T7", "T8", "T11", "T12", "L1", "L2", "L3", "L4"]
    for case_id in range(1, n_cases + 1):
        d = FIRST_DAY + timedelta(days=rng.randrange(span))
        site_id = case_id % len(SITES) + 1
        found = rng.choices(["clinical", "radiological", "case-finding"], [6, 3, 1])[0]
        status = rng.choices(
            ["active", "to-review", "closed", "deceased", "transferred"], [70, 5, 15, 5, 5]
        )[0]
        fractures.append(
            {
                "case_id": case_id,
                "date": d,
                "levels": [rng.choice(levels)],
                "site": None,
                "found_by": found,
                "genant_grade": rng.randint(1, 3),
                "is_index": True,  # the fracture that opened the case
                "created_at": now,
            }
        )
        if rng.random() < 0.15:
            fractures.append(
                {
                    "case_id": case_id,
                    "date": d + timedelta(days=rng.randint(30, 400)),
                    "levels": [],
                    "site": "hip",
                    "found_by": "clinical",
                    "genant_grade": None,
                    "is_index": False,  # a refracture during follow-up
                    "created_at": now,
                }
            )
        recorded: set[str] = set()
        first_event = len(events)
        for kind in EVENT_ORDER:
            start, end = EVENT_WINDOWS[kind]
            if d + timedelta(weeks=start) > TODAY or rng.random() < 0.08:
                continue
            when = d + timedelta(days=rng.randint(start * 7, end * 7 + 60))
            if when > TODAY:
                continue
            status_e = rng.choices(["done", "declined", "not-applicable"], [88, 7, 5])[0]
            events.append(
                {
                    "case_id": case_id,
                    "type": kind.value,
                    "status": status_e,
                    "date": when,
                    "created_at": now,
                }
            )
            recorded.add(kind.value)
            if rng.random() < 0.3:  # a second record of the same type (a repeat or a correction)
                events.append(
                    {
                        "case_id": case_id,
                        "type": kind.value,
                        "status": "done",
                        "date": when + timedelta(days=rng.randint(1, 30)),
                        "created_at": now,
                    }
                )
        due = next_event(d, recorded, status)
        mine = [(e["type"], e["status"], e["date"]) for e in events[first_event:]]
        spine_found = [
            f["found_by"] for f in fractures[-2:] if f["case_id"] == case_id and f["site"] is None
        ]
        flags = case_flags(d, mine, spine_found or None)
        cases.append(
            {
                "id": case_id,
                "site_id": site_id,
                "mrn": f"M{case_id:07d}",
                "name": f"Generated Patient {case_id} (fictional)",
                "birth_date": date(
                    1930 + rng.randrange(45), rng.randint(1, 12), rng.randint(1, 28)
                ),
                "sex": rng.choice(["female", "female", "male"]),
                "status": status,
                "fictional": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "index_date": d,
                "next_event": due[0] if due else None,
                "next_due_from": due[1] if due else None,
                "next_due_by": due[2] if due else None,
                "kpi_recorded": flags.recorded,
                "kpi_not_applicable": flags.not_applicable,
                "kpi_done_in_window": flags.done_in_window,
                "fracture_flags": flags.fracture,
            }
        )
    return {"cases": cases, "fractures": fractures, "events": events}


def load(registry: Registry, rows: dict[str, list[dict[str, Any]]]) -> None:
    now = datetime.now(UTC)
    with registry.transaction() as session:
        session.execute(
            sa.insert(Site),
            [{"id": i + 1, "code": c, "name": c, "fictional": True} for i, c in enumerate(SITES)],
        )
        session.execute(
            sa.insert(User),
            [
                {
                    "id": 1,
                    "email": "bench@example.org",
                    "role": "coordinator",
                    "password_hash": "-",
                    "active": True,
                    "failed_logins": 0,
                    "created_at": now,
                }
            ],
        )
        session.execute(sa.insert(UserSite), [{"user_id": 1, "site_id": 1}])
    for table, model in (("cases", Case), ("fractures", Fracture), ("events", Event)):
        batch = 20_000
        data = rows[table]
        for i in range(0, len(data), batch):
            with registry.engine.begin() as conn:
                conn.execute(sa.insert(model.__table__), data[i : i + batch])  # type: ignore[arg-type]
    with registry.engine.begin() as conn:
        if registry.dialect == "postgresql":
            conn.execute(sa.text("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))"))
        else:
            conn.execute(sa.text("ANALYZE"))
    if registry.dialect == "postgresql":
        # What autovacuum does within a minute of a bulk load (PostgreSQL 13 and later vacuum
        # after inserts too): statistics, and the visibility map that lets a count read the
        # index alone. Measuring before it would time a state a live server does not stay in.
        with registry.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE cases, fractures, events"))


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def bench_worklist(registry: Registry, rounds: int, baseline_rounds: int) -> dict[str, Any]:
    actor = Actor(1, "bench@example.org", "coordinator", frozenset({1}))  # type: ignore[arg-type]
    variants: list[dict[str, Any]] = [
        {},
        {"offset": 50},
        {"offset": 100},
        {"statuses": ["to-review"]},
        {"found_by": "case-finding"},
        {"overdue_only": True},
        {"due_after": TODAY, "due_before": TODAY + timedelta(days=30)},
    ]

    def one(i: int) -> None:
        with registry.transaction() as session:
            page = worklist(session, actor, today=TODAY, **variants[i % len(variants)])
            assert page.items or page.total == 0

    for i in range(len(variants)):  # warm the caches once per variant
        one(i)
    ours = [timed(lambda i=i: one(i)) for i in range(rounds)]

    def naive() -> list[tuple[date, int]]:
        with registry.transaction() as session:
            open_cases = session.execute(
                sa.select(Case.id, Case.index_date, Case.status).where(
                    Case.site_id == 1, Case.status.in_([s.value for s in OPEN_STATUSES])
                )
            ).all()
            due: list[tuple[date, int]] = []
            for case_id, index_date, status in open_cases:
                kinds = set(session.scalars(sa.select(Event.type).where(Event.case_id == case_id)))
                found = next_event(index_date, kinds, status)
                if found:
                    due.append((found[2], case_id))
            return sorted(due)[:50]

    with registry.transaction() as session:
        expected = [
            r.case_id for r in worklist(session, actor, today=TODAY, record_read=False).items
        ]
    assert [c for _, c in naive()] == expected, "the baseline and the worklist disagree"
    base = [timed(naive) for _ in range(baseline_rounds)]
    return {
        "p50_ms": statistics.median(ours),
        "p99_ms": percentile(ours, 99),
        "calls": rounds,
        "baseline_p50_ms": statistics.median(base),
        "baseline_calls": baseline_rounds,
    }


def bench_kpis(registry: Registry, rounds: int) -> dict[str, Any]:
    actor = Actor.command_line("bench")
    start, end = YEAR

    def ours() -> Any:
        with registry.transaction() as session:
            return kpi_report(session, actor, start=start, end=end, as_of=TODAY)

    def row_by_row() -> Any:
        with registry.transaction() as session:
            kpi_cases = load_kpi_cases(session, actor, start=start, end=end)
        return compute(kpi_cases, start=start, end=end, as_of=TODAY)

    first = ours()
    assert first.as_json() == row_by_row().as_json(), "the baseline and the KPI query disagree"
    times = [timed(ours) for _ in range(rounds)]
    base = [timed(row_by_row) for _ in range(max(1, rounds // 2))]
    return {
        "median_ms": statistics.median(times),
        "baseline_median_ms": statistics.median(base),
        "cases_in_year": first.cases,
    }


@contextmanager
def sqlite_registry(folder: Path) -> Iterator[Registry]:
    registry = Registry.open(f"sqlite:///{folder / 'bench.sqlite3'}")
    registry.init()
    try:
        yield registry
    finally:
        registry.dispose()


@contextmanager
def postgres_registry(base_url: str) -> Iterator[Registry]:
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    name = f"spinefx_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    registry = Registry.open(url)
    try:
        registry.init()
        yield registry
    finally:
        registry.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default=os.environ.get("SPINEFX_TEST_DATABASE_URL"))
    parser.add_argument("--rounds", type=int, default=300, help="worklist calls measured")
    parser.add_argument("--baseline-rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    rows = generate(args.cases)
    print(
        f"generated {len(rows['cases']):,} cases, {len(rows['fractures']):,} fractures, "
        f"{len(rows['events']):,} events in {time.perf_counter() - started:.1f} s "
        f"(python {platform.python_version()}, {os.cpu_count()} cpus)"
    )
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results: dict[str, Any] = {"cases": len(rows["cases"]), "events": len(rows["events"])}
    for backend in backends:
        if backend == "postgresql" and not args.postgres_url:
            print("postgresql: skipped (no --postgres-url or SPINEFX_TEST_DATABASE_URL)")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            opener = (
                sqlite_registry(Path(tmp))
                if backend == "sqlite"
                else postgres_registry(args.postgres_url)
            )
            with opener as registry:
                t0 = time.perf_counter()
                load(registry, rows)
                loaded = time.perf_counter() - t0
                wl = bench_worklist(registry, args.rounds, args.baseline_rounds)
                kp = bench_kpis(registry, 5)
        results[backend] = {"load_s": loaded, "worklist": wl, "kpis": kp}
        print(f"\n{backend} (loaded in {loaded:.1f} s)")
        print(
            f"  worklist page  p50 {wl['p50_ms']:7.1f} ms  p99 {wl['p99_ms']:7.1f} ms "
            f"({wl['calls']} calls; goal p99 <= {WORKLIST_GOAL_MS:.0f} ms: "
            f"{'met' if wl['p99_ms'] <= WORKLIST_GOAL_MS else 'NOT met'})"
        )
        print(
            f"    baseline (naive, case by case)  p50 {wl['baseline_p50_ms']:9.1f} ms "
            f"({wl['baseline_calls']} calls; {wl['baseline_p50_ms'] / wl['p50_ms']:.0f}x slower)"
        )
        print(
            f"  year's KPIs    median {kp['median_ms']:7.1f} ms over {kp['cases_in_year']:,} "
            f"cases (goal <= {KPI_GOAL_MS:.0f} ms: "
            f"{'met' if kp['median_ms'] <= KPI_GOAL_MS else 'NOT met'})"
        )
        print(
            f"    baseline (rows to Python)       median {kp['baseline_median_ms']:7.1f} ms "
            f"({kp['baseline_median_ms'] / kp['median_ms']:.1f}x)"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
