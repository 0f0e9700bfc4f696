"""Background jobs (Huey). Nothing is built at import time: ``init_app`` creates the app's queue
from its configuration and registers the tasks on it, as closures over the app:

- ``REDIS_URL`` set → Redis (several machines share the queue);
- otherwise → SQLite at ``<instance>/jobs.db`` (one machine needs nothing extra);
- ``JOBS_IMMEDIATE`` → each job runs at once in the process that queues it (tests).

The worker (``zhongfu worker``, or the threads of ``zhongfu serve``) consumes the queue of the app
the command runs with. Jobs receive ids; each runs in its own unit of work (``db.session_scope``).
A request queues a job with ``db.after_commit``, so the job never starts before the rows it works
on are committed, and never starts at all when the request rolls back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from sqlmodel import Session

from marketplace import db
from marketplace.jobs import housekeeping, imports, resilience, rounds

EXTENSION = "zhongfu_jobs"
QUEUE_NAME = "zhongfu"


@dataclass(frozen=True)
class Jobs:
    """The app's queue and the tasks registered on it (Huey task wrappers: calling one queues
    it; ``.call_local()`` runs it here and now)."""

    queue: Huey
    housekeeping: Any
    match_round: Any
    excel_import: Any
    rescore_city: Any


def init_app(app: Flask) -> None:
    queue = make_queue(app.config, app.instance_path)
    app.extensions[EXTENSION] = Jobs(
        queue=queue,
        housekeeping=housekeeping.register(queue, app),
        match_round=rounds.register(queue, app),
        excel_import=imports.register(queue, app),
        rescore_city=resilience.register(queue, app),
    )


def make_queue(config: Mapping[str, Any], instance_path: str) -> Huey:
    immediate = bool(config.get("JOBS_IMMEDIATE"))
    redis_url = config.get("REDIS_URL")
    # Immediate mode keeps Huey's in-memory storage: no file, no connection.
    if redis_url:
        return RedisHuey(QUEUE_NAME, url=redis_url, immediate=immediate)  # connects on first use
    folder = Path(instance_path)
    if not immediate:
        folder.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(folder / "jobs.db"), immediate=immediate)


def tasks(app: Flask | None = None) -> Jobs:
    """The jobs of ``app`` (default: the current app)."""
    jobs: Jobs = (app or current_app).extensions[EXTENSION]
    return jobs


def queue(app: Flask | None = None) -> Huey:
    """The queue of ``app`` (default: the current app)."""
    return tasks(app).queue


def enqueue_round(round_id: int, *, session: Session | None = None) -> None:
    """Run the match round once the unit of work that created it (default: the request's) has
    committed."""
    task = tasks().match_round
    db.after_commit(session, lambda: task(round_id))


def enqueue_import(
    job_id: str,
    user_id: int,
    path: str,
    *,
    session: Session | None = None,
    kind: str = "households",
) -> None:
    """Import the uploaded workbook at ``path`` for ``user_id`` once the unit of work (default:
    the request's) has committed; its progress is ``import_state(job_id)``. ``kind``:
    households and needs, or monitoring events (``services.imports.IMPORT_KINDS``)."""
    jobs = tasks()

    def start() -> None:
        imports.put_state(jobs.queue, job_id, imports.state(user_id, "queued"))
        jobs.excel_import(job_id, user_id, path, kind)

    db.after_commit(session, start)


def enqueue_rescore(
    job_id: str, version: str, user_id: int | None, *, session: Session | None = None
) -> None:
    """Rescore the city under model ``version`` once the unit of work that loaded it (default:
    the request's) has committed; its progress is ``rescore_state(job_id)``."""
    jobs = tasks()

    def start() -> None:
        resilience.put_state(jobs.queue, job_id, resilience.state(user_id, "queued", version))
        jobs.rescore_city(job_id, version, user_id)

    db.after_commit(session, start)


def rescore_state(job_id: str) -> dict[str, Any] | None:
    """Progress and, when done, the report of a city rescore (``None``: no such job)."""
    return resilience.get_state(queue(), job_id)


def latest_rescore() -> tuple[str, dict[str, Any]] | None:
    """The rescore started last, with its state."""
    return resilience.latest(queue())


def import_state(job_id: str) -> dict[str, Any] | None:
    """Progress and, when done, the report of an Excel import (``None``: no such job)."""
    return imports.get_state(queue(), job_id)
