"""With ZHONGFU_REDIS_URL set, jobs and rate limits are shared through Redis (several machines)."""

from __future__ import annotations

import uuid

import pytest
import redis

from marketplace import create_app
from marketplace.db import get_engine
from tests.conftest import TEST_CONFIG

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_url():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
    client.flushdb()  # database 15 is the tests' own
    return REDIS_URL


def test_job_queue_uses_redis(redis_url, monkeypatch):
    from huey import RedisHuey

    from marketplace import jobs

    monkeypatch.setenv("ZHONGFU_REDIS_URL", redis_url)
    queue = jobs._make_huey()
    assert isinstance(queue, RedisHuey)
    key = f"zf-test-{uuid.uuid4().hex}"
    queue.put(key, {"progress": 0.5})  # what another machine's worker would read
    assert jobs._make_huey().get(key) == {"progress": 0.5}


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
    assert redis.Redis.from_url(redis_url).keys("*api.create_token*")
