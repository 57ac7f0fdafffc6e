from spinefx import DataError, DirectoryNotLoaded, InputError, SpinefxError
from spinefx.errors import MISSING, Bounds, FieldProblem, ProblemKind


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


def test_a_problem_carries_its_kind_and_bounds_as_data():
    err = InputError(
        "to",
        "2024-01-01",
        "a date on or after the start of the period (2025-01-01)",
        kind=ProblemKind.RANGE,
        expects="date",
        bounds=Bounds(low="2025-01-01"),
    )
    assert err.kind is ProblemKind.RANGE
    assert (err.problems[0].expects, err.problems[0].bounds) == ("date", Bounds("2025-01-01"))
    again = InputError.from_problems(err.problems)
    assert again.problems == err.problems


def test_a_plain_input_error_is_a_broken_rule_without_bounds():
    problem = InputError("site", "x", "one of your sites").problems[0]
    assert (problem.kind, problem.expects, problem.bounds, problem.choices) == (
        ProblemKind.RULE,
        None,
        None,
        (),
    )


def test_an_edge_renames_the_top_field_and_keeps_the_rest_of_its_path():
    names = {"levels": "Levels treated", "sites": "--site"}.get
    assert FieldProblem("levels[1]", "Q9", "x").renamed(names).field == "Levels treated[1]"
    assert FieldProblem("sites", None, "x").renamed(names).field == "--site"
    assert FieldProblem("red_flags.fever", 3, "x").top == "red_flags"
    located = FieldProblem("sites.ndjson line 3: subject", None, "x")  # a file, not a path
    assert located.renamed(names).field == "sites.ndjson line 3: subject"
    assert FieldProblem("age", 3, "x").renamed(names).field == "age"
