"""The labelled case-finding development set (tests/data/casefind_dev.jsonl) keeps its shape.

The file is data, written by hand; these tests catch a broken line, a label outside the
vocabulary, a level that is not a vertebra, or a pitfall that lost its examples, before the
evaluation command reports figures on a set that is not what the README says it is.
"""

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
DEV_SET = DATA / "casefind_dev.jsonl"
README = DATA / "README.md"

MIN_ROWS = 400
MIN_PER_PITFALL = 5
FIELDS = {
    "id",
    "patient",
    "modality",
    "findings",
    "impression",
    "label",
    "levels",
    "regions",
    "pitfall",
}
LABELS = {"present", "uncertain", "absent"}
MODALITIES = {"chest-xr", "ct", "mri", "spine-xr"}
REGIONS = ("thoracic", "lumbar")
LEVELS = [f"T{n}" for n in range(1, 13)] + [f"L{n}" for n in range(1, 6)]
PITFALLS = {
    "word_wedge",
    "word_height_loss",
    "word_biconcave",
    "word_vertebra_plana",
    "word_burst",
    "word_pathologic",
    "word_cement",
    "old_or_stable",
    "level_range",
    "level_region",
    "level_vague",
    "negated",
    "negated_acute",
    "heights_maintained",
    "hedged",
    "fracture_elsewhere",
    "healed_rib",
    "lookalike_wedge_opacity",
    "lookalike_degenerative",
    "lookalike_schmorl",
    "lookalike_curvature",
    "lookalike_fusion",
    "lookalike_modic",
    "lookalike_other",
    "deid_placeholder",
    "split_sections",
    "mixed",
}
# Pitfalls whose whole point is one answer: a negation or a look-alike is never a fracture,
# a hedge alone is never more than uncertain.
ALWAYS_ABSENT = {
    "negated",
    "negated_acute",
    "heights_maintained",
    "fracture_elsewhere",
    "healed_rib",
    "lookalike_wedge_opacity",
    "lookalike_degenerative",
    "lookalike_schmorl",
    "lookalike_curvature",
    "lookalike_fusion",
    "lookalike_modic",
    "lookalike_other",
}
ALWAYS_PRESENT = {
    "word_wedge",
    "word_height_loss",
    "word_biconcave",
    "word_vertebra_plana",
    "word_burst",
    "word_pathologic",
    "word_cement",
    "old_or_stable",
    "level_range",
    "level_region",
    "level_vague",
    "mixed",
}


def load_rows() -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(DEV_SET.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"line {number} is not JSON: {exc}")
        assert isinstance(row, dict), f"line {number} is not an object"
        rows.append(row)
    return rows


ROWS = load_rows()


def test_the_set_holds_at_least_400_reports():
    assert len(ROWS) >= MIN_ROWS


def test_every_row_has_exactly_the_documented_fields():
    for row in ROWS:
        assert set(row) == FIELDS, row.get("id")


def test_ids_are_unique_and_numbered_in_file_order():
    ids = [row["id"] for row in ROWS]
    assert ids == [f"r{n:04d}" for n in range(1, len(ROWS) + 1)]


def test_patients_are_named_alike_and_some_have_several_reports():
    assert all(re.fullmatch(r"p\d{4}", row["patient"]) for row in ROWS)
    per_patient = Counter(row["patient"] for row in ROWS)
    assert sum(1 for count in per_patient.values() if count > 1) >= 20


def test_no_report_text_is_repeated():
    texts = [(row["findings"], row["impression"]) for row in ROWS]
    assert len(set(texts)) == len(texts)
    assert all(row["findings"].strip() and row["impression"].strip() for row in ROWS)


def test_labels_and_modalities_come_from_their_vocabularies():
    assert {row["label"] for row in ROWS} == LABELS
    assert {row["modality"] for row in ROWS} == MODALITIES


def test_about_one_report_in_five_is_positive():
    share = sum(row["label"] == "present" for row in ROWS) / len(ROWS)
    assert 0.15 <= share <= 0.25, share


def test_uncertain_reports_are_a_small_share():
    share = sum(row["label"] == "uncertain" for row in ROWS) / len(ROWS)
    assert 0.02 <= share <= 0.10, share


def test_levels_are_vertebrae_from_t1_to_l5_in_spine_order_without_repeats():
    for row in ROWS:
        levels = row["levels"]
        assert all(level in LEVELS for level in levels), row["id"]
        assert levels == sorted(set(levels), key=LEVELS.index), row["id"]


def test_absent_reports_name_no_level_and_no_region():
    for row in ROWS:
        if row["label"] == "absent":
            assert row["levels"] == [] and row["regions"] == [], row["id"]


def test_every_finding_has_a_level_or_at_least_a_region():
    for row in ROWS:
        if row["label"] != "absent":
            assert row["regions"], row["id"]


def test_regions_agree_with_the_levels_named():
    for row in ROWS:
        assert all(region in REGIONS for region in row["regions"]), row["id"]
        assert row["regions"] == sorted(set(row["regions"]), key=REGIONS.index), row["id"]
        if row["levels"]:
            named = {"thoracic" if level[0] == "T" else "lumbar" for level in row["levels"]}
            assert set(row["regions"]) == named, row["id"]


def test_every_pitfall_tag_is_known_and_has_at_least_five_examples():
    tags = Counter(row["pitfall"] for row in ROWS if row["pitfall"] is not None)
    assert set(tags) <= PITFALLS, set(tags) - PITFALLS
    thin = {tag: tags[tag] for tag in PITFALLS if tags[tag] < MIN_PER_PITFALL}
    assert not thin, thin


def test_pitfalls_that_decide_the_label_carry_that_label():
    for row in ROWS:
        if row["pitfall"] in ALWAYS_ABSENT:
            assert row["label"] == "absent", row["id"]
        if row["pitfall"] in ALWAYS_PRESENT:
            assert row["label"] == "present", row["id"]
        if row["pitfall"] == "hedged":
            assert row["label"] == "uncertain", row["id"]


def test_placeholders_appear_in_the_rows_tagged_for_them():
    for row in ROWS:
        if row["pitfall"] == "deid_placeholder":
            assert "XXXX" in row["findings"] + row["impression"], row["id"]


def test_the_readme_documents_every_field_and_pitfall_tag():
    text = README.read_text(encoding="utf-8")
    for name in sorted(FIELDS | PITFALLS):
        assert f"`{name}`" in text, name


def test_the_readme_states_the_counts_the_file_holds():
    text = " ".join(README.read_text(encoding="utf-8").split())
    labels = Counter(row["label"] for row in ROWS)
    stated = (
        f"{len(ROWS)} reports: {labels['present']} `present`, "
        f"{labels['uncertain']} `uncertain`, {labels['absent']} `absent`"
    )
    assert stated in text
