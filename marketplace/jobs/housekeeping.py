"""Housekeeping, every minute: expire overdue claims and needs, send the periodic alerts and rebuild
the dashboards' snapshot of needs by status (also ``zhongfu housekeeping``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, crontab

from marketplace.db import get_engine, session_scope
from marketplace.services import (
    alerts,
    casefile,
    claims,
    draws,
    households,
    indicators,
    pairings,
    schedules,
    tally,
    warnings,
)
from marketplace.uploads import remove_stored


def _claim_policy(app: Flask) -> claims.ClaimPolicy:
    cfg = app.config
    return claims.ClaimPolicy(cfg["MAX_OPEN_CLAIMS"], cfg["CLAIM_DAYS"], cfg["REPEAT_HELP_DAYS"])


def run(app: Flask) -> dict[str, Any]:
    """Expire overdue claims (wishes go back to the pool) and needs past their deadline; send the
    periodic alerts (claims about to expire, deliveries to confirm or overdue, offers running out);
    escalate overdue warnings and leads;
    rebuild the dashboards' snapshot of needs by status. One unit of work."""
    with session_scope(get_engine(app)) as session:
        result: dict[str, Any] = {
            "claims_expired": claims.expire_claims(session),
            # 认领意向登记: wishes whose claim window closed get their draw (DESIGN §12).
            "draws": draws.close_due_windows(session, policy=_claim_policy(app)).as_json(),
            "needs_expired": households.expire_needs(session),
            "alerts": alerts.run_alerts(session),
            # Overdue warnings and leads move up to the nearest staffed hub (DESIGN §9).
            "escalated": warnings.escalate_overdue(session),
            "tally_taken_at": tally.refresh(session).isoformat(),
            # 结对帮扶 past their end date end; 探访关爱 schedules follow changed intervals; the
            # care indicators (关爱指标) are rebuilt when older than CARE_INDICATORS_MAX_AGE_S.
            "pairings_ended": pairings.end_expired(session),
            "schedules_moved": schedules.reschedule(
                session, schedules.VisitIntervals.of(app.config)
            ),
            "care_indicators_rebuilt": indicators.rebuild_if_stale(
                session, max_age_s=float(app.config["CARE_INDICATORS_MAX_AGE_S"])
            ),
        }
        # 一户一档: gradual exits (渐退期) past their end exit; households exited longer than
        # RETENTION_DAYS ago are anonymised (services/casefile.py).
        result["gradual_exits_ended"] = casefile.finish_gradual_exits(session)
        anonymised, attachments, photos = casefile.anonymise_expired(
            session, retention_days=int(app.config["RETENTION_DAYS"])
        )
        result["households_anonymised"] = anonymised
    # Their files go once the rows that named them are committed.
    stored = Path(app.instance_path) / "uploads"
    remove_stored(stored / "attachments", attachments)
    remove_stored(stored, photos)
    return result


def register(queue: Huey, app: Flask) -> Any:
    @queue.periodic_task(crontab(minute="*"), name="housekeeping")
    def housekeeping() -> dict[str, Any]:
        return run(app)

    return housekeeping
