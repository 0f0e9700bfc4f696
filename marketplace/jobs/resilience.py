"""Rescoring the whole city under a model version (抗风险能力赋分, services/resilience.py), in the
background. Its state (progress, then the report: how many households changed score and level)
is kept in the queue's key-value storage under ``rescore:<job id>``, like the Excel import's, and
polled by the administrator's model page."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask
from huey import Huey

from marketplace.db import get_engine, session_scope
from marketplace.models import User
from marketplace.services import resilience

log = logging.getLogger("zhongfu.resilience")
LATEST = "rescore:latest"  # the id of the job started last (the model page shows it)


def _key(job_id: str) -> str:
    return f"rescore:{job_id}"


def state(
    user_id: int | None,
    status: str,
    version: str,
    done: int = 0,
    total: int = 0,
    report: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``queued``/``running``/``done``/``failed``, households scored out of the total, and the
    report once done."""
    out: dict[str, Any] = {
        "user": user_id,
        "state": status,
        "version": version,
        "done": done,
        "total": total,
    }
    if report is not None:
        out["report"] = report
    return out


def put_state(queue: Huey, job_id: str, value: dict[str, Any]) -> None:
    queue.put(_key(job_id), json.dumps(value))
    queue.put(LATEST, json.dumps(job_id))


def get_state(queue: Huey, job_id: str) -> dict[str, Any] | None:
    raw = queue.get(_key(job_id), peek=True)
    return json.loads(raw) if raw else None


def latest(queue: Huey) -> tuple[str, dict[str, Any]] | None:
    raw = queue.get(LATEST, peek=True)
    if not raw:
        return None
    job_id = json.loads(raw)
    found = get_state(queue, job_id)
    return (job_id, found) if found is not None else None


def run(app: Flask, queue: Huey, job_id: str, version: str, user_id: int | None) -> None:
    """Rescore every household under ``version`` in one unit of work (all or nothing)."""

    def progress(done: int, total: int) -> None:
        put_state(queue, job_id, state(user_id, "running", version, done, total))

    progress(0, 0)
    try:
        with session_scope(get_engine(app)) as session:
            actor = session.get(User, user_id) if user_id is not None else None
            report = resilience.rescore_all(
                session, version=version, actor=actor, progress=progress
            )
    except Exception:
        log.exception("rescore %s under %s failed", job_id, version)
        put_state(queue, job_id, state(user_id, "failed", version))
        return
    put_state(
        queue,
        job_id,
        state(
            user_id,
            "done",
            version,
            report.households,
            report.households,
            report=report.as_dict(),
        ),
    )


def register(queue: Huey, app: Flask) -> Any:
    @queue.task(name="rescore_city")
    def rescore_city(job_id: str, version: str, user_id: int | None) -> None:
        run(app, queue, job_id, version, user_id)

    return rescore_city
