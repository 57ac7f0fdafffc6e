"""A case's identity (issue 22, item 9): an edit keeps the birth date on or before every fracture
and never in the future, as a new case does; MRNs and report ids are NFKC-normalised and refuse
invisible characters, so a look-alike MRN cannot sit beside the real one. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from spinefx.errors import InputError
from spinefx.registry import cases
from spinefx.registry.permissions import Actor
from spinefx.registry.schema import CaseIn, CaseUpdate, parse
from spinefx.registry.users import ensure_site

CLI = Actor.command_line("test")
FRACTURE_DAY = date(2026, 3, 2)  # case_data's fracture


@pytest.fixture
def case_id(registry, make_case) -> int:
    with registry.transaction() as session:
        ensure_site(session, "north")
        return cases.create_case(session, CLI, parse(CaseIn, make_case("A-1001"))).id


@pytest.mark.parametrize(
    ("birth", "refused"),
    [
        (FRACTURE_DAY - timedelta(days=1), False),
        (FRACTURE_DAY, False),  # born the day of the fracture: allowed, as on create
        (FRACTURE_DAY + timedelta(days=1), True),  # after the fracture: stored before the fix
        (date.today() + timedelta(days=1), True),  # in the future
    ],
)
def test_an_edit_of_the_birth_date_is_checked_against_the_fractures(
    registry, case_id, birth, refused
):
    def edit() -> None:
        with registry.transaction() as session:
            cases.update_case(
                session, CLI, case_id, 1, parse(CaseUpdate, {"birth_date": birth.isoformat()})
            )

    if not refused:
        edit()
        return
    with pytest.raises(InputError) as caught:
        edit()
    assert caught.value.field == "birth_date"
    with registry.transaction() as session:
        assert cases.load_case(session, CLI, case_id).birth_date == date(1968, 5, 1)


def test_a_new_case_born_in_the_future_is_refused(make_case):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    with pytest.raises(InputError) as caught:
        parse(CaseIn, make_case(birth_date=tomorrow))
    assert caught.value.field == "birth_date"


@pytest.mark.parametrize(
    "look_alike",
    [
        "A-1001\u200b",  # zero-width space
        "\u200dA-1001",  # zero-width joiner
        "A-\u202e1001",  # right-to-left override
        "A-1001\u2066",  # left-to-right isolate
        "A-10\u00ad01",  # soft hyphen
        "A-1001\u3164",  # Hangul filler (a blank letter)
        "A-1001\U000e0041",  # a tag character
    ],
)
def test_an_mrn_with_an_invisible_character_is_refused(make_case, look_alike):
    with pytest.raises(InputError) as caught:
        parse(CaseIn, make_case(look_alike))
    assert caught.value.field == "mrn"


def test_a_full_width_mrn_is_the_same_mrn_and_cannot_be_registered_twice(
    registry, case_id, make_case
):
    full_width = "".join(chr(ord(c) + 0xFEE0) if c != "-" else c for c in "A-1001")
    assert full_width != "A-1001"
    data = parse(CaseIn, make_case(full_width))
    assert data.mrn == "A-1001"
    with registry.transaction() as session, pytest.raises(InputError) as caught:
        cases.create_case(session, CLI, data)
    assert caught.value.field == "mrn"
    with registry.transaction() as session:
        found = cases.list_cases(session, CLI, cases.CaseQuery(mrn=full_width))
    assert [c.id for c in found.items] == [case_id]


def test_a_report_id_is_normalised_and_refuses_invisible_characters(make_case):
    fracture = make_case()["fractures"][0]
    data = parse(CaseIn, make_case(fractures=[{**fracture, "report_id": "RAD\uff0d77"}]))
    assert data.fractures[0].report_id == "RAD-77"  # the full-width hyphen-minus
    with pytest.raises(InputError) as caught:
        parse(CaseIn, make_case(fractures=[{**fracture, "report_id": "RAD-77\u200b"}]))
    assert caught.value.field == "fractures[0].report_id"
