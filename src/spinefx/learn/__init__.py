"""The Learn section's patient education content, read from files with numbered references.

Topics are Markdown files and the reference list is TOML, in ``spinefx/learn/content/``; they
are read and checked once (:mod:`spinefx.learn.loader`). The web app renders :data:`TOPICS` at
``/learn`` and ``/learn/<slug>``, and :data:`REFERENCES` at ``/learn/references``::

    >>> from spinefx.learn import TOPICS, reference, topic
    >>> page = topic("kyphoplasty")
    >>> fact = page.sections[0].facts[0]
    >>> [reference(n).year for n in fact.refs]
    [2009, 2013]
"""

from __future__ import annotations

from spinefx.learn.loader import ContentError, LearnContent, load_content
from spinefx.learn.models import Fact, Figure, Part, Reference, Section, Topic
from spinefx.learn.references import REFERENCES, SEED_REFERENCES, reference
from spinefx.learn.topics import DISCLAIMER, TOPICS, topic

__all__ = [
    "DISCLAIMER",
    "REFERENCES",
    "SEED_REFERENCES",
    "TOPICS",
    "ContentError",
    "Fact",
    "Figure",
    "LearnContent",
    "Part",
    "Reference",
    "Section",
    "Topic",
    "load_content",
    "reference",
    "topic",
]
