"""The patient topics of the Learn section (``/learn`` and ``/learn/<slug>``).

Each topic is a Markdown file in ``content/topics/`` (see :mod:`spinefx.learn.loader` for the
format); every fact cites at least one numbered reference, checked when the files are read::

    >>> [t.slug for t in TOPICS][:3]
    ['causes', 'how-common', 'symptoms']
    >>> topic("benefits").title
    'Benefits: what the trials found'

Written for patients: plain words, short sentences, reading age about 12-14. The text informs;
it never diagnoses (see :data:`DISCLAIMER`).
"""

from __future__ import annotations

from spinefx.learn.loader import default_content
from spinefx.learn.models import SLUG_PATTERN, Fact, Figure, Part, Section, Topic

__all__ = [
    "DISCLAIMER",
    "SLUG_PATTERN",
    "TOPICS",
    "Fact",
    "Figure",
    "Part",
    "Section",
    "Topic",
    "topic",
]

DISCLAIMER: str = default_content().disclaimer

TOPICS: tuple[Topic, ...] = default_content().topics

_BY_SLUG: dict[str, Topic] = {t.slug: t for t in TOPICS}


def topic(slug: str) -> Topic | None:
    """The topic with this slug, or ``None`` (the web app answers 404)."""
    return _BY_SLUG.get(slug)
