"""联系方式 — a hub's contact (whom helpers call, where they hand help over, when it is open),
edited by the hub's own staff, and the hub responsible for a need: the nearest one up the region
chain that can be reached."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from marketplace.models import Hub, Role, User
from marketplace.schemas import HubContactIn
from marketplace.services import audit
from marketplace.services.access import staff_scope
from marketplace.services.errors import Forbidden

CONTACT_FIELDS = ("contact_name", "contact_phone", "handover_address", "office_hours")


def own_hub(session: Session, *, actor: User) -> Hub:
    """The hub of a staff member (whose contact they may edit); nobody else has one."""
    staff_scope(session, actor)
    hub = session.get(Hub, actor.hub_id)
    if hub is None:
        raise Forbidden("access.no_hub")
    return hub


def update_contact(session: Session, *, actor: User, data: HubContactIn) -> Hub:
    """Hub staff set their own hub's contact; audited with what it was before."""
    hub = own_hub(session, actor=actor)
    before = audit.snapshot(hub, *CONTACT_FIELDS)
    for name in CONTACT_FIELDS:
        setattr(hub, name, getattr(data, name))
    session.add(hub)
    session.flush()
    audit.record(
        session,
        actor,
        "hub.contact",
        hub,
        before=before,
        after=audit.snapshot(hub, *CONTACT_FIELDS),
    )
    return hub


def _chain(community_code: str) -> list[str]:
    """community → street → district: the region codes up from a community, nearest first."""
    return [c for c in (community_code, community_code[:9], community_code[:6]) if c]


def responsible_hub(session: Session, community_code: str) -> Hub | None:
    """The hub responsible for a household or need: the nearest hub up the region chain
    (community → street → district) that has contact details, else the nearest one with active
    staff; None when no hub of the chain has either."""
    chain = _chain(community_code)
    hubs = {
        h.region_code: h for h in session.exec(select(Hub).where(col(Hub.region_code).in_(chain)))
    }
    for code in chain:
        hub = hubs.get(code)
        if hub is not None and hub.has_contact:
            return hub
    staffed = set(
        session.exec(
            select(Hub.region_code)
            .join(User, col(User.hub_id) == Hub.id)
            .where(
                col(Hub.region_code).in_(chain),
                User.role == Role.HUB_STAFF.value,
                col(User.active).is_(True),
            )
        ).all()
    )
    for code in chain:
        if code in staffed:
            return hubs[code]
    return None


def street_hub(session: Session, community_code: str) -> Hub | None:
    """The street hub (助联站) of a community, where warnings and leads go first (DESIGN §9); the
    district's hub when the street has none. Whether anyone staffs it is the caller's question
    (overdue work escalates up the chain to the nearest staffed hub)."""
    chain = _chain(community_code)[1:]  # street, district
    hubs = {
        h.region_code: h for h in session.exec(select(Hub).where(col(Hub.region_code).in_(chain)))
    }
    return next((hubs[code] for code in chain if code in hubs), None)


def staff_of_hub(session: Session, hub: Hub) -> list[int]:
    """The active staff accounts of one hub."""
    return staff_of_hubs(session, [hub.id or 0]).get(hub.id or 0, [])


def staff_of_hubs(session: Session, hub_ids: Sequence[int]) -> dict[int, list[int]]:
    """The active staff accounts of each of these hubs (one query; every hub asked is a key)."""
    out: dict[int, list[int]] = {int(h): [] for h in hub_ids}
    if not out:
        return out
    rows = session.exec(
        select(User.id, User.hub_id)
        .where(
            col(User.hub_id).in_(list(out)),
            User.role == Role.HUB_STAFF.value,
            col(User.active).is_(True),
        )
        .order_by(col(User.id))
    ).all()
    for uid, hub_id in rows:
        if uid is not None and hub_id is not None:
            out[int(hub_id)].append(int(uid))
    return out
