"""助联体 — a hub as its staff see it: the home page's figures, the communities it serves, the
幸福码 cards it prints for households, and its contact (联系方式): whom helpers call and where they
hand help over."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, func, select

from marketplace.models import Household, Hub, Need, User
from marketplace.services import deliveries
from marketplace.services.access import get_household_for_staff, staff_scope
from marketplace.services.contacts import responsible_hub
from marketplace.services.privacy import mask_name
from marketplace.services.regions import RegionRef, in_subtree, region_names, subtree


@dataclass(frozen=True)
class HubHome:
    hub: Hub | None
    needs_by_status: dict[str, int]
    households: int
    deliveries: list[deliveries.DeliveryRow]


def home(session: Session, *, actor: User, deliveries_limit: int = 10) -> HubHome:
    """The hub home: needs of the subtree by status, households registered, deliveries to confirm."""
    scope = staff_scope(session, actor)
    by_status = session.exec(
        select(Need.status, func.count())
        .where(in_subtree(Need.community_code, scope))
        .group_by(Need.status)
    ).all()
    households = session.exec(
        select(func.count())
        .select_from(Household)
        .where(in_subtree(Household.community_code, scope))
    ).one()
    return HubHome(
        hub=session.get(Hub, actor.hub_id),
        needs_by_status={str(status): int(n) for status, n in by_status},
        households=int(households),
        deliveries=deliveries.awaiting(session, actor=actor, limit=deliveries_limit),
    )


def communities(session: Session, *, actor: User) -> list[tuple[RegionRef, list[RegionRef]]]:
    """The communities a staff member may register households in, grouped by street."""
    scope = staff_scope(session, actor)
    groups: dict[str, list[RegionRef]] = {}
    for region in subtree(session, scope):
        if len(region.code) == 12:  # communities; a street's code has 9 digits
            groups.setdefault(region.code[:9], []).append(region)
    names = region_names(session)
    return [
        (RegionRef(street, names[street]), members)
        for street, members in groups.items()
        if street in names
    ]


@dataclass(frozen=True)
class WallCard:
    """The 幸福码 card for a household's wall: the masked surname and no other personal data."""

    token: str
    surname: str
    community: str
    hub: Hub | None


def wall_card(session: Session, *, actor: User, household_id: int) -> WallCard:
    """The card names the hub responsible for the household and its phone (its contact)."""
    household = get_household_for_staff(session, household_id, actor)
    return WallCard(
        token=household.token,
        surname=mask_name(household.name),
        community=region_names(session).get(household.community_code, ""),
        hub=responsible_hub(session, household.community_code) or session.get(Hub, actor.hub_id),
    )
