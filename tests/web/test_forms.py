"""One form machinery: fields read from the models' JSON Schema, what was typed read back."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from spinefx.directory.search import SearchQuery
from spinefx.errors import InputError, ProblemKind
from spinefx.registry.schema import ProcedureIn, parse
from spinefx.web.forms import fields_of, form_data, form_values, values_of
from spinefx.web.registry.forms import CASE_FIELDS, ROW_FORMS
from spinefx.web.search import SEARCH_PARAMETERS

PROCEDURE = ROW_FORMS["procedures"]


def test_a_row_form_is_its_input_model_in_the_registrys_words() -> None:
    kinds = {f.name: (f.kind, f.required) for f in PROCEDURE.fields}
    assert kinds == {
        "date": ("date", True),
        "kind": ("choice", True),
        "levels": ("list", True),
        "approach": ("choice", False),
        "cement_ml": ("mapping", False),
        "operator_npi": ("text", False),
        "anaesthesia": ("choice", False),
        "complications": ("multi", False),
        "note": ("textarea", False),
    }
    assert [f.name for f in PROCEDURE.fields] == [n for n in ProcedureIn.model_fields if n != "id"]
    assert dict(PROCEDURE.names)["operator_npi"] == "Operator NPI"


def test_a_bounded_whole_number_may_be_offered_as_choices() -> None:
    grade = next(f for f in ROW_FORMS["fractures"].fields if f.name == "genant_grade")
    assert grade.kind == "choice"
    assert grade.choices == (("0", "0"), ("1", "1"), ("2", "2"), ("3", "3"))


def test_the_case_form_needs_every_field_though_an_edit_may_leave_any_out() -> None:
    assert [(f.name, f.required) for f in CASE_FIELDS] == [
        ("name", True),
        ("birth_date", True),
        ("sex", True),
        ("status", True),
        ("death_date", False),  # only for a deceased patient (issue 20)
    ]


def test_levels_and_cement_typed_as_text_read_into_what_the_model_takes() -> None:
    typed = FormData(
        [
            ("date", "2026-03-10"),
            ("kind", "kyphoplasty"),
            ("levels", "l1, L2;t12"),
            ("cement_ml", "L1: 4.5; l2=3 ml"),
            ("complications", "infection"),
            ("note", "  "),
        ]
    )
    data = form_data(PROCEDURE.fields, typed)
    assert data == {
        "date": "2026-03-10",
        "kind": "kyphoplasty",
        "levels": ["L1", "L2", "T12"],
        "cement_ml": {"L1": "4.5", "L2": "3"},
        "complications": ["infection"],
    }
    procedure = parse(ProcedureIn, {**data, "cement_ml": {"L1": "4.5", "L2": "3"}})
    shown = values_of(PROCEDURE.fields, procedure)
    assert (shown["levels"], shown["cement_ml"], shown["complications"], shown["note"]) == (
        "L1, L2, T12",
        "L1: 4.5, L2: 3",
        ["infection"],
        "",
    )


def test_cement_that_is_no_pairs_names_the_field_and_says_what_to_type() -> None:
    with pytest.raises(InputError) as caught:
        form_data(PROCEDURE.fields, FormData([("cement_ml", "lots")]))
    assert (caught.value.field, caught.value.kind) == ("cement_ml", ProblemKind.FORMAT)
    assert caught.value.allowed == "level: millilitres, such as L1: 4.5, L2: 3"


def test_a_checkbox_list_comes_back_as_a_list_even_of_one() -> None:
    typed = FormData([("complications", "infection"), ("note", "x")])
    assert form_values(typed, PROCEDURE.fields) == {"complications": ["infection"], "note": "x"}


def test_patient_fields_keep_their_explicit_titles_and_humanize_the_rest() -> None:
    from spinefx.clinical.followup import FollowupInput

    fields = {f.name: f for f in fields_of(FollowupInput)}
    assert fields["egfr"].label == "Kidney function: creatinine clearance (ml/min)"
    assert fields["vertebral_fractures"].label == "Vertebral fractures"
    assert (fields["age"].kind, fields["age"].minimum, fields["age"].maximum) == ("int", 18, 120)
    assert fields["on_osteoporosis_treatment"].kind == "tri"


def test_the_search_parameters_follow_search_query() -> None:
    schema = SearchQuery.model_json_schema()["properties"]
    by_name = {p["name"]: p["schema"] for p in SEARCH_PARAMETERS}
    assert (by_name["radius"]["minimum"], by_name["radius"]["maximum"]) == (
        schema["radius"]["minimum"],
        schema["radius"]["maximum"],
    )
    assert by_name["limit"]["maximum"] == schema["limit"]["maximum"]
    assert by_name["sort"]["enum"] == schema["sort"]["enum"]
    assert by_name["specialty"]["items"]["enum"] == schema["specialties"]["items"]["enum"]
    longest = schema["name"]["anyOf"][0]["maxLength"]
    assert by_name["name"] == {"type": "string", "maxLength": longest}
    assert [p["name"] for p in SEARCH_PARAMETERS if p.get("required")] == ["zip"]
