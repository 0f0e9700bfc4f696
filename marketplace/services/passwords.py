"""Password hashing: argon2id (RFC 9106 second recommended profile by default, ASVS L2)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4
_dummy_hash: str | None = None  # built on first use, at the profile in force then


def configure(*, time_cost: int, memory_cost_kib: int) -> None:
    """Tests use a cheaper profile; production keeps the default."""
    _use(PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=1))


def use_default_profile() -> None:
    """The production profile (undoes ``configure``: several apps may share one process)."""
    _use(PasswordHasher())


def _use(hasher: PasswordHasher) -> None:
    global _hasher, _dummy_hash
    profile = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if profile != (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism):
        _dummy_hash = None
    _hasher = hasher


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def dummy_hash() -> str:
    """A hash to verify against when a username does not exist, so that the time a login takes
    does not reveal which accounts exist. Made at the configured profile (verifying costs what
    hashing at that profile costs), once per profile."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("zhongfu-dummy-password")
    return _dummy_hash
