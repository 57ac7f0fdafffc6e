"""One date style on every page: "December 6, 2026", through the ``plain_date`` filter (and
``plain_month`` for a month's row); ISO 8601 only where a machine reads it (``datetime=``,
form values, data attributes)."""

from __future__ import annotations

import re
from datetime import date

from spinefx.web.templating import TEMPLATES_DIR, make_templates

TEMPLATES = sorted(TEMPLATES_DIR.rglob("*.html"))
# A date shown as ISO text or formatted by hand: .isoformat() or strftime() in {{ }} that is
# not the value of a datetime, value or data- attribute.
_BY_HAND = re.compile(r'(?<!datetime=")(?<!value=")(?<!data-date=")\{\{[^}]*(isoformat|strftime)')


def test_no_template_shows_a_date_in_another_style() -> None:
    offenders = [
        f"{path.relative_to(TEMPLATES_DIR)}:{number}: {line.strip()[:120]}"
        for path in TEMPLATES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _BY_HAND.search(line)
    ]
    assert TEMPLATES and offenders == []


def test_the_filters_write_the_us_style() -> None:
    env = make_templates().env
    shown = env.from_string("{{ d|plain_date }} · {{ d|plain_month }}").render(d=date(2026, 12, 6))
    assert shown == "December 6, 2026 · December 2026"
