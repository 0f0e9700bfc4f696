"""The match round job: load → solve (no database work) → store, each step in its own unit of work.
Any failure, a timeout included, leaves the round ``failed`` with no proposals."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from flask import Flask
from huey import Huey
from sqlalchemy.engine import Engine

import matching
from marketplace.db import get_engine, session_scope
from marketplace.services import rounds
from marketplace.services.messages import Message

log = logging.getLogger("zhongfu.jobs")


def run(app: Flask, round_id: int) -> None:
    engine = get_engine(app)
    settings = rounds.settings_from_config(app.config)
    timings: dict[str, float] = {}
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
        log.warning("round %s timed out: %s", round_id, exc)
        _fail(engine, round_id, Message("round.timeout"))
    except Exception:
        # Staff see a reference, the log keeps the details (which may quote data).
        ref = secrets.token_hex(4)
        log.exception("round %s failed (reference %s)", round_id, ref)
        _fail(engine, round_id, Message("round.failed", {"ref": ref}))


def _fail(engine: Engine, round_id: int, message: Message) -> None:
    with session_scope(engine) as session:
        rounds.mark_failed(session, round_id, message)


def register(queue: Huey, app: Flask) -> Any:
    @queue.task(name="match_round")
    def match_round(round_id: int) -> None:
        run(app, round_id)

    return match_round
