"""Staff lists (households, needs, deliveries, offers, users, audit, organisations): filters,
whitelisted sort keys and offset pages, shared by the pages and their Excel exports
(``services.exports``).

Each ``*_query`` returns a SELECT already limited to what the actor may see: hub staff get their
hub's subtree, the administrator the city; org and member accounts are refused. A sort key not in a
list's whitelist falls back to the list's default, so a URL cannot order by an arbitrary column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, not_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from marketplace.models import (
    AuditLog,
    Claim,
    ClaimStatus,
    Household,
    Need,
    Offer,
    OfferStatus,
    Organisation,
    OrgStatus,
    Role,
    User,
)
from marketplace.services import offers, risk
from marketplace.services.access import require_admin, staff_scope
from marketplace.services.households import search_conditions
from marketplace.services.regions import in_subtree, is_within

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Sort:
    key: str
    desc: bool

    @property
    def param(self) -> str:
        return ("-" if self.desc else "") + self.key


def parse_sort(value: str | None, allowed: dict[str, Any], default: str) -> Sort:
    """``"name"`` / ``"-created"`` → Sort, only for whitelisted keys (else the default)."""
    raw = (value or default).strip()
    if raw.lstrip("-") not in allowed:
        raw = default
    return Sort(raw.lstrip("-"), raw.startswith("-"))


def _order(stmt: Any, allowed: dict[str, Any], sort: Sort, tiebreak: Any) -> Select[Any]:
    column = allowed[sort.key]
    ordered: Select[Any] = stmt.order_by(
        column.desc() if sort.desc else column.asc(), tiebreak.desc()
    )
    return ordered


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(
    session: Session,
    stmt: Select[Any],
    page: int = 1,
    per_page: int = 50,
    *,
    count: Select[Any] | None = None,
) -> Page:
    """One page of ``stmt`` and the total for the pager. ``count`` is a cheaper statement for
    the same total where ``stmt`` joins tables only to show them (the database does not drop
    an inner join from a count)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    if count is None:
        count = sa_select(func.count()).select_from(stmt.order_by(None).subquery())
    total = int(session.execute(count).scalar_one())
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    rows = list(session.execute(stmt.offset((page - 1) * per_page).limit(per_page)).all())
    return Page(rows, total, page, per_page)


# Households ----------------------------------------------------------------------------------------

HOUSEHOLD_SORTS: dict[str, Any] = {
    "id": col(Household.id),
    "name": col(Household.name_initials),
    "community": col(Household.community_code),
    "hardship": col(Household.hardship_type),
    "risk": col(Household.risk_score),
    "members": col(Household.members),
    "created": col(Household.created_at),
}


@dataclass(frozen=True)
class HouseholdFilter:
    q: str = ""
    hardship: str = ""
    level: int | None = None  # 1, 2, 3
    area: str = ""  # a region code inside the scope (street or community)


def households_query(
    session: Session, *, actor: User, f: HouseholdFilter, sort: Sort
) -> Select[Any]:
    scope = staff_scope(session, actor)
    stmt = sa_select(Household).where(
        in_subtree(Household.community_code, scope), *search_conditions(f.q)
    )
    if f.hardship:
        stmt = stmt.where(col(Household.hardship_type) == f.hardship)
    if f.level in risk.LEVELS:
        stmt = stmt.where(risk.in_level(col(Household.risk_score), f.level))
    if f.area and is_within(f.area, scope):
        stmt = stmt.where(in_subtree(Household.community_code, f.area))
    return _order(stmt, HOUSEHOLD_SORTS, sort, col(Household.id))


# Needs ---------------------------------------------------------------------------------------------

NEED_SORTS: dict[str, Any] = {
    "id": col(Need.id),
    "household": col(Household.name_initials),
    "community": col(Need.community_code),
    "kind": col(Need.kind),
    "item": col(Need.item_code),
    "title": col(Need.title),
    "value": col(Need.value_yuan),
    "deadline": col(Need.deadline),
    "status": col(Need.status),
    "created": col(Need.created_at),
}


@dataclass(frozen=True)
class NeedFilter:
    status: str = ""
    kind: str = ""
    item: str = ""
    q: str = ""


def _need_conditions(session: Session, actor: User, f: NeedFilter) -> list[Any]:
    conditions = [in_subtree(Need.community_code, staff_scope(session, actor))]
    if f.status:
        conditions.append(col(Need.status) == f.status)
    if f.kind:
        conditions.append(col(Need.kind) == f.kind)
    if f.item:
        conditions.append(col(Need.item_code) == f.item)
    if f.q.strip():
        conditions.append(col(Need.title).contains(f.q.strip()))
    return conditions


def needs_query(session: Session, *, actor: User, f: NeedFilter, sort: Sort) -> Select[Any]:
    stmt = (
        sa_select(Need, Household)
        .join(Household, col(Household.id) == Need.household_id)
        .where(*_need_conditions(session, actor, f))
    )
    return _order(stmt, NEED_SORTS, sort, col(Need.id))


def needs_count(session: Session, *, actor: User, f: NeedFilter) -> Select[Any]:
    """The number of rows of ``needs_query`` (every need has its household: no join)."""
    return sa_select(func.count()).select_from(Need).where(*_need_conditions(session, actor, f))


# Deliveries awaiting confirmation ------------------------------------------------------------------

DELIVERY_SORTS: dict[str, Any] = {
    "delivered": col(Claim.delivered_at),
    "household": col(Household.name_initials),
    "community": col(Need.community_code),
    "item": col(Need.item_code),
    "risk": col(Household.risk_score),
    "title": col(Need.title),
}


def deliveries_query(
    session: Session, *, actor: User, sort: Sort, status: str = ClaimStatus.DELIVERED.value
) -> Select[Any]:
    scope = staff_scope(session, actor)
    stmt = (
        sa_select(Need, Household, Claim)
        .join(Household, col(Household.id) == Need.household_id)
        .join(Claim, col(Claim.need_id) == Need.id)
        .where(in_subtree(Need.community_code, scope), col(Claim.status) == status)
    )
    return _order(stmt, DELIVERY_SORTS, sort, col(Claim.id))


# Offers (administrator: all; hub staff: those that served their subtree) ---------------------------

OFFER_SORTS: dict[str, Any] = {
    "id": col(Offer.id),
    "title": col(Offer.title),
    "org": col(Organisation.name),
    "capacity": col(Offer.capacity),
    "remaining": col(Offer.remaining),
    "used": col(Offer.capacity) - col(Offer.remaining),
    "start": col(Offer.start),
    "end": col(Offer.end),
    "status": col(Offer.status),
}


def offers_query(
    session: Session, *, actor: User, q: str = "", status: str = "", sort: Sort
) -> Select[Any]:
    stmt = sa_select(Offer, Organisation).join(Organisation, col(Organisation.id) == Offer.org_id)
    if actor.role == Role.HUB_STAFF:
        scope = staff_scope(session, actor)
        served = (
            sa_select(col(Claim.offer_id))
            .join(Need, col(Need.id) == Claim.need_id)
            .where(in_subtree(Need.community_code, scope), col(Claim.offer_id).is_not(None))
        )
        stmt = stmt.where(col(Offer.id).in_(served))
    else:
        require_admin(actor)
    if q.strip():
        stmt = stmt.where(col(Offer.title).contains(q.strip()))
    if status == "live":
        stmt = stmt.where(*offers.live_conditions())
    elif status == "not_live":
        stmt = stmt.where(
            col(Offer.status) != OfferStatus.CLOSED.value, not_(and_(*offers.live_conditions()))
        )
    elif status:
        stmt = stmt.where(col(Offer.status) == status)
    return _order(stmt, OFFER_SORTS, sort, col(Offer.id))


# Users and audit (administrator) -------------------------------------------------------------------

USER_SORTS: dict[str, Any] = {
    "id": col(User.id),
    "username": col(User.username),
    "name": col(User.display_name),
    "role": col(User.role),
    "created": col(User.created_at),
    "active": col(User.active),
}


def users_query(
    session: Session, *, actor: User, q: str = "", role: str = "", sort: Sort
) -> Select[Any]:
    require_admin(actor)
    stmt = sa_select(User)
    if q.strip():
        stmt = stmt.where(col(User.username).contains(q.strip()))
    if role:
        stmt = stmt.where(col(User.role) == role)
    return _order(stmt, USER_SORTS, sort, col(User.id))


AUDIT_SORTS: dict[str, Any] = {
    "at": col(AuditLog.at),
    "actor": col(AuditLog.actor),
    "action": col(AuditLog.action),
    "object": col(AuditLog.object_type),
}


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    object_type: str = ""
    actor: str = ""
    day_from: date | None = None
    day_to: date | None = None


def audit_query(session: Session, *, actor: User, f: AuditFilter, sort: Sort) -> Select[Any]:
    require_admin(actor)
    stmt = sa_select(AuditLog)
    if f.action:
        stmt = stmt.where(col(AuditLog.action).startswith(f.action))
    if f.object_type:
        stmt = stmt.where(col(AuditLog.object_type) == f.object_type)
    if f.actor:
        stmt = stmt.where(col(AuditLog.actor) == f.actor)
    if f.day_from is not None:
        stmt = stmt.where(col(AuditLog.at) >= datetime.combine(f.day_from, datetime.min.time()))
    if f.day_to is not None:
        stmt = stmt.where(col(AuditLog.at) < datetime.combine(f.day_to, datetime.max.time()))
    return _order(stmt, AUDIT_SORTS, sort, col(AuditLog.id))


def audit_choices(session: Session, *, actor: User) -> dict[str, list[str]]:
    """The audit list's filter choices: the actions and object types that occur in the log."""
    require_admin(actor)
    actions = session.execute(
        sa_select(col(AuditLog.action)).distinct().order_by(col(AuditLog.action))
    ).scalars()
    types = session.execute(
        sa_select(col(AuditLog.object_type)).distinct().order_by(col(AuditLog.object_type))
    ).scalars()
    return {"actions": list(actions), "object_types": list(types)}


# Organisations (administrator) ---------------------------------------------------------------------


def organisations(session: Session, *, actor: User) -> list[Organisation]:
    """All organisations, those awaiting vetting first, newest first within each group."""
    require_admin(actor)
    pending_first = case((col(Organisation.status) == OrgStatus.PENDING.value, 0), else_=1)
    stmt = sa_select(Organisation).order_by(pending_first, col(Organisation.id).desc())
    return list(session.execute(stmt).scalars())
