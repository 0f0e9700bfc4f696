"""Invariants of the marketplace data, checked after a restore, a claim storm or a load test."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

CHECKS: dict[str, str] = {
    "offer remaining within 0..capacity": "SELECT COUNT(*) FROM offer WHERE remaining < 0 OR remaining > capacity",
    "at most one active claim per need": (
        "SELECT COUNT(*) FROM (SELECT need_id FROM claim WHERE status IN ('active', 'delivered') "
        "GROUP BY need_id HAVING COUNT(*) > 1) AS d"
    ),
    "claimed/matched/delivered needs have an active claim": (
        "SELECT COUNT(*) FROM need n WHERE n.status IN ('claimed', 'matched', 'delivered') AND NOT EXISTS "
        "(SELECT 1 FROM claim c WHERE c.need_id = n.id AND c.status IN ('active', 'delivered'))"
    ),
    "open needs have no active claim": (
        "SELECT COUNT(*) FROM need n WHERE n.status = 'open' AND EXISTS "
        "(SELECT 1 FROM claim c WHERE c.need_id = n.id AND c.status IN ('active', 'delivered'))"
    ),
    "member open-claim counters match their active claims": (
        'SELECT COUNT(*) FROM "user" u WHERE u.open_claims <> (SELECT COUNT(*) FROM claim c '
        "WHERE c.member_id = u.id AND c.status = 'active')"
    ),
    "accepted proposals never exceed offer capacity": (
        "SELECT COUNT(*) FROM offer o WHERE o.capacity - o.remaining < (SELECT COUNT(*) FROM claim c "
        "WHERE c.offer_id = o.id AND c.status IN ('active', 'delivered', 'confirmed'))"
    ),
}

COUNTED_TABLES = ("region", "hub", "taxonomyitem", "user", "organisation", "household", "need", "offer", "claim",
                  "matchround", "proposal", "auditlog", "needtally")  # fmt: skip


def violations(session: Session) -> dict[str, int]:
    """Each invariant → the number of rows breaking it (all zero when the data is sound)."""
    return {name: int(session.execute(text(sql)).scalar_one()) for name, sql in CHECKS.items()}


def row_counts(session: Session) -> dict[str, int]:
    return {
        t: int(session.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one())
        for t in COUNTED_TABLES
    }
