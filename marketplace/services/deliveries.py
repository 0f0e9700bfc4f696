"""Reported deliveries (送达) as hub staff see them: the rows to confirm, who delivered, the photo.

The confirmation itself (确认完成) is a claim transition in ``services.claims``; this module only
reads, in the staff member's subtree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from marketplace.models import Claim, Household, Need, Offer, Organisation, User
from marketplace.services import listings
from marketplace.services.access import staff_scope
from marketplace.services.errors import NotFound
from marketplace.services.regions import in_subtree, item_names, region_names


@dataclass(frozen=True)
class DeliveryRow:
    need: Need
    household: Household
    item_name: str
    community: str
    claim: Claim
    deliverer: str


def deliverer_name(session: Session, claim: Claim) -> str:
    """The member's display name, or the name of the organisation whose offer was assigned."""
    if claim.member_id is not None:
        user = session.get(User, claim.member_id)
        return user.display_name if user else ""
    if claim.offer_id is not None:
        offer = session.get(Offer, claim.offer_id)
        org = session.get(Organisation, offer.org_id) if offer else None
        return org.name if org else ""
    return ""


def rows(session: Session, found: Iterable[Any]) -> list[DeliveryRow]:
    """Rows (need, household, claim) of ``listings.deliveries_query`` with the names a page shows."""
    names, items = region_names(session), item_names(session)
    return [
        DeliveryRow(
            need,
            household,
            items.get(need.item_code, need.item_code),
            names.get(need.community_code, ""),
            claim,
            deliverer_name(session, claim),
        )
        for need, household, claim in found
    ]


def awaiting(session: Session, *, actor: User, limit: int = 10) -> list[DeliveryRow]:
    """Reported deliveries in the staff member's subtree, oldest report first."""
    sort = listings.parse_sort(None, listings.DELIVERY_SORTS, "delivered")
    stmt = listings.deliveries_query(session, actor=actor, sort=sort).limit(limit)
    return rows(session, session.execute(stmt).all())


def photo_for_staff(session: Session, *, actor: User, name: str) -> str:
    """A delivery photo's file name, if it belongs to a claim on a need in the staff's subtree."""
    scope = staff_scope(session, actor)
    found = session.exec(
        select(Claim.photo_path)
        .join(Need, col(Need.id) == Claim.need_id)
        .where(Claim.photo_path == name, in_subtree(Need.community_code, scope))
    ).first()
    if found is None:
        raise NotFound("error.not_found")
    return str(found)
