"""With ZHONGFU_REDIS_URL set, jobs and rate limits are shared through Redis (several machines)."""

from __future__ import annotations

import uuid

import pytest
import redis
from huey import RedisHuey
from sqlmodel import select

from marketplace import create_app, jobs
from marketplace.db import get_engine, session_scope
from marketplace.models import MatchRound, Role, User
from marketplace.services import rounds
from tests.factories import TEST_CONFIG

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


def test_job_queue_uses_redis(redis_url, database_url, make_user, db):
    """With REDIS_URL the app's own queue is Redis: a round queued by one process lands in Redis,
    and a worker (here, the same queue's ``execute``) runs it."""
    app = create_app(
        TEST_CONFIG
        | {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "JOBS_IMMEDIATE": False}
    )
    try:
        queue = jobs.queue(app)
        assert isinstance(queue, RedisHuey) and not queue.immediate
        admin = make_user(Role.ADMIN)
        with app.app_context(), session_scope(get_engine(app)) as s:
            round_id = rounds.start_round(s, actor=s.get(User, admin.id)).id
            jobs.enqueue_round(round_id, session=s)
            assert queue.pending_count() == 0  # not before the commit
        assert queue.pending_count() == 1
        # The task is in Redis, where a worker on any machine finds it.
        client = redis.Redis.from_url(redis_url)
        assert any(b"zhongfu" in key for key in client.keys("*"))
        with db() as s:
            assert s.get(MatchRound, round_id).status == "queued"
        task = queue.dequeue()
        assert task is not None and task.name == "match_round" and task.args == (round_id,)
        queue.execute(task)
        assert queue.pending_count() == 0
        with db() as s:
            assert s.get(MatchRound, round_id).status == "done"
            assert len(s.exec(select(MatchRound)).all()) == 1
        # Key-value state (an import's progress) is shared the same way.
        key = f"zf-test-{uuid.uuid4().hex}"
        queue.put(key, {"progress": 0.5})
        assert jobs.make_queue(app.config, app.instance_path).get(key) == {"progress": 0.5}
    finally:
        get_engine(app).dispose()


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
