"""Progressive delay per login name (services/throttle.py), on the rate limiter's own in-memory
storage: free failures, a doubling wait up to the maximum, one hashed key per name. The sign-in
pages that use it are attacked in tests/security/test_login_throttle.py."""

from __future__ import annotations

from limits.storage import MemoryStorage

from marketplace.services import throttle


def test_the_key_is_a_salted_hash_of_the_normalised_name():
    key = throttle.subject("Zhang.Wei")
    assert key == throttle.subject("  zhang.wei ") == throttle.subject("ZHANG.WEI")
    assert len(key) == 32 and "zhang" not in key
    assert throttle.subject("Zhang.Wei", salt="other") != key
    assert throttle.subject("zhang.wei2") != key


def test_no_delay_turns_the_wait_off_but_still_counts():
    store = MemoryStorage()
    policy = throttle.DelayPolicy(free_failures=0)
    key = throttle.subject("someone")
    assert [throttle.record_failure(store, key, policy) for _ in range(10)] == [0] * 10
    assert throttle.failures(store, key) == 10
    assert throttle.wait_seconds(store, key) == 0


def test_the_wait_runs_down_with_the_clock_and_is_at_least_a_second():
    store = MemoryStorage()
    policy = throttle.DelayPolicy(free_failures=1, base_s=8, max_s=60)
    key = throttle.subject("someone")
    assert throttle.record_failure(store, key, policy) == 8  # the first failure is not free
    expiry = store.get_expiry(f"zf-wait/{key}")
    assert throttle.wait_seconds(store, key, now=expiry - 8) == 8
    assert throttle.wait_seconds(store, key, now=expiry - 2.5) == 3  # rounded up
    assert throttle.wait_seconds(store, key, now=expiry - 0.1) == 1  # never "0 s, but wait"


def test_names_are_counted_apart_and_a_success_clears_only_its_own():
    store = MemoryStorage()
    policy = throttle.DelayPolicy(free_failures=2, base_s=2, max_s=60)
    one, two = throttle.subject("one"), throttle.subject("two")
    for _ in range(3):
        throttle.record_failure(store, one, policy)
    throttle.record_failure(store, two, policy)
    assert (throttle.failures(store, one), throttle.failures(store, two)) == (3, 1)
    assert throttle.wait_seconds(store, one) > 0 and throttle.wait_seconds(store, two) == 0
    throttle.record_success(store, two)
    assert throttle.failures(store, one) == 3 and throttle.wait_seconds(store, one) > 0


def test_a_huge_run_of_failures_stays_at_the_maximum():
    store = MemoryStorage()
    policy = throttle.DelayPolicy(free_failures=1, base_s=2, max_s=900)
    key = throttle.subject("bot")
    waits = [throttle.record_failure(store, key, policy) for _ in range(100)]
    assert waits[:4] == [2, 4, 8, 16] and set(waits[9:]) == {900}
