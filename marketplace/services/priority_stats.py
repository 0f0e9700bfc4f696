"""Figures by need priority (DESIGN §5, issue 13 item 6): for a match round, its needs, those it
served and their median wait (publication to the round); for the dashboard, the area's open needs
and the needs served in the last 30 days with their median wait (publication to the first counted
claim, any channel). Priorities are the needs' stored ones (``Need.priority``)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from marketplace.models import (
    Claim,
    MatchRound,
    Need,
    NeedStatus,
    Proposal,
    UnmatchedNeed,
    User,
    utcnow,
)
from marketplace.services import repeat_help
from marketplace.services.access import viewer_scope
from marketplace.services.regions import in_subtree

PRIORITIES = (1, 2, 3)
RECENT_DAYS = 30


@dataclass(frozen=True)
class PriorityRow:
    priority: int
    needs: int  # a round: its needs; the dashboard: open needs now
    served: int  # a round: proposed; the dashboard: first claimed in the last 30 days
    median_wait_days: float | None  # of the served


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _wait_days(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (_aware(end) - _aware(start)).total_seconds() / 86400)


def _rows(
    needs: dict[int, int], served: dict[int, int], waits: dict[int, list[float]]
) -> list[PriorityRow]:
    return [
        PriorityRow(
            p,
            needs.get(p, 0),
            served.get(p, 0),
            round(statistics.median(waits[p]), 1) if waits.get(p) else None,
        )
        for p in PRIORITIES
    ]


def round_rows(session: Session, match_round: MatchRound) -> list[PriorityRow]:
    """A round's needs and served needs by priority (the caller has checked the viewer sees it)."""
    started = match_round.created_at
    needs: dict[int, int] = {}
    served: dict[int, int] = {}
    waits: dict[int, list[float]] = {}
    proposed = session.execute(
        sa_select(col(Need.priority), col(Need.published_at))
        .select_from(Proposal)
        .join(Need, col(Need.id) == Proposal.need_id)
        .where(col(Proposal.round_id) == match_round.id)
    ).all()
    for p, published in proposed:
        needs[p] = needs.get(p, 0) + 1
        served[p] = served.get(p, 0) + 1
        wait = _wait_days(published, started)
        if wait is not None:
            waits.setdefault(p, []).append(wait)
    for p, n in session.execute(
        sa_select(col(Need.priority), func.count())
        .select_from(UnmatchedNeed)
        .join(Need, col(Need.id) == UnmatchedNeed.need_id)
        .where(col(UnmatchedNeed.round_id) == match_round.id)
        .group_by(col(Need.priority))
    ).all():
        needs[p] = needs.get(p, 0) + int(n)
    return _rows(needs, served, waits)


def dashboard_rows(
    session: Session, *, actor: User, now: datetime | None = None
) -> list[PriorityRow]:
    """The viewer's area: open needs by priority, and the needs first claimed in the last 30
    days (any channel: a member's claim, a round's accepted proposal, a pairing) with their
    median wait from publication."""
    now = now or utcnow()
    scope = viewer_scope(session, actor)
    area = [in_subtree(Need.community_code, scope)] if scope is not None else []
    needs = {
        int(p): int(n)
        for p, n in session.execute(
            sa_select(col(Need.priority), func.count())
            .where(col(Need.status) == NeedStatus.OPEN.value, *area)
            .group_by(col(Need.priority))
        ).all()
    }
    first_claim = (
        sa_select(col(Claim.need_id).label("need_id"), func.min(Claim.claimed_at).label("at"))
        .where(col(Claim.status).in_(repeat_help.COUNTED_CLAIM_STATUSES))
        .group_by(col(Claim.need_id))
        .subquery()
    )
    since = now - timedelta(days=RECENT_DAYS)
    served: dict[int, int] = {}
    waits: dict[int, list[float]] = {}
    for p, published, at in session.execute(
        sa_select(col(Need.priority), col(Need.published_at), first_claim.c.at)
        .select_from(Need)
        .join(first_claim, first_claim.c.need_id == Need.id)
        .where(first_claim.c.at >= since, *area)
    ).all():
        served[p] = served.get(p, 0) + 1
        wait = _wait_days(published, at)
        if wait is not None:
            waits.setdefault(p, []).append(wait)
    return _rows(needs, served, waits)
