"""The one error hierarchy of spinefx.

The core raises these; only the edges (``cli.py``, ``web/``) turn them into exit statuses
or HTTP responses::

    SpinefxError                 root: catch this to catch everything spinefx raises
    ├── InputError               a value given by the user is wrong (CLI exit 2, HTTP 422)
    ├── DataError                a data file or store is unusable (missing, corrupt, wrong format)
    │   ├── DirectoryNotLoaded   no specialist directory has been loaded yet
    │   └── DirectoryDamaged     the directory's file is there but cannot be read
    ├── NotFound                 no such record, or not one the caller may see (HTTP 404)
    ├── VersionConflict          an edit made on an older version of a record (HTTP 409)
    ├── NotAuthenticated         no login, a wrong password or token, a locked account (HTTP 401)
    └── PermissionDenied         the caller's role may not do this (HTTP 403)

Errors carry structure, not wording for one reader: an :class:`InputError` names model fields
(``sites``, ``to``), never a command-line flag or a form label, and each
:class:`FieldProblem` says what went wrong (:class:`ProblemKind`) and what is allowed (the
sort of value, its :class:`Bounds`, its choices). A :class:`NotAuthenticated` carries its
:class:`AuthFailure`. The edges word them for their readers: the CLI names its flags, the pages
their form labels, the API its JSON fields; none of them reads our own messages back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

__all__ = [
    "MISSING",
    "AuthFailure",
    "Bounds",
    "DataError",
    "DirectoryDamaged",
    "DirectoryNotLoaded",
    "FieldProblem",
    "InputError",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
    "ProblemKind",
    "SpinefxError",
    "VersionConflict",
]


class SpinefxError(Exception):
    """Root of every error spinefx raises on purpose."""


class ProblemKind(StrEnum):
    """What is wrong with a field's value."""

    MISSING = "missing"  # a required field was not given
    TYPE = "type"  # not the sort of value the field takes (text for a number, say)
    RANGE = "range"  # a number or a date outside the field's bounds
    LENGTH = "length"  # text or a list too short or too long
    CHOICE = "choice"  # not one of the field's choices
    FORMAT = "format"  # text not in the form the field takes
    UNKNOWN_FIELD = "unknown-field"  # the input has no such field
    RULE = "rule"  # a rule over the value (and perhaps other fields) is broken: see ``allowed``


@dataclass(frozen=True)
class Bounds:
    """Limits of a number or a date (``low``/``high``), or a length; ``None`` where open.

    ``low_open`` means greater than ``low`` (not equal), ``high_open`` less than ``high``.
    """

    low: Any = None
    high: Any = None
    low_open: bool = False
    high_open: bool = False


@dataclass(frozen=True)
class FieldProblem:
    """One bad field: its dotted name, the value given and what is allowed.

    ``allowed`` words what the field takes for any reader; the rest is the same as data:
    ``kind``, what went wrong; ``expects``, the sort of value the field takes (``integer``,
    ``number``, ``text``, ``boolean``, ``date``, ``list``, ``object``, ``mapping``; ``None``
    when not known); ``bounds`` of a number or date; ``choices`` of a closed set.
    """

    field: str
    value: Any
    allowed: str
    kind: ProblemKind = ProblemKind.RULE
    expects: str | None = None
    bounds: Bounds | None = None
    choices: tuple[Any, ...] = ()

    def __str__(self) -> str:
        given = "missing" if self.value is _MISSING else f"got {_short(self.value)}"
        return f"{self.field}: {given}; allowed: {self.allowed}"

    @property
    def top(self) -> str:
        """The top-level field: ``levels`` for ``levels[1]``, ``red_flags`` for
        ``red_flags.fever``. A place in a file (``reports.ndjson line 3``: it has a space) is
        not a dotted path: it is its own top, so that an edge never renames it."""
        if " " in self.field:
            return self.field
        end = len(self.field)
        for mark in ".[":
            found = self.field.find(mark, 1)
            if found != -1:
                end = min(end, found)
        return self.field[:end]

    def renamed(self, name: Callable[[str], str | None]) -> FieldProblem:
        """This problem with its top-level field named as ``name`` says (``None``: as it is),
        the rest of the path kept: how an edge names fields for its reader."""
        new = name(self.top)
        return self if new is None else replace(self, field=new + self.field[len(self.top) :])


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
MISSING: Any = _MISSING  # the value of a FieldProblem whose field was not given at all


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InputError(SpinefxError, ValueError):
    """A value given by the user is not allowed.

    Carries the field, the value given and the allowed range or choices. When several fields
    are wrong at once, ``problems`` lists them all; the first is also ``field``, ``value``
    and ``allowed``.

    >>> err = InputError("age", 130, "an integer from 18 to 120")
    >>> str(err)
    'age: got 130; allowed: an integer from 18 to 120'
    """

    def __init__(
        self,
        field: str,
        value: Any,
        allowed: str,
        *,
        more: Sequence[FieldProblem] = (),
        kind: ProblemKind = ProblemKind.RULE,
        expects: str | None = None,
        bounds: Bounds | None = None,
        choices: Sequence[Any] = (),
    ) -> None:
        first = FieldProblem(field, value, allowed, kind, expects, bounds, tuple(choices))
        self.problems: tuple[FieldProblem, ...] = (first, *more)
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(str(self.problems[0]))

    @property
    def kind(self) -> ProblemKind:
        """What is wrong with the first field."""
        return self.problems[0].kind

    @classmethod
    def from_problems(cls, problems: Sequence[FieldProblem]) -> InputError:
        first, *rest = problems
        return cls(
            first.field,
            first.value,
            first.allowed,
            more=rest,
            kind=first.kind,
            expects=first.expects,
            bounds=first.bounds,
            choices=first.choices,
        )

    def __str__(self) -> str:
        text = str(self.problems[0])
        if len(self.problems) > 1:
            text += f" (and {len(self.problems) - 1} more)"
        return text


class DataError(SpinefxError):
    """A data file or store cannot be used; the message says what to do next."""


class DirectoryNotLoaded(DataError):
    """No specialist directory has been loaded into the data directory yet."""


class DirectoryDamaged(DataError):
    """The specialist directory's file is there but cannot be read: load it again."""


class NotFound(SpinefxError):
    """No such record, or one the caller may not see (another site's case looks the same)."""


class VersionConflict(SpinefxError):
    """An edit was made on an older version of a record: reload it and make the edit again.

    ``current`` is the version now stored, so the caller can show what changed.
    """

    def __init__(self, message: str, *, current: int | None = None) -> None:
        super().__init__(message)
        self.current = current


class AuthFailure(StrEnum):
    """Why a caller is not authenticated."""

    NO_CREDENTIALS = "no-credentials"  # no login, no token, or a malformed one
    WRONG_CREDENTIALS = "wrong-credentials"  # an unknown e-mail, a wrong password, a bad token
    THROTTLED = "throttled"  # too many failed logins in a row: wait ``retry_after`` seconds
    LOCKED = "locked"  # locked after repeated failed logins, for ``retry_after`` seconds
    SESSION_ENDED = "session-ended"  # the login session expired or was logged out
    FORM_EXPIRED = "form-expired"  # a form came without the session's CSRF token


class NotAuthenticated(SpinefxError):
    """No valid login, password or token: ``reason`` says which; ``retry_after`` (seconds)
    while logins are held back."""

    def __init__(
        self,
        message: str,
        *,
        reason: AuthFailure = AuthFailure.NO_CREDENTIALS,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.retry_after = retry_after


class PermissionDenied(SpinefxError):
    """The caller is known, but their role may not do this."""
