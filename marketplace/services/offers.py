"""Organisations (帮扶主体) and their offers (帮扶项目)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from marketplace.models import (
    CITY_BOUNDS,
    Offer,
    OfferStatus,
    Organisation,
    OrgStatus,
    Region,
    Role,
    TaxonomyItem,
    User,
    utcnow,
)
from marketplace.schemas import OfferIn, OrgIn
from marketplace.services import audit, projects
from marketplace.services.access import get_offer_for_org, get_org_for_admin
from marketplace.services.accounts import create_user
from marketplace.services.clock import beijing_today
from marketplace.services.errors import Conflict, Forbidden, ValidationFailed
from marketplace.services.messages import Message
from matching import taxonomy


def register_org(session: Session, *, actor: User | None, data: OrgIn) -> Organisation:
    """A new organisation starts ``pending`` until the administrator vets it."""
    if actor is not None and actor.role not in (Role.ADMIN, Role.ORG):
        raise Forbidden("org.register_forbidden")
    if actor is not None and actor.role == Role.ORG and actor.org_id is not None:
        raise Conflict("org.already_member")
    if (
        session.exec(
            select(Organisation.id).where(Organisation.credit_code == data.credit_code)
        ).first()
        is not None
    ):
        raise Conflict("org.duplicate", {"credit_code": "field.already_registered"})
    org = Organisation(name=data.name, type=data.type.value, credit_code=data.credit_code)
    session.add(org)
    session.flush()
    if actor is not None and actor.role == Role.ORG:
        actor.org_id = org.id
    audit.record(
        session,
        actor,
        "org.register",
        org,
        after={"name": org.name, "type": org.type, "credit_code": org.credit_code},
    )
    return org


def sign_up_org(
    session: Session, *, data: OrgIn, username: str, password: str, display_name: str = ""
) -> User:
    """An organisation signs itself up: the organisation (pending vetting) and its first account,
    which may log in at once; its offers go live after vetting."""
    org = register_org(session, actor=None, data=data)
    return create_user(
        session,
        actor=None,
        username=username,
        password=password,
        role=Role.ORG.value,
        display_name=display_name or data.name,
        org_id=org.id,
    )


def vet_org(
    session: Session, *, actor: User, org_id: int, approve: bool, note: str = ""
) -> Organisation:
    org = get_org_for_admin(session, org_id, actor)
    before = org.status
    org.status = OrgStatus.VETTED.value if approve else OrgStatus.REJECTED.value
    org.vetted_by, org.vetted_at, org.vet_note = actor.id, utcnow(), note.strip() or None
    session.flush()
    audit.record(
        session,
        actor,
        "org.vet",
        org,
        before={"status": before},
        after={"status": org.status, "note": note},
    )
    return org


def org_of(session: Session, actor: User) -> Organisation:
    """The organisation an organisation account acts for."""
    if actor.role != Role.ORG or actor.org_id is None:
        raise Forbidden("access.org_only")
    org = session.get(Organisation, actor.org_id)
    if org is None:
        raise Forbidden("access.no_org")
    return org


def create_offer(session: Session, *, actor: User, data: OfferIn) -> Offer:
    org = org_of(session, actor)
    check_offer(session, data)
    project = projects.project_for_offer(session, org=org, actor=actor, project_id=data.project_id)
    offer = Offer(
        org_id=org.id or 0,
        project_id=project.id,
        title=data.title,
        description=data.description,
        items=list(data.items),
        regions=covering(data.regions),
        lat=data.lat,
        lon=data.lon,
        radius_km=data.radius_km,
        capacity=data.capacity,
        remaining=data.capacity,
        unit=data.unit or taxonomy.default_unit(data.items),
        start=data.start,
        end=data.end,
        hardship=[h.value for h in data.hardship],
        created_by=actor.id,
    )
    session.add(offer)
    session.flush()
    audit.record(
        session,
        actor,
        "offer.create",
        offer,
        after={
            "title": offer.title,
            "items": offer.items,
            "capacity": offer.capacity,
            "unit": offer.unit,
            "project": offer.project_id,
        },
    )
    return offer


def check_offer(session: Session, data: OfferIn) -> None:
    """What an offer needs beyond its fields (``OfferIn``): known items and regions, an area, a
    centre in the city (a new offer and an edited one alike)."""
    known = set(
        session.exec(select(TaxonomyItem.code).where(col(TaxonomyItem.code).in_(data.items)))
    )
    errors: dict[str, Message] = {}
    if missing := sorted(set(data.items) - known):
        errors["items"] = Message("item.unknown_codes", {"codes": missing})
    regions = set(
        session.exec(
            select(Region.code).where(
                col(Region.code).in_(data.regions), col(Region.level) != "city"
            )
        )
    )
    if missing := sorted(set(data.regions) - regions):
        errors["regions"] = Message("region.unknown_codes", {"codes": missing})
    if not data.regions and data.radius_km is None:
        errors["regions"] = Message("offer.area_required")
    if data.lat is not None and data.lon is not None and not in_city(data.lat, data.lon):
        errors["lat"] = Message("offer.centre_outside_city")
    if errors:
        raise ValidationFailed(errors)


def in_city(lat: float, lon: float) -> bool:
    (south, west), (north, east) = CITY_BOUNDS
    return south <= lat <= north and west <= lon <= east


def covering(codes: list[str]) -> list[str]:
    """The chosen regions without those inside another chosen one (a street chosen with its
    district is covered by the district), in code order."""
    kept: list[str] = []
    for code in sorted(set(codes), key=lambda c: (len(c), c)):
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return sorted(kept)


def close_offer(session: Session, *, actor: User, offer_id: int) -> Offer:
    offer = get_offer_for_org(session, offer_id, actor)
    before = offer.status
    offer.status = OfferStatus.CLOSED.value
    session.flush()
    audit.record(
        session,
        actor,
        "offer.close",
        offer,
        before={"status": before},
        after={"status": offer.status},
    )
    return offer


def live_conditions(today: date | None = None) -> list[ColumnElement[bool]]:
    """What makes an offer live, as SQL conditions on ``Offer``: published, of a vetted
    organisation, in its date window (Beijing dates), not used up. The one home of the rule: the
    list of live offers and the conditional update that takes capacity both use it."""
    today = today or beijing_today()
    return [
        col(Offer.status) == OfferStatus.LIVE.value,
        col(Offer.org_id).in_(
            select(Organisation.id).where(Organisation.status == OrgStatus.VETTED.value)
        ),
        col(Offer.start) <= today,
        col(Offer.end) >= today,
        col(Offer.remaining) > 0,
    ]


def live_offers_query(today: date | None = None):  # type: ignore[no-untyped-def]
    """Offers that are live: published, of a vetted organisation, in their date window, not used up."""
    return select(Offer).where(*live_conditions(today))


def is_live(session: Session, offer: Offer, today: date | None = None) -> bool:
    return state(offer, session.get(Organisation, offer.org_id), today) == "live"


def state(offer: Offer, org: Organisation | None, today: date | None = None) -> str:
    """What every page says of an offer, by the rule of ``live_conditions``: ``live``, ``closed``
    (closed by its organisation) or ``not_live`` (published, but outside its Beijing date window,
    used up, or its organisation not vetted). The organisation and the administrator see the same."""
    today = today or beijing_today()
    if offer.status == OfferStatus.CLOSED.value:
        return "closed"
    if (
        offer.status == OfferStatus.LIVE.value
        and org is not None
        and org.status == OrgStatus.VETTED.value
        and offer.start <= today <= offer.end
        and offer.remaining > 0
    ):
        return "live"
    return "not_live"


def offers_of_org(session: Session, actor: User) -> list[Offer]:
    org = org_of(session, actor)
    return list(
        session.exec(select(Offer).where(Offer.org_id == org.id).order_by(col(Offer.id).desc()))
    )


@dataclass(frozen=True)
class OrgOffers:
    """An organisation with its offers, newest first, each with whether it is live today."""

    org: Organisation
    offers: list[tuple[Offer, bool]]


def org_offers(session: Session, actor: User) -> OrgOffers:
    org = org_of(session, actor)
    return OrgOffers(org, [(o, is_live(session, o)) for o in offers_of_org(session, actor)])
