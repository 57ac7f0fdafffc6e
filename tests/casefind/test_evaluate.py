"""The evaluation figures: Wilson intervals, how uncertain counts, level accuracy, the command."""

import json

import pytest

from spinefx.casefind.evaluate import score, wilson
from spinefx.cli import run


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (92, 100, 0.8500, 0.9589),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1, 2, 0.0945, 0.9055),
    ],
)
def test_wilson_interval(k, n, low, high):
    got = wilson(k, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_with_no_cases_is_the_whole_range():
    assert wilson(0, 0) == (0.0, 1.0)


def test_uncertain_counts_as_found_on_both_sides():
    rows = [
        ("a", "present", ["T8"], "present", ["T8"]),
        ("b", "uncertain", ["L1"], "present", ["L1"]),
        ("c", "present", ["T12"], "uncertain", ["T11"]),
        ("d", "present", [], "absent", []),
        ("e", "absent", [], "uncertain", []),
        ("f", "absent", [], "absent", []),
    ]
    result = score(rows)
    assert (result.sensitivity.successes, result.sensitivity.n) == (3, 4)
    assert (result.specificity.successes, result.specificity.n) == (1, 2)
    assert (result.ppv.successes, result.ppv.n) == (3, 4)
    assert (result.npv.successes, result.npv.n) == (1, 2)
    assert (result.strict["sensitivity"].successes, result.strict["sensitivity"].n) == (2, 4)
    assert (result.strict["specificity"].successes, result.strict["specificity"].n) == (2, 2)
    assert (result.level_accuracy.successes, result.level_accuracy.n) == (2, 3)
    assert result.confusion["present"] == {"present": 1, "uncertain": 1, "absent": 1}


LABELLED = [
    {"id": "a", "findings": "Mild T8 wedge deformity.", "impression": "", "label": "present",
     "levels": ["T8"]},
    {"id": "b", "findings": "No compression fracture.", "impression": "Normal.", "label": "absent",
     "levels": []},
    {"id": "c", "findings": "Lungs clear.", "impression": "Possible L1 compression fracture.",
     "label": "uncertain", "levels": ["L1"]},
    {"id": "d", "findings": "Healed left rib fractures.", "impression": "", "label": "absent",
     "levels": []},
]  # fmt: skip


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_evaluate_command_prints_the_figures(tmp_path, capsys):
    src = tmp_path / "labelled.jsonl"
    _write(src, LABELLED)
    args = ["casefind", "evaluate", str(src), "--text-column", "findings"]
    assert run([*args, "--text-column", "impression", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["sensitivity"]["k"] == 2 and figures["sensitivity"]["n"] == 2
    assert figures["specificity"]["k"] == 2 and figures["specificity"]["n"] == 2
    assert figures["level_accuracy_on_true_positives"]["value"] == 1.0
    assert run([*args, "--text-column", "impression"]) == 0
    text = capsys.readouterr().out
    assert "sensitivity    100.0%" in text
    assert "'uncertain' counts as found" in text


def test_evaluate_refuses_an_unknown_label(tmp_path, capsys):
    src = tmp_path / "labelled.jsonl"
    _write(src, [*LABELLED[:2], dict(LABELLED[2], label="maybe")])
    assert run(["casefind", "evaluate", str(src), "--text-column", "findings"]) == 2
    assert "error: label: got 'maybe'; allowed: present, uncertain or absent (row 3)" in (
        capsys.readouterr().err
    )


def test_evaluate_names_a_missing_label_column(tmp_path, capsys):
    src = tmp_path / "labelled.jsonl"
    _write(src, LABELLED)
    args = ["casefind", "evaluate", str(src), "--text-column", "findings", "--label-column", "gold"]
    assert run(args) == 2
    assert "error: --label-column: got 'gold'" in capsys.readouterr().err
