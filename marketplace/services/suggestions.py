"""帮扶建议 — the live offers that could serve a household's need of one item now (DESIGN §9,
issue 13 item 5), decided by the solver's own eligibility code (``matching.candidates``: item,
area, radius with ``ZHONGFU_MATCH_MAX_KM`` for offers without one, hardship, dates) plus the
repeat-help rule (``services/repeat_help.py``) and capacity left: eligible offers nearest first
with their distance, and for the item's other offers the reason they do not qualify.

The likely causes (致困原因) and items of help come from the model file's ``suggestions`` rules
(``data/resilience/v2.json``): a cause applies when one of its indicators counts in the
household's score or the warning's event is of one of its kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import String, cast, or_
from sqlmodel import Session, col, select

import matching
from marketplace.models import (
    MonitoringEvent,
    Offer,
    OfferStatus,
    Organisation,
    OrgStatus,
    Region,
    RiskWarning,
    TaxonomyItem,
    User,
    utcnow,
)
from marketplace.services import repeat_help, resilience
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


def _published(session: Session, items: list[str]) -> list[tuple[Offer, str]]:
    """SQL prefilter: published offers of vetted organisations (3k at city scale) that may hold
    one of ``items`` (the code inside the JSON list, as text, on both databases); the exact rules
    are checked in Python by ``offers_for``."""
    if not items:
        return []
    return list(
        session.exec(
            select(Offer, Organisation.name)
            .join(Organisation, col(Organisation.id) == Offer.org_id)
            .where(
                col(Offer.status) == OfferStatus.LIVE.value,
                col(Organisation.status) == OrgStatus.VETTED.value,
                or_(*(cast(col(Offer.items), String).contains(item) for item in items)),
            )
        ).all()
    )


def offers_for(
    session: Session,
    *,
    actor: User,
    household_id: int,
    item: str,
    max_km: float | None = None,
    repeat_help_days: int = 90,
    now: datetime | None = None,
    reasons: bool = True,
    live: list[tuple[Offer, str]] | None = None,
) -> list[SuggestedOffer]:
    """The live offers of ``item`` for a household of the actor's subtree (others: not found):
    eligible ones first, nearest first; then the others with their reason (``reasons=False``:
    the eligible ones only; ``live``: the published offers, read once for several items)."""
    now = now or utcnow()
    household = get_household_for_staff(session, household_id, actor)
    taxon = session.get(TaxonomyItem, item) if item else None
    if taxon is None or not taxon.active:
        raise ValidationFailed({"item": "item.unknown"})
    community = session.get(Region, household.community_code)
    if community is None or community.lat is None or community.lon is None:
        return []
    today = beijing_today(now)
    rows = [
        (o, name)
        for o, name in (live if live is not None else _published(session, [item]))
        if item in o.items
    ]
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
    located: list[tuple[Offer, str, float, float, matching.Offer]] = []
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
        located.append((offer, org_name, lat, lon, m_offer))
    if not located:
        return []
    # One call decides every offer (the solver's eligibility, vectorised); only the API, which
    # says why an offer does not fit, asks again offer by offer for the ones that do not.
    all_cands = generate_candidates(
        needs, encode_offers([m for *_rest, m in located], today, max_km), blocked=blocked
    )
    fits = {int(o) for o in all_cands.offer}
    distances = haversine_km(
        np.array([lat for _o, _n, lat, _lon, _m in located]),
        np.array([lon for _o, _n, _lat, lon, _m in located]),
        np.array([community.lat]),
        np.array([community.lon]),
    )
    out: list[SuggestedOffer] = []
    for index, (offer, org_name, _lat, _lon, m_offer) in enumerate(located):
        if index in fits:
            reason = None if offer.remaining > 0 else CAPACITY_EXHAUSTED
        elif not reasons:
            continue
        else:
            cands = generate_candidates(
                needs, encode_offers([m_offer], today, max_km), blocked=blocked
            )
            reason = WHY_NONE_NAMES[int(cands.why_none[0])]
        out.append(
            SuggestedOffer(
                offer_id=offer.id or 0,
                title=offer.title,
                org_name=org_name,
                remaining=offer.remaining,
                distance_km=round(float(distances[index]), 2),
                eligible=reason is None,
                reason=reason,
            )
        )
    out.sort(key=lambda s: (not s.eligible, s.distance_km or 0.0, s.offer_id))
    return out


# 致困原因 and items of help, from the model file's ``suggestions`` rules ---------------------------


@dataclass(frozen=True)
class Cause:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Suggestions:
    causes: tuple[Cause, ...]
    items: tuple[str, ...]  # taxonomy item codes, the likeliest first
    offers: dict[str, tuple[SuggestedOffer, ...]]  # item → eligible live offers, nearest first


def causes_and_items(
    model: resilience.Model, indicators: set[str], event_kinds: set[str]
) -> tuple[tuple[Cause, ...], tuple[str, ...]]:
    """Pure: the causes whose indicators count in the score or whose event kinds happened, in the
    model file's order, and their items of help (each once, in order of first mention)."""
    causes: list[Cause] = []
    items: list[str] = []
    for code, rule in model.definition.get("suggestions", {}).items():
        if indicators & set(rule.get("indicators", [])) or event_kinds & set(
            rule.get("events", [])
        ):
            causes.append(Cause(code, rule["zh"], rule["en"]))
            items += [i for i in rule["items"] if i not in items]
    return tuple(causes), tuple(items)


def for_household(
    session: Session,
    *,
    actor: User,
    household_id: int,
    event_kinds: set[str] | None = None,
    max_km: float | None = None,
    repeat_help_days: int = 90,
    offers_per_item: int = 3,
    now: datetime | None = None,
) -> Suggestions:
    """A household's likely causes (from its profile's indicators and, for a warning, its
    event), the items of help, and for each item the nearest eligible live offers."""
    household = get_household_for_staff(session, household_id, actor)
    model = resilience.active_model(session)
    fired = set()
    if household.profile:
        score = resilience.score_household(model, household)
        fired = {c.indicator for c in score.contributions if c.points}
    causes, items = causes_and_items(model, fired, event_kinds or set())
    offers: dict[str, tuple[SuggestedOffer, ...]] = {}
    live = _published(session, list(items))  # one read for every item
    for item in items:
        rows = offers_for(
            session,
            actor=actor,
            household_id=household_id,
            item=item,
            max_km=max_km,
            repeat_help_days=repeat_help_days,
            now=now,
            reasons=False,
            live=live,
        )
        offers[item] = tuple(r for r in rows if r.eligible)[:offers_per_item]
    return Suggestions(causes, items, offers)


def for_warning(
    session: Session, *, actor: User, warning: RiskWarning, **kwargs: Any
) -> Suggestions:
    """The suggestions of a warning: its household's, with its event's kind."""
    event = session.get(MonitoringEvent, warning.event_id)
    kinds = {event.kind} if event is not None else set()
    return for_household(
        session, actor=actor, household_id=warning.household_id, event_kinds=kinds, **kwargs
    )
