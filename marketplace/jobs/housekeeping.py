"""Housekeeping, every minute: expire overdue claims and needs, send the periodic alerts and rebuild
the dashboards' snapshot of needs by status (also ``zhongfu housekeeping``)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from huey import Huey, crontab

from marketplace.db import get_engine, session_scope
from marketplace.services import alerts, claims, households, tally


def run(app: Flask) -> dict[str, Any]:
    """Expire overdue claims (wishes go back to the pool) and needs past their deadline; send the
    periodic alerts (claims about to expire, deliveries to confirm or overdue, offers running out);
    rebuild the dashboards' snapshot of needs by status. One unit of work."""
    with session_scope(get_engine(app)) as session:
        return {
            "claims_expired": claims.expire_claims(session),
            "needs_expired": households.expire_needs(session),
            "alerts": alerts.run_alerts(session),
            "tally_taken_at": tally.refresh(session).isoformat(),
        }


def register(queue: Huey, app: Flask) -> Any:
    @queue.periodic_task(crontab(minute="*"), name="housekeeping")
    def housekeeping() -> dict[str, Any]:
        return run(app)

    return housekeeping
