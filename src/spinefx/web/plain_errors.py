"""Form error messages in plain words.

The core says what a field accepts for any reader (``an integer from 18 to 120, or null``) and
carries the same as data: the sort of value, its bounds, its choices. A person filling in a
form reads what to do instead, worded here from that data:

>>> from spinefx.errors import Bounds, FieldProblem, ProblemKind
>>> def problem(field, expects, low=None, high=None, low_open=False, kind=ProblemKind.RANGE):
...     return FieldProblem(field, 0, "...", kind, expects, Bounds(low, high, low_open))
>>> plain_message(problem("age", "integer", 18, 120), "Your age")
'Enter your age in years, from 18 to 120.'
>>> plain_message(problem("pain_days", "integer", 0, 3650), "How many days")
'Enter how many days as a whole number from 0 to 3650.'
>>> plain_message(problem("pain_days", "number", 0), "How many days")
'Enter how many days as a number of 0 or more.'
>>> plain_message(problem("fracture_date", "date", kind=ProblemKind.TYPE), "Date of the fracture")
'Enter the date of the fracture as a real date (month, day, year), as the date box shows it.'
"""

from __future__ import annotations

from spinefx.errors import FieldProblem

__all__ = ["plain_message"]

# Fields whose message reads better said outright ({low} and {high} are the range).
_SAID_OUTRIGHT = {
    "age": "Enter your age in years, from {low} to {high}.",
    "pain_nrs": "Choose how bad the pain is, from {low} (no pain) to {high} (the worst).",
}


def _what(label: str) -> str:
    """The label as the object of "Enter ...": "Your age" -> "your age"."""
    text = label.strip().rstrip("?:")
    if text[:2].isupper():
        return text  # an abbreviation such as "RDQ score" keeps its capitals
    return text[:1].lower() + text[1:]


def plain_message(problem: FieldProblem, label: str) -> str:
    """What to do about a refused answer (its field labelled ``label``), in plain words.

    The words follow what the field takes (``expects``, ``bounds``, ``choices``); a rule of our
    own (no such data) is told as its ``allowed`` says.
    """
    name = problem.field.rsplit(".", 1)[-1]
    what = _what(label or name.replace("_", " "))
    bounds = problem.bounds
    if problem.expects in ("integer", "number") and bounds is not None:
        number = "a whole number" if problem.expects == "integer" else "a number"
        low, high = bounds.low, bounds.high
        if low is not None and high is not None and not (bounds.low_open or bounds.high_open):
            if name in _SAID_OUTRIGHT:
                return _SAID_OUTRIGHT[name].format(low=low, high=high)
            return f"Enter {what} as {number} from {low} to {high}."
        if low is not None and high is None:
            if bounds.low_open:
                return f"Enter {what} as a number above {low}."
            return f"Enter {what} as {number} of {low} or more."
    if problem.expects == "date":
        the = what if what.startswith(("the ", "your ")) else "the " + what
        return f"Enter {the} as a real date (month, day, year), as the date box shows it."
    if problem.choices:
        return f"Choose one of the answers for {what}."
    if problem.expects == "boolean":
        return f"Choose an answer for {what}."
    if problem.expects == "list":
        return f"Tick the boxes that apply for {what}."
    allowed = problem.allowed.removesuffix(", or null")
    cleaned = allowed.replace("an integer", "a whole number").replace("null", "blank")
    return f"Check {what}: it should be {cleaned}."
