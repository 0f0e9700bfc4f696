"""Background jobs (Huey): SQLite storage in the instance folder by default, Redis when
``ZHONGFU_REDIS_URL`` is set, so one machine needs nothing extra and several share Redis.

Jobs receive ids and write progress rows; each opens its own unit of work.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab

log = logging.getLogger("zhongfu.jobs")

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
    return run_housekeeping(job_app())


def run_housekeeping(app: Flask) -> dict[str, Any]:
    """Expire overdue claims (wishes go back to the pool) and needs past their deadline; send the
    periodic alerts (claims about to expire, deliveries to confirm or overdue, offers running out);
    rebuild the dashboards' snapshot of needs by status. One unit of work."""
    from marketplace.db import get_engine, session_scope
    from marketplace.services import alerts, claims, households, tally

    with app.app_context(), session_scope(get_engine(app)) as session:
        return {
            "claims_expired": claims.expire_claims(session),
            "needs_expired": households.expire_needs(session),
            "alerts": alerts.run_alerts(session),
            "tally_taken_at": tally.refresh(session).isoformat(),
        }


def round_settings(config: Mapping[str, Any]) -> Any:
    from marketplace.services.rounds import RoundSettings

    return RoundSettings(
        max_per_household=int(config["MATCH_MAX_PER_HOUSEHOLD"]),
        unclaimed_days=int(config["UNCLAIMED_DAYS_FOR_ROUND"]),
        time_limit_s=float(config["MATCH_ROUND_TIME_LIMIT_S"]),
        assignment_days=int(config["MATCH_ASSIGNMENT_DAYS"]),
    )


def execute_round(app: Flask, round_id: int) -> None:
    """Load → solve (no database work) → store, each in its own unit of work. Any failure,
    a timeout included, leaves the round ``failed`` with no proposals."""
    import matching
    from marketplace.db import get_engine, session_scope
    from marketplace.services import rounds

    engine = get_engine(app)
    settings = round_settings(app.config)
    timings: dict[str, float] = {}
    with app.app_context():
        try:
            t0 = time.perf_counter()
            with session_scope(engine) as session:
                match_round = rounds.mark_running(session, round_id)
                problem = rounds.load_problem(session, match_round, settings)
            timings["load_seconds"] = round(time.perf_counter() - t0, 3)
            last = 0.0

            def progress(fraction: float, message: str) -> None:
                nonlocal last
                if time.monotonic() - last < 0.5 and fraction < 1.0:
                    return
                last = time.monotonic()
                with session_scope(engine) as s:
                    rounds.set_progress(s, round_id, 0.1 + 0.8 * fraction, message)

            t1 = time.perf_counter()
            result = matching.solve(problem, progress=progress)
            timings["solve_seconds"] = round(time.perf_counter() - t1, 3)
            t2 = time.perf_counter()
            with session_scope(engine) as session:
                rounds.store_result(
                    session,
                    round_id,
                    result,
                    timings | {"needs": len(problem.needs), "offers": len(problem.offers)},
                )
            log.info(
                "round %s done in %.1fs (write %.1fs)",
                round_id,
                time.perf_counter() - t0,
                time.perf_counter() - t2,
            )
        except matching.SolveTimeout as exc:
            _fail(engine, round_id, f"timeout: {exc}")
        except Exception:
            # Staff see a reference, the log keeps the details (which may quote data).
            ref = secrets.token_hex(4)
            log.exception("round %s failed (reference %s)", round_id, ref)
            _fail(engine, round_id, f"failed: internal error (reference {ref})")


def _fail(engine: Any, round_id: int, message: str) -> None:
    from marketplace.db import session_scope
    from marketplace.services import rounds

    with session_scope(engine) as session:
        rounds.mark_failed(session, round_id, message)


@huey.task()
def run_match_round(round_id: int) -> None:
    execute_round(job_app(), round_id)


@huey.task()
def run_import(job_id: str, user_id: int, path: str) -> None:
    """Excel import of households and needs (progress polled by the import page)."""
    from marketplace.hub.import_job import execute_import

    execute_import(job_app(), job_id, user_id, path)
