"""爱心积分 totals and leaderboards — by member, Party branch (党支部) and organisation (DESIGN §11,
issue 16 item 4).

Every figure is an SQL sum over the confirmed service records (``Contribution``: one per
confirmation, with the points the rules gave it, services/points.py) that ended in the period
(Beijing days: this month, this year, or all time). A record counts for its member, for the
member's branch, and for one organisation: the helper's own (an organisation's assignment, or a
member account of an organisation), else the Party organisation of the member's branch.

Members appear on a board by name only if they opted in (``User.show_name_on_boards``);
otherwise masked like a household (张*, services/privacy.mask_name).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, literal
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from marketplace.models import Branch, Contribution, Need, Organisation, User
from marketplace.services import audit
from marketplace.services.clock import beijing_today
from marketplace.services.contributions import _utc_bounds
from marketplace.services.errors import ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.privacy import mask_name

PERIODS = ("month", "year", "all")
DEFAULT_LIMIT, MAX_LIMIT = 10, 100


def parse_period(raw: str | None) -> str:
    """``month`` (default), ``year`` or ``all``; anything else names the field."""
    value = (raw or "month").strip()
    if value not in PERIODS:
        raise ValidationFailed({"period": "field.choice"})
    return value


def parse_limit(raw: Any) -> int:
    if raw in (None, ""):
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationFailed({"limit": "field.not_integer"}) from None
    if not 1 <= value <= MAX_LIMIT:
        raise ValidationFailed({"limit": Message("field.between", {"min": 1, "max": MAX_LIMIT})})
    return value


def period_bounds(period: str, today: date | None = None) -> tuple[datetime, datetime] | None:
    """The period as UTC moments [start, end) of Beijing days; None for all time."""
    today = today or beijing_today()
    if period == "all":
        return None
    first = today.replace(day=1) if period == "month" else today.replace(month=1, day=1)
    return _utc_bounds(first, today)


def _in_period(period: str, today: date | None) -> ColumnElement[bool]:
    bounds = period_bounds(period, today)
    if bounds is None:
        return literal(True)
    return (col(Contribution.ended_at) >= bounds[0]) & (col(Contribution.ended_at) < bounds[1])


def _org_of_record() -> Any:
    """The organisation a record counts for (its own, else its branch's Party organisation)."""
    return func.coalesce(col(Contribution.org_id), col(Branch.org_id))


@dataclass(frozen=True)
class Totals:
    records: int
    hours: Decimal
    points: int

    def as_json(self) -> dict[str, Any]:
        return {"records": self.records, "hours": float(self.hours), "points": self.points}


def _sums() -> tuple[Any, Any, Any]:
    return (
        func.count(col(Contribution.id)),
        func.coalesce(func.sum(Contribution.hours), 0),
        func.coalesce(func.sum(Contribution.points), 0),
    )


def _totals(row: Any) -> Totals:
    n, hours, pts = row
    return Totals(int(n or 0), Decimal(str(hours or 0)), int(pts or 0))


def totals(
    session: Session,
    *,
    member_id: int | None = None,
    branch_id: int | None = None,
    org_id: int | None = None,
    period: str = "all",
    today: date | None = None,
) -> Totals:
    """Records, hours and points of one member, branch or organisation in the period."""
    stmt = select(*_sums()).select_from(Contribution).where(_in_period(period, today))
    if member_id is not None:
        stmt = stmt.where(Contribution.member_id == member_id)
    elif branch_id is not None:
        stmt = stmt.where(Contribution.branch_id == branch_id)
    elif org_id is not None:
        stmt = stmt.join(Branch, col(Branch.id) == col(Contribution.branch_id), isouter=True).where(
            _org_of_record() == org_id
        )
    else:
        raise ValueError("totals of whom?")
    return _totals(session.exec(stmt).one())


# A board's top rows (ids and sums) are the same for every viewer: each process keeps them for
# ``max_age_s`` (the pages pass LEADERBOARD_CACHE_S). A city-wide board sums every record of
# the period (300,000 in a year: a few hundred milliseconds); names and "me" are applied after.
_BOARD_CACHE_MAX = 256
_board_cache: dict[tuple[Any, ...], tuple[float, list[tuple[Any, ...]]]] = {}
_board_lock = threading.Lock()


def _top(
    session: Session, key: tuple[Any, ...], stmt: Any, max_age_s: float
) -> list[tuple[Any, ...]]:
    if max_age_s <= 0:
        return [tuple(r) for r in session.execute(stmt).all()]
    full = (str(session.get_bind().engine.url), *key, beijing_today() if key[-1] is None else None)
    now = time.monotonic()
    hit = _board_cache.get(full)
    if hit is not None and now - hit[0] < max_age_s:
        return hit[1]
    rows = [tuple(r) for r in session.execute(stmt).all()]
    with _board_lock:
        if len(_board_cache) >= _BOARD_CACHE_MAX:
            _board_cache.clear()
        _board_cache[full] = (now, rows)
    return rows


@dataclass(frozen=True)
class BoardRow:
    rank: int
    id: int
    name: str
    records: int
    hours: Decimal
    points: int
    me: bool = False  # the viewer's own row (member board) or own branch / organisation

    def as_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "id": self.id,
            "name": self.name,
            "records": self.records,
            "hours": float(self.hours),
            "points": self.points,
        }


def _ranked(rows: list[tuple[int, str, Any, Any, Any]], mine: set[int]) -> list[BoardRow]:
    """Rows in board order; equal points share a rank (1, 2, 2, 4)."""
    out: list[BoardRow] = []
    for i, (ident, name, n, hours, pts) in enumerate(rows):
        t = _totals((n, hours, pts))
        rank = out[-1].rank if out and out[-1].points == t.points else i + 1
        out.append(BoardRow(rank, ident, name, t.records, t.hours, t.points, ident in mine))
    return out


def _order(points: Any, records: Any, ident: Any) -> list[Any]:
    return [points.desc(), records.desc(), ident]


def branch_board(
    session: Session,
    *,
    period: str = "all",
    org_id: int | None = None,
    campaign_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
    today: date | None = None,
    max_age_s: float = 0.0,
    mine: set[int] | frozenset[int] = frozenset(),
) -> list[BoardRow]:
    """Branches by points of their members' records (then records): all branches, one Party
    organisation's (``org_id``), or on one campaign's wishes (``campaign_id``)."""
    n, hours, pts = _sums()
    stmt = (
        sa_select(col(Branch.id), col(Branch.name), n, hours, pts)
        .join(Contribution, col(Contribution.branch_id) == col(Branch.id))
        .where(_in_period(period, today))
    )
    if org_id is not None:
        stmt = stmt.where(col(Branch.org_id) == org_id)
    if campaign_id is not None:
        stmt = stmt.join(Need, col(Need.id) == col(Contribution.need_id)).where(
            col(Need.campaign_id) == campaign_id
        )
    stmt = stmt.group_by(col(Branch.id), col(Branch.name))
    stmt = stmt.order_by(*_order(pts, n, col(Branch.id))).limit(limit)
    key = ("branch", period, org_id, campaign_id, limit, today)
    return _ranked(_top(session, key, stmt, max_age_s), set(mine))


def org_board(
    session: Session,
    *,
    period: str = "all",
    limit: int = DEFAULT_LIMIT,
    today: date | None = None,
    max_age_s: float = 0.0,
    mine: set[int] | frozenset[int] = frozenset(),
) -> list[BoardRow]:
    """Organisations by points of the records that count for them (their own and their
    branches' members')."""
    org = _org_of_record().label("org")
    counted = (
        select(org, col(Contribution.id), col(Contribution.hours), col(Contribution.points))
        .select_from(Contribution)
        .join(Branch, col(Branch.id) == col(Contribution.branch_id), isouter=True)
        .where(_in_period(period, today))
        .subquery()
    )
    cn = func.count(counted.c.id)
    ch = func.coalesce(func.sum(counted.c.hours), 0)
    cp = func.coalesce(func.sum(counted.c.points), 0)
    stmt = (
        sa_select(col(Organisation.id), col(Organisation.name), cn, ch, cp)
        .join(counted, counted.c.org == col(Organisation.id))
        .group_by(col(Organisation.id), col(Organisation.name))
        .order_by(*_order(cp, cn, col(Organisation.id)))
        .limit(limit)
    )
    key = ("org", period, limit, today)
    return _ranked(_top(session, key, stmt, max_age_s), set(mine))


def board_name(user: User) -> str:
    """How a member appears on a board: their name if they opted in, else masked (张*)."""
    if user.show_name_on_boards and user.display_name:
        return user.display_name
    return mask_name(user.display_name or user.username)


def member_board(
    session: Session,
    *,
    period: str = "all",
    branch_id: int | None = None,
    org_id: int | None = None,
    limit: int = DEFAULT_LIMIT,
    today: date | None = None,
    max_age_s: float = 0.0,
    viewer_id: int | None = None,
) -> list[BoardRow]:
    """Members by points: the whole city, one branch, or one Party organisation's branches (the
    branch a record was made in). The records are summed per member first and only the top
    ``limit`` members' accounts are read (a city of 300,000 records: one aggregate, no join)."""
    n, hours, pts = _sums()
    member = col(Contribution.member_id)
    stmt = (
        sa_select(member, n, hours, pts)
        .where(member.is_not(None), _in_period(period, today))
        .group_by(member)
    )
    if branch_id is not None:
        stmt = stmt.where(col(Contribution.branch_id) == branch_id)
    if org_id is not None:
        stmt = stmt.where(
            col(Contribution.branch_id).in_(select(Branch.id).where(Branch.org_id == org_id))
        )
    stmt = stmt.order_by(*_order(pts, n, member)).limit(limit)
    top = _top(session, ("member", period, branch_id, org_id, limit, today), stmt, max_age_s)
    users = {
        u.id: u for u in session.exec(select(User).where(col(User.id).in_([r[0] for r in top])))
    }
    rows = [
        (int(mid), board_name(users[mid]) if mid in users else "", a, b, c) for mid, a, b, c in top
    ]
    return _ranked(rows, {viewer_id} if viewer_id is not None else set())


def set_show_name(session: Session, *, actor: User, show: bool) -> User:
    """A member's choice to appear by name on the leaderboards (audited)."""
    before = actor.show_name_on_boards
    actor.show_name_on_boards = bool(show)
    session.add(actor)
    session.flush()
    if before != actor.show_name_on_boards:
        audit.record(
            session,
            actor,
            "user.show_name_on_boards",
            actor,
            before={"show_name_on_boards": before},
            after={"show_name_on_boards": actor.show_name_on_boards},
        )
    return actor
