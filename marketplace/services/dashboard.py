"""看板 — the figures of the city (administrator) or of a hub's subtree (hub staff).

Every figure is one or a few SQL aggregates (GROUP BY, COUNT, percentiles by ORDER BY … OFFSET):
no Python loop over needs or claims, so the page stays fast with hundreds of thousands of needs.

Definitions (shown on the page and in the workbook):

- *time to help*: from a need's publication (``published_at``) to the confirmation of its delivery
  (``Claim.confirmed_at``), confirmed needs only; median and 90th percentile in hours.
- *SLA*: a reported delivery must be confirmed within 3 days for level-1 households (resilience
  score below 60) and within 7 days for levels 2–3 (DESIGN §1, §3.5). Compliance = confirmed in
  time / (all confirmed + those still waiting past their deadline).
- *offer utilisation*: used = capacity − remaining, per offer and in total (admin: all offers;
  hub staff: the offers that have served a need in their subtree).
- *hub coverage*: share of community hubs (村社助联点) in scope with at least one registered household
  / at least one open need.
- *participation*: members with at least one claim in scope (all time and in the last 30 days),
  claims per active member, confirmed deliveries by members.
- *warnings* (预警, DESIGN §9): open warnings now, those due today (the rest of the Beijing
  calendar day, not yet overdue) and overdue (past ``due_at``), by level, by the source of their
  event and by area; *handled on time* = warnings closed in the last 30 days with ``on_time`` /
  all warnings closed in those 30 days (the warnings' figure, not the confirmation deadlines);
  those closed warnings by outcome; policy referrals (政策救助转介) by status.
- *households*: by risk level (the bands of ``models.RISK_LEVEL_FLOORS``, services/risk.py) and by
  hardship type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, distinct, func, literal, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from marketplace.models import (
    Claim,
    ClaimStatus,
    EventSource,
    Hardship,
    Household,
    Hub,
    MonitoringEvent,
    Need,
    NeedStatus,
    NeedTally,
    Offer,
    Organisation,
    PolicyReferral,
    ReferralStatus,
    RiskWarning,
    Role,
    User,
    WarningLevel,
    WarningOutcome,
    WarningStatus,
    utcnow,
)
from marketplace.services import clock, risk, tally
from marketplace.services.access import viewer_scope
from marketplace.services.errors import Forbidden
from marketplace.services.regions import in_subtree, region_names

TOP_OFFERS = 30
WARNING_PERIOD_DAYS = 30  # the on-time share and the outcomes count warnings closed this recently


def dashboard_scope(session: Session, actor: User) -> str | None:
    """Administrator → the whole city (None); hub staff → their hub's region code."""
    if actor.role not in (Role.ADMIN, Role.HUB_STAFF):
        raise Forbidden("dashboard.forbidden")
    return viewer_scope(session, actor)


def _in_scope(column: Any, scope: str | None) -> ColumnElement[bool]:
    return in_subtree(column, scope) if scope else literal(True)


def _seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    """``end - start`` in seconds, in the dialect's own date arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)


@dataclass(frozen=True)
class AreaRow:
    code: str
    name: str
    counts: dict[str, int]
    total: int


@dataclass(frozen=True)
class Durations:
    count: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class SlaRow:
    level: str  # "1" or "2-3"
    days: int
    in_time: int
    late: int
    overdue_open: int
    rate: float | None


@dataclass(frozen=True)
class OfferRow:
    id: int
    title: str
    org: str
    capacity: int
    used: int
    rate: float | None
    unit: str = "portion"  # what capacity counts (份 / 次 / 小时 / 人)


@dataclass(frozen=True)
class Coverage:
    hubs: int
    with_household: int
    with_open_need: int
    household_rate: float | None
    open_need_rate: float | None


@dataclass(frozen=True)
class Participation:
    active_members: int
    active_members_30d: int
    member_claims: int
    claims_per_member: float | None
    confirmed_deliveries: int


@dataclass(frozen=True)
class WarningCounts:
    """Open warnings: all, due today (not yet overdue) and overdue."""

    open: int = 0
    due_today: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class WarningAreaRow:
    code: str
    name: str
    important: WarningCounts
    general: WarningCounts


@dataclass(frozen=True)
class WarningFigures:
    totals: WarningCounts
    by_level: dict[str, WarningCounts]  # WarningLevel → counts
    by_source: dict[str, WarningCounts]  # EventSource of the warning's event → counts
    by_area: list[WarningAreaRow]  # the level below the scope, as the needs by area
    period_days: int  # the closed warnings below: closed in the last ``period_days`` days
    closed: int
    closed_on_time: int
    on_time_rate: float | None  # 按时核查率: the warnings' "handled on time"
    by_outcome: dict[str, int]  # WarningOutcome → closed warnings


@dataclass(frozen=True)
class HouseholdFigures:
    total: int
    by_level: dict[int, int]  # risk level 1–3 → households
    by_hardship: dict[str, int]  # hardship type → households


@dataclass(frozen=True)
class Dashboard:
    scope: str | None
    area_level: str
    statuses: list[str]
    by_area: list[AreaRow]
    status_totals: dict[str, int]
    time_to_help: Durations
    sla: list[SlaRow]
    offers: list[OfferRow]
    offers_total: dict[str, Any]
    coverage: Coverage
    participation: Participation
    counts_as_of: datetime  # when the needs by status were counted (services/tally.py)
    warnings: WarningFigures
    referrals: dict[str, int]  # ReferralStatus → policy referrals
    households: HouseholdFigures
    generated_at: datetime = field(default_factory=utcnow)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["generated_at"] = self.generated_at.isoformat()
        out["counts_as_of"] = self.counts_as_of.isoformat()
        return out


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _area_width(scope: str | None) -> tuple[int, str]:
    """The region-code width of the level below the scope (districts for the city) and its name."""
    width = 6 if scope is None else min(len(scope) + 3, 12)
    return width, {6: "district", 9: "street", 12: "community"}[width]


def needs_by_area(session: Session, scope: str | None) -> tuple[str, list[AreaRow], dict[str, int]]:
    """Needs by status, grouped by the level below the scope (districts for the city), from the
    per-community snapshot (services/tally.py: a few thousand rows, not every need)."""
    width, level = _area_width(scope)
    area = func.substr(col(NeedTally.community_code), 1, width)
    rows = session.exec(
        select(area, col(NeedTally.status), func.sum(col(NeedTally.n)))
        .where(_in_scope(NeedTally.community_code, scope))
        .group_by(area, col(NeedTally.status))
    ).all()
    names = region_names(session)
    grouped: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for code, status, n in rows:  # one row per (area, status): at most a few hundred
        grouped.setdefault(str(code), {})[str(status)] = int(n)
        totals[str(status)] = totals.get(str(status), 0) + int(n)
    out = [
        AreaRow(code, str(names.get(code, code)), counts, sum(counts.values()))
        for code, counts in sorted(grouped.items())
    ]
    return level, out, totals


def _percentile(session: Session, stmt: Any, seconds: Any, count: int, q: float) -> float | None:
    """The q-quantile (nearest rank) of ``seconds`` over ``stmt``'s rows: ORDER BY … OFFSET."""
    if count == 0:
        return None
    rank = max(0, min(count - 1, int(-(-q * count // 1)) - 1))
    value = session.exec(
        stmt.with_only_columns(seconds).order_by(seconds).offset(rank).limit(1)
    ).first()
    return round(float(value) / 3600.0, 1) if value is not None else None


def time_to_help(session: Session, scope: str | None) -> Durations:
    seconds = _seconds_between(session, Need.published_at, Claim.confirmed_at)
    stmt = (
        select(Need.id)
        .join(Claim, col(Claim.need_id) == Need.id)
        .where(
            _in_scope(Need.community_code, scope),
            Claim.status == ClaimStatus.CONFIRMED.value,
            col(Need.published_at).is_not(None),
            col(Claim.confirmed_at).is_not(None),
        )
    )
    count = int(session.exec(select(func.count()).select_from(stmt.subquery())).one())
    return Durations(
        count,
        _percentile(session, stmt, seconds, count, 0.5),
        _percentile(session, stmt, seconds, count, 0.9),
    )


def sla(session: Session, scope: str | None, now: datetime | None = None) -> list[SlaRow]:
    now = now or utcnow()
    level = risk.level_of(col(Household.risk_score))
    band = case((level == 1, "1"), else_="2-3")  # levels 2 and 3 share their deadline
    limit_s = risk.sla_seconds(level)
    taken = _seconds_between(session, Claim.delivered_at, Claim.confirmed_at)
    waiting = _seconds_between(session, Claim.delivered_at, literal(now.replace(tzinfo=None)))
    confirmed = col(Claim.status) == ClaimStatus.CONFIRMED.value
    delivered = col(Claim.status) == ClaimStatus.DELIVERED.value
    rows = session.exec(
        select(
            band,
            func.sum(case((and_(confirmed, taken <= limit_s), 1), else_=0)),
            func.sum(case((and_(confirmed, taken > limit_s), 1), else_=0)),
            func.sum(case((and_(delivered, waiting > limit_s), 1), else_=0)),
        )
        .select_from(Claim)
        .join(Need, col(Need.id) == Claim.need_id)
        .join(Household, col(Household.id) == Need.household_id)
        .where(
            _in_scope(Need.community_code, scope),
            col(Claim.delivered_at).is_not(None),
            or_(confirmed, delivered),
        )
        .group_by(band)
    ).all()
    found = {str(b): (int(a or 0), int(c or 0), int(d or 0)) for b, a, c, d in rows}
    out = []
    for key, days in (("1", risk.sla_days(1)), ("2-3", risk.sla_days(2))):
        in_time, late, overdue = found.get(key, (0, 0, 0))
        out.append(
            SlaRow(key, days, in_time, late, overdue, _rate(in_time, in_time + late + overdue))
        )
    return out


def offer_utilisation(
    session: Session, scope: str | None, limit: int = TOP_OFFERS
) -> tuple[list[OfferRow], dict[str, Any]]:
    used = col(Offer.capacity) - col(Offer.remaining)
    stmt = sa_select(
        col(Offer.id),
        col(Offer.title),
        col(Organisation.name),
        col(Offer.capacity),
        used,
        col(Offer.unit),
    ).join(Organisation, col(Organisation.id) == Offer.org_id)
    if scope is not None:
        served = (
            select(Claim.offer_id)
            .join(Need, col(Need.id) == Claim.need_id)
            .where(in_subtree(Need.community_code, scope), col(Claim.offer_id).is_not(None))
        )
        stmt = stmt.where(col(Offer.id).in_(served))
    totals = _offer_totals(session, scope)
    rows = session.execute(stmt.order_by(used.desc(), col(Offer.id)).limit(limit)).all()
    out = [
        OfferRow(int(i), str(t), str(o), int(c), int(u), _rate(int(u), int(c)), str(un))
        for i, t, o, c, u, un in rows
    ]
    return out, totals


def _offer_totals(session: Session, scope: str | None) -> dict[str, Any]:
    used = col(Offer.capacity) - col(Offer.remaining)
    stmt = select(
        func.count(), func.coalesce(func.sum(Offer.capacity), 0), func.coalesce(func.sum(used), 0)
    ).select_from(Offer)
    if scope is not None:
        served = (
            select(Claim.offer_id)
            .join(Need, col(Need.id) == Claim.need_id)
            .where(in_subtree(Need.community_code, scope), col(Claim.offer_id).is_not(None))
        )
        stmt = stmt.where(col(Offer.id).in_(served))
    n, capacity, used_total = session.exec(stmt).one()
    return {
        "offers": int(n),
        "capacity": int(capacity),
        "used": int(used_total),
        "rate": _rate(int(used_total), int(capacity)),
    }


def hub_coverage(session: Session, scope: str | None) -> Coverage:
    """Community hubs with at least one registered household / open need: one indexed probe per
    hub (EXISTS), instead of a DISTINCT over every household and need of the area."""
    in_area = and_(col(Hub.level) == "community", _in_scope(Hub.region_code, scope))
    has_household = (
        select(Household.id).where(col(Household.community_code) == col(Hub.region_code)).exists()
    )
    has_open_need = (
        select(Need.id)
        .where(
            col(Need.community_code) == col(Hub.region_code), Need.status == NeedStatus.OPEN.value
        )
        .exists()
    )
    total, with_household, with_open = session.exec(
        select(
            func.count(),
            func.sum(case((has_household, 1), else_=0)),
            func.sum(case((has_open_need, 1), else_=0)),
        ).where(in_area)
    ).one()
    total, with_household, with_open = int(total), int(with_household or 0), int(with_open or 0)
    return Coverage(
        total, with_household, with_open, _rate(with_household, total), _rate(with_open, total)
    )


def participation(
    session: Session, scope: str | None, now: datetime | None = None
) -> Participation:
    since = (now or utcnow()) - timedelta(days=30)
    active, claims_n, confirmed = session.exec(
        select(
            func.count(distinct(col(Claim.member_id))),
            func.count(),
            func.sum(case((col(Claim.status) == ClaimStatus.CONFIRMED.value, 1), else_=0)),
        )
        .select_from(Claim)
        .join(Need, col(Need.id) == Claim.need_id)
        .where(_in_scope(Need.community_code, scope), col(Claim.member_id).is_not(None))
    ).one()
    active_30 = int(
        session.exec(
            select(func.count(distinct(col(Claim.member_id))))
            .join(Need, col(Need.id) == Claim.need_id)
            .where(
                _in_scope(Need.community_code, scope),
                col(Claim.member_id).is_not(None),
                col(Claim.claimed_at) >= since,
            )
        ).one()
    )
    active_n, claims_total = int(active or 0), int(claims_n or 0)
    return Participation(
        active_n,
        active_30,
        claims_total,
        round(claims_total / active_n, 2) if active_n else None,
        int(confirmed or 0),
    )


def _end_of_beijing_day(now: datetime) -> datetime:
    """The first moment (UTC) of the Beijing day after ``now``'s."""
    tomorrow = clock.beijing_today(now) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=clock.BEIJING).astimezone(UTC)


def warning_figures(
    session: Session, scope: str | None, now: datetime | None = None
) -> WarningFigures:
    """Open warnings by area × level × (due today | overdue | later), open warnings by their
    event's source, and the warnings closed in the period by outcome and on time: three GROUP BYs
    (the open ones read ``ix_warning_status_community``)."""
    now = now or utcnow()
    end_of_day = _end_of_beijing_day(now)
    due = col(RiskWarning.due_at)
    state = case((due < now, "overdue"), (due < end_of_day, "due_today"), else_="later")
    width, _level = _area_width(scope)
    area = func.substr(col(RiskWarning.community_code), 1, width)
    is_open = and_(
        col(RiskWarning.status) == WarningStatus.OPEN.value,
        _in_scope(RiskWarning.community_code, scope),
    )
    cells: dict[tuple[str, str], dict[str, int]] = {}  # (area, level) → state → n
    for code, level, st, n in session.exec(
        select(area, col(RiskWarning.level), state, func.count())
        .where(is_open)
        .group_by(area, col(RiskWarning.level), state)
    ).all():
        cells.setdefault((str(code), str(level)), {})[str(st)] = int(n)

    def counts(parts: list[dict[str, int]]) -> WarningCounts:
        return WarningCounts(
            open=sum(sum(p.values()) for p in parts),
            due_today=sum(p.get("due_today", 0) for p in parts),
            overdue=sum(p.get("overdue", 0) for p in parts),
        )

    levels = [lv.value for lv in WarningLevel]
    names = region_names(session)
    areas = sorted({code for code, _ in cells})
    by_area = [
        WarningAreaRow(
            code,
            str(names.get(code, code)),
            counts([cells.get((code, WarningLevel.IMPORTANT.value), {})]),
            counts([cells.get((code, WarningLevel.GENERAL.value), {})]),
        )
        for code in areas
    ]
    by_level = {lv: counts([v for (_, k), v in cells.items() if k == lv]) for lv in levels}
    source_cells: dict[str, dict[str, int]] = {}
    for source, st, n in session.exec(
        select(col(MonitoringEvent.source), state, func.count())
        .select_from(RiskWarning)
        .join(MonitoringEvent, col(MonitoringEvent.id) == RiskWarning.event_id)
        .where(is_open)
        .group_by(col(MonitoringEvent.source), state)
    ).all():
        source_cells.setdefault(str(source), {})[str(st)] = int(n)
    known = [s.value for s in EventSource]
    by_source = {
        s: counts([source_cells.get(s, {})])
        for s in [*known, *sorted(set(source_cells) - set(known))]
    }
    since = now - timedelta(days=WARNING_PERIOD_DAYS)
    outcomes: dict[str, int] = {o.value: 0 for o in WarningOutcome}
    closed = on_time = 0
    for outcome, punctual, n in session.exec(
        select(col(RiskWarning.outcome), col(RiskWarning.on_time), func.count())
        .where(
            col(RiskWarning.status) == WarningStatus.CLOSED.value,
            col(RiskWarning.closed_at) >= since,
            _in_scope(RiskWarning.community_code, scope),
        )
        .group_by(col(RiskWarning.outcome), col(RiskWarning.on_time))
    ).all():
        key = str(outcome or "")
        outcomes[key] = outcomes.get(key, 0) + int(n)
        closed += int(n)
        on_time += int(n) if punctual else 0
    return WarningFigures(
        totals=counts(list(cells.values())),
        by_level=by_level,
        by_source=by_source,
        by_area=by_area,
        period_days=WARNING_PERIOD_DAYS,
        closed=closed,
        closed_on_time=on_time,
        on_time_rate=_rate(on_time, closed),
        by_outcome=outcomes,
    )


def referrals_by_status(session: Session, scope: str | None) -> dict[str, int]:
    """Policy referrals (政策救助转介) of the scope's households by status."""
    stmt = select(col(PolicyReferral.status), func.count()).select_from(PolicyReferral)
    if scope is not None:
        stmt = stmt.join(Household, col(Household.id) == PolicyReferral.household_id).where(
            in_subtree(Household.community_code, scope)
        )
    found = {
        str(s): int(n) for s, n in session.exec(stmt.group_by(col(PolicyReferral.status))).all()
    }
    return {s.value: found.pop(s.value, 0) for s in ReferralStatus} | found


def household_figures(session: Session, scope: str | None) -> HouseholdFigures:
    """Households by risk level and by hardship type: one GROUP BY over (level, type)."""
    level = risk.level_of(col(Household.risk_score))
    by_level = {lv: 0 for lv in risk.LEVELS}
    by_hardship = {h.value: 0 for h in Hardship}
    for lv, hardship, n in session.exec(
        select(level, col(Household.hardship_type), func.count())
        .where(_in_scope(Household.community_code, scope))
        .group_by(level, col(Household.hardship_type))
    ).all():
        by_level[int(lv)] = by_level.get(int(lv), 0) + int(n)
        by_hardship[str(hardship)] = by_hardship.get(str(hardship), 0) + int(n)
    return HouseholdFigures(sum(by_level.values()), by_level, by_hardship)


def build(
    session: Session, *, actor: User, now: datetime | None = None, counts_max_age_s: float = 0.0
) -> Dashboard:
    """Every figure of the dashboard for the actor's scope. The needs by status come from the
    snapshot, rebuilt first if it is older than ``counts_max_age_s`` (0: counted now)."""
    scope = dashboard_scope(session, actor)
    counts_as_of = tally.ensure(session, max_age_s=counts_max_age_s, now=now)
    level, areas, totals = needs_by_area(session, scope)
    offers, offers_total = offer_utilisation(session, scope)
    return Dashboard(
        scope=scope,
        area_level=level,
        statuses=[s.value for s in NeedStatus],
        by_area=areas,
        status_totals=totals,
        time_to_help=time_to_help(session, scope),
        sla=sla(session, scope, now),
        offers=offers,
        offers_total=offers_total,
        coverage=hub_coverage(session, scope),
        participation=participation(session, scope, now),
        counts_as_of=counts_as_of,
        warnings=warning_figures(session, scope, now),
        referrals=referrals_by_status(session, scope),
        households=household_figures(session, scope),
    )
