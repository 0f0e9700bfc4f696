"""The queue: built from the app's configuration in ``init_app`` (never at import), and fed only
after the unit of work that queues a job has committed; with ZHONGFU_REDIS_URL set, the app's own
queue is Redis (several machines share it)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from flask import abort
from huey import RedisHuey, SqliteHuey
from huey.storage import MemoryStorage
from sqlmodel import select

from marketplace import create_app, db, jobs
from marketplace.db import get_engine, session_scope
from marketplace.models import MatchRound, Role, User
from marketplace.services import rounds
from tests.factories import TEST_CONFIG

ROOT = Path(__file__).resolve().parents[2]


def test_importing_jobs_creates_no_file(tmp_path):
    """A clean checkout: importing the package builds no queue, database or instance folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHONGFU_")} | {
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "ZHONGFU_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    code = (
        "import marketplace.jobs, marketplace.services.passwords as p\n"
        "assert p._dummy_hash is None, 'the dummy password hash was built at import'\n"
    )
    work = tmp_path / "cwd"
    work.mkdir()
    subprocess.run([sys.executable, "-c", code], cwd=work, env=env, check=True, timeout=120)
    assert list(tmp_path.rglob("*")) == [work]


def test_queue_from_config(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ZHONGFU_INSTANCE_PATH", str(tmp_path / "instance"))
    embedded = create_app(TEST_CONFIG | {"DATABASE_URL": database_url, "JOBS_IMMEDIATE": False})
    immediate = create_app(TEST_CONFIG | {"DATABASE_URL": database_url})
    try:
        queue = jobs.queue(embedded)
        assert isinstance(queue, SqliteHuey) and not queue.immediate
        assert queue.storage.filename == str(tmp_path / "instance" / "jobs.db")
        assert (tmp_path / "instance" / "jobs.db").exists()
        # Tests run each job at once, in memory.
        assert jobs.queue(immediate).immediate
        assert isinstance(jobs.queue(immediate).storage, MemoryStorage)
        # Each app has its own queue with the tasks registered on it.
        assert jobs.queue(embedded) is not jobs.queue(immediate)
        assert jobs.tasks(embedded).match_round.huey is queue
    finally:
        jobs.queue(embedded).storage.close()
        for app in (embedded, immediate):
            get_engine(app).dispose()


def test_hooks_run_after_commit_and_are_dropped_on_rollback(app):
    ran: list[str] = []
    with app.app_context():
        with pytest.raises(RuntimeError), session_scope(get_engine(app)) as session:
            db.after_commit(session, lambda: ran.append("rolled back"))
            raise RuntimeError("the unit of work fails")
        with session_scope(get_engine(app)) as session:
            db.after_commit(session, lambda: ran.append("committed"))
            assert ran == []  # not before the commit
    assert ran == ["committed"]


def test_a_request_that_fails_queues_nothing(app, client):
    ran: list[str] = []

    @app.post("/_test/queue/<int:status>")
    def queue_then_answer(status: int) -> str:
        db.after_commit(None, lambda: ran.append(f"after {status}"))
        if status >= 400:
            abort(status)
        return "ok"

    assert client.post("/_test/queue/409").status_code == 409
    assert ran == []
    assert client.post("/_test/queue/200").status_code == 200
    assert ran == ["after 200"]


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
