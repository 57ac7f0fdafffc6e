"""Form error messages in plain words.

The core says what a field accepts for programmers too (``an integer from 18 to 120, or
null``); a person filling in a form reads what to do instead:

>>> plain_message("age", "an integer from 18 to 120, or null", "Your age")
'Enter your age in years, from 18 to 120.'
>>> plain_message("pain_days", "an integer from 0 to 3650, or null", "How many days")
'Enter how many days as a whole number from 0 to 3650.'
>>> plain_message("pain_days", "a number >= 0, or null", "How many days")
'Enter how many days as a number of 0 or more.'
>>> plain_message("fracture_date", "a date as YYYY-MM-DD", "Date of the fracture")
'Enter the date of the fracture as a real date (month, day, year), as the date box shows it.'
"""

from __future__ import annotations

import re

__all__ = ["plain_message"]

# Fields whose message reads better said outright ({low} and {high} are the range).
_SAID_OUTRIGHT = {
    "age": "Enter your age in years, from {low} to {high}.",
    "pain_nrs": "Choose how bad the pain is, from {low} (no pain) to {high} (the worst).",
}
_RANGE = re.compile(r"^an? (integer|number) from (-?[\d.]+) to (-?[\d.]+)$")
_AT_LEAST = re.compile(r"^an? (integer|number) >= (-?[\d.]+)$")
_ABOVE = re.compile(r"^an? (integer|number) > (-?[\d.]+)$")


def _what(label: str) -> str:
    """The label as the object of "Enter ...": "Your age" -> "your age"."""
    text = label.strip().rstrip("?:")
    if text[:2].isupper() or re.match(r"^[A-Z]{2,}", text):
        return text  # an abbreviation such as "RDQ score" keeps its capitals
    return text[:1].lower() + text[1:]


def plain_message(field: str, allowed: str, label: str) -> str:
    """What to do about a refused answer to ``field`` (labelled ``label``), in plain words."""
    text = re.sub(r", or null$", "", allowed.strip())
    name = field.rsplit(".", 1)[-1]
    what = _what(label or name.replace("_", " "))
    match = _RANGE.match(text)
    if match:
        kind, low, high = match.groups()
        if name in _SAID_OUTRIGHT:
            return _SAID_OUTRIGHT[name].format(low=low, high=high)
        number = "a whole number" if kind == "integer" else "a number"
        return f"Enter {what} as {number} from {low} to {high}."
    match = _AT_LEAST.match(text)
    if match:
        kind, low = match.groups()
        number = "a whole number" if kind == "integer" else "a number"
        return f"Enter {what} as {number} of {low} or more."
    match = _ABOVE.match(text)
    if match:
        kind, low = match.groups()
        return f"Enter {what} as a number above {low}."
    if text.startswith("a date"):
        return (
            f"Enter {'the ' + what if not what.startswith(('the ', 'your ')) else what} as a "
            "real date (month, day, year), as the date box shows it."
        )
    if text == "true or false":
        return f"Choose an answer for {what}."
    if text.startswith("one of"):
        return f"Choose one of the answers for {what}."
    if text.startswith("a list"):
        return f"Tick the boxes that apply for {what}."
    if text.startswith(("a known US ZIP", "a 5-digit US ZIP")):
        return "Enter a US ZIP code of 5 digits, such as 02139, or leave it blank."
    cleaned = text.replace("an integer", "a whole number").replace("null", "blank")
    return f"Check {what}: it should be {cleaned}."
