"""需求统计快照 — the needs counted by community, kind and status, for the dashboards and the map.

Counting every need of the city on each dashboard view took 75-95 ms on PostgreSQL with the city
data set (400,000 needs), most of the city dashboard's time. The snapshot holds one row per
(community, kind, status) — about 10,000 for the city — and is rebuilt whole, in one
``INSERT … SELECT … GROUP BY``, by the minute-by-minute housekeeping job. A reader that finds it
older than it accepts rebuilds it first, so the figures are never older than that, worker or not.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, literal, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from marketplace.models import Need, NeedTally, utcnow


def taken_at(session: Session) -> datetime | None:
    """When the snapshot was taken (None: never, or the database holds no needs). A rebuild
    replaces every row with rows of one time, so any row tells it (max() would read them all)."""
    value: datetime | None = session.exec(select(NeedTally.taken_at).limit(1)).first()
    return value


def refresh(session: Session, now: datetime | None = None) -> datetime:
    """Rebuild the snapshot from the needs, inside the caller's transaction (readers keep seeing
    the previous snapshot until it commits)."""
    now = now or utcnow()
    _lock(session)
    session.exec(delete(NeedTally))
    session.exec(
        insert(NeedTally).from_select(
            ["community_code", "kind", "status", "n", "taken_at"],
            sa_select(  # five columns: beyond sqlmodel.select's typed overloads
                col(Need.community_code),
                col(Need.kind),
                col(Need.status),
                func.count(),
                literal(now, NeedTally.__table__.c.taken_at.type),  # type: ignore[attr-defined]
            ).group_by(col(Need.community_code), col(Need.kind), col(Need.status)),
        )
    )
    return now


def ensure(session: Session, *, max_age_s: float, now: datetime | None = None) -> datetime:
    """The snapshot's time, after rebuilding it if it is missing or older than ``max_age_s``
    (0: always rebuild, for figures exact to the moment)."""
    now = now or utcnow()
    if max_age_s > 0:
        taken = taken_at(session)
        if taken is not None and (now - taken).total_seconds() <= max_age_s:
            return taken
        _lock(session)
        taken = taken_at(session)  # another reader may have rebuilt it while this one waited
        if taken is not None and (now - taken).total_seconds() <= max_age_s:
            return taken
    return refresh(session, now)


def _lock(session: Session) -> None:
    # One rebuild at a time. On PostgreSQL this mode conflicts with itself and with writers but
    # not with plain SELECTs, so dashboards go on reading the previous snapshot; SQLite
    # transactions here take the write lock when they begin.
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("LOCK TABLE needtally IN SHARE ROW EXCLUSIVE MODE"))  # type: ignore[call-overload]
