"""Read-only queries behind the browser pages (dashboards, queues, lists).

Plain functions ``f(session, *, actor, ...)`` like the other services: scope checks go through
``services.access``; nothing here writes except where noted, and nothing commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from marketplace.models import (
    AuditLog,
    Claim,
    ClaimStatus,
    Household,
    Need,
    NeedKind,
    NeedStatus,
    Offer,
    Organisation,
    OrgStatus,
    Role,
    User,
)
from marketplace.services.access import get_claim_for_deliverer, staff_scope
from marketplace.services.errors import Forbidden, NotFound
from marketplace.services.offers import live_offers_query
from marketplace.services.regions import (
    ItemRef,
    RegionRef,
    active_items,
    in_subtree,
    item_names,
    subtree,
)
from marketplace.services.regions import region_names as reference_region_names
from marketplace.services.wishes import WishView, to_views


@dataclass(frozen=True)
class HomeCounters:
    open_wishes: int
    live_offers: int
    confirmed: int


def home_counters(session: Session) -> HomeCounters:
    """Public counters for the home page (no personal data)."""
    open_wishes = session.exec(
        select(func.count())
        .select_from(Need)
        .where(Need.status == NeedStatus.OPEN.value, Need.kind == NeedKind.WISH.value)
    ).one()
    live = session.exec(select(func.count()).select_from(live_offers_query().subquery())).one()
    confirmed = session.exec(
        select(func.count()).select_from(Claim).where(Claim.status == ClaimStatus.CONFIRMED.value)
    ).one()
    return HomeCounters(int(open_wishes), int(live), int(confirmed))


def taxonomy_groups(session: Session) -> list[tuple[ItemRef, list[ItemRef]]]:
    """Active items grouped by category: [(first item of the category, items), ...]."""
    groups: dict[str, list[ItemRef]] = {}
    for item in active_items(session):
        groups.setdefault(item.category_code, []).append(item)
    return [(items[0], items) for items in groups.values()]


# Hub staff ----------------------------------------------------------------------------------------


def hub_status_counts(session: Session, *, actor: User) -> dict[str, int]:
    """Needs of the staff member's subtree counted by status."""
    scope = staff_scope(session, actor)
    rows = session.exec(
        select(Need.status, func.count())
        .where(in_subtree(Need.community_code, scope))
        .group_by(Need.status)
    ).all()
    return {str(status): int(n) for status, n in rows}


def hub_households_count(session: Session, *, actor: User) -> int:
    scope = staff_scope(session, actor)
    return int(
        session.exec(
            select(func.count())
            .select_from(Household)
            .where(in_subtree(Household.community_code, scope))
        ).one()
    )


def communities_in_scope(
    session: Session, *, actor: User
) -> list[tuple[RegionRef, list[RegionRef]]]:
    """The communities a staff member may register households in, grouped by street."""
    scope = staff_scope(session, actor)
    groups: dict[str, list[RegionRef]] = {}
    for region in subtree(session, scope):
        if len(region.code) == 12:  # communities; a street's code has 9 digits
            groups.setdefault(region.code[:9], []).append(region)
    names = reference_region_names(session)
    return [
        (RegionRef(street, names[street]), communities)
        for street, communities in groups.items()
        if street in names
    ]


@dataclass(frozen=True)
class NeedRow:
    need: Need
    household: Household
    item_name: str
    community: str
    claim: Claim | None = None
    deliverer: str = ""


def _region_names(session: Session, codes: set[str]) -> dict[str, str]:
    names = reference_region_names(session)
    return {code: names.get(code, code) for code in codes}


def region_names(session: Session, codes: set[str]) -> dict[str, str]:
    """Names of the given region codes (e.g. the communities on a page of households)."""
    return _region_names(session, codes)


def _item_names(session: Session) -> dict[str, str]:
    return item_names(session)


def review_queue(
    session: Session,
    *,
    actor: User,
    status: str = NeedStatus.PENDING_REVIEW.value,
    limit: int = 200,
) -> list[NeedRow]:
    """Needs of the subtree in one status (default: awaiting review), oldest first."""
    scope = staff_scope(session, actor)
    rows = session.exec(
        select(Need, Household)
        .join(Household, col(Household.id) == Need.household_id)
        .where(in_subtree(Need.community_code, scope), Need.status == status)
        .order_by(col(Need.id))
        .limit(limit)
    ).all()
    names = _region_names(session, {n.community_code for n, _ in rows})
    items = _item_names(session)
    return [
        NeedRow(n, h, items.get(n.item_code, n.item_code), names.get(n.community_code, ""))
        for n, h in rows
    ]


def deliveries_to_confirm(session: Session, *, actor: User, limit: int = 200) -> list[NeedRow]:
    """Reported deliveries (claim ``delivered``) in the subtree, oldest report first."""
    scope = staff_scope(session, actor)
    rows = session.exec(
        select(Need, Household, Claim)
        .join(Household, col(Household.id) == Need.household_id)
        .join(Claim, col(Claim.need_id) == Need.id)
        .where(
            in_subtree(Need.community_code, scope),
            Claim.status == ClaimStatus.DELIVERED.value,
        )
        .order_by(col(Claim.delivered_at))
        .limit(limit)
    ).all()
    names = _region_names(session, {n.community_code for n, _, _ in rows})
    items = _item_names(session)
    out = []
    for need, household, claim in rows:
        out.append(
            NeedRow(
                need,
                household,
                items.get(need.item_code, need.item_code),
                names.get(need.community_code, ""),
                claim,
                deliverer_label(session, claim),
            )
        )
    return out


def deliverer_label(session: Session, claim: Claim) -> str:
    if claim.member_id is not None:
        user = session.get(User, claim.member_id)
        return user.display_name if user else ""
    if claim.offer_id is not None:
        offer = session.get(Offer, claim.offer_id)
        org = session.get(Organisation, offer.org_id) if offer else None
        return org.name if org else ""
    return ""


def claims_of_need(session: Session, *, actor: User, need_ids: list[int]) -> dict[int, Claim]:
    """The latest claim of each need (staff pages); the needs were loaded in scope by the caller."""
    staff_scope(session, actor)
    if not need_ids:
        return {}
    rows = session.exec(
        select(Claim).where(col(Claim.need_id).in_(need_ids)).order_by(col(Claim.id))
    ).all()
    return {c.need_id: c for c in rows}


def photo_for_staff(session: Session, *, actor: User, name: str) -> str:
    """A delivery photo's file name, if it belongs to a claim on a need in the staff's subtree."""
    scope = staff_scope(session, actor)
    row = session.exec(
        select(Claim.photo_path)
        .join(Need, col(Need.id) == Claim.need_id)
        .where(Claim.photo_path == name, in_subtree(Need.community_code, scope))
    ).first()
    if row is None:
        raise NotFound("Not found")
    return str(row)


# Members and organisations (masked views only) ----------------------------------------------------


def _wish_views(session: Session, need_ids: list[int]) -> dict[int, WishView]:
    if not need_ids:
        return {}
    rows = session.exec(
        select(Need, Household.name)
        .join(Household, col(Household.id) == Need.household_id)
        .where(col(Need.id).in_(need_ids))
    ).all()
    return {v.id: v for v in to_views(session, [(n, name) for n, name in rows])}


def member_claims(
    session: Session, *, actor: User, limit: int = 100
) -> list[tuple[Claim, WishView]]:
    """The member's own claims with the masked wish each is about, newest first."""
    if actor.role != Role.MEMBER:
        raise Forbidden("Only members can claim wishes")
    claims = list(
        session.exec(
            select(Claim)
            .where(Claim.member_id == actor.id)
            .order_by(col(Claim.id).desc())
            .limit(limit)
        )
    )
    views = _wish_views(session, [c.need_id for c in claims])
    return [(c, views[c.need_id]) for c in claims if c.need_id in views]


def org_of(session: Session, *, actor: User) -> Organisation:
    if actor.role != Role.ORG or actor.org_id is None:
        raise Forbidden("Only organisation accounts publish offers")
    org = session.get(Organisation, actor.org_id)
    if org is None:
        raise Forbidden("Your account has no organisation")
    return org


def org_assignments(
    session: Session, *, actor: User, limit: int = 200
) -> list[tuple[Claim, Offer, WishView]]:
    """Needs assigned to the organisation's offers (claims with an ``offer_id``), masked."""
    org = org_of(session, actor=actor)
    rows = session.exec(
        select(Claim, Offer)
        .join(Offer, col(Offer.id) == Claim.offer_id)
        .where(Offer.org_id == org.id)
        .order_by(col(Claim.id).desc())
        .limit(limit)
    ).all()
    views = _wish_views(session, [c.need_id for c, _ in rows])
    return [(c, o, views[c.need_id]) for c, o in rows if c.need_id in views]


# Administrator ------------------------------------------------------------------------------------


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden("Only the administrator may do this")


def organisations(session: Session, *, actor: User) -> list[Organisation]:
    """All organisations, those awaiting vetting first."""
    _require_admin(actor)
    rows = list(session.exec(select(Organisation).order_by(col(Organisation.id).desc())))
    return sorted(rows, key=lambda o: o.status != OrgStatus.PENDING.value)


def users_page(
    session: Session,
    *,
    actor: User,
    q: str = "",
    role: str = "",
    after_id: int | None = None,
    limit: int = 50,
) -> tuple[list[User], int | None]:
    _require_admin(actor)
    stmt = select(User)
    if q.strip():
        stmt = stmt.where(col(User.username).contains(q.strip()))
    if role:
        stmt = stmt.where(User.role == role)
    if after_id is not None:
        stmt = stmt.where(col(User.id) < after_id)
    rows = list(session.exec(stmt.order_by(col(User.id).desc()).limit(limit + 1)))
    cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], cursor


def user_for_admin(session: Session, *, actor: User, user_id: int) -> User:
    _require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Not found")
    return user


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    object_type: str = ""
    actor: str = ""
    day_from: date | None = None
    day_to: date | None = None


def audit_page(
    session: Session, *, actor: User, f: AuditFilter, after_id: int | None = None, limit: int = 50
) -> tuple[list[AuditLog], int | None]:
    """The audit log, newest first, keyset-paginated (read-only)."""
    _require_admin(actor)
    stmt = select(AuditLog)
    if f.action:
        stmt = stmt.where(col(AuditLog.action).startswith(f.action))
    if f.object_type:
        stmt = stmt.where(AuditLog.object_type == f.object_type)
    if f.actor:
        stmt = stmt.where(AuditLog.actor == f.actor)
    if f.day_from is not None:
        stmt = stmt.where(col(AuditLog.at) >= datetime.combine(f.day_from, datetime.min.time()))
    if f.day_to is not None:
        stmt = stmt.where(col(AuditLog.at) < datetime.combine(f.day_to, datetime.max.time()))
    if after_id is not None:
        stmt = stmt.where(col(AuditLog.id) < after_id)
    rows = list(session.exec(stmt.order_by(col(AuditLog.id).desc()).limit(limit + 1)))
    cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], cursor


def audit_choices(session: Session, *, actor: User) -> dict[str, list[Any]]:
    _require_admin(actor)
    actions = session.exec(select(AuditLog.action).distinct().order_by(AuditLog.action)).all()
    types = session.exec(
        select(AuditLog.object_type).distinct().order_by(AuditLog.object_type)
    ).all()
    return {"actions": list(actions), "object_types": list(types)}


def claim_for_deliverer(session: Session, *, actor: User, claim_id: int) -> tuple[Claim, WishView]:
    """A claim the actor delivers (own claim or own organisation's assignment) and its masked wish."""
    claim = get_claim_for_deliverer(session, claim_id, actor)
    views = _wish_views(session, [claim.need_id])
    if claim.need_id not in views:
        raise NotFound("Claim not found")
    return claim, views[claim.need_id]
