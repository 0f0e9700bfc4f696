"""帮扶建议 — the live offers that could serve a household's need of one item now (DESIGN §9,
issue 13 item 5), decided by the solver's own eligibility code (``matching.candidates``: item,
area, radius with ``ZHONGFU_MATCH_MAX_KM`` for offers without one, hardship, dates) plus the
repeat-help rule (``services/repeat_help.py``) and capacity left: eligible offers nearest first
with their distance, and for the item's other offers the reason they do not qualify.

Not done yet: the likely causes (致困原因) and items of help from rules in the model file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import String, cast
from sqlmodel import Session, col, select

import matching
from marketplace.models import (
    Offer,
    OfferStatus,
    Organisation,
    OrgStatus,
    Region,
    TaxonomyItem,
    User,
    utcnow,
)
from marketplace.services import repeat_help
from marketplace.services.access import get_household_for_staff
from marketplace.services.clock import beijing_today
from marketplace.services.errors import ValidationFailed
from matching.candidates import (
    WHY_NONE_NAMES,
    encode_needs,
    encode_offers,
    generate_candidates,
    haversine_km,
)

CAPACITY_EXHAUSTED = "capacity_exhausted"


@dataclass(frozen=True)
class SuggestedOffer:
    offer_id: int
    title: str
    org_name: str
    remaining: int
    distance_km: float | None  # from the offer's centre to the household's community
    eligible: bool
    reason: str | None  # why not (a matching reason code, or capacity_exhausted)


def offers_for(
    session: Session,
    *,
    actor: User,
    household_id: int,
    item: str,
    max_km: float | None = None,
    repeat_help_days: int = 90,
    now: datetime | None = None,
) -> list[SuggestedOffer]:
    """The live offers of ``item`` for a household of the actor's subtree (others: not found):
    eligible ones first, nearest first; then the others with their reason."""
    now = now or utcnow()
    household = get_household_for_staff(session, household_id, actor)
    taxon = session.get(TaxonomyItem, item) if item else None
    if taxon is None or not taxon.active:
        raise ValidationFailed({"item": "item.unknown"})
    community = session.get(Region, household.community_code)
    if community is None or community.lat is None or community.lon is None:
        return []
    today = beijing_today(now)
    # SQL prefilter: published offers of vetted organisations (3k at city scale); the item (a
    # JSON list) and the exact rules are checked in Python below.
    rows = session.exec(
        select(Offer, Organisation.name)
        .join(Organisation, col(Organisation.id) == Offer.org_id)
        .where(
            col(Offer.status) == OfferStatus.LIVE.value,
            col(Organisation.status) == OrgStatus.VETTED.value,
            # the item's code inside the JSON list, as text (both databases); exact check below
            cast(col(Offer.items), String).contains(item),
        )
    ).all()
    rows = [(o, name) for o, name in rows if item in o.items]
    if not rows:
        return []
    centres: dict[str, tuple[float | None, float | None]] = {}
    need = matching.Need(
        id=0,
        household=household.id or 0,
        item=item,
        lat=community.lat,
        lon=community.lon,
        region=household.community_code,
        priority=1,
        hardship=household.hardship_type,
    )
    needs = encode_needs([need])
    blocked = np.array(
        [
            repeat_help.received_recently(
                session, household.id or 0, item, days=repeat_help_days, now=now
            )
        ]
    )
    out: list[SuggestedOffer] = []
    for offer, org_name in rows:
        lat, lon = offer.lat, offer.lon
        if (lat is None or lon is None) and offer.regions:
            code = offer.regions[0]
            if code not in centres:
                region = session.get(Region, code)
                centres[code] = (region.lat, region.lon) if region else (None, None)
            lat, lon = centres[code]
        if lat is None or lon is None:
            continue
        m_offer = matching.Offer(
            id=offer.id or 0,
            items=tuple(offer.items),
            lat=lat,
            lon=lon,
            capacity=max(1, offer.remaining),
            radius_km=offer.radius_km,
            regions=tuple(offer.regions),
            hardship=tuple(offer.hardship),
            start=offer.start,
            end=offer.end,
        )
        cands = generate_candidates(needs, encode_offers([m_offer], today, max_km), blocked=blocked)
        distance = float(
            haversine_km(lat, lon, np.array([community.lat]), np.array([community.lon]))[0]
        )
        if len(cands):
            reason = None if offer.remaining > 0 else CAPACITY_EXHAUSTED
        else:
            reason = WHY_NONE_NAMES[int(cands.why_none[0])]
        out.append(
            SuggestedOffer(
                offer_id=offer.id or 0,
                title=offer.title,
                org_name=org_name,
                remaining=offer.remaining,
                distance_km=round(distance, 2),
                eligible=reason is None,
                reason=reason,
            )
        )
    out.sort(key=lambda s: (not s.eligible, s.distance_km or 0.0, s.offer_id))
    return out
