"""ConText: which words around a finding negate it, hedge it, date it or make it a question.

An implementation of the ConText algorithm (Harkema, Dowling, Thornblade and Chapman, J Biomed
Inform 2009;42:839-851) over spaCy's own ``Matcher`` and ``PhraseMatcher``, driven by the rule
table ``rules/context.json``. It follows the behaviour of medspaCy's ``ConText`` (medspaCy 1.3,
``medspacy/context``), which spinefx used before and whose rule format the table keeps, so
that the table reads the same; the code is our own.

How a sentence is read:

1. Every rule's phrase is matched (a ``pattern`` of token attributes, or the ``literal`` in
   lower case). Where two matches overlap, the longer one is kept (a tie goes to the earlier):
   "no interval change" (a pseudo-trigger) swallows the "no" inside it.
2. Each match is a *modifier* whose *scope* runs from it to the end of its sentence
   (``FORWARD``), back to the start of its sentence (``BACKWARD``) or both ways
   (``BIDIRECTIONAL``), never more than ``max_scope`` tokens when the rule sets one.
   Sentences come from the document's sentence boundaries; a scope never crosses one.
3. A modifier's scope ends where another modifier stands in it that is a terminator
   (``TERMINATE``: "but", ";"), one of the same category ("no fracture, no effusion": each
   "no" keeps to its own words) or one of the categories its rule names in ``terminated_by``.
4. A modifier modifies each target (``doc.ents``) its scope reaches, unless the two overlap,
   the modifier is a terminator or a pseudo-trigger (``PSEUDO``: it only swallows), or the
   target's label is not allowed (``allowed_types`` / ``excluded_types``). With
   ``max_targets``, only that many targets, the nearest, are kept.

>>> import spacy
>>> nlp = spacy.blank("en")
>>> _ = nlp.add_pipe("sentencizer")
>>> context = ConText(nlp, [{"literal": "no", "category": "NEGATED_EXISTENCE",
...                          "direction": "FORWARD"}])
>>> doc = nlp("No fracture.")
>>> doc.ents = [doc.char_span(3, 11, label="VCF")]
>>> [m.category for m in context(doc)[(1, 2)]]
['NEGATED_EXISTENCE']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

__all__ = [
    "DIRECTIONS",
    "ConText",
    "ContextRule",
    "Modifier",
    "keep_longest",
]

DIRECTIONS = ("FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO")
_RULE_KEYS = frozenset(
    {
        "literal",
        "category",
        "direction",
        "pattern",
        "allowed_types",
        "excluded_types",
        "max_scope",
        "max_targets",
        "terminated_by",
        "metadata",
    }
)


def _labels(value: Any, key: str, literal: str) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"context rule '{literal}': {key} must be a list of labels")
    return frozenset(str(v).upper() for v in value)


def _positive(value: Any, key: str, literal: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"context rule '{literal}': {key} must be a whole number above 0")
    return value


@dataclass(frozen=True, eq=False)
class ContextRule:
    """One row of the modifier table: the phrase, what it means and where it reaches."""

    literal: str
    category: str
    direction: str = "BIDIRECTIONAL"
    pattern: Sequence[Mapping[str, Any]] | None = None
    allowed_types: frozenset[str] | None = None
    excluded_types: frozenset[str] | None = None
    max_scope: int | None = None
    max_targets: int | None = None
    terminated_by: frozenset[str] = frozenset()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ContextRule:
        """A rule from its table row; a row with an unknown key or value is refused."""
        literal = data.get("literal")
        if not isinstance(literal, str) or not literal:
            raise ValueError("a context rule needs a 'literal'")
        unknown = set(data) - _RULE_KEYS
        if unknown:
            raise ValueError(
                f"context rule '{literal}': unknown keys {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(sorted(_RULE_KEYS))}"
            )
        category = data.get("category")
        if not isinstance(category, str) or not category:
            raise ValueError(f"context rule '{literal}': a 'category' is needed")
        direction = str(data.get("direction", "BIDIRECTIONAL")).upper()
        if direction not in DIRECTIONS:
            raise ValueError(
                f"context rule '{literal}': direction must be one of {', '.join(DIRECTIONS)}"
            )
        pattern = data.get("pattern")
        if pattern is not None and not (
            isinstance(pattern, list) and pattern and all(isinstance(t, dict) for t in pattern)
        ):
            raise ValueError(f"context rule '{literal}': pattern must be a list of token dicts")
        allowed = _labels(data.get("allowed_types"), "allowed_types", literal)
        excluded = _labels(data.get("excluded_types"), "excluded_types", literal)
        if allowed is not None and excluded is not None:
            raise ValueError(
                f"context rule '{literal}': give allowed_types or excluded_types, not both"
            )
        return cls(
            literal=literal,
            category=category.upper(),
            direction=direction,
            pattern=pattern,
            allowed_types=allowed,
            excluded_types=excluded,
            max_scope=_positive(data.get("max_scope"), "max_scope", literal),
            max_targets=_positive(data.get("max_targets"), "max_targets", literal),
            terminated_by=_labels(data.get("terminated_by"), "terminated_by", literal)
            or frozenset(),
            metadata=dict(data.get("metadata") or {}),
        )

    def allows(self, label: str) -> bool:
        """May this rule's modifiers modify a target with this label?"""
        label = label.upper()
        if self.allowed_types is not None:
            return label in self.allowed_types
        if self.excluded_types is not None:
            return label not in self.excluded_types
        return True


@dataclass(eq=False)
class Modifier:
    """A matched rule in one document: its tokens ``[start, end)`` and its scope."""

    rule: ContextRule
    start: int
    end: int
    scope_start: int
    scope_end: int

    @property
    def category(self) -> str:
        return self.rule.category

    @property
    def direction(self) -> str:
        return self.rule.direction

    @classmethod
    def in_sentence(cls, rule: ContextRule, start: int, end: int, sentence: Span) -> Modifier:
        """The modifier with the scope its direction gives it inside ``sentence``."""
        lo, hi = sentence.start, sentence.end
        reach = rule.max_scope
        if rule.direction == "FORWARD":
            lo, hi = end, hi if reach is None else min(hi, end + reach)
        elif rule.direction == "BACKWARD":
            lo, hi = lo if reach is None else max(lo, start - reach), start
        elif reach is not None:  # both ways: BIDIRECTIONAL, and TERMINATE and PSEUDO alike
            lo, hi = max(lo, start - reach), min(hi, end + reach)
        return cls(rule, start, end, lo, hi)

    def stops(self, other: Modifier) -> bool:
        """Does ``other`` end this modifier's scope where it stands?"""
        if self.direction == "TERMINATE":
            return False  # a terminator has no scope to end
        if other.direction == "TERMINATE" or other.category in self.rule.terminated_by:
            return True
        if other.category != self.category:
            return False
        # two of one category that may modify different labels leave each other alone
        return (self.rule.allowed_types, self.rule.excluded_types) == (
            other.rule.allowed_types,
            other.rule.excluded_types,
        )

    def limit_by(self, other: Modifier) -> None:
        """Cut this scope at ``other`` when it stands inside it and stops it."""
        if not self.stops(other):
            return
        if self.direction in ("FORWARD", "BIDIRECTIONAL") and other.start > self.start:
            self.scope_end = max(self.scope_start, min(self.scope_end, other.start))
        if self.direction in ("BACKWARD", "BIDIRECTIONAL") and other.end < self.end:
            self.scope_start = min(self.scope_end, max(self.scope_start, other.end))

    def modifies(self, target: Span) -> bool:
        """Is ``target`` in this modifier's scope, of a label it may modify, and apart from it?"""
        if self.direction in ("TERMINATE", "PSEUDO"):
            return False
        if _overlap(self.start, self.end, target.start, target.end):
            return False  # no word modifies itself
        if not self.rule.allows(target.label_):
            return False
        return _overlap(self.scope_start, self.scope_end, target.start, target.end)

    def distance(self, target: Span) -> int:
        """Tokens between this modifier and ``target``."""
        return max(0, target.start - self.end, self.start - target.end)

    def __repr__(self) -> str:
        return (
            f"Modifier({self.rule.literal!r}, {self.category}, tokens [{self.start}, "
            f"{self.end}), scope [{self.scope_start}, {self.scope_end}))"
        )


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def keep_longest(matches: Iterable[tuple[Any, int, int]]) -> list[tuple[Any, int, int]]:
    """Matches ``(key, start, end)`` without overlaps: the longest wins, a tie the earliest.

    Returned in text order.
    """
    kept: list[tuple[Any, int, int]] = []
    taken: set[int] = set()
    for match in sorted(matches, key=lambda m: (m[1] - m[2], m[1], m[2])):
        tokens = range(match[1], match[2])
        if not taken.intersection(tokens):
            kept.append(match)
            taken.update(tokens)
    return sorted(kept, key=lambda m: (m[1], m[2]))


class ConText:
    """The modifiers of a rule table, ready to read documents of ``nlp``."""

    def __init__(self, nlp: Language, rules: Iterable[ContextRule | Mapping[str, Any]]) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        self.rules: list[ContextRule] = [
            r if isinstance(r, ContextRule) else ContextRule.from_dict(r) for r in rules
        ]
        self._matcher = Matcher(nlp.vocab)
        self._phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._by_key: dict[int, ContextRule] = {}
        for number, rule in enumerate(self.rules):
            key = f"context_{number}"
            if rule.pattern is not None:
                self._matcher.add(key, [[dict(token) for token in rule.pattern]])
            else:
                self._phrases.add(key, [nlp.make_doc(rule.literal.lower())])
            self._by_key[nlp.vocab.strings[key]] = rule

    def modifiers(self, doc: Doc) -> list[Modifier]:
        """Every modifier in ``doc``, in text order, each with its scope already limited."""
        if not doc.has_annotation("SENT_START"):
            raise ValueError(
                "ConText needs sentence boundaries: add spaCy's 'sentencizer' to the pipeline"
            )
        matches = self._matcher(doc) if len(self._matcher) else []
        if len(self._phrases):
            matches += self._phrases(doc)
        found = keep_longest(matches)
        modifiers = [
            Modifier.in_sentence(self._by_key[key], start, end, doc[start].sent)
            for key, start, end in found
        ]
        for i, first in enumerate(modifiers):
            for second in modifiers[i + 1 :]:
                first.limit_by(second)
                second.limit_by(first)
        return modifiers

    def __call__(
        self, doc: Doc, targets: Sequence[Span] | None = None
    ) -> dict[tuple[int, int], tuple[Modifier, ...]]:
        """The modifiers of each target (``doc.ents`` unless given), keyed by token span."""
        targets = list(doc.ents if targets is None else targets)
        edges: dict[tuple[int, int], list[Modifier]] = {(t.start, t.end): [] for t in targets}
        for modifier in self.modifiers(doc):
            reached = [t for t in targets if modifier.modifies(t)]
            limit = modifier.rule.max_targets
            if limit is not None and len(reached) > limit:
                reached = sorted(reached, key=modifier.distance)[:limit]
            for target in reached:
                edges[(target.start, target.end)].append(modifier)
        return {span: tuple(found) for span, found in edges.items()}
