"""地图 — what the map pages show, scoped by role, never a household's identity.

Open wishes are counted per community (the masked location members already see); hubs and
region-based offers are placed on their region's centre; radius offers are circles. Staff also see
open warnings (预警) counted per community: counts only, never a household's point or name.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import case
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from marketplace.models import (
    Hub,
    NeedKind,
    NeedStatus,
    NeedTally,
    Offer,
    Organisation,
    Region,
    RiskWarning,
    Role,
    User,
    WarningLevel,
    WarningStatus,
)
from marketplace.services import tally
from marketplace.services.access import viewer_scope
from marketplace.services.errors import Forbidden
from marketplace.services.offers import live_conditions
from marketplace.services.regions import in_subtree, overlaps


def map_scope(session: Session, actor: User) -> str | None:
    """The region the actor's map covers (None: the whole city)."""
    if actor.role == Role.MEMBER:
        return None  # the whole (masked) wish pool
    if actor.role not in (Role.ADMIN, Role.HUB_STAFF):
        raise Forbidden("map.forbidden")
    return viewer_scope(session, actor)


def _centres(session: Session, codes: set[str]) -> dict[str, tuple[str, float, float]]:
    if not codes:
        return {}
    rows = session.exec(
        select(Region.code, Region.name, Region.lat, Region.lon).where(
            col(Region.code).in_(codes), col(Region.lat).is_not(None)
        )
    ).all()
    return {
        str(c): (str(n), float(la), float(lo))
        for c, n, la, lo in rows
        if la is not None and lo is not None
    }


def wishes_by_community(
    session: Session, scope: str | None, *, wishes_only: bool
) -> list[dict[str, Any]]:
    """Open needs (members: open wishes) per community, from the snapshot (services/tally.py)."""
    stmt = select(NeedTally.community_code, func.sum(NeedTally.n)).where(
        NeedTally.status == NeedStatus.OPEN.value
    )
    if wishes_only:
        stmt = stmt.where(NeedTally.kind == NeedKind.WISH.value)
    if scope:
        stmt = stmt.where(in_subtree(NeedTally.community_code, scope))
    counts = {
        str(c): int(n) for c, n in session.exec(stmt.group_by(NeedTally.community_code)).all()
    }
    centres = _centres(session, set(counts))
    return [
        {
            "code": code,
            "name": centres[code][0],
            "lat": centres[code][1],
            "lon": centres[code][2],
            "count": n,
        }
        for code, n in sorted(counts.items())
        if code in centres
    ]


def warnings_by_community(session: Session, scope: str | None) -> list[dict[str, Any]]:
    """Open warnings per community, and how many of them are important (重点预警): one GROUP BY
    on ``ix_warning_status_community``; no household point, name or ID leaves this function."""
    important = case((col(RiskWarning.level) == WarningLevel.IMPORTANT.value, 1), else_=0)
    stmt = select(RiskWarning.community_code, func.count(), func.sum(important)).where(
        RiskWarning.status == WarningStatus.OPEN.value
    )
    if scope:
        stmt = stmt.where(in_subtree(RiskWarning.community_code, scope))
    counts = {
        str(c): (int(n), int(i or 0))
        for c, n, i in session.exec(stmt.group_by(RiskWarning.community_code)).all()
    }
    centres = _centres(session, set(counts))
    return [
        {
            "code": code,
            "name": centres[code][0],
            "lat": centres[code][1],
            "lon": centres[code][2],
            "count": n,
            "important": important_n,
        }
        for code, (n, important_n) in sorted(counts.items())
        if code in centres
    ]


def hubs(session: Session, scope: str | None) -> list[dict[str, Any]]:
    stmt = sa_select(
        col(Hub.name), col(Hub.level), col(Region.code), col(Region.lat), col(Region.lon)
    ).join(Region, col(Region.code) == Hub.region_code)
    if scope:
        stmt = stmt.where(in_subtree(Hub.region_code, scope))
    return [
        {"name": n, "level": lv, "code": c, "lat": la, "lon": lo}
        for n, lv, c, la, lo in session.execute(stmt).all()
        if la is not None and lo is not None
    ]


def _touches(regions: list[str], scope: str | None) -> bool:
    if scope is None or not regions:
        return True
    return any(overlaps(r, scope) for r in regions)


def offers(session: Session, scope: str | None, today: date | None = None) -> list[dict[str, Any]]:
    """Live offers: circles for radius offers, markers on the centre of each region otherwise.

    Offers are few (hundreds), so the area test runs here rather than on JSON columns in SQL.
    """
    rows = session.exec(
        select(Offer, Organisation.name)
        .join(Organisation, col(Organisation.id) == Offer.org_id)
        .where(*live_conditions(today))
    ).all()
    region_codes = {r for o, _ in rows for r in o.regions}
    centres = _centres(session, region_codes)
    out: list[dict[str, Any]] = []
    for offer, org in rows:
        if not _touches(offer.regions, scope):
            continue
        base = {
            "id": offer.id,
            "title": offer.title,
            "org": org,
            "remaining": offer.remaining,
            "capacity": offer.capacity,
            "unit": offer.unit,
            "items": offer.items,
        }
        if offer.radius_km and offer.lat is not None and offer.lon is not None:
            out.append(
                base
                | {
                    "shape": "circle",
                    "lat": offer.lat,
                    "lon": offer.lon,
                    "radius_km": offer.radius_km,
                }
            )
        for code in offer.regions:
            if code in centres and (scope is None or overlaps(code, scope)):
                name, lat, lon = centres[code]
                out.append(base | {"shape": "region", "region": name, "lat": lat, "lon": lon})
    return out


def map_data(session: Session, *, actor: User, counts_max_age_s: float = 0.0) -> dict[str, Any]:
    """The map's layers for the actor's scope; the wish counts come from the snapshot, rebuilt
    first if it is older than ``counts_max_age_s`` (0: counted now)."""
    scope = map_scope(session, actor)
    counts_as_of = tally.ensure(session, max_age_s=counts_max_age_s)
    member = actor.role == Role.MEMBER
    centre = None
    if scope:
        region = session.get(Region, scope)
        if region is not None and region.lat is not None:
            centre = [region.lat, region.lon]
    return {
        "scope": scope,
        "centre": centre,
        "wishes": wishes_by_community(session, scope, wishes_only=member),
        "hubs": [] if member else hubs(session, scope),
        "warnings": [] if member else warnings_by_community(session, scope),
        "offers": [] if member else offers(session, scope),
        "counts_as_of": counts_as_of.isoformat(),
    }
