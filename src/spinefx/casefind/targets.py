"""The finding words of ``rules/targets.json`` found in a document, as its entities.

A spaCy pipeline component over spaCy's own ``Matcher``: every target rule is a token pattern
(:func:`spinefx.casefind.rules.with_placeholders` turns a literal into one). Where matches
overlap, the longest is kept, as ConText keeps its modifiers
(:func:`spinefx.casefind.context.keep_longest`): that is how a look-alike (``MIMIC``, "cord
compression at T11-12") swallows the finding words inside it. Each entity's label is the rule's
category and its ``id_`` the rule's literal, so that a test can tell which rule found it.

>>> import spacy
>>> nlp = spacy.blank("en")
>>> targets = nlp.add_pipe("casefind_targets")
>>> targets.add([{"literal": "vertebra plana", "category": "VCF",
...               "pattern": [{"LOWER": "vertebra"}, {"LOWER": "plana"}]}])
>>> [(e.text, e.label_, e.id_) for e in nlp("Vertebra plana at T10.").ents]
[('Vertebra plana', 'VCF', 'vertebra plana')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from spacy.language import Language

from spinefx.casefind.context import keep_longest

if TYPE_CHECKING:
    from spacy.tokens import Doc

__all__ = ["TargetMatcher"]


class TargetMatcher:
    """Sets ``doc.ents`` to the longest non-overlapping matches of the target rules."""

    def __init__(self, nlp: Language) -> None:
        from spacy.matcher import Matcher

        self._vocab = nlp.vocab
        self._matcher = Matcher(nlp.vocab)
        self._rules: dict[int, tuple[str, str]] = {}  # key -> (category, literal)

    def add(self, rules: Iterable[Mapping[str, Any]]) -> None:
        """Add target rules, each with a ``literal``, a ``category`` and a token ``pattern``."""
        for rule in rules:
            key = f"target_{len(self._rules)}"
            self._matcher.add(key, [list(rule["pattern"])])
            self._rules[self._vocab.strings[key]] = (rule["category"], rule["literal"])

    def __call__(self, doc: Doc) -> Doc:
        from spacy.tokens import Span

        spans = []
        for key, start, end in keep_longest(self._matcher(doc)):
            category, literal = self._rules[key]
            spans.append(Span(doc, start, end, label=category, span_id=literal))
        doc.ents = spans
        return doc


@Language.factory("casefind_targets")
def _make_target_matcher(nlp: Language, name: str) -> TargetMatcher:
    return TargetMatcher(nlp)
