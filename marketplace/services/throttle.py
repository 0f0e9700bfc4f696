"""Progressive delay of password guessing, per login name.

A hard lockout lets anyone lock a known account out by failing on purpose. Instead, after
``free_failures`` failures in a row for one login name, each further attempt for that name must wait
an interval that doubles with every failure (``base_s``, 2×, 4×… up to ``max_s``). While the wait
runs, attempts are refused before any password is checked. A success clears the count.

The counters are keyed on a hash of the normalised login name, whether or not such an account
exists, so that the delay tells an attacker nothing about which accounts exist. They live in the
rate limiter's storage (``limits``: in memory, or Redis when several machines share it), where every
key expires on its own; nothing is written to the database for a failed attempt.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Protocol


class Counters(Protocol):
    """The part of a ``limits`` storage used here."""

    def incr(self, key: str, expiry: int, amount: int = 1) -> int: ...

    def get(self, key: str) -> int: ...

    def get_expiry(self, key: str) -> float: ...

    def clear(self, key: str) -> None: ...


@dataclass(frozen=True)
class DelayPolicy:
    free_failures: int = 5  # failures in a row before any delay (0 turns the delay off)
    base_s: int = 2  # the first wait; each further failure doubles it
    max_s: int = 15 * 60
    memory_s: int = 24 * 3600  # a failure is forgotten after this long without another one


def subject(username: str, *, salt: str = "") -> str:
    """The key of a login name: case- and space-insensitive, hashed (no names in the store)."""
    name = username.strip().casefold()
    return hashlib.sha256(f"{salt}\x00{name}".encode()).hexdigest()[:32]


def wait_seconds(store: Counters, key: str, *, now: float | None = None) -> int:
    """Seconds before the next attempt for ``key`` may be checked (0: now)."""
    if not store.get(f"zf-wait/{key}"):
        return 0
    remaining = store.get_expiry(f"zf-wait/{key}") - (now if now is not None else time.time())
    return max(1, math.ceil(remaining))


def record_failure(store: Counters, key: str, policy: DelayPolicy) -> int:
    """Count a failed attempt; return the wait it starts (0 while failures are still free)."""
    failures = store.incr(f"zf-fail/{key}", policy.memory_s)
    if policy.free_failures <= 0 or failures < policy.free_failures:
        return 0
    exponent = min(failures - policy.free_failures, 30)
    delay = min(policy.base_s << exponent, policy.max_s)
    store.clear(f"zf-wait/{key}")
    store.incr(f"zf-wait/{key}", delay)
    return delay


def record_success(store: Counters, key: str) -> None:
    store.clear(f"zf-fail/{key}")
    store.clear(f"zf-wait/{key}")


def failures(store: Counters, key: str) -> int:
    return store.get(f"zf-fail/{key}")
