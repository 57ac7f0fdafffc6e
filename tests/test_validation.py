from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from spinefx.errors import MISSING, InputError
from spinefx.validation import load_json_file, parse_input


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    height: Annotated[float, Field(gt=0, le=80)]


class Sample(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    age: Annotated[int | None, Field(ge=18, le=120)] = None
    onset: Literal["sudden", "gradual"] | None = None
    colour: Colour | None = None
    flag: bool | None = None
    when: date | None = None
    items: Annotated[list[Inner], Field(min_length=1)] = Field(
        default_factory=lambda: [Inner(height=1)]
    )
    required_text: str = "x"


def problem(data):
    with pytest.raises(InputError) as info:
        parse_input(Sample, data)
    return info.value


@pytest.mark.parametrize(
    ("data", "field", "allowed"),
    [
        ({"age": 130}, "age", "an integer from 18 to 120, or null"),
        ({"age": "old"}, "age", "an integer from 18 to 120, or null"),
        ({"onset": "slow"}, "onset", 'one of "sudden", "gradual", or null'),
        ({"colour": "green"}, "colour", 'one of "red", "blue", or null'),
        ({"flag": "maybe"}, "flag", "true or false, or null"),
        ({"when": "yesterday"}, "when", "a date as YYYY-MM-DD, or null"),
        ({"items": []}, "items", "a list of at least 1 items of an object with the fields height"),
        ({"items": [{"height": 0}]}, "items[0].height", "a number > 0 and <= 80"),
    ],
)
def test_each_bad_field_is_named_with_its_allowed_range(data, field, allowed):
    err = problem(data)
    assert err.field == field
    assert err.allowed == allowed


def test_unknown_fields_list_the_known_ones():
    err = problem({"agee": 50})
    assert err.field == "agee"
    assert err.allowed.startswith("no such field; known fields: age, onset")


def test_several_bad_fields_are_all_reported():
    err = problem({"age": 5, "onset": "slow"})
    assert {p.field for p in err.problems} == {"age", "onset"}


def test_a_json_array_is_not_an_object():
    err = problem([1, 2])
    assert err.field == "(input)"


def test_missing_required_field_is_reported_as_missing():
    class Needs(BaseModel):
        sex: Literal["female", "male"]

    with pytest.raises(InputError) as info:
        parse_input(Needs, {})
    assert info.value.value is MISSING
    assert info.value.field == "sex"


def test_valid_input_parses():
    assert parse_input(Sample, {"age": 58, "onset": "sudden"}).age == 58


def test_load_json_file_reads_a_file(tmp_path):
    path = tmp_path / "in.json"
    path.write_text('{"age": 58}', encoding="utf-8")
    assert load_json_file(path) == {"age": 58}


def test_load_json_file_reads_standard_input_for_dash():
    assert load_json_file("-", stdin='{"a": 1}') == {"a": 1}


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as info:
        load_json_file(tmp_path / "absent.json")
    assert info.value.field == "file"  # the CLI names it FILE
    assert "existing JSON file" in info.value.allowed


def test_directory_is_not_a_json_file(tmp_path):
    with pytest.raises(InputError, match="not a directory"):
        load_json_file(tmp_path)


def test_malformed_json_names_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"age": 58,\n}', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_json_file(path)
    assert "line 2, column 1" in info.value.allowed


def test_empty_standard_input_is_malformed_json():
    with pytest.raises(InputError, match="valid JSON"):
        load_json_file("-", stdin="")


def test_unknown_nested_field_lists_the_fields_of_its_own_object():
    err = problem({"items": [{"height": 1, "width": 2}]})
    assert err.field == "items[0].width"
    assert err.allowed == "no such field; known fields: height"


def test_an_input_error_raised_inside_a_model_validator_is_kept_as_is():
    from pydantic import model_validator

    class Pair(BaseModel):
        a: int = 0

        @model_validator(mode="after")
        def _check(self):
            raise InputError("a", self.a, "never accepted")

    with pytest.raises(InputError) as info:
        parse_input(Pair, {"a": 3})
    assert (info.value.field, info.value.value, info.value.allowed) == ("a", 3, "never accepted")
