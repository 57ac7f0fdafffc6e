"""The Learn section's patient education content, as pure data with numbered references.

The web app renders :data:`TOPICS` at ``/learn`` and ``/learn/<slug>``, and
:data:`REFERENCES` at ``/learn/references``::

    >>> from spinefx.learn import TOPICS, reference, topic
    >>> page = topic("kyphoplasty")
    >>> fact = page.sections[0].facts[0]
    >>> [reference(n).year for n in fact.refs]
    [2009, 2013]
"""

from __future__ import annotations

from spinefx.learn.references import REFERENCES, SEED_REFERENCES, Reference, reference
from spinefx.learn.topics import DISCLAIMER, TOPICS, Fact, Figure, Section, Topic, topic

__all__ = [
    "DISCLAIMER",
    "REFERENCES",
    "SEED_REFERENCES",
    "TOPICS",
    "Fact",
    "Figure",
    "Reference",
    "Section",
    "Topic",
    "reference",
    "topic",
]
