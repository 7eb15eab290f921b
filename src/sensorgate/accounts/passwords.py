"""Password hashing with argon2id, and the rules a new password must meet.

Hashing costs tens of milliseconds of CPU on purpose; callers run it in a worker thread.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
# argon2 reads the whole password; a cap stops megabyte passwords from becoming a CPU attack.
MAX_LENGTH = 256
# Passwords that meet the length rule and still fall to the first guesses of any attacker.
COMMON = frozenset(
    {
        "123456789012", "password1234", "passwordpassword", "qwertyuiopas", "111111111111", "000000000000",
        "iloveyou1234", "administrator", "letmeinletmein", "welcome12345", "changemechangeme", "sensorgate123",
        "qwerty123456", "1234567890ab", "abcdefghijkl", "passw0rd1234", "123412341234", "abc123abc123",
    }
)  # fmt: skip

_hasher = PasswordHasher()


def password_problem(password: str, email: str = "") -> str | None:
    """Say what is wrong with a new password, or None when it is acceptable (NIST SP 800-63B style)."""
    if len(password) < MIN_LENGTH:
        return f"password must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"password must be at most {MAX_LENGTH} characters"
    lowered = password.lower()
    if lowered in COMMON or len(set(password)) < 5:
        return "password is too easy to guess; use a longer phrase or a password manager"
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in lowered:
        return "password must not contain the email address"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Check a password in the same time whether or not the user exists.

    Returns (ok, new_hash); new_hash is set when the stored hash uses old parameters and should be replaced.
    """
    if password_hash is None:
        # Spend the same work on an unknown user, so timing does not reveal which emails exist.
        _verify(_dummy_hash(), password)
        return False, None
    if not _verify(password_hash, password):
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(password_hash) else None)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not a real password, only here to spend time")
