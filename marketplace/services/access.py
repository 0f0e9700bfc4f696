"""Who may see what: the one home of the access checks (the administrator, hub staff and their
scope) and the scope-checking loaders.

Hub staff see their hub's region subtree (``services/regions``: region codes are prefixes of their
descendants); nobody else sees a household's personal data. Out-of-scope objects are reported as
not found, so probing ids reveals nothing.
"""

from __future__ import annotations

from sqlmodel import Session

from marketplace.models import (
    Claim,
    Household,
    HouseholdStage,
    Need,
    Offer,
    Organisation,
    OrgStatus,
    Role,
    User,
)
from marketplace.services.errors import Conflict, Forbidden, NotFound
from marketplace.services.regions import hub_region, is_within


def require_admin(user: User) -> None:
    """Refuse anyone but the administrator."""
    if user.role != Role.ADMIN:
        raise Forbidden("access.admin_only")


def staff_scope(session: Session, user: User) -> str:
    """The region code whose subtree a hub staff member serves."""
    if user.role != Role.HUB_STAFF or user.hub_id is None:
        raise Forbidden("access.hub_staff_only")
    code = hub_region(session, user.hub_id)
    if code is None:
        raise Forbidden("access.no_hub")
    return code


def viewer_scope(session: Session, user: User) -> str | None:
    """What staff oversee (match rounds, dashboard, map): the administrator the whole city (None),
    hub staff their subtree; anyone else is refused."""
    if user.role == Role.ADMIN:
        return None
    return staff_scope(session, user)


def in_scope(scope_code: str | None, region_code: str) -> bool:
    """A region lies in a scope: a hub's subtree, or the whole city (None)."""
    return scope_code is None or is_within(region_code, scope_code)


def ensure_in_care(household: Household) -> None:
    """An exited household (退出) takes no new need, visit or pairing until it re-enters (409)."""
    if household.stage == HouseholdStage.EXITED.value:
        raise Conflict("household.exited")


def get_household_for_staff(session: Session, household_id: int, viewer: User) -> Household:
    scope = staff_scope(session, viewer)
    household = session.get(Household, household_id)
    if household is None or not in_scope(scope, household.community_code):
        raise NotFound("household.not_found")
    return household


def get_need_for_staff(
    session: Session, need_id: int, viewer: User, *, for_update: bool = False
) -> Need:
    scope = staff_scope(session, viewer)
    need = session.get(Need, need_id, with_for_update=for_update)
    if need is None or not in_scope(scope, need.community_code):
        raise NotFound("need.not_found")
    return need


def get_claim_for_deliverer(session: Session, claim_id: int, viewer: User) -> Claim:
    """A claim the viewer delivers: their own (member) or one of their organisation's offers."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("claim.not_found")
    if viewer.role == Role.MEMBER and claim.member_id == viewer.id:
        return claim
    if viewer.role == Role.ORG and claim.offer_id is not None:
        offer = session.get(Offer, claim.offer_id)
        if offer is not None and offer.org_id == viewer.org_id:
            return claim
    raise NotFound("claim.not_found")


def require_wish_reader(session: Session, user: User) -> None:
    """The wish pool and wish details (masked): members, staff, the administrator, and an
    organisation only once vetted — one waiting for vetting, or refused, reads no wish."""
    if user.role != Role.ORG:
        return
    org = session.get(Organisation, user.org_id) if user.org_id is not None else None
    if org is None or org.status != OrgStatus.VETTED.value:
        raise Forbidden("access.org_not_vetted")


def get_offer_for_org(session: Session, offer_id: int, viewer: User) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None or viewer.role != Role.ORG or offer.org_id != viewer.org_id:
        raise NotFound("offer.not_found")
    return offer


def get_org_for_admin(session: Session, org_id: int, viewer: User) -> Organisation:
    require_admin(viewer)
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("org.not_found")
    return org
