"""The KPIs anchored on the index (sentinel) fracture, and deceased patients leaving the KPIs
that fall due after their death (issue 20, item 6), at every edge, on both databases.

The rules: docs/registry.md ("The KPI rules"), spinefx.registry.index_fracture and .kpi.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest

from spinefx.errors import InputError
from spinefx.registry import cases, rows
from spinefx.registry.findings import CaseFindingHit, record_case_finding
from spinefx.registry.index_fracture import default_index
from spinefx.registry.kpi import compute, kpi_report, load_kpi_cases
from spinefx.registry.models import Fracture
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, CaseUpdate, FractureIn, parse
from spinefx.registry.vocab import EVENT_ORDER

CLI = Actor.command_line("test")
D = date(2026, 1, 5)  # the index fracture of the window edges (cases are opened later)
FROM, TO = date(2026, 1, 1), date(2026, 1, 31)
LATE = date(2030, 1, 1)  # an as-of day after every window
YEARS_BEFORE = D - timedelta(days=10 * 365)  # a prior fracture, history


def fracture(when: date, *, levels=("L1",), site=None, index=None, found_by="clinical"):
    out: dict[str, Any] = {
        "date": when.isoformat(),
        "levels": list(levels),
        "site": site,
        "found_by": found_by,
    }
    if index is not None:
        out["index"] = index
    return out


PRIOR_HIP = fracture(YEARS_BEFORE, levels=(), site="hip")


def create(registry, make_case, mrn="K-1", *, fractures, events=(), anchor=D, **fields):
    data = make_case(
        mrn,
        fractures=fractures,
        events=[
            {"type": t, "status": s, "date": (anchor + timedelta(days=n)).isoformat()}
            for t, s, n in events
        ],
        procedures=[],
        outcomes=[],
        **fields,
    )
    with registry.transaction() as session:
        return cases.create_case(session, CLI, parse(CaseIn, data), create_site=True).id


def both_ways(registry, *, start=FROM, end=TO, as_of=LATE):
    """The report counted by the database and by the pure rules; they must agree."""
    with registry.transaction() as session:
        by_sql = kpi_report(session, CLI, start=start, end=end, as_of=as_of)
        by_rows = compute(
            load_kpi_cases(session, CLI, start=start, end=end), start=start, end=end, as_of=as_of
        )
    assert by_sql.as_json() == by_rows.as_json()
    assert by_sql.completeness_pairs == by_rows.completeness_pairs
    return by_sql


def counts(report, kind):
    item = next(k for k in report.kpis if k.id == kind)
    return item.numerator, item.denominator


def index_of(registry, case_id):
    with registry.transaction() as session:
        case = cases.get_case(session, CLI, case_id)
        marked = [f.date for f in case.fractures if f.is_index]
        return case.index_date, marked, case.version


# --- which fracture is the index ---------------------------------------------------------------

OPENED = date(2026, 3, 20)


@pytest.mark.parametrize(
    ("fractures", "expected"),
    [
        # (date, order entered); the expected position in the list
        ([(date(2026, 3, 2), 1)], 0),
        ([(date(2016, 6, 1), 1), (date(2026, 3, 2), 2)], 1),  # prior years before: not it
        ([(date(2026, 3, 2), 1), (date(2016, 6, 1), 2)], 0),  # entered in any order
        ([(date(2026, 3, 2), 1), (date(2026, 9, 1), 2)], 0),  # a refracture after opening
        ([(date(2026, 3, 20), 1), (date(2026, 3, 21), 2)], 0),  # on the day opened counts
        ([(date(2026, 3, 21), 2), (date(2026, 4, 1), 1)], 0),  # all after: the earliest
        ([(date(2026, 3, 2), 2), (date(2026, 3, 2), 1)], 1),  # a tie: the first entered
    ],
)
def test_the_default_index_is_the_latest_fracture_on_or_before_the_case_was_opened(
    fractures, expected
):
    assert default_index(fractures, OPENED) == expected


@pytest.mark.parametrize("order", ["prior-first", "prior-last"])
@pytest.mark.parametrize("flagged", [True, False])
def test_a_prior_fracture_years_before_neither_moves_the_case_nor_fails_it(
    registry, make_case, order, flagged
):
    index = fracture(D, index=True if flagged else None)
    listed = [PRIOR_HIP, index] if order == "prior-first" else [index, PRIOR_HIP]
    case_id = create(registry, make_case, fractures=listed, events=[("dxa", "done", 30)])
    assert index_of(registry, case_id)[:2] == (D, [D])
    result = both_ways(registry)
    assert result.cases == 1
    assert counts(result, "dxa") == (1, 1)  # day 30 of the index, not 10 years after the prior
    # The prior fracture's own period does not count the case.
    before = both_ways(registry, start=YEARS_BEFORE, end=YEARS_BEFORE + timedelta(days=30))
    assert before.cases == 0


# (event type, status, day after the index fracture, numerator, denominator): the window edges
# with a fracture ten years before on record, exactly as without it (tests/registry/test_kpi.py).
EDGES = [
    ("dxa", "done", 0, 1, 1),
    ("dxa", "done", 84, 1, 1),
    ("dxa", "done", 85, 0, 1),
    ("dxa", "done", -1, 0, 1),
    ("risk-assessment", "done", 84, 1, 1),
    ("falls-assessment", "done", 85, 0, 1),
    ("medication-recommended", "done", 112, 1, 1),
    ("exercise-started", "done", 113, 0, 1),
    ("medication-started", "done", 112, 1, 1),
    ("on-medication-at-52-weeks", "done", 335, 0, 1),
    ("on-medication-at-52-weeks", "done", 336, 1, 1),
    ("on-medication-at-52-weeks", "done", 392, 1, 1),
    ("on-medication-at-52-weeks", "done", 393, 0, 1),
]


@pytest.mark.parametrize(("kind", "status", "offset", "num", "den"), EDGES)
def test_every_window_counts_from_the_index_with_a_prior_fracture_on_record(
    registry, make_case, kind, status, offset, num, den
):
    create(registry, make_case, fractures=[PRIOR_HIP, fracture(D)], events=[(kind, status, offset)])
    assert counts(both_ways(registry), kind) == (num, den)


@pytest.mark.parametrize(
    ("index_day", "other_day", "in_period"),
    [
        (FROM, FROM - timedelta(days=1), True),  # the index on the first day, prior before
        (TO, FROM - timedelta(days=3650), True),  # the index on the last day
        (FROM - timedelta(days=1), FROM, False),  # another fracture in the period is not it
        (TO + timedelta(days=1), TO, False),
    ],
)
def test_the_period_is_read_on_the_index_fracture_at_both_edges(
    registry, make_case, index_day, other_day, in_period
):
    create(
        registry,
        make_case,
        fractures=[fracture(other_day, levels=(), site="wrist"), fracture(index_day, index=True)],
    )
    assert both_ways(registry).cases == (1 if in_period else 0)


def test_the_flag_wins_over_the_default_which_would_take_a_refracture(registry, make_case):
    refracture = fracture(D + timedelta(days=200), levels=("T12",))
    unflagged = create(registry, make_case, "K-1", fractures=[fracture(D), refracture])
    flagged = create(registry, make_case, "K-2", fractures=[fracture(D, index=True), refracture])
    # Both fractures lie before the day the cases were opened (today): the default takes the
    # latest, so a file of past cases with refractures must say which is the index.
    assert index_of(registry, unflagged)[0] == D + timedelta(days=200)
    assert index_of(registry, flagged)[:2] == (D, [D])


@pytest.mark.parametrize(
    ("fractures", "field"),
    [
        (
            [fracture(D, index=True), fracture(D + timedelta(days=9), index=True)],
            "fractures[1].index",
        ),
        ([fracture(D, index=False)], "fractures[0].index"),
        (
            [fracture(D, index=False), fracture(D + timedelta(days=9), index=False)],
            "fractures[0].index",
        ),
    ],
)
def test_a_case_has_exactly_one_index_fracture_or_the_line_is_refused(make_case, fractures, field):
    with pytest.raises(InputError) as caught:
        parse(CaseIn, make_case("K-1", fractures=fractures))
    assert caught.value.problems[0].field == field


def test_marking_another_fracture_moves_the_index_and_unmarking_it_is_refused(registry, make_case):
    case_id = create(registry, make_case, fractures=[fracture(D, index=True)])
    _, _, version = index_of(registry, case_id)
    later = D + timedelta(days=40)
    with registry.transaction() as session:  # a later fracture, not said: the index stays
        rows.add_row(
            session, CLI, "fractures", case_id, version, parse(FractureIn, fracture(later))
        )
    index_date, marked, version = index_of(registry, case_id)
    assert (index_date, marked) == (D, [D])
    with registry.transaction() as session:
        new = session.query(Fracture).filter_by(case_id=case_id, date=later).one().id
        old = session.query(Fracture).filter_by(case_id=case_id, date=D).one().id
    with registry.transaction() as session:  # marked: the index moves, the other is unmarked
        rows.update_row(
            session, CLI, "fractures", case_id, new, version,
            parse(FractureIn, fracture(later, index=True)),
        )  # fmt: skip
    index_date, marked, version = index_of(registry, case_id)
    assert (index_date, marked) == (later, [later])
    with pytest.raises(InputError) as caught, registry.transaction() as session:
        rows.update_row(
            session, CLI, "fractures", case_id, new, version,
            parse(FractureIn, fracture(later, index=False)),
        )  # fmt: skip
    assert caught.value.problems[0].field == "index"
    with registry.transaction() as session:  # an edit that does not say keeps the mark
        rows.update_row(
            session, CLI, "fractures", case_id, new, version,
            parse(FractureIn, fracture(later, levels=("L2",))),
        )  # fmt: skip
    assert index_of(registry, case_id)[:2] == (later, [later])
    _, _, version = index_of(registry, case_id)
    with registry.transaction() as session:  # the index removed: the default again
        rows.delete_row(session, CLI, "fractures", case_id, new, version)
    assert index_of(registry, case_id)[:2] == (D, [D])
    assert old


def test_a_fracture_found_by_case_finding_later_does_not_move_the_index(registry, make_case):
    case_id = create(registry, make_case, "K-9", fractures=[fracture(D)])
    with registry.transaction() as session:
        record_case_finding(
            session,
            CLI,
            CaseFindingHit(
                site="north",
                mrn="K-9",
                name="Test Patient (fictional)",
                birth_date=date(1968, 5, 1),
                sex="female",
                fracture_date=D + timedelta(days=90),
                report_id="CT-1",
                levels=["T12"],
            ),
        )
    assert index_of(registry, case_id)[:2] == (D, [D])


# --- deceased patients -------------------------------------------------------------------------

D0 = date(2024, 1, 8)  # an index fracture in the past, so that every date of death is too
P0 = (D0 - timedelta(days=3), D0 + timedelta(days=3))


def _death_case(registry, make_case, death: date | None, events=(), status="deceased"):
    fields: dict[str, Any] = {"status": status}
    if death is not None:
        fields["death_date"] = death.isoformat()
    return create(registry, make_case, fractures=[fracture(D0)], events=events, anchor=D0, **fields)


# (KPI, its due day after the index fracture)
DUE = [
    ("risk-assessment", 84),
    ("dxa", 84),
    ("monitoring", 112),
    ("medication-started", 112),
    ("on-medication-at-52-weeks", 392),
]


@pytest.mark.parametrize(("kind", "due"), DUE)
@pytest.mark.parametrize(
    ("died", "counted"),
    [(-1, False), (0, True), (1, True)],  # the day before / on / after the due day
)
def test_a_patient_who_died_before_a_kpi_fell_due_leaves_it(
    registry, make_case, kind, due, died, counted
):
    done = 336 if kind == "on-medication-at-52-weeks" else 10  # done inside the window
    _death_case(registry, make_case, D0 + timedelta(days=due + died), events=[(kind, "done", done)])
    result = both_ways(registry, start=P0[0], end=P0[1])
    assert result.cases == 1  # the case itself is still counted (identification)
    assert counts(result, kind) == ((1, 1) if counted else (0, 0))


@pytest.mark.parametrize(
    ("died", "expected"),
    [
        (D0, {84: (0, 0), 112: (0, 0), 392: (0, 0)}),  # died on the day of the fracture
        (D0 + timedelta(days=100), {84: (0, 1), 112: (0, 0), 392: (0, 0)}),
        (D0 + timedelta(days=200), {84: (0, 1), 112: (0, 1), 392: (0, 0)}),
        (D0 + timedelta(days=392), {84: (0, 1), 112: (0, 1), 392: (0, 1)}),
        (None, {84: (0, 1), 112: (0, 1), 392: (0, 1)}),  # deceased, date not known: kept
    ],
)
def test_a_death_removes_exactly_the_kpis_that_fall_due_after_it(
    registry, make_case, died, expected
):
    _death_case(registry, make_case, died)
    result = both_ways(registry, start=P0[0], end=P0[1])
    window = {"dxa": 84, "exercise-started": 112, "on-medication-at-52-weeks": 392}
    assert {due: counts(result, kind) for kind, due in window.items()} == expected
    assert result.completeness_pairs == sum(
        den for kind in EVENT_ORDER for _, den in [counts(result, kind.value)]
    )


def test_recording_and_clearing_a_death_moves_the_case_in_and_out_of_the_kpis(registry, make_case):
    case_id = _death_case(registry, make_case, None, status="active")
    assert counts(both_ways(registry, start=P0[0], end=P0[1]), "dxa") == (0, 1)
    _, _, version = index_of(registry, case_id)
    with registry.transaction() as session:  # the date alone: the status follows
        changed = cases.update_case(
            session,
            CLI,
            case_id,
            version,
            parse(CaseUpdate, {"death_date": (D0 + timedelta(days=50)).isoformat()}),
        )
        assert changed.status == "deceased" and changed.next_event is None
        version = changed.version
    assert counts(both_ways(registry, start=P0[0], end=P0[1]), "dxa") == (0, 0)
    with pytest.raises(InputError) as caught, registry.transaction() as session:
        cases.update_case(session, CLI, case_id, version, parse(CaseUpdate, {"status": "active"}))
    assert caught.value.problems[0].field == "status"
    with registry.transaction() as session:  # entered in error: cleared with null
        cases.update_case(
            session,
            CLI,
            case_id,
            version,
            parse(CaseUpdate, {"death_date": None, "status": "active"}),
        )
    assert counts(both_ways(registry, start=P0[0], end=P0[1]), "dxa") == (0, 1)


TODAY = date.today()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"death_date": "1968-04-30"}, "death_date"),  # the day before birth
        ({"death_date": (TODAY + timedelta(days=1)).isoformat()}, "death_date"),  # tomorrow
        ({"death_date": (D0 - timedelta(days=1)).isoformat()}, "death_date"),  # before a fracture
        ({"death_date": D0.isoformat(), "status": "active"}, "status"),
        ({"death_date": "2024-02-30"}, "death_date"),
    ],
)
def test_a_date_of_death_is_checked_against_birth_today_the_fractures_and_status(
    make_case, changes, field
):
    with pytest.raises(InputError) as caught:
        parse(CaseIn, make_case("K-1", fractures=[fracture(D0)], **changes))
    assert caught.value.problems[0].field == field


@pytest.mark.parametrize(
    "death",
    [D0, TODAY],  # a fracture found at post-mortem is dated on the day; today is allowed
)
def test_a_date_of_death_on_the_fracture_day_or_today_is_taken_and_makes_the_case_deceased(
    make_case, death
):
    data = make_case("K-1", fractures=[fracture(D0)], death_date=death.isoformat())
    del data["status"]  # not said: a date of death makes the case deceased
    case = parse(CaseIn, data)
    assert (case.death_date, case.status) == (death, "deceased")


def test_a_fracture_dated_after_the_death_is_refused(registry, make_case):
    case_id = _death_case(registry, make_case, D0 + timedelta(days=30))
    _, _, version = index_of(registry, case_id)
    late = parse(FractureIn, fracture(D0 + timedelta(days=31), levels=("T9",)))
    with pytest.raises(InputError) as caught, registry.transaction() as session:
        rows.add_row(session, CLI, "fractures", case_id, version, late)
    assert caught.value.problems[0].field == "date"


def test_the_database_and_the_pure_rules_agree_with_prior_fractures_and_deaths(registry, make_case):
    rng = random.Random(20)
    for n in range(40):
        start = D0 + timedelta(days=rng.randint(-5, 5))
        listed = [fracture(start, index=True if rng.random() < 0.5 else None)]
        if rng.random() < 0.5:
            listed.insert(rng.randint(0, 1), fracture(start - timedelta(days=rng.randint(1, 4000))))
        died = None
        if rng.random() < 0.5:
            died = start + timedelta(days=rng.choice([0, 83, 84, 85, 111, 112, 113, 391, 392, 393]))
        events = [
            (kind.value, rng.choice(["done", "done", "declined", "not-applicable"]), day)
            for kind in EVENT_ORDER
            for day in rng.sample([0, 84, 85, 112, 113, 336, 392, 393], rng.randint(0, 2))
        ]
        fields: dict[str, Any] = {
            "status": "deceased" if died else rng.choice(["active", "closed"])
        }
        if died:
            fields["death_date"] = died.isoformat()
        create(
            registry,
            make_case,
            f"R-{n}",
            fractures=listed,
            events=[(t, s, (start - D0).days + day) for t, s, day in events],
            anchor=D0,
            **fields,
        )
    for as_of in (D0 + timedelta(days=90), D0 + timedelta(days=120), D0 + timedelta(days=400)):
        both_ways(registry, start=P0[0], end=P0[1], as_of=as_of)


# --- the migration of existing cases -----------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    """An empty database of each kind, not migrated, dropped at the end."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    import os
    import secrets

    import sqlalchemy as sa

    request.getfixturevalue("postgres_url")  # skips (or fails in CI) as the other variants do
    base = os.environ["SPINEFX_TEST_DATABASE_URL"]
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"spinefx_m_{os.getpid()}_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(registry, revision: str, *, down: bool = False) -> None:
    from alembic import command
    from alembic.config import Config

    from spinefx.registry.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with registry.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_the_migration_marks_the_default_index_of_existing_cases_and_counts_from_it(fresh_url):
    import sqlalchemy as sa

    from spinefx.registry.db import Registry

    registry = Registry.open(fresh_url, poolclass=sa.pool.NullPool)
    try:
        _migrate(registry, "0004_token_prefix")
        opened = "2026-02-10 09:00:00"
        prior, index, later = date(2016, 1, 4), D, D + timedelta(days=400)  # later: after opening
        with registry.engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO sites (id, code, name, fictional) VALUES (1, 'n', 'N', false)")
            )
            for case_id, dates in ((1, (prior, index)), (2, (index, later)), (3, (index,))):
                conn.execute(
                    sa.text(
                        "INSERT INTO cases (id, site_id, mrn, name, birth_date, sex, status, "
                        "fictional, version, created_at, updated_at, index_date) VALUES "
                        "(:id, 1, :mrn, 'Old Case', :born, 'female', 'active', false, 1, "
                        ":opened, :opened, :first)"
                    ),
                    {"id": case_id, "mrn": f"M-{case_id}", "born": date(1950, 1, 1),
                     "opened": opened, "first": min(dates)},
                )  # fmt: skip
                for day in dates:
                    conn.execute(
                        sa.text(
                            "INSERT INTO fractures (case_id, date, levels, found_by, created_at) "
                            "VALUES (:case, :day, '[\"L1\"]', 'clinical', :opened)"
                        ),
                        {"case": case_id, "day": day, "opened": opened},
                    )
            conn.execute(
                sa.text(
                    "INSERT INTO events (case_id, type, status, date, created_at) "
                    "VALUES (1, 'dxa', 'done', :day, :opened)"
                ),
                {"day": D + timedelta(days=30), "opened": opened},
            )
        _migrate(registry, "head")
        with registry.engine.connect() as conn:
            marked = conn.execute(
                sa.text("SELECT case_id, date FROM fractures WHERE is_index ORDER BY case_id")
            ).all()
            kept = dict(conn.execute(sa.text("SELECT id, index_date FROM cases")).all())
        as_dates = {case_id: _as_date(day) for case_id, day in marked}
        assert as_dates == {
            1: index,
            2: index,
            3: index,
        }  # the prior is history, the later a refracture
        assert {k: _as_date(v) for k, v in kept.items()} == {1: index, 2: index, 3: index}
        with registry.transaction() as session:
            result = kpi_report(session, CLI, start=FROM, end=TO, as_of=LATE)
        assert result.cases == 3 and counts(result, "dxa") == (1, 3)
        # Down again: the earliest fracture is the index, as the registry had it before.
        _migrate(registry, "0004_token_prefix", down=True)
        with registry.engine.connect() as conn:
            back = dict(conn.execute(sa.text("SELECT id, index_date FROM cases")).all())
        assert {k: _as_date(v) for k, v in back.items()} == {1: prior, 2: index, 3: index}
    finally:
        registry.dispose()


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
