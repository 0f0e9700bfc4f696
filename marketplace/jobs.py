"""Background jobs (Huey): SQLite storage in the instance folder by default, Redis when
``ZHONGFU_REDIS_URL`` is set, so one machine needs nothing extra and several share Redis.

Jobs receive ids and write progress rows; each opens its own unit of work.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab

_app: Flask | None = None


def _make_huey() -> Huey:
    # The consumer (`zhongfu worker`) and the web processes must agree on the queue, so it is
    # chosen from the environment alone; nothing connects until the first task is queued.
    redis_url = os.environ.get("ZHONGFU_REDIS_URL")
    if redis_url:
        return RedisHuey("zhongfu", url=redis_url)
    instance = Path(
        os.environ.get("ZHONGFU_INSTANCE_PATH")
        or Path(__file__).resolve().parent.parent / "instance"
    )
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("zhongfu", filename=str(instance / "jobs.db"))


huey = _make_huey()


def init_app(app: Flask) -> None:
    global _app
    _app = app
    if app.config.get("JOBS_IMMEDIATE"):
        huey.immediate = True


def job_app() -> Flask:
    """The app a job runs in: the one that queued it (immediate mode) or one built for the worker."""
    global _app
    if _app is None:
        from marketplace import create_app

        _app = create_app()
    return _app


@huey.periodic_task(crontab(minute="*"))
def housekeeping() -> dict[str, Any]:
    """Expire overdue claims (wishes go back to the pool) and needs past their deadline."""
    from marketplace.db import get_engine, session_scope
    from marketplace.services import claims, households

    app = job_app()
    with app.app_context(), session_scope(get_engine(app)) as session:
        return {
            "claims_expired": claims.expire_claims(session),
            "needs_expired": households.expire_needs(session),
        }
