"""A report's text from its sections (findings, impression, ...), joined in the order given.

Sections are separated by a blank line, which ends a sentence, unless the first one stops in
the middle of a sentence: no closing punctuation and the next one goes on in lower case, with
a digit or a level ("... a compression deformity of the" + "T12 vertebral body"), or the first
ends on a word that cannot end a sentence ("of", "the", "at"). Then they are joined by one
space, so that the sentence is read whole.

>>> join_sections(["Mild wedge deformity of the", "T8 vertebral body."])
'Mild wedge deformity of the T8 vertebral body.'
>>> join_sections(["No acute fracture", "IMPRESSION: Normal chest."])
'No acute fracture\\n\\nIMPRESSION: Normal chest.'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["SECTION_BREAK", "join_sections"]

SECTION_BREAK = "\n\n"
_ENDS_SENTENCE = re.compile(r"[.!?:;]\s*$")
_GOES_ON = re.compile(r"^\s*(?:[a-z0-9(]|[TLtl]-?\d{1,2}\b)")
_OPEN_WORDS = {
    "a", "an", "the", "of", "at", "in", "on", "to", "and", "or", "with", "without", "involving",
    "from", "by", "for", "is", "are", "was", "were", "mild", "moderate", "severe", "no",
}  # fmt: skip


def _continues(before: str, after: str) -> bool:
    if not before.strip() or _ENDS_SENTENCE.search(before):
        return False
    last = re.findall(r"[A-Za-z]+", before[-30:])
    if last and last[-1].lower() in _OPEN_WORDS:
        return True
    return bool(_GOES_ON.match(after))


def join_sections(parts: Sequence[str | None]) -> str:
    """The sections as one text; empty or missing sections are left out."""
    text = ""
    for part in parts:
        if part is None or not str(part).strip():
            continue
        part = str(part)
        if not text:
            text = part
        elif _continues(text, part):
            text = text.rstrip() + " " + part.lstrip()
        else:
            text = text.rstrip() + SECTION_BREAK + part.lstrip()
    return text
