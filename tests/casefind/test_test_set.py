"""The held-out case-finding test set (tests/data/casefind_test.jsonl) keeps its shape.

The test set was written after the rules of issue 20 and before the pipeline was run on it;
the rules are never tuned on it (tests/data/README.md). These tests keep the file honest: the
documented fields and vocabularies, and no report shared with the development set.
"""

import json
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
TEST_SET = DATA / "casefind_test.jsonl"
DEV_SET = DATA / "casefind_dev.jsonl"
README = DATA / "README.md"

FIELDS = {"id", "patient", "modality", "findings", "impression", "label", "levels", "regions"}
LEVELS = [f"T{n}" for n in range(1, 13)] + [f"L{n}" for n in range(1, 6)]


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


ROWS = _rows(TEST_SET)


def test_the_test_set_has_the_dev_set_fields_and_ids_of_its_own():
    assert len(ROWS) >= 150
    for row in ROWS:
        assert set(row) == FIELDS | {"pitfall"}, row.get("id")
    assert [row["id"] for row in ROWS] == [f"t{n:04d}" for n in range(1, len(ROWS) + 1)]
    assert all(row["patient"].startswith("q") for row in ROWS)


def test_labels_levels_and_regions_follow_the_dev_set_rules():
    assert {row["label"] for row in ROWS} == {"present", "uncertain", "absent"}
    assert {row["modality"] for row in ROWS} == {"chest-xr", "ct", "mri", "spine-xr"}
    for row in ROWS:
        assert row["levels"] == sorted(set(row["levels"]), key=LEVELS.index), row["id"]
        if row["label"] == "absent":
            assert row["levels"] == [] and row["regions"] == [], row["id"]
        else:
            assert row["regions"], row["id"]


def test_no_report_of_the_test_set_is_in_the_development_set():
    dev = {(row["findings"], row["impression"]) for row in _rows(DEV_SET)}
    texts = [(row["findings"], row["impression"]) for row in ROWS]
    assert len(set(texts)) == len(texts)
    assert not dev & set(texts)


def test_the_readme_states_the_counts_the_test_set_holds():
    text = " ".join(README.read_text(encoding="utf-8").split())
    labels = Counter(row["label"] for row in ROWS)
    stated = (
        f"{len(ROWS)} reports: {labels['present']} `present`, "
        f"{labels['uncertain']} `uncertain`, {labels['absent']} `absent`"
    )
    assert stated in text
