"""Every rule in the tables does what its example says, and the tables are checked on load."""

import json

import pytest

from spinefx.casefind import rules
from spinefx.casefind.rules import load_tables, with_placeholders
from spinefx.errors import DataError

TABLES = load_tables()


def _id(rule):
    return f"{rule['category']}:{rule['literal']}"


@pytest.mark.parametrize("rule", TABLES.targets, ids=_id)
def test_target_rule_example_gives_its_label(finder, rule):
    example, expect = rule["metadata"]["example"], rule["metadata"]["expect"]
    assert finder.find(example).vcf == expect, example


@pytest.mark.parametrize("rule", [r for r in TABLES.targets if r["category"] != "MIMIC"], ids=_id)
def test_target_rule_matches_its_own_example(finder, rule):
    """The example is found by this very rule, not by a neighbour."""
    doc = finder.nlp(rule["metadata"]["example"])
    assert any(ent.id_ == rule["literal"] for ent in doc.ents), [(e.text, e.id_) for e in doc.ents]


@pytest.mark.parametrize("rule", TABLES.context, ids=_id)
def test_context_rule_example_gives_its_status(finder, rule):
    example, expect = rule["metadata"]["example"], rule["metadata"]["expect"]
    mentions = finder.mentions(example)
    assert mentions, example
    statuses = {m.status for m in mentions}
    assert expect in statuses, (example, statuses)
    if rule["direction"] not in ("PSEUDO", "TERMINATE"):
        doc = finder.nlp(example)
        used = {m.rule.literal for found in finder.context(doc).values() for m in found}
        assert rule["literal"] in used, (example, used)


def test_every_target_rule_passes_the_prefilter():
    pattern = TABLES.prefilter_pattern
    for rule in TABLES.targets:
        if rule["category"] != "MIMIC":
            assert pattern.search(rule["metadata"]["example"]), rule["literal"]


def test_placeholders_may_stand_between_tokens(finder):
    assert finder.find("Mild compression XXXX deformity of T8.").vcf == "present"
    spaced = with_placeholders({"literal": "vertebra plana", "category": "VCF"})["pattern"]
    assert spaced == [{"LOWER": "vertebra"}, rules.PLACEHOLDER, {"LOWER": "plana"}]


def test_a_rule_without_an_example_is_refused(monkeypatch):
    real = rules._read

    def fake(name):
        data = real(name)
        if name == "targets.json":
            data = json.loads(json.dumps(data))
            del data["target_rules"][0]["metadata"]
        return data

    monkeypatch.setattr(rules, "_read", fake)
    load_tables.cache_clear()
    try:
        with pytest.raises(DataError, match="example"):
            load_tables()
    finally:
        load_tables.cache_clear()


def test_a_phrase_under_two_acuities_is_refused(monkeypatch):
    real = rules._read

    def fake(name):
        data = real(name)
        if name == "attributes.json":
            data = json.loads(json.dumps(data))
            data["acuity"]["acute"].append("chronic")
        return data

    monkeypatch.setattr(rules, "_read", fake)
    load_tables.cache_clear()
    try:
        with pytest.raises(DataError, match="'chronic' is listed under both"):
            load_tables()
    finally:
        load_tables.cache_clear()


def test_an_unknown_category_is_refused(monkeypatch):
    real = rules._read

    def fake(name):
        data = real(name)
        if name == "context.json":
            data = json.loads(json.dumps(data))
            data["context_rules"][0]["category"] = "MAYBE"
        return data

    monkeypatch.setattr(rules, "_read", fake)
    load_tables.cache_clear()
    try:
        with pytest.raises(DataError, match="category must be one of"):
            load_tables()
    finally:
        load_tables.cache_clear()


def test_an_acuity_pattern_that_is_not_a_regular_expression_is_refused(monkeypatch):
    real = rules._read

    def fake(name):
        data = real(name)
        if name == "attributes.json":
            data = json.loads(json.dumps(data))
            data["acuity_patterns"]["acute"].append("new (since")
        return data

    monkeypatch.setattr(rules, "_read", fake)
    load_tables.cache_clear()
    try:
        with pytest.raises(DataError, match=r"acuity_patterns.acute: 'new \(since' is not"):
            load_tables()
    finally:
        load_tables.cache_clear()


def test_a_context_rule_with_an_unknown_direction_is_refused(monkeypatch):
    real = rules._read

    def fake(name):
        data = real(name)
        if name == "context.json":
            data = json.loads(json.dumps(data))
            data["context_rules"][0]["direction"] = "SIDEWAYS"
        return data

    monkeypatch.setattr(rules, "_read", fake)
    load_tables.cache_clear()
    try:
        with pytest.raises(DataError, match=r"context_rules\[0\]: .*direction must be one of"):
            load_tables()
    finally:
        load_tables.cache_clear()
