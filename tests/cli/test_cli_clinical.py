"""The clinical commands as a user runs them: JSON in, a result or one clear error line out."""

import json

import pytest

from spinefx.cli import run
from spinefx.clinical.pathway import (
    REFERENCE_CANDIDACY,
    REFERENCE_FOLLOWUP,
    REFERENCE_HEIGHTS,
    REFERENCE_SCREENING,
)

COMMANDS = {
    "screen": REFERENCE_SCREENING,
    "grade": REFERENCE_HEIGHTS,
    "candidacy": {**REFERENCE_CANDIDACY, "height_loss_pct": 33.3},
    "followup": REFERENCE_FOLLOWUP,
}


def write(tmp_path, data, name="input.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def run_json(capsys, *argv):
    status = run(list(argv))
    out = capsys.readouterr()
    return status, out


def test_grade_text_says_crush_not_assessed_instead_of_normal(tmp_path, capsys):
    data = {"vertebrae": [{"level": "L2", "ha": 18, "hm": 18, "hp": 18}]}
    status, out = run_json(capsys, "grade", write(tmp_path, data))
    assert status == 0
    assert "crush not assessed" in out.out
    assert "Not every level could be graded: L2 has no grade" in out.out
    assert "No fracture" not in out.out
    assert "not computed" in out.out  # the SDI
    assert "normal" not in out.out.replace("never 'normal'", "")
    status, out = run_json(capsys, "grade", write(tmp_path, data), "--json")
    assert json.loads(out.out)["vertebrae"][0]["crush_assessed"] is False


@pytest.mark.parametrize("command", COMMANDS)
def test_json_output_is_the_rule_result_object(tmp_path, capsys, command):
    status, out = run_json(capsys, command, write(tmp_path, COMMANDS[command]), "--json")
    assert status == 0, out.err
    result = json.loads(out.out)
    expected_key = {"screen": "outcome", "grade": "sdi", "candidacy": "codes", "followup": "risk"}
    assert expected_key[command] in result


def test_reference_patient_on_day_1_is_told_to_see_a_doctor_today(tmp_path, capsys):
    status, out = run_json(capsys, "screen", write(tmp_path, REFERENCE_SCREENING), "--json")
    assert status == 0
    assert json.loads(out.out)["outcome"] == "see-doctor"
    assert json.loads(out.out)["action"] == "See a doctor today."


def test_grade_reads_standard_input(capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(REFERENCE_HEIGHTS)))
    status, out = run_json(capsys, "grade", "-", "--json")
    assert status == 0
    l2 = next(v for v in json.loads(out.out)["vertebrae"] if v["level"] == "L2")
    assert (l2["grade"], l2["type"]) == (2, "wedge")


@pytest.mark.parametrize("command", COMMANDS)
def test_without_json_a_readable_table_is_printed(tmp_path, capsys, command):
    status, out = run_json(capsys, command, write(tmp_path, COMMANDS[command]))
    assert status == 0
    assert not out.out.lstrip().startswith("{")
    assert out.out.strip()


@pytest.mark.parametrize(
    ("command", "body", "message"),
    [
        ("screen", {"age": 130}, "age: got 130; allowed: an integer from 18 to 120, or null"),
        ("screen", {"age": "58"}, "age: got '58'"),
        ("screen", {"mood": "bad"}, "mood: got 'bad'; allowed: no such field"),
        (
            "grade",
            {"vertebrae": [{"level": "C5", "ha": 1, "hm": 1, "hp": 1}]},
            "vertebrae[0].level",
        ),
        ("grade", {"vertebrae": [{"level": "L1", "ha": 81, "hm": 1, "hp": 1}]}, "vertebrae[0].ha"),
        ("candidacy", {"levels": ["L1"], "rdq": 25}, "rdq: got 25"),
        ("followup", {"sex": "x", "age": 60, "fracture_date": "2026-01-01"}, "sex: got 'x'"),
        ("followup", {"sex": "male", "age": 60, "fracture_date": "01/02/2026"}, "fracture_date"),
    ],
)
def test_bad_input_is_one_line_naming_the_field_and_exit_2(
    tmp_path, capsys, command, body, message
):
    status, out = run_json(capsys, command, write(tmp_path, body), "--json")
    assert status == 2
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert "Traceback" not in out.err


def test_several_bad_fields_share_one_line(tmp_path, capsys):
    status, out = run_json(capsys, "screen", write(tmp_path, {"age": 5, "pain_nrs": 11}))
    assert status == 2
    (line,) = out.err.strip().splitlines()
    assert line.startswith("error: 2 invalid fields: ")
    assert "age:" in line
    assert "pain_nrs:" in line


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "valid JSON (line 1, column 2"),
        ("[1, 2]", "a JSON object"),
        ("", "valid JSON"),
    ],
)
def test_unreadable_json_is_an_input_error(tmp_path, capsys, content, message):
    status, out = run_json(capsys, "screen", write(tmp_path, content))
    assert status == 2
    assert message in out.err


def test_missing_file_is_an_input_error(tmp_path, capsys):
    status, out = run_json(capsys, "grade", str(tmp_path / "absent.json"))
    assert status == 2
    assert "FILE" in out.err
    assert "existing JSON file" in out.err


def test_a_missing_argument_is_a_usage_error(capsys):
    assert run(["screen"]) == 2


def test_demo_walks_the_reference_patient(capsys):
    assert run(["demo"]) == 0
    out = capsys.readouterr().out
    for heading in ("Self-check", "morphometry", "candidacy", "follow-up"):
        assert heading in out
    assert "see-doctor" in out
    assert "meets-criteria" in out
    assert "22514" in out


def assert_ok(status, out):
    assert status == 0, out.err
    return out


def test_json_and_text_carry_the_new_outcomes_and_fields(tmp_path, capsys):
    aching = {**REFERENCE_SCREENING, "pain_quality": "aching"}
    out = assert_ok(*run_json(capsys, "screen", write(tmp_path, aching), "--json"))
    assert json.loads(out.out)["outcome"] == "see-doctor"
    out = assert_ok(*run_json(capsys, "screen", write(tmp_path, aching)))
    assert "see-doctor" in out.out and "a reason to see a doctor on its own" in out.out
    late = {**REFERENCE_FOLLOWUP, "as_of": "2027-03-01"}
    out = assert_ok(*run_json(capsys, "followup", write(tmp_path, late), "--json"))
    plan = json.loads(out.out)
    assert [i["overdue"] for i in plan["fls_checklist"]] == [True] * 6 + [False]
    out = assert_ok(*run_json(capsys, "followup", write(tmp_path, late)))
    assert "overdue" in out.out
    assert "AACE/ACE 2020" in out.out
    malignant = {"levels": ["T8"], "malignant": True, "imaging_confirmed": True}
    out = assert_ok(*run_json(capsys, "candidacy", write(tmp_path, malignant)))
    assert "not-applicable" in out.out


def test_a_fracture_after_as_of_is_exit_2_naming_the_field(tmp_path, capsys):
    late = {**REFERENCE_FOLLOWUP, "as_of": "2026-10-01"}
    status, out = run_json(capsys, "followup", write(tmp_path, late), "--json")
    assert status == 2
    assert "fracture_date" in out.err


@pytest.mark.parametrize(
    ("command", "data", "words", "ids"),
    [
        (
            "screen",
            REFERENCE_SCREENING,
            [
                "Self-check:  See a doctor today.",
                "The pain started suddenly.",
                "Fever or chills",
            ],
            ["sudden-onset", "red-flag:fever"],
        ),
        (
            "candidacy",
            {**REFERENCE_CANDIDACY, "height_loss_pct": 33.3},
            [
                "candidacy:  Meets the coverage criteria",
                "Roland-Morris Disability Questionnaire over 17",
                "No absolute contraindication",
            ],
            ["rdq-over-17", "no-absolute-contraindication"],
        ),
        (
            "followup",
            REFERENCE_FOLLOWUP,
            ["A fracture within the past 12 months", "A T-score below -3.0"],
            ["recent-fracture", "t-score-below-minus-3"],
        ),
    ],
)
def test_criteria_are_printed_in_words_and_the_json_keeps_the_ids(
    tmp_path, capsys, monkeypatch, command, data, words, ids
):
    monkeypatch.setenv("COLUMNS", "200")  # each criterion on one line, so the words read whole
    path = write(tmp_path, data)
    out = assert_ok(*run_json(capsys, command, path))
    for text in words:
        assert text in out.out
    for id in ids:
        assert id not in out.out
    out = assert_ok(*run_json(capsys, command, path, "--json"))
    found = json.loads(out.out)
    reasons = found.get("criteria") or found["risk_reasons"]
    assert set(ids) <= {c["id"] for c in reasons}


def test_unanswered_warning_signs_are_named_in_words(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = assert_ok(*run_json(capsys, "screen", write(tmp_path, {"age": 70})))
    assert "Warning signs not answered" in out.out
    assert "Fever or chills" in out.out
    assert "saddle_numbness" not in out.out


def test_the_printed_plan_gives_its_dates_in_words_and_the_json_in_iso(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "200")
    data = {"sex": "female", "age": 58, "fracture_date": "2026-11-02", "as_of": "2027-03-01"}
    path = write(tmp_path, data)
    out = assert_ok(*run_json(capsys, "followup", path)).out
    assert "on March 1, 2027" in out
    assert "January 25, 2027 overdue" in out and "November 1, 2027" in out
    assert "2027-01-25" not in out
    plan = json.loads(assert_ok(*run_json(capsys, "followup", path, "--json")).out)
    assert plan["fls_checklist"][0]["due_date"] == "2027-01-25"


@pytest.mark.parametrize(
    "vertebrae",
    [
        [{"level": "L2", "ha": 18, "hm": 18, "hp": 18}],  # crush not assessed: the widest type
        [
            {"level": "L1", "ha": 25, "hm": 25, "hp": 25},
            {"level": "L2", "ha": 17, "hm": 21, "hp": 25},
            {"level": "L3", "ha": 26, "hm": 26, "hp": 26},
        ],
    ],
)
def test_the_grading_table_fits_80_columns_with_its_headers_whole(
    tmp_path, capsys, monkeypatch, vertebrae
):
    monkeypatch.setenv("COLUMNS", "80")
    out = assert_ok(*run_json(capsys, "grade", write(tmp_path, {"vertebrae": vertebrae}))).out
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in out
    header = next(line for line in lines if "level" in line and "loss %" in line)
    for column in ("level", "grade", "type", "loss %", "wedge", "biconcave", "crush"):
        assert column in header


def test_grade_takes_entered_percentages_and_names_them(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    data = {
        "vertebrae": [{"level": "L1", "ha": 28, "hm": 28, "hp": 28}],
        "entered": [{"level": "L2", "height_loss_pct": 40.01}],
    }
    out = assert_ok(*run_json(capsys, "grade", write(tmp_path, data))).out
    assert max(len(line) for line in out.splitlines()) <= 80
    row = next(line for line in out.splitlines() if line.startswith("│    L2"))
    assert "entered %" in row and "│     3 │" in row
    assert "Graded from an entered height loss, not from measured heights: L2" in out
    assert "heights" in next(line for line in out.splitlines() if line.startswith("│    L1"))
    found = json.loads(assert_ok(*run_json(capsys, "grade", write(tmp_path, data), "--json")).out)
    assert found["entered_levels"] == ["L2"]


def test_grade_refuses_an_entered_120_percent_in_one_line_with_exit_2(tmp_path, capsys):
    data = {"entered": [{"level": "L2", "height_loss_pct": 120}]}
    status, out = run_json(capsys, "grade", write(tmp_path, data))
    assert status == 2
    assert out.err.strip().count("\n") == 0
    assert "entered[0].height_loss_pct" in out.err and "from 0 to 100" in out.err
