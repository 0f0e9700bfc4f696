"""Password hashing profiles and the dummy hash for unknown usernames (services/passwords.py)."""

from __future__ import annotations

from marketplace.services import passwords


def test_dummy_hash_follows_the_configured_profile():
    try:
        passwords.configure(time_cost=1, memory_cost_kib=8)
        cheap = passwords.dummy_hash()
        assert "$m=8,t=1,p=1$" in cheap
        assert passwords.dummy_hash() is cheap  # built once per profile
        assert not passwords.verify_password(cheap, "a guess")
        passwords.use_default_profile()
        strong = passwords.dummy_hash()
        assert "$m=65536,t=3,p=4$" in strong  # production: verifying costs a real login's time
    finally:
        passwords.configure(time_cost=1, memory_cost_kib=8)
    assert passwords.dummy_hash() != strong
