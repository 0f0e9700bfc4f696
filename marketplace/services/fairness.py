"""The fairness report (DESIGN §12, issue 15 item 7): per match round, and per month for the
viewer's area (the administrator: the city; hub staff: their subtree).

For each risk level, district and hardship type: how many needs there were, how many were served,
the served share, and the median waiting time of the served needs (days from publication to being
served); plus the repeat-help figures.

* **A round**: its needs are those it took in (its proposals and its unserved needs); a need is
  served when the round proposed an offer for it; it waited from publication to the round's start.
  Repeat help: needs left unserved with ``recently_helped``.
* **A month** (Beijing calendar month): its needs are those waiting at some time in the month —
  published before its end, not served before it began, not closed before it began; a need is
  served in the month when its first claim — a member's, or an organisation's through an accepted
  proposal, that was not given up, cancelled or left to expire (``repeat_help.
  COUNTED_CLAIM_STATUSES``) — falls in the month; it waited from publication to that claim. Repeat help: needs the month's rounds left unserved with ``recently_helped``, and the
  needs hub staff allowed despite it (``repeat_help.allow``). A claim refused at claim time is not
  stored (the refusal writes nothing), so it is not counted.

Risk levels are the households' current levels.

Important warnings (重点预警) handled within 3 days: those raised in the period about households of
the area, once they count (closed, or past their due time while still open); handled in time when
closed by their due time (``RiskWarning.on_time``). Those still within their 3 days are pending.
A round, which lasts minutes, reports those of the 30 days before it started.

Claim-window draws (``services/draws.py``) held in the period (by ``drawn_at``; a round: from its
start to its end) for wishes in the area: how many had a winner and how many fell back to first
come, and per distance band (the member's home community against the household's) how many
interested members there were, how many were eligible at the close, the wins the weights gave
them (the sum of weight / total over the draws) and the wins they got.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from marketplace.models import (
    AuditLog,
    Claim,
    ClaimDraw,
    Household,
    MatchRound,
    Need,
    Proposal,
    Region,
    RiskWarning,
    UnmatchedNeed,
    User,
    WarningLevel,
    WarningStatus,
    risk_level,
    utcnow,
)
from marketplace.services import draws, repeat_help, risk
from marketplace.services.access import viewer_scope
from marketplace.services.clock import BEIJING, beijing_today
from marketplace.services.errors import ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.regions import in_subtree
from marketplace.services.rounds import get_round

__all__ = [
    "OMITTED",
    "DrawBand",
    "FairnessReport",
    "Group",
    "month_report",
    "parse_month",
    "round_report",
]

OMITTED: tuple[str, ...] = ()
"""Figures of DESIGN §12 the report cannot give yet, by code (the pages say why in words): none
since the warnings landed."""

ROUND_WARNING_DAYS = 30
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Group:
    """One row of a breakdown: a risk level (``"1"``), a district (its code) or a hardship type."""

    key: str
    name: str  # the district's name; for levels and hardship types the key (the web names it)
    needs: int
    served: int
    median_wait_days: float | None

    @property
    def share(self) -> float | None:
        """Served share, 0..1 (None without needs)."""
        return self.served / self.needs if self.needs else None

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "needs": self.needs,
            "served": self.served,
            "served_share": None if self.share is None else round(self.share, 4),
            "median_wait_days": self.median_wait_days,
        }


@dataclass(frozen=True)
class DrawBand:
    """Claim-window draws of the period, for members of one distance band (``draws.BANDS``)."""

    band: str
    interested: int  # registrations of members of the band (eligible at the close or not)
    eligible: int
    expected_wins: float  # the sum over the draws of weight / total weight
    won: int

    @property
    def win_share(self) -> float | None:
        """Wins per eligible registration."""
        return self.won / self.eligible if self.eligible else None

    def as_json(self) -> dict[str, Any]:
        return {
            "band": self.band,
            "interested": self.interested,
            "eligible": self.eligible,
            "expected_wins": round(self.expected_wins, 2),
            "won": self.won,
            "win_share": None if self.win_share is None else round(self.win_share, 4),
        }


@dataclass(frozen=True)
class FairnessReport:
    kind: str  # "round" | "month"
    scope_code: str | None  # None: the whole city
    scope_name: str | None
    needs: int
    served: int
    median_wait_days: float | None
    by_level: list[Group]
    by_district: list[Group]
    by_hardship: list[Group]
    repeat_help_refused: int  # needs left unserved with recently_helped
    repeat_help_allowed: int  # needs hub staff allowed despite recent help
    round_id: int | None = None
    month: str | None = None  # YYYY-MM
    period_start: datetime | None = None
    period_end: datetime | None = None
    omitted: tuple[str, ...] = field(default=OMITTED)
    draws_held: int = 0  # draws with a winner
    draws_fallback: int = 0  # windows closed with no eligible interest: first come
    draw_bands: list[DrawBand] = field(default_factory=list)
    important_warnings: int = 0  # raised in the period and due by now (closed or overdue)
    important_on_time: int = 0  # of those, closed within their 3 days
    important_pending: int = 0  # raised in the period, open, still within their 3 days

    @property
    def share(self) -> float | None:
        return self.served / self.needs if self.needs else None

    @property
    def important_on_time_share(self) -> float | None:
        n = self.important_warnings
        return self.important_on_time / n if n else None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "round_id": self.round_id,
            "month": self.month,
            "scope": self.scope_code,
            "scope_name": self.scope_name,
            "needs": self.needs,
            "served": self.served,
            "served_share": None if self.share is None else round(self.share, 4),
            "median_wait_days": self.median_wait_days,
            "by_risk_level": [g.as_json() for g in self.by_level],
            "by_district": [g.as_json() for g in self.by_district],
            "by_hardship": [g.as_json() for g in self.by_hardship],
            "repeat_help": {
                "refused": self.repeat_help_refused,
                "allowed": self.repeat_help_allowed,
            },
            "important_warnings": {
                "counted": self.important_warnings,
                "handled_within_3_days": self.important_on_time,
                "share": (
                    None
                    if self.important_on_time_share is None
                    else round(self.important_on_time_share, 4)
                ),
                "pending": self.important_pending,
            },
            "draws": {
                "held": self.draws_held,
                "fallback": self.draws_fallback,
                "by_band": [b.as_json() for b in self.draw_bands],
            },
            "omitted": list(self.omitted),
        }


@dataclass
class _Tally:
    needs: int = 0
    served: int = 0
    waits: list[float] = field(default_factory=list)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _days(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (_aware(end) - _aware(start)).total_seconds() / 86400.0)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


# One fact per need: (level, district, hardship, served?, waited days if served).
_Fact = tuple[int, str, str, bool, float | None]


def _breakdowns(
    session: Session, facts: Iterable[_Fact], counts: Iterable[tuple[int, str, str, int, int]] = ()
) -> tuple[list[Group], list[Group], list[Group], _Tally]:
    """Groups by level, district and hardship from per-need facts and/or pre-counted rows
    ``(level, district, hardship, needs, served)`` (whose waits come from ``facts``)."""
    dims: tuple[dict[Any, _Tally], dict[Any, _Tally], dict[Any, _Tally]] = ({}, {}, {})
    total = _Tally()
    for level, district, hardship, served, waited in facts:
        for table, key in zip(dims, (level, district, hardship), strict=True):
            tally = table.setdefault(key, _Tally())
            tally.needs += 1
            tally.served += int(served)
            if waited is not None:
                tally.waits.append(waited)
        total.needs += 1
        total.served += int(served)
        if waited is not None:
            total.waits.append(waited)
    for level, district, hardship, n_needs, n_served in counts:
        for table, key in zip(dims, (level, district, hardship), strict=True):
            tally = table.setdefault(key, _Tally())
            tally.needs += n_needs
            tally.served += n_served
        total.needs += n_needs
        total.served += n_served
    by_level, by_district, by_hardship = dims
    names = dict(
        session.exec(
            select(Region.code, Region.name).where(col(Region.code).in_(list(by_district)))
        ).all()
    )

    def groups(table: dict[Any, _Tally], name: Any = None) -> list[Group]:
        return [
            Group(
                key=str(key),
                name=(name or {}).get(key, str(key)),
                needs=t.needs,
                served=t.served,
                median_wait_days=_median(t.waits),
            )
            for key, t in sorted(table.items())
        ]

    return groups(by_level), groups(by_district, names), groups(by_hardship), total


def _draws(
    session: Session, scope: str | None, start: datetime, end: datetime | None
) -> tuple[int, int, list[DrawBand]]:
    """Draws held in ``[start, end)`` for wishes in ``scope``: (with a winner, fallbacks, by band)."""
    stmt = (
        select(ClaimDraw)
        .join(Need, col(Need.id) == ClaimDraw.need_id)
        .where(col(ClaimDraw.drawn_at) >= start)
    )
    if end is not None:
        stmt = stmt.where(col(ClaimDraw.drawn_at) < end)
    if scope is not None:
        stmt = stmt.where(in_subtree(Need.community_code, scope))
    held = fallback = 0
    tallies = {band: [0, 0, 0.0, 0] for band in draws.BANDS}
    for draw in session.exec(stmt):
        if draw.winner_id is None:
            fallback += 1
        else:
            held += 1
        total = sum(int(c["weight"]) for c in draw.candidates)
        for c in draw.candidates:
            row = tallies[c["band"]]
            row[0] += 1
            row[1] += 1
            row[2] += int(c["weight"]) / total if total else 0.0
            row[3] += int(c["member_id"] == draw.winner_id)
        for c in draw.excluded or []:
            tallies[c["band"]][0] += 1
    bands = [
        DrawBand(band, int(row[0]), int(row[1]), float(row[2]), int(row[3]))
        for band, row in tallies.items()
    ]
    return held, fallback, bands


def _scope_name(session: Session, scope: str | None) -> str | None:
    region = session.get(Region, scope) if scope else None
    return region.name if region else None


def round_report(session: Session, *, actor: User, round_id: int) -> FairnessReport:
    """The fairness figures of one match round (the actor must see the round)."""
    match_round: MatchRound = get_round(session, actor=actor, round_id=round_id)
    started = match_round.created_at
    facts: list[_Fact] = []
    base = (
        col(Need.community_code),
        col(Need.published_at),
        col(Need.created_at),
        col(Household.risk_score),
        col(Household.hardship_type),
    )
    proposed = session.execute(
        sa_select(*base)
        .select_from(Proposal)
        .join(Need, col(Need.id) == Proposal.need_id)
        .join(Household, col(Household.id) == Need.household_id)
        .where(col(Proposal.round_id) == round_id)
    ).all()
    for community, published, created, score, hardship in proposed:
        waited = _days(published or created, started)
        facts.append((risk_level(score), community[:6], hardship, True, waited))
    unserved = session.execute(
        sa_select(*base, col(UnmatchedNeed.reason))
        .select_from(UnmatchedNeed)
        .join(Need, col(Need.id) == UnmatchedNeed.need_id)
        .join(Household, col(Household.id) == Need.household_id)
        .where(col(UnmatchedNeed.round_id) == round_id)
    ).all()
    refused = 0
    for community, _published, _created, score, hardship, reason in unserved:
        facts.append((risk_level(score), community[:6], hardship, False, None))
        refused += int(reason == "recently_helped")
    by_level, by_district, by_hardship, total = _breakdowns(session, facts)
    held, fallback, bands = _draws(
        session, match_round.scope_code, started, match_round.finished_at
    )
    # A round lasts minutes: its warnings figure is that of the 30 days before it started.
    important = _important_warnings(
        session,
        match_round.scope_code,
        started - timedelta(days=ROUND_WARNING_DAYS) if started else None,
        started,
    )
    return FairnessReport(
        kind="round",
        round_id=round_id,
        scope_code=match_round.scope_code,
        scope_name=_scope_name(session, match_round.scope_code),
        needs=total.needs,
        served=total.served,
        median_wait_days=_median(total.waits),
        by_level=by_level,
        by_district=by_district,
        by_hardship=by_hardship,
        repeat_help_refused=refused,
        repeat_help_allowed=0,
        period_start=started,
        period_end=match_round.finished_at,
        draws_held=held,
        draws_fallback=fallback,
        draw_bands=bands,
        important_warnings=important[0],
        important_on_time=important[1],
        important_pending=important[2],
    )


def _important_warnings(
    session: Session, scope: str | None, start: datetime | None, end: datetime | None
) -> tuple[int, int, int]:
    """(counted, on time, pending) of the important warnings raised in [start, end) in the area."""
    if start is None:
        return 0, 0, 0
    now = utcnow()
    stmt = sa_select(
        func.count().filter(
            (col(RiskWarning.status) == WarningStatus.CLOSED.value)
            | (col(RiskWarning.due_at) < now)
        ),
        func.count().filter(col(RiskWarning.on_time).is_(True)),
        func.count().filter(
            (col(RiskWarning.status) == WarningStatus.OPEN.value) & (col(RiskWarning.due_at) >= now)
        ),
    ).where(
        col(RiskWarning.level) == WarningLevel.IMPORTANT.value,
        col(RiskWarning.raised_at) >= start,
    )
    if end is not None:
        stmt = stmt.where(col(RiskWarning.raised_at) < end)
    if scope is not None:
        stmt = stmt.where(in_subtree(RiskWarning.community_code, scope))
    counted, on_time, pending = session.execute(stmt).one()
    return int(counted or 0), int(on_time or 0), int(pending or 0)


def parse_month(value: str | None, *, today: date | None = None) -> str:
    """``YYYY-MM`` checked (empty: the current Beijing month)."""
    if not value:
        return (today or beijing_today()).strftime("%Y-%m")
    m = _MONTH.match(value.strip())
    if m is None or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        raise ValidationFailed({"month": Message("fairness.month_invalid")})
    return value.strip()


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    """The month's start and end (exclusive) as UTC datetimes of Beijing midnights."""
    year, mon = int(month[:4]), int(month[5:])
    first = date(year, mon, 1)
    after = date(year + (mon == 12), mon % 12 + 1, 1)
    start = datetime.combine(first, time(), tzinfo=BEIJING).astimezone(UTC)
    end = datetime.combine(after, time(), tzinfo=BEIJING).astimezone(UTC)
    return start, end


def month_report(session: Session, *, actor: User, month: str) -> FairnessReport:
    """The fairness figures of one Beijing month for the actor's area (admin: the city)."""
    month = parse_month(month)
    scope = viewer_scope(session, actor)
    start, end = _month_bounds(month)
    first_claim = (
        sa_select(col(Claim.need_id).label("need_id"), func.min(Claim.claimed_at).label("at"))
        .where(col(Claim.status).in_(repeat_help.COUNTED_CLAIM_STATUSES))
        .group_by(col(Claim.need_id))
        .subquery()
    )
    served_at = first_claim.c.at
    level = risk.level_of(col(Household.risk_score))
    district = func.substr(col(Need.community_code), 1, 6)
    conditions = [
        col(Need.published_at).is_not(None),
        col(Need.published_at) < end,
        or_(served_at.is_(None), served_at >= start),
        or_(col(Need.closed_at).is_(None), col(Need.closed_at) >= start),
    ]
    if scope is not None:
        conditions.append(in_subtree(Need.community_code, scope))
    joined = (
        sa_select(
            level.label("level"),
            district.label("district"),
            col(Household.hardship_type).label("hardship"),
            func.count().label("needs"),
            func.count(served_at).filter(served_at < end).label("served"),
        )
        .select_from(Need)
        .join(Household, col(Household.id) == Need.household_id)
        .outerjoin(first_claim, first_claim.c.need_id == Need.id)
        .where(*conditions)
        .group_by(level, district, col(Household.hardship_type))
    )
    counts = [(int(r[0]), r[1], r[2], int(r[3]), int(r[4])) for r in session.execute(joined)]
    served_rows = session.execute(
        sa_select(level, district, col(Household.hardship_type), col(Need.published_at), served_at)
        .select_from(Need)
        .join(Household, col(Household.id) == Need.household_id)
        .join(first_claim, first_claim.c.need_id == Need.id)
        .where(*conditions, served_at < end)
    ).all()
    # The served needs' waits, attached to their groups (their counts are in ``counts``).
    waits = [
        (int(lv), dist, hardship, _days(pub, at)) for lv, dist, hardship, pub, at in served_rows
    ]
    by_level, by_district, by_hardship, total = _breakdowns(session, (), counts)
    for groups, index in ((by_level, 0), (by_district, 1), (by_hardship, 2)):
        per_key: dict[str, list[float]] = {}
        for row in waits:
            if row[3] is not None:
                per_key.setdefault(str(row[index]), []).append(row[3])
        groups[:] = [
            Group(g.key, g.name, g.needs, g.served, _median(per_key.get(g.key, []))) for g in groups
        ]
    rounds_in_month = sa_select(col(MatchRound.id)).where(
        col(MatchRound.created_at) >= start, col(MatchRound.created_at) < end
    )
    refused_stmt = (
        sa_select(func.count())
        .select_from(UnmatchedNeed)
        .join(Need, col(Need.id) == UnmatchedNeed.need_id)
        .where(
            col(UnmatchedNeed.round_id).in_(rounds_in_month),
            col(UnmatchedNeed.reason) == "recently_helped",
        )
    )
    if scope is not None:
        refused_stmt = refused_stmt.where(in_subtree(Need.community_code, scope))
    allowed_ids = {
        int(object_id)
        for object_id in session.exec(
            select(AuditLog.object_id).where(
                AuditLog.action == repeat_help.ALLOW_ACTION,
                col(AuditLog.at) >= start,
                col(AuditLog.at) < end,
            )
        )
        if object_id.isdigit()
    }
    allowed = 0
    if allowed_ids:
        stmt = sa_select(func.count()).where(col(Need.id).in_(allowed_ids))
        if scope is not None:
            stmt = stmt.where(in_subtree(Need.community_code, scope))
        allowed = int(session.execute(stmt).scalar_one())
    held, fallback, bands = _draws(session, scope, start, end)
    important = _important_warnings(session, scope, start, end)
    return FairnessReport(
        kind="month",
        month=month,
        scope_code=scope,
        scope_name=_scope_name(session, scope),
        needs=total.needs,
        served=total.served,
        median_wait_days=_median([w[3] for w in waits if w[3] is not None]),
        by_level=by_level,
        by_district=by_district,
        by_hardship=by_hardship,
        repeat_help_refused=int(session.execute(refused_stmt).scalar_one()),
        repeat_help_allowed=allowed,
        period_start=start,
        period_end=end,
        draws_held=held,
        draws_fallback=fallback,
        draw_bands=bands,
        important_warnings=important[0],
        important_on_time=important[1],
        important_pending=important[2],
    )
