"""Provider-file text as people write it: NPPES spells addresses and towns in capitals.

>>> display_case("2673 DEMO PROSPECT BOULEVARD STE 4B")
'2673 Demo Prospect Boulevard Ste 4B'
>>> display_case("1ST FLOOR, 55 FRUIT ST NE")
'1st Floor, 55 Fruit St NE'
>>> display_case("PO BOX 12, MC DONALD'S WAY")
"PO Box 12, Mc Donald's Way"
>>> display_case("O'BRIEN PLAZA, 11TH AVENUE")
"O'Brien Plaza, 11th Avenue"
>>> display_case("Already Mixed Case")
'Already Mixed Case'
"""

from __future__ import annotations

import re

__all__ = ["display_case", "place_line"]

# Words that stay in capitals: compass points, PO boxes, and the two-letter words of addresses
# that are abbreviations rather than words.
_KEEP_UPPER = frozenset({"N", "S", "E", "W", "NE", "NW", "SE", "SW", "PO", "US", "II", "III", "IV"})
_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
_ORDINAL = re.compile(r"^[0-9]*(?:1ST|2ND|3RD|[0-9]TH)$")


def _word(match: re.Match[str]) -> str:
    word = match.group(0)
    if word in _KEEP_UPPER:
        return word
    if word[0].isdigit():
        return word.lower() if _ORDINAL.match(word) else word  # 1ST -> 1st; 4B stays
    head, _, tail = word.partition("'")
    head = head[0] + head[1:].lower()
    if not tail:
        return head
    return f"{head}'{tail.lower() if tail == 'S' else tail[0] + tail[1:].lower()}"


def display_case(text: str | None) -> str | None:
    """``text`` with each word capitalised, when it is written all in capitals; else as it is.

    Ordinals read ``1st``, unit numbers such as ``4B`` and compass points (``NE``) keep their
    capitals. ``None`` stays ``None``.
    """
    if text is None or any(c.islower() for c in text):
        return text
    return _WORD.sub(_word, text)


def place_line(address: str | None, city: str | None, state: str | None, postal: str | None) -> str:
    """One line for a practice location: ``55 Fruit St, Boston, MA 02114``."""
    town = ", ".join(p for p in (display_case(city), state) if p)
    head = ", ".join(p for p in (display_case(address), town) if p)
    return " ".join(p for p in (head, postal) if p)
