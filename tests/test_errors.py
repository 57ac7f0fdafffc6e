from spinefx import DataError, DirectoryNotLoaded, InputError, SpinefxError
from spinefx.errors import MISSING, FieldProblem


def test_every_spinefx_error_shares_one_root():
    for cls in (InputError, DataError, DirectoryNotLoaded):
        assert issubclass(cls, SpinefxError)
    assert issubclass(DirectoryNotLoaded, DataError)


def test_input_error_names_field_value_and_allowed_range():
    err = InputError("age", 130, "an integer from 18 to 120")
    assert (err.field, err.value, err.allowed) == ("age", 130, "an integer from 18 to 120")
    assert str(err) == "age: got 130; allowed: an integer from 18 to 120"


def test_input_error_is_a_value_error_for_library_callers():
    assert isinstance(InputError("x", 1, "y"), ValueError)


def test_input_error_keeps_every_problem_and_counts_the_rest():
    err = InputError.from_problems(
        [FieldProblem("age", 5, "an integer from 18 to 120"), FieldProblem("pain_nrs", 11, "0-10")]
    )
    assert [p.field for p in err.problems] == ["age", "pain_nrs"]
    assert str(err).endswith("(and 1 more)")


def test_a_missing_field_says_missing_rather_than_showing_a_value():
    assert str(FieldProblem("sex", MISSING, "one of female, male")).startswith("sex: missing;")
