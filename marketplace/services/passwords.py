"""Password hashing: argon2id (RFC 9106 second recommended profile by default, ASVS L2)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4


def configure(*, time_cost: int, memory_cost_kib: int) -> None:
    """Tests use a cheaper profile; production keeps the default."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=1)


def use_default_profile() -> None:
    """The production profile (undoes ``configure``: several apps may share one process)."""
    global _hasher
    _hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# Verified against when a username does not exist, so timing does not reveal which accounts exist.
DUMMY_HASH = PasswordHasher().hash("zhongfu-dummy-password")
