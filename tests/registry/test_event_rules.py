"""Events that contradict each other: still on medication at 52 weeks needs it started."""

from __future__ import annotations

from datetime import date

import pytest

from spinefx.registry.event_rules import contradiction

D = date(2026, 5, 1)
STARTED = "medication-started"
AT_52 = "on-medication-at-52-weeks"


@pytest.mark.parametrize(
    ("events", "refused"),
    [
        ([], None),
        ([(1, AT_52, "done", D)], "never recorded as started"),
        ([(1, AT_52, "declined", D)], None),  # not on medication: no start needed
        ([(1, AT_52, "not-applicable", D)], None),
        ([(1, STARTED, "declined", D), (2, AT_52, "done", D)], "never recorded as started"),
        ([(1, STARTED, "done", D), (2, AT_52, "done", D)], None),  # the same day: allowed
        ([(1, STARTED, "done", date(2026, 5, 2)), (2, AT_52, "done", D)], "started after"),
        ([(1, STARTED, "done", date(2026, 4, 30)), (2, AT_52, "done", D)], None),
    ],
)
def test_on_medication_at_52_weeks_needs_the_medication_started_on_or_before(events, refused):
    reason = contradiction(events)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason


def test_changing_the_start_to_declined_is_refused_while_the_52_week_check_stands(
    registry, make_case
):
    from spinefx.errors import InputError
    from spinefx.registry import cases, rows
    from spinefx.registry.permissions import Actor
    from spinefx.registry.schema import CaseIn, EventIn, parse

    cli = Actor.command_line("test")
    with registry.transaction() as session:
        case = cases.create_case(session, cli, parse(CaseIn, make_case("E-1")), create_site=True)
        start = rows.add_row(
            session,
            cli,
            "events",
            case.id,
            1,
            parse(EventIn, {"type": STARTED, "status": "done", "date": "2026-04-01"}),
        )
        rows.add_row(
            session,
            cli,
            "events",
            case.id,
            2,
            parse(EventIn, {"type": AT_52, "status": "done", "date": "2027-03-01"}),
        )
        case_id, start_id = case.id, start.id
    declined = parse(EventIn, {"type": STARTED, "status": "declined", "date": "2026-04-01"})
    with pytest.raises(InputError) as caught, registry.transaction() as session:
        rows.update_row(session, cli, "events", case_id, start_id, 3, declined)
    assert caught.value.problems[0].field == "type"
    assert "never recorded as started" in caught.value.problems[0].allowed
