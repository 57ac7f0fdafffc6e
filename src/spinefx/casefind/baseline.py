"""A plain keyword search: the baseline the pipeline is measured against.

A report is ``present`` when it contains any of the keywords below, whatever the sentence
says around it: no negation, no hedging, no sites, no levels. That is the method of keyword
searches of radiology archives (Wiebe et al. searched 30,000 chest radiograph reports this way).
"""

from __future__ import annotations

import re

__all__ = ["KEYWORDS", "keyword_vcf"]

KEYWORDS = (
    "compression fracture",
    "compression deformity",
    "vertebral fracture",
    "vertebral body fracture",
    "wedge deformity",
    "wedging",
    "wedge compression",
    "loss of height",
    "height loss",
    "biconcave",
    "vertebra plana",
    "burst fracture",
    "kyphoplasty",
    "vertebroplasty",
)
_PATTERN = re.compile("|".join(re.escape(k) for k in KEYWORDS), re.IGNORECASE)


def keyword_vcf(text: str) -> str:
    """``present`` if any keyword occurs in ``text``, else ``absent``."""
    return "present" if _PATTERN.search(text or "") else "absent"
