"""Dates in plain words for people, as the US writes them ("March 1, 2027"); JSON, the API,
CSV and the ``<time datetime>`` attribute keep ISO 8601.

One style everywhere a person reads a date: every page (through the ``plain_date`` and
``plain_month`` template filters), the registry's included, and the CLI. The month names are
written out here, not taken from the locale, so a page and the CLI read the same on every
machine.
"""

from __future__ import annotations

from datetime import date, datetime

__all__ = ["MONTHS", "plain_date", "plain_month"]

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
    """``day`` as people in the US write it: the month's name, the day, the year; a
    ``datetime`` adds its time of day on the 24-hour clock, to the second.

    >>> plain_date(date(2027, 3, 1))
    'March 1, 2027'
    >>> plain_date(date(2026, 12, 6))
    'December 6, 2026'
    >>> plain_date(datetime(2026, 12, 6, 14, 5, 9))
    'December 6, 2026, 14:05:09'
    """
    text = f"{MONTHS[day.month - 1]} {day.day}, {day.year}"
    if isinstance(day, datetime):
        text += f", {day:%H:%M:%S}"
    return text


def plain_month(day: date) -> str:
    """The month of ``day`` and its year, for a month's row of a report.

    >>> plain_month(date(2026, 12, 6))
    'December 2026'
    """
    return f"{MONTHS[day.month - 1]} {day.year}"
