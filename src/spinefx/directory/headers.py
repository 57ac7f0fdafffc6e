"""How the directory matches the column names of the CMS files it reads.

CMS files are read by column name, never by position (columns come and go between releases),
and a name is matched with runs of white space as one space and case folded: the real
practice-location file (``pl_pfile_*.csv``) says ``Provider Secondary Practice Location
Address-  Address Line 2``, two spaces after the hyphen, where the CMS layout document prints
one (see ``docs/directory.md``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["header_key", "missing_columns"]

_WHITE_SPACE = re.compile(r"\s+")


def header_key(name: str) -> str:
    """A column name as it is matched: runs of white space as one space, none at either end,
    case folded.

    >>> header_key("Provider Secondary Practice Location Address-  Address Line 2")
    'provider secondary practice location address- address line 2'
    """
    return _WHITE_SPACE.sub(" ", name).strip().casefold()


def missing_columns(header: Sequence[str], required: Sequence[str]) -> list[str]:
    """The names in ``required`` that ``header`` lacks (as :func:`header_key` matches them)."""
    present = {header_key(name) for name in header}
    return [name for name in required if header_key(name) not in present]
