"""Documentation that must not drift from the code."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RULES = ("screening", "morphometry", "candidacy", "followup")


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_has_a_page_that_names_its_sources(rule):
    page = ROOT / "docs" / "rules" / f"{rule}.md"
    assert page.is_file(), f"docs/rules/{rule}.md is missing"
    text = page.read_text(encoding="utf-8").lower()
    assert "source" in text
    assert "input" in text


def test_readme_gives_the_two_commands_for_a_fresh_machine():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme
    assert "make test" in readme
    assert "http://127.0.0.1:8000" in readme


def test_ci_entry_point_calls_make_test():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in script
    assert "set -euo pipefail" in script


def test_casefinding_page_gives_the_anchors_the_figures_and_spark_submit():
    text = (ROOT / "docs" / "casefinding.md").read_text(encoding="utf-8")
    for needed in ("Wiebe", "Wang", "Page", "spark-submit", "sensitivity", "specificity"):
        assert needed in text, needed
