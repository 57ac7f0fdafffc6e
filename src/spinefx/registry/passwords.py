"""Passwords: the rules a new one meets, and argon2id hashing with argon2-cffi's defaults, one
place for every hash and check.

A new password (:func:`check_new_password`, on every path that sets one: a new user, a change by
its owner, a reset by an admin) follows NIST SP 800-63B section 5.1.1.2: at least
:data:`MIN_PASSWORD_LENGTH` characters, no composition rules, and refused when it is on the
blocklist of common passwords (``data/common_passwords.txt``, also with digits and symbols
around a listed word or letters swapped for look-alike symbols), a run along the keyboard or
the alphabet, one short piece repeated (``aaaaaaaaaaaa``, ``abcabcabcabc``), or built from the
account's e-mail address.

A login re-hashes a password whose hash was made with older parameters (:func:`needs_rehash`);
an unknown e-mail costs the same hashing time as a known one (:func:`spend_hashing_time`), so
the time of a refusal does not tell which it was.

>>> h = hash_password("correct horse battery")
>>> h.startswith("$argon2id$"), verify_password(h, "correct horse battery")
(True, True)
>>> verify_password(h, "wrong horse battery")
False
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from spinefx.errors import Bounds, InputError, ProblemKind

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "PASSWORD_RULE",
    "check_new_password",
    "hash_password",
    "needs_rehash",
    "password_problem",
    "spend_hashing_time",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # NIST asks for at least 64; more only costs hashing time
PASSWORD_RULE = (
    f"at least {MIN_PASSWORD_LENGTH} characters, not a common password, not built from your "
    "e-mail address, not one character or a small group of them repeated (a few unrelated "
    "words work)"
)
BLOCKLIST = Path(__file__).resolve().parent / "data" / "common_passwords.txt"
_LOOK_ALIKES = str.maketrans("@4310!$5781", "aaeioissbtl")
_RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789" * 4,  # 123456789012 wraps round
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "1q2w3e4r5t6y7u8i9o0p",
    "qazwsxedcrfvtgbyhnujmikolp",
)


@functools.cache
def _blocklist() -> frozenset[str]:
    lines = BLOCKLIST.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def _repeated(text: str) -> bool:
    """One piece of 1 to 3 characters repeated: ``aaaa``, ``abab``, ``abcabc``."""
    return any(len(text) % n == 0 and text == text[:n] * (len(text) // n) for n in range(1, 4))


def _a_run(text: str) -> bool:
    """Along the alphabet, the digits or a keyboard, either way round."""
    return any(text in run or text in run[::-1] for run in _RUNS)


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why ``password`` may not be used (``None``: it may), in words for the person choosing it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"at most {MAX_PASSWORD_LENGTH} characters"
    lower = password.lower()
    compact = re.sub(r"\s+", "", lower)
    if _repeated(compact):
        return "not one character or a small group of them repeated"
    if _a_run(compact):
        return "not a run along the keyboard or the alphabet"
    core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", compact)
    letters = re.sub(r"[\W\d_]+", "", compact)
    swapped = re.sub(r"[\W\d_]+", "", core.translate(_LOOK_ALIKES))
    blocked = _blocklist()
    candidates = {compact, core, letters, swapped}
    if candidates & blocked or any(
        _repeated(c) and c[: len(c) // 2] in blocked for c in candidates if c
    ):
        return "not a common password (it is on the list of leaked ones)"
    local, _, domain = email.lower().partition("@")
    pieces = {p for p in re.split(r"[^a-z0-9]+", f"{local} {domain.split('.')[0]}") if len(p) >= 3}
    rest = letters
    for piece in sorted(pieces, key=len, reverse=True):
        rest = rest.replace(re.sub(r"[\W\d_]+", "", piece), "")
    if pieces and len(rest) < 6 and rest != letters:
        return "not built from your e-mail address"
    return None


def check_new_password(password: str, *, email: str = "") -> None:
    """:class:`InputError` naming ``password`` (its value never shown) unless it may be used."""
    problem = password_problem(password, email=email)
    if problem is None:
        return
    short = len(password) < MIN_PASSWORD_LENGTH or len(password) > MAX_PASSWORD_LENGTH
    raise InputError(
        "password",
        "(hidden)",
        problem,
        kind=ProblemKind.LENGTH if short else ProblemKind.RULE,
        expects="text",
        bounds=Bounds(low=MIN_PASSWORD_LENGTH, high=MAX_PASSWORD_LENGTH) if short else None,
    )


_hasher = PasswordHasher()  # argon2id
_DUMMY_HASH = _hasher.hash("spinefx: a password nobody has")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def spend_hashing_time(password: str) -> None:
    """Check ``password`` against a hash nobody has: as long as checking a real one."""
    verify_password(_DUMMY_HASH, password)
