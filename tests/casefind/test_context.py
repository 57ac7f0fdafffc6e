"""ConText (spinefx.casefind.context) on small rule tables, one behaviour at a time."""

import pytest
import spacy

from spinefx.casefind.context import ConText, ContextRule, Modifier, keep_longest

NEG = "NEGATED_EXISTENCE"
HEDGE = "POSSIBLE_EXISTENCE"


@pytest.fixture(scope="module")
def nlp():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def rule(literal, category=NEG, direction="FORWARD", **extra):
    return {"literal": literal, "category": category, "direction": direction, **extra}


def read(nlp, rules, text, targets):
    """The categories (rule literals) modifying each target word, in text order."""
    doc = nlp(text)
    spans = []
    for word in targets:
        start = text.index(word)
        spans.append(doc.char_span(start, start + len(word), label="VCF"))
    doc.ents = spans
    found = ConText(nlp, rules)(doc)
    return [[m.rule.literal for m in found[(s.start, s.end)]] for s in spans]


def test_forward_reaches_the_end_of_the_sentence_and_not_back(nlp):
    got = read(nlp, [rule("no")], "Fracture seen, no collapse or wedging.", ["Fracture", "wedging"])
    assert got == [[], ["no"]]


def test_backward_reaches_the_start_of_the_sentence_and_not_on(nlp):
    rules = [rule("is not seen", direction="BACKWARD")]
    got = read(nlp, rules, "A fracture is not seen near the collapse.", ["fracture", "collapse"])
    assert got == [["is not seen"], []]


def test_bidirectional_reaches_both_ways(nlp):
    rules = [rule("versus", HEDGE, "BIDIRECTIONAL")]
    got = read(nlp, rules, "Wedging versus fracture.", ["Wedging", "fracture"])
    assert got == [["versus"], ["versus"]]


def test_a_scope_never_crosses_a_sentence_boundary(nlp):
    got = read(nlp, [rule("no")], "No effusion. Fracture of T8.", ["Fracture"])
    assert got == [[]]
    back = [rule("not seen", direction="BACKWARD")]
    assert read(nlp, back, "Fracture of T8. Effusion not seen.", ["Fracture"]) == [[]]


def test_a_terminator_ends_the_scope_on_its_side(nlp):
    rules = [rule("no"), rule("but", "CONJ", "TERMINATE")]
    got = read(nlp, rules, "No effusion but a fracture.", ["effusion", "fracture"])
    assert got == [["no"], []]
    rules = [rule("not seen", direction="BACKWARD"), rule("but", "CONJ", "TERMINATE")]
    got = read(nlp, rules, "Fracture but effusion not seen.", ["Fracture", "effusion"])
    assert got == [[], ["not seen"]]


def test_a_terminator_ends_a_scope_already_cut_on_its_other_side(nlp):
    """medspaCy 1.3 misses this case (a scope cut first by a modifier of its own category
    no longer 'overlaps' the terminator's): here the ';' still ends 'not seen'."""
    rules = [
        rule("no"),
        rule("not seen", direction="BACKWARD"),
        rule(";", "CONJ", "TERMINATE", pattern=[{"ORTH": ";"}]),
    ]
    text = "Spine: no acute fracture; compression fracture is not seen."
    got = read(nlp, rules, text, ["acute fracture", "compression fracture"])
    assert got == [["no"], ["not seen"]]


def test_a_modifier_of_the_same_category_ends_the_scope(nlp):
    rules = [rule("no"), rule("without")]
    got = read(nlp, rules, "No effusion, without fracture.", ["effusion", "fracture"])
    assert got == [["no"], ["without"]]


def test_terminated_by_names_other_categories_that_end_the_scope(nlp):
    question = rule("indication :", "HYPOTHETICAL", terminated_by=["HISTORICAL"])
    question["pattern"] = [{"LOWER": "indication"}, {"ORTH": ":"}]
    history = rule("history of", "HISTORICAL")
    got = read(nlp, [question, history], "Indication: history of fracture.", ["fracture"])
    assert got == [["history of"]]
    del question["terminated_by"]
    got = read(nlp, [question, history], "Indication: history of fracture.", ["fracture"])
    assert got == [["indication :", "history of"]]


def test_a_pseudo_trigger_swallows_the_shorter_trigger_and_modifies_nothing(nlp):
    rules = [rule("no"), rule("no interval change", "PSEUDO", "PSEUDO")]
    got = read(nlp, rules, "No interval change in the fracture.", ["fracture"])
    assert got == [[]]


def test_max_scope_counts_tokens_from_the_trigger(nlp):
    rules = [rule("no", max_scope=2)]
    text = "No acute fracture or old collapse."
    assert read(nlp, rules, text, ["fracture", "collapse"]) == [["no"], []]
    back = [rule("absent", direction="BACKWARD", max_scope=1)]
    assert read(nlp, back, "Fracture and wedging absent.", ["Fracture", "wedging"]) == [
        [],
        ["absent"],
    ]


def test_allowed_and_excluded_types_choose_the_targets(nlp):
    planned = rule("recommended", "PLANNED", "BACKWARD", allowed_types=["TREATMENT"])
    doc = nlp("Fracture; kyphoplasty recommended.")
    doc.ents = [
        doc.char_span(0, 8, label="VCF"),
        doc.char_span(10, 21, label="TREATMENT"),
    ]
    found = ConText(nlp, [planned])(doc)
    assert [len(found[(0, 1)]), len(found[(2, 3)])] == [0, 1]
    excluded = rule("recommended", "PLANNED", "BACKWARD", excluded_types=["treatment"])
    found = ConText(nlp, [excluded])(doc)
    assert [len(found[(0, 1)]), len(found[(2, 3)])] == [1, 0]


def test_max_targets_keeps_the_nearest(nlp):
    rules = [rule("no", max_targets=1)]
    got = read(nlp, rules, "No wedging or fracture.", ["wedging", "fracture"])
    assert got == [["no"], []]


def test_a_modifier_never_modifies_a_target_it_overlaps(nlp):
    rules = [rule("no fracture")]
    assert read(nlp, rules, "No fracture.", ["fracture"]) == [[]]


def test_the_longest_match_wins_and_a_tie_goes_to_the_earlier():
    assert keep_longest([("a", 0, 1), ("b", 0, 3), ("c", 2, 4), ("d", 3, 4)]) == [
        ("b", 0, 3),
        ("d", 3, 4),
    ]
    assert keep_longest([("a", 1, 3), ("b", 2, 4)]) == [("a", 1, 3)]
    assert keep_longest([]) == []


def test_a_scope_comes_from_the_direction_and_the_sentence(nlp):
    doc = nlp("One two three four five six.")
    sentence = doc[0:7]
    forward = ContextRule.from_dict(rule("three"))
    assert Modifier.in_sentence(forward, 2, 3, sentence).scope_start == 3
    assert Modifier.in_sentence(forward, 2, 3, sentence).scope_end == 7
    both = ContextRule.from_dict(rule("three", direction="TERMINATE", max_scope=1))
    modifier = Modifier.in_sentence(both, 2, 3, sentence)
    assert (modifier.scope_start, modifier.scope_end) == (1, 4)


def test_documents_without_sentences_are_refused():
    nlp = spacy.blank("en")
    doc = nlp("No fracture.")
    with pytest.raises(ValueError, match="sentence boundaries"):
        ConText(nlp, [rule("no")])(doc)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"category": NEG}, "needs a 'literal'"),
        ({"literal": "no"}, "'category' is needed"),
        ({"literal": "no", "category": NEG, "direction": "SIDEWAYS"}, "direction must be"),
        ({"literal": "no", "category": NEG, "scope": 3}, "unknown keys scope"),
        ({"literal": "no", "category": NEG, "max_scope": 0}, "max_scope must be"),
        ({"literal": "no", "category": NEG, "allowed_types": "VCF"}, "list of labels"),
        (
            {"literal": "no", "category": NEG, "allowed_types": ["A"], "excluded_types": ["B"]},
            "not both",
        ),
        ({"literal": "no", "category": NEG, "pattern": "no"}, "list of token dicts"),
    ],
)
def test_a_bad_rule_row_is_refused_with_its_literal(row, message):
    with pytest.raises(ValueError, match=message):
        ContextRule.from_dict(row)
