"""Dates in plain words for people ("1 March 2027"); JSON and the API keep ISO 8601.

The month names are written out here, not taken from the locale, so a page and the CLI read
the same on every machine.
"""

from __future__ import annotations

from datetime import date

__all__ = ["MONTHS", "plain_date"]

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def plain_date(day: date) -> str:
    """``day`` as people write it: the day, the month's name and the year.

    >>> plain_date(date(2027, 3, 1))
    '1 March 2027'
    >>> plain_date(date(2026, 12, 31))
    '31 December 2026'
    """
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
