"""The pipeline on the labelled development set (tests/data/casefind_dev.jsonl)."""

import json
from pathlib import Path

from spinefx.casefind.evaluate import evaluate_file
from spinefx.casefind.text import join_sections

DEV = Path(__file__).resolve().parent.parent / "data" / "casefind_dev.jsonl"
ROWS = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]


def test_the_development_set_meets_the_aims():
    """At least 95 % sensitivity and 99 % specificity ('uncertain' counted as found)."""
    result = evaluate_file(DEV, text_columns=["findings", "impression"])
    assert result.n == len(ROWS)
    assert result.sensitivity.value >= 0.95
    assert result.specificity.value >= 0.99
    assert result.level_accuracy.value >= 0.95


def test_parsing_only_candidate_sentences_changes_nothing(finder):
    """The shortcut (parse only sentences with a stem) gives what parsing the whole text gives."""
    for row in ROWS:
        text = join_sections([row["findings"], row["impression"]])
        doc = finder.nlp(text)
        whole = finder._doc_mentions(doc, 0, text) if doc.ents else []
        assert finder.mentions(text) == whole, row["id"]
