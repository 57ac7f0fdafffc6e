"""Formula cells made inert for CSV files (OWASP CSV injection), and read back unchanged."""

from __future__ import annotations

import pytest

from spinefx.spreadsheet import neutralise, neutralise_cell, restore


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'=1", "''=1"),  # so that reading it back gives the quote the user typed
        ("Anna", "Anna"),
        ("a=1", "a=1"),
        (" =1", " =1"),  # a space first: a spreadsheet shows it as text
        ("'quoted'", "'quoted'"),
        ("", ""),
    ],
)
def test_a_formula_start_gets_a_quote_and_reads_back(text, written):
    assert neutralise(text) == written
    assert restore(written) == text


def test_only_text_cells_change():
    assert neutralise_cell(-2) == -2
    assert neutralise_cell(-2.5) == -2.5
    assert neutralise_cell(None) is None
    assert neutralise_cell("-2") == "'-2"
