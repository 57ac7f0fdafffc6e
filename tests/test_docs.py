"""Documentation that must not drift from the code."""

import importlib
import inspect
import re
from pathlib import Path

import pytest

from spinefx.clinical import sources

ROOT = Path(__file__).resolve().parent.parent
RULES = {
    "screening": ("ScreeningInput", "screen", "REFERENCE_SCREENING"),
    "morphometry": ("GradingInput", "grade", "REFERENCE_HEIGHTS"),
    "candidacy": ("CandidacyInput", "assess", "REFERENCE_CANDIDACY"),
    "followup": ("FollowupInput", "plan", "REFERENCE_FOLLOWUP"),
}


def section(text: str, title: str) -> str:
    """The part of a Markdown page under ``## title``, up to the next section."""
    start = text.index(f"\n## {title}")
    end = text.find("\n## ", start + 4)
    return text[start : end if end != -1 else len(text)]


def rule_page(rule: str) -> str:
    page = ROOT / "docs" / "rules" / f"{rule}.md"
    assert page.is_file(), f"docs/rules/{rule}.md is missing"
    return page.read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_page_names_each_input_field_of_its_model(rule: str) -> None:
    module = importlib.import_module(f"spinefx.clinical.{rule}")
    model = getattr(module, RULES[rule][0])
    inputs = section(rule_page(rule), "Inputs")
    assert [f for f in model.model_fields if f"`{f}`" not in inputs] == []


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_page_names_each_source_its_code_cites(rule: str) -> None:
    module = importlib.import_module(f"spinefx.clinical.{rule}")
    cited = set(re.findall(r"\bsources\.([A-Z][A-Z0-9_]*)\b", inspect.getsource(module)))
    texts = [getattr(sources, name) for name in sorted(cited) if hasattr(sources, name)]
    assert texts, f"{rule} cites no source"
    listed = section(rule_page(rule), "Sources")
    assert [t for t in texts if source_name(t) not in listed] == []


def source_name(text: str) -> str:
    """What names a source on a page: its first author, body or code (``Genant``, ``AHCPR``,
    ``CMS``), or its first word when it has none."""
    names = re.findall(r"\b(?:[A-Z][a-z]{2,}|[A-Z][A-Z0-9-]{2,})\b", text)
    return names[0] if names else text.split()[0].rstrip(".,:")


def test_a_source_is_named_by_its_first_author_body_or_code() -> None:
    assert source_name(sources.GENANT_1993) == "Genant"
    assert source_name("expected posterior height by level (a file): Kunkel ME et al.") == "Kunkel"
    assert source_name("CMS Local Coverage Determination L38201") == "CMS"


@pytest.mark.parametrize("rule", RULES)
def test_every_criterion_of_the_reference_patient_is_on_its_rule_page(rule: str) -> None:
    from spinefx.clinical import pathway
    from spinefx.validation import parse_input

    model_name, run_name, answers = RULES[rule]
    module = importlib.import_module(f"spinefx.clinical.{rule}")
    result = getattr(module, run_name)(
        parse_input(getattr(module, model_name), getattr(pathway, answers))
    )
    criteria = getattr(result, "criteria", None) or getattr(result, "risk_reasons", None) or []
    page = rule_page(rule)
    assert [c.id for c in criteria if c.id not in page] == []


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
