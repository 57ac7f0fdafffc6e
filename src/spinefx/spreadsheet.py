"""Cells that a spreadsheet would run as a formula, made inert, for every CSV the project writes.

A CSV file opened in Excel, LibreOffice or Google Sheets runs a cell starting with ``=``,
``+``, ``-`` or ``@`` as a formula (``=HYPERLINK(...)`` can send the sheet's data away), and a
tab or carriage return in front can hide one. Following OWASP's "CSV Injection" guidance
(https://owasp.org/www-community/attacks/CSV_Injection), such a text cell is written with a
single quote in front, which the spreadsheet shows as text; :func:`restore` takes it off again
when the project reads its own CSV back. Only text is changed: numbers, dates and JSON columns
are written as they are, and the JSON and FHIR exports keep every value untouched.

>>> neutralise("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> neutralise("Anna -2"), neutralise("-2+3"), neutralise("")
('Anna -2', "'-2+3", '')
>>> restore(neutralise("@SUM(1+1)")), restore(neutralise("'=1")), restore("'quoted'")
('@SUM(1+1)', "'=1", "'quoted'")
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORMULA_STARTS", "neutralise", "neutralise_cell", "restore"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"


def neutralise(text: str) -> str:
    """``text`` with a single quote in front when a spreadsheet would read it as a formula.

    Text that already starts with quotes before such a character gets one more, so that
    :func:`restore` gives back exactly what was written.
    """
    return _QUOTE + text if text.lstrip(_QUOTE).startswith(FORMULA_STARTS) else text


def neutralise_cell(value: Any) -> Any:
    """:func:`neutralise` for a text cell; any other value as it is."""
    return neutralise(value) if isinstance(value, str) else value


def restore(text: str) -> str:
    """The text :func:`neutralise` was given (a quote it added is taken off)."""
    if text.startswith(_QUOTE) and text.lstrip(_QUOTE).startswith(FORMULA_STARTS):
        return text[1:]
    return text
