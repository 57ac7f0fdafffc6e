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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DataError",
    "DirectoryDamaged",
    "DirectoryNotLoaded",
    "FieldProblem",
    "InputError",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
    "SpinefxError",
    "VersionConflict",
]


class SpinefxError(Exception):
    """Root of every error spinefx raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One bad field: its dotted name, the value given and what is allowed."""

    field: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        given = "missing" if self.value is _MISSING else f"got {_short(self.value)}"
        return f"{self.field}: {given}; allowed: {self.allowed}"


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
    ) -> None:
        self.problems: tuple[FieldProblem, ...] = (FieldProblem(field, value, allowed), *more)
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(str(self.problems[0]))

    @classmethod
    def from_problems(cls, problems: Sequence[FieldProblem]) -> InputError:
        first, *rest = problems
        return cls(first.field, first.value, first.allowed, more=rest)

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


class NotAuthenticated(SpinefxError):
    """No valid login, password or token; ``retry_after`` (seconds) while logins are held back."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermissionDenied(SpinefxError):
    """The caller is known, but their role may not do this."""
