"""The case-finding pipeline: report text in, :class:`~spinefx.casefind.record.Finding` out.

A blank spaCy English pipeline (no trained model, nothing downloaded) with spaCy's
rule-based sentencizer plus a paragraph rule (a blank line ends a sentence), the target
matcher of :mod:`spinefx.casefind.targets` over ``rules/targets.json`` and the ConText of
:mod:`spinefx.casefind.context` over ``rules/context.json`` for negation, hedging, history,
hypotheticals and planned treatment. Both are spaCy's own ``Matcher`` driven by the rule
tables; medspaCy, whose rule format the tables keep, is not needed.

Two shortcuts keep it fast and change no result: only the sentences that hold one of the
table's stems (``prefilter``) are parsed (a sentence without one cannot match a target rule,
and ConText, the sentencizer and the matchers never look past a sentence), and ConText runs
only where a target matched.

>>> finder = CaseFinder()
>>> finder.find("Mild anterior wedge deformity of T8, age-indeterminate.").vcf
'present'
>>> finder.find("No compression fracture.").vcf
'absent'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from spinefx.casefind import attributes, levels
from spinefx.casefind.context import ConText
from spinefx.casefind.record import Evidence, EvidenceStatus, Finding, Vcf
from spinefx.casefind.rules import RuleTables, load_tables, with_placeholders
from spinefx.clinical.spine import Level

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

__all__ = ["CaseFinder", "Mention", "default_finder"]

HYPOTHETICAL = "hypothetical"
_CLAUSE_BREAK = re.compile(r";")
_BOUNDARY = re.compile(r"\n[ \t]*\n\s*|([.!?])\s+(?=[A-Z0-9(\[])")
# Between two site words of one list ("the left clavicle and T4 vertebral body", "the right
# ribs and of the T6 vertebral body"): a coordinator, then only articles, sides and ordinals.
_COORDINATED = re.compile(
    r"\s*(?:(?:,\s*)?(?:and|or|as well as|plus)|,)\s+"
    r"(?:(?:of|the|left|right|bilateral|upper|lower|mid|anterior|posterior|lateral|"
    r"\d{1,2}(?:st|nd|rd|th)(?:\s*(?:-|through|to)\s*\d{1,2}(?:st|nd|rd|th))?)\s+)*",
    re.IGNORECASE,
)
# Further levels in a list after a level ("L1 and L2 transverse processes"), skipped before
# asking which bone the list belongs to.
_MORE_LEVELS = re.compile(
    r"(?:\s+(?:and|or)\s+[TL]\s?-?\s?\d{1,2}(?![0-9]))*",
    re.IGNORECASE,
)
_ABBREVIATION = re.compile(
    r"(?<![A-Za-z])(?:vs|approx|dr|mr|mrs|ms|st|fig|no|e\.g|i\.e|cf|resp|incl)$", re.IGNORECASE
)


@dataclass(frozen=True)
class Mention:
    """One matched finding word: its rule category, span, status and what its clause says."""

    category: str
    text: str
    start: int
    end: int
    status: str  # an EvidenceStatus value, or "hypothetical"
    levels: tuple[str, ...]
    regions: tuple[str, ...]
    acuity: str | None
    severity: str | None
    treats: bool = False  # cement or augmentation done, not only recommended or planned

    @property
    def counts(self) -> bool:
        return self.status in (EvidenceStatus.PRESENT, EvidenceStatus.HISTORICAL)


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted(set(phrases), key=len, reverse=True)
    body = "|".join(re.escape(p) for p in ordered)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])", re.IGNORECASE)


class CaseFinder:
    """Reads report texts; build once per process (building takes about a second)."""

    def __init__(self, tables: RuleTables | None = None) -> None:
        import spacy

        self.tables = tables or load_tables()
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("casefind_paragraphs")
        matcher: Any = nlp.add_pipe("casefind_targets")
        matcher.add([with_placeholders(r) for r in self.tables.targets])
        self.nlp = nlp
        self.context = ConText(nlp, self.tables.context)
        self._prefilter = self.tables.prefilter_pattern
        self._vertebral = _phrase_pattern(self.tables.vertebral_sites)
        self._other = _phrase_pattern(self.tables.other_sites)

    # -- public ------------------------------------------------------------------------

    def find(self, text: str, id: str = "", patient: str | None = None) -> Finding:
        """The finding of one report."""
        return next(self.find_many([(id, patient, text)]))

    def find_many(
        self, reports: Iterable[tuple[str, str | None, str]], batch_size: int = 256
    ) -> Iterator[Finding]:
        """Findings for ``(id, patient, text)`` triples, in order."""
        for (rid, patient, _), mentions in zip(
            *_tee_reports(reports, lambda texts: self.mentions_many(texts, batch_size)),
            strict=True,
        ):
            yield summarise(rid, patient, mentions)

    def mentions(self, text: str) -> list[Mention]:
        """Every finding word in ``text`` with its status (hypothetical ones included)."""
        return next(iter(self.mentions_many([text])))

    def mentions_many(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[list[Mention]]:
        """The mentions of each text, in order; only sentences with a stem are parsed."""
        pending: list[tuple[int, str, int, str]] = []
        results: dict[int, list[Mention]] = {}
        waiting: set[int] = set()
        next_out = 0
        for i, text in enumerate(texts):
            text = text or ""
            pieces = self._candidate_sentences(text)
            results[i] = []
            if pieces:
                waiting.add(i)
                pending += [(i, text, offset, piece) for offset, piece in pieces]
            if len(pending) >= batch_size:
                self._parse(pending, batch_size, results)
                waiting.clear()
                pending = []
            while next_out in results and next_out not in waiting:
                yield results.pop(next_out)
                next_out += 1
        self._parse(pending, batch_size, results)
        while next_out in results:
            yield results.pop(next_out)
            next_out += 1

    # -- internals ---------------------------------------------------------------------

    def _candidate_sentences(self, text: str) -> list[tuple[int, str]]:
        """Pieces of ``text`` that could hold a target, each with its offset.

        The text is cut only where spaCy's sentencizer or the paragraph rule would cut it too
        (a blank line; '.', '!' or '?' then a space and a capital or digit, not after an
        abbreviation such as 'vs.'), so no sentence is cut in two; pieces without any of the
        table's stems cannot match a target rule and are not parsed.
        """
        if not self._prefilter.search(text):
            return []
        pieces: list[tuple[int, str]] = []
        start = 0
        for m in _BOUNDARY.finditer(text):
            if m.group(1) and _ABBREVIATION.search(text, max(0, m.start() - 8), m.start()):
                continue
            end = m.start() + (1 if m.group(1) else 0)
            if self._prefilter.search(text, start, end):
                pieces.append((start, text[start:end]))
            start = m.end()
        if self._prefilter.search(text, start):
            pieces.append((start, text[start:]))
        return pieces

    def _parse(
        self,
        items: Sequence[tuple[int, str, int, str]],
        batch_size: int,
        results: dict[int, list[Mention]],
    ) -> None:
        docs = self.nlp.pipe((piece for _, _, _, piece in items), batch_size=batch_size)
        for (i, text, offset, _), doc in zip(items, docs, strict=True):
            if doc.ents:
                results[i] += self._doc_mentions(doc, offset, text)

    def _doc_mentions(self, doc: Doc, offset: int, report: str) -> list[Mention]:
        """The mentions of a parsed piece of ``report`` that starts at ``offset``."""
        found: list[Mention] = []
        modifiers = self.context(doc)
        for ent in doc.ents:
            category = ent.label_
            if category == "MIMIC":
                continue
            modified_by = {m.category for m in modifiers[(ent.start, ent.end)]}
            sentence = ent.sent
            clause_start, clause_end = _clause(doc.text, sentence, ent)
            if category == "VCF_ANCHORED" and not self._anchored(
                doc.text, clause_start, clause_end, sentence, ent
            ):
                continue
            clause = doc.text[clause_start:clause_end]
            lv = self._levels(clause) or self._levels(sentence.text)
            if not lv and not levels.find_regions(clause, (), self.tables.regions):
                lv = self._only_level(report)
            found.append(
                Mention(
                    category=category,
                    text=ent.text,
                    start=ent.start_char + offset,
                    end=ent.end_char + offset,
                    status=_status(modified_by),
                    levels=lv,
                    regions=tuple(levels.find_regions(clause, lv, self.tables.regions)),
                    acuity=attributes.acuity_of(
                        clause, self.tables.acuity, self.tables.acuity_patterns
                    ),
                    severity=attributes.severity_of(clause, self.tables.severity),
                    treats=category == "TREATMENT" and "PLANNED" not in modified_by,
                )
            )
        return found

    def _anchored(self, text: str, start: int, end: int, sentence: Span, ent: Span) -> bool:
        """Is the nearest site word to an ambiguous mention a vertebra (clause, else sentence)?

        When the nearest is another bone, a vertebra listed with it counts too: in "fractures of
        the left clavicle and T4 vertebral body" the vertebral body is fractured as well.
        """
        for lo, hi in ((start, end), (sentence.start_char, sentence.end_char)):
            hits = sorted(self._sites(text, lo, hi))
            if hits:

                def distance(hit: tuple[int, int, bool]) -> tuple[int, int]:
                    s, e, vertebral = hit
                    gap = max(0, s - ent.end_char, ent.start_char - e)
                    return gap, 0 if not vertebral else 1  # a tie goes to the other bone

                nearest = min(hits, key=distance)
                return nearest[2] or any(
                    head[2] for head in _site_list(text, hits, hits.index(nearest))
                )
        return False

    def _vertebral_levels(self, text: str) -> list[tuple[int, int, list[Level]]]:
        """Level mentions, less those that name a disc or another bone ("L1-2 disc")."""
        kept = []
        for s, e, found in levels.level_spans(text):
            if not self._other.match(text[e : e + 30].lstrip(" -,")):
                kept.append((s, e, found))
        return kept

    def _levels(self, text: str) -> tuple[str, ...]:
        return tuple(
            levels.order_levels(x for _, _, lv in self._vertebral_levels(text) for x in lv)
        )

    def _only_level(self, text: str) -> tuple[str, ...]:
        """The one level a report names, for a mention that names none ("this vertebra")."""
        named = self._levels(text)
        return named if len(named) == 1 else ()

    def _sites(self, text: str, lo: int, hi: int) -> list[tuple[int, int, bool]]:
        piece = text[lo:hi]
        others = [(m.start() + lo, m.end() + lo, False) for m in self._other.finditer(piece)]
        hits = [(m.start() + lo, m.end() + lo, True) for m in self._vertebral.finditer(piece)]
        for s, e, _ in levels.level_spans(piece):
            after = piece[e : e + 25]
            listed = _MORE_LEVELS.match(piece, e)
            owner = self._other.match(piece[listed.end() if listed else e :][:30].lstrip(" -,"))
            if owner is None and not re.match(r"\s*(?:and|,)?\s*\d", after):
                hits.append((s + lo, e + lo, True))
        # the longer phrase wins: "end plate" is vertebral, "sternal body" is not
        others = [o for o in others if not any(_within(o, h) for h in hits)]
        hits = [h for h in hits if not any(_within(h, o) and h != o for o in others)]
        return hits + others


def _site_list(
    text: str, hits: Sequence[tuple[int, int, bool]], index: int
) -> list[tuple[int, int, bool]]:
    """The site phrases listed with the one holding ``hits[index]``, each as its first word.

    Hits (in text order) with only white space between them are one phrase, named by its
    first word ("T4 vertebral body" is vertebral, "scapular body" is not); phrases joined by
    "and", "or" or a comma are one list.
    """
    phrases: list[list[tuple[int, int, bool]]] = []
    lists: list[int] = []  # the list each phrase belongs to
    holding = 0
    for i, hit in enumerate(hits):
        gap = text[hits[i - 1][1] : hit[0]] if i else None
        if gap is not None and not gap.strip(" -"):
            phrases[-1].append(hit)
        else:
            coordinated = gap is not None and _COORDINATED.fullmatch(gap) is not None
            lists.append(lists[-1] if coordinated else len(phrases))
            phrases.append([hit])
        if i == index:
            holding = len(phrases) - 1
    return [p[0] for p, owner in zip(phrases, lists, strict=True) if owner == lists[holding]]


def _within(inner: tuple[int, int, bool], outer: tuple[int, int, bool]) -> bool:
    return (
        outer[0] <= inner[0]
        and inner[1] <= outer[1]
        and (outer[1] - outer[0]) > (inner[1] - inner[0])
    )


def _clause(text: str, sentence: Span, ent: Span) -> tuple[int, int]:
    """The part of the sentence between semicolons that holds the mention."""
    start, end = sentence.start_char, sentence.end_char
    for m in _CLAUSE_BREAK.finditer(text, start, end):
        if m.end() <= ent.start_char:
            start = m.end()
        elif m.start() >= ent.end_char:
            end = m.start()
            break
    return start, end


def _status(categories: set[str]) -> str:
    """A mention's status from the categories of its modifiers: a question, a hedge, a
    negation, a history, in that order of precedence."""
    if "HYPOTHETICAL" in categories:
        return HYPOTHETICAL
    if "POSSIBLE_EXISTENCE" in categories:
        return EvidenceStatus.UNCERTAIN.value
    if "NEGATED_EXISTENCE" in categories:
        return EvidenceStatus.NEGATED.value
    if "HISTORICAL" in categories:
        return EvidenceStatus.HISTORICAL.value
    return EvidenceStatus.PRESENT.value


def summarise(rid: str, patient: str | None, mentions: Sequence[Mention]) -> Finding:
    """The report's record from its mentions.

    present: a mention that is present or historical; uncertain: only hedged ones; absent:
    none, or only negated ones. Hypothetical mentions (the question asked) are not evidence.
    Levels, regions, acuity and severity come from the mentions that decided the status.
    """
    evidence = tuple(
        Evidence(m.text, m.start, m.end, m.status) for m in mentions if m.status != HYPOTHETICAL
    )
    counting = [m for m in mentions if m.counts]
    if counting:
        vcf = Vcf.PRESENT
    else:
        counting = [m for m in mentions if m.status == EvidenceStatus.UNCERTAIN]
        vcf = Vcf.UNCERTAIN if counting else Vcf.ABSENT
    lv = levels.order_levels(level for m in counting for level in m.levels)
    regions = {r for m in counting for r in m.regions} | {
        "thoracic" if level.startswith("T") else "lumbar" for level in lv
    }
    acuities = {m.acuity for m in counting}
    acuity = next((a for a in attributes.ACUITIES if a in acuities), None)
    return Finding(
        id=rid,
        patient=patient,
        vcf=vcf.value,
        levels=tuple(lv),
        regions=tuple(r for r in levels.REGIONS if r in regions),
        acuity=acuity,
        severity=attributes.worst_severity(m.severity for m in counting),
        treated=any(m.treats for m in counting if m.counts),
        evidence=evidence,
    )


def _tee_reports(
    reports: Iterable[tuple[str, str | None, str]],
    parse: Any,
) -> tuple[Iterator[tuple[str, str | None, str]], Iterator[list[Mention]]]:
    import itertools

    a, b = itertools.tee(reports)
    return a, parse(text for _, _, text in b)


@cache
def default_finder() -> CaseFinder:
    """One shared finder per process."""
    return CaseFinder()


def _register_components() -> None:
    from spacy.language import Language

    import spinefx.casefind.targets  # noqa: F401  (registers casefind_targets)

    if "casefind_paragraphs" in Language.factories:
        return

    @Language.component("casefind_paragraphs")
    def paragraphs(doc: Doc) -> Doc:
        """A blank line (two newlines) ends a sentence; one newline is a wrapped line."""
        for token in doc[:-1]:
            if token.is_space and token.text.count("\n") >= 2:
                doc[token.i + 1].is_sent_start = True
        return doc


_register_components()
