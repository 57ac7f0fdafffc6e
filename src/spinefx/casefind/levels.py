"""Vertebral levels and regions named in a piece of report text.

Levels are the thoracolumbar ones of :class:`spinefx.clinical.spine.Level` (T1-L5). Written
forms: ``T12``, ``T-12``, ``L1``, ranges ``T11-12``, ``T11-L1``, ``T6 through T9`` (expanded,
both ends included) and ordinals (``the first lumbar vertebra``). ``T1`` and ``T2`` next to an
MRI word (``T2-weighted``, ``T1 signal``, ``on T2``) are sequences, not levels. Regions come
from the levels and from region words (``the midthoracic spine``, ``a lower thoracic or upper
lumbar vertebra``).

>>> find_levels("Compression deformities of T11-L1 and L3.")
['T11', 'T12', 'L1', 'L3']
>>> find_regions("a lower thoracic or upper lumbar vertebra", [])
['thoracic', 'lumbar']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from spinefx.clinical.spine import Level

__all__ = ["REGIONS", "find_levels", "find_regions", "level_spans", "order_levels"]

REGIONS = ("thoracic", "lumbar")
_COUNT = {"T": 12, "L": 5}
_ORDINALS = {
    word: n
    for n, words in enumerate(
        [
            ("first", "1st"),
            ("second", "2nd"),
            ("third", "3rd"),
            ("fourth", "4th"),
            ("fifth", "5th"),
            ("sixth", "6th"),
            ("seventh", "7th"),
            ("eighth", "8th"),
            ("ninth", "9th"),
            ("tenth", "10th"),
            ("eleventh", "11th"),
            ("twelfth", "12th"),
        ],
        start=1,
    )
    for word in words
}
_ONE = r"([TtLl])\s?-?\s?(\d{1,2})"
_LEVEL = re.compile(
    rf"(?<![A-Za-z0-9]){_ONE}(?:\s*(?:-|\u2013|to|through|thru)\s*(?:([TtLl])\s?-?\s?)?(\d{{1,2}}))?(?![0-9])"
)
_ORDINAL = re.compile(
    r"\b(" + "|".join(sorted(_ORDINALS, key=len, reverse=True)) + r")\s+(thoracic|lumbar)\b",
    re.IGNORECASE,
)
_MRI_AFTER = re.compile(
    r"\s*-?\s*(weighted|w\b|wi\b|signal|hyper|hypo|iso|sequence|image|imaging|fs\b|flair|fat|"
    r"post|pre|stir|bright|dark|intens|relax|map)",
    re.IGNORECASE,
)
_MRI_BEFORE = re.compile(r"\b(on|and|or|of|both|axial|sagittal|coronal)\s*$", re.IGNORECASE)


def _level(letter: str, number: int) -> Level | None:
    letter = letter.upper()
    return Level(f"{letter}{number}") if 1 <= number <= _COUNT[letter] else None


def _is_sequence(text: str, start: int, end: int, letter: str, number: int) -> bool:
    if letter.upper() != "T" or number not in (1, 2):
        return False
    if _MRI_AFTER.match(text, end):
        return True
    before = text[max(0, start - 12) : start]
    return bool(_MRI_BEFORE.search(before)) and not re.match(r"\s*(?:vertebra|level)", text[end:])


def _expand(first: Level, last: Level) -> list[Level]:
    order = list(Level)
    i, j = first.position, last.position
    if i > j:
        i, j = j, i
    return order[i : j + 1]


def level_spans(text: str) -> list[tuple[int, int, list[Level]]]:
    """Each level mention in ``text``: its character span and the levels it names, in order."""
    found: list[tuple[int, int, list[Level]]] = []
    for m in _LEVEL.finditer(text):
        letter, number = m.group(1), int(m.group(2))
        first = _level(letter, number)
        if first is None:
            continue
        if m.group(4) is not None:
            last = _level(m.group(3) or letter, int(m.group(4)))
            if last is None:
                continue
            if _is_sequence(text, m.start(), m.end(2), letter, number):
                continue
            found.append((m.start(), m.end(), _expand(first, last)))
        elif not _is_sequence(text, m.start(), m.end(), letter, number):
            found.append((m.start(), m.end(), [first]))
    for m in _ORDINAL.finditer(text):
        level = _level(m.group(2)[0], _ORDINALS[m.group(1).lower()])
        if level is not None:
            found.append((m.start(), m.end(), [level]))
    found.sort(key=lambda item: item[0])
    return found


def order_levels(levels: Iterable[Level | str]) -> list[str]:
    """Distinct levels from the head down."""
    return [str(level) for level in sorted({Level(str(x)) for x in levels}, key=_position)]


def _position(level: Level) -> int:
    return level.position


def find_levels(text: str) -> list[str]:
    """The distinct levels named in ``text``, from the head down."""
    return order_levels(level for _, _, levels in level_spans(text) for level in levels)


def find_regions(
    text: str, levels: Sequence[str], words: Mapping[str, Sequence[str]] | None = None
) -> list[str]:
    """Regions of ``levels`` plus those named by region words in ``text`` (thoracic first)."""
    if words is None:
        from spinefx.casefind.rules import load_tables

        words = load_tables().regions
    found = {"thoracic" if level.startswith("T") else "lumbar" for level in levels}
    lower = text.lower()
    for region, phrases in words.items():
        if any(re.search(rf"(?<![a-z]){re.escape(p)}(?![a-z])", lower) for p in phrases):
            found.add(region)
    return [r for r in REGIONS if r in found]
