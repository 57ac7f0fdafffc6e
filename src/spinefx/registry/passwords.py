"""Password hashing: argon2id with argon2-cffi's defaults, one place for every hash and check.

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

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["hash_password", "needs_rehash", "spend_hashing_time", "verify_password"]

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
