"""The per-address sign-in limit (web/login_throttle.py) with ZHONGFU_REDIS_URL set: counted in
Redis, so several app processes (several machines) count one client's logins together. The
throttle's attacks are in tests/security/test_login_throttle.py."""

from __future__ import annotations

import uuid

import redis

from marketplace import create_app
from marketplace.db import get_engine
from tests.factories import TEST_CONFIG


def test_login_rate_limit_is_shared_between_app_processes(redis_url, database_url, make_user):
    """Two app instances (two gunicorn machines) count one client's logins together."""
    config = TEST_CONFIG | {
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": True,
        "REDIS_URL": redis_url,
        "RATELIMIT_KEY_PREFIX": f"zf-test-{uuid.uuid4().hex}",
        "LOGIN_RATE_LIMIT": "4 per minute",
    }
    apps = [create_app(config), create_app(config)]
    try:
        one, two = (a.test_client() for a in apps)
        codes = [
            c.post("/api/v1/tokens", json={"username": "nobody", "password": "x"}).status_code
            for c in (one, two) * 3
        ]
    finally:
        for a in apps:
            get_engine(a).dispose()  # no pooled connection outlives the test
    assert codes[:4] == [401, 401, 401, 401]
    assert codes[4:] == [429, 429]
    # The counters live in Redis, not in either process.
    assert redis.Redis.from_url(redis_url).keys("*/login/*")
