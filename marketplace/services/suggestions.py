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

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

import matching
from marketplace.models import (
    Household,
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
    OfferArrays,
    encode_needs,
    encode_offers,
    generate_candidates,
    haversine_km,
    offers_reaching,
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


@dataclass(frozen=True)
class Policy:
    """How far an offer without a radius reaches (``MATCH_MAX_KM``, None: no limit), how long a
    household waits for the same item again (``REPEAT_HELP_DAYS``), and how long a process may
    reuse its read of the live offers (``SUGGESTION_OFFERS_CACHE_S``, 0: never)."""

    max_km: float | None = 30.0
    repeat_help_days: int = 90
    cache_s: float = 30.0

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Policy:
        return cls(
            max_km=float(config.get("MATCH_MAX_KM", 30)) or None,
            repeat_help_days=int(config.get("REPEAT_HELP_DAYS", 90)),
            cache_s=float(config.get("SUGGESTION_OFFERS_CACHE_S", 30)),
        )


@dataclass(frozen=True)
class _Listed:
    """What a suggestion shows of a live offer."""

    offer_id: int
    title: str
    org_name: str
    remaining: int
    items: frozenset[str]


@dataclass
class _LiveOffers:
    """The published offers of vetted organisations with a place, as the solver reads them
    (``matching.Offer``) and as the page lists them, and their arrays by (day, max_km)."""

    stamp: tuple[Any, ...]
    read_at: float
    listed: list[_Listed]
    located: list[matching.Offer]
    arrays: dict[tuple[date, float | None], OfferArrays] = field(default_factory=dict)
    by_item: dict[str, list[int]] = field(default_factory=dict)  # positions, by item

    def __post_init__(self) -> None:
        for position, offer in enumerate(self.listed):
            for item in offer.items:
                self.by_item.setdefault(item, []).append(position)

    def arrays_for(self, today: date, max_km: float | None) -> OfferArrays:
        key = (today, max_km)
        if key not in self.arrays:
            self.arrays = {key: encode_offers(self.located, today, max_km)}
        return self.arrays[key]


# Per database and process: the live offers (3k at city scale) read, located and encoded once,
# not on every case file. Read again when the stamp moves (an offer published, closed or taken
# from: count, newest, remaining) or after ``Policy.cache_s`` (an edited offer's text or area).
_LIVE: dict[str, _LiveOffers] = {}
_LIVE_LOCK = threading.Lock()


def _live_filter() -> tuple[Any, ...]:
    return (
        col(Offer.status) == OfferStatus.LIVE.value,
        col(Organisation.status) == OrgStatus.VETTED.value,
    )


def _stamp(session: Session) -> tuple[Any, ...]:
    row = session.execute(
        sa_select(
            func.count(),
            func.max(Offer.id),
            func.max(Offer.created_at),
            func.coalesce(func.sum(Offer.remaining), 0),
        )
        .join(Organisation, col(Organisation.id) == Offer.org_id)
        .where(*_live_filter())
    ).one()
    return tuple(row)


def _live_offers(session: Session, max_age_s: float) -> _LiveOffers:
    key = str(session.get_bind().engine.url)
    stamp = _stamp(session)
    now = time.monotonic()
    cached = _LIVE.get(key)
    if cached is not None and cached.stamp == stamp and now - cached.read_at < max_age_s:
        return cached
    centres: dict[str, tuple[float | None, float | None]] = {}
    listed: list[_Listed] = []
    located: list[matching.Offer] = []
    rows = session.execute(
        sa_select(
            col(Offer.id),
            col(Offer.title),
            col(Organisation.name),
            col(Offer.remaining),
            col(Offer.items),
            col(Offer.regions),
            col(Offer.lat),
            col(Offer.lon),
            col(Offer.radius_km),
            col(Offer.hardship),
            col(Offer.start),
            col(Offer.end),
        )
        .join(Organisation, col(Organisation.id) == Offer.org_id)
        .where(*_live_filter())
        .order_by(col(Offer.id))
    ).all()
    for (
        oid,
        title,
        org_name,
        remaining,
        items,
        regions,
        lat,
        lon,
        radius,
        hardship,
        start,
        end,
    ) in rows:
        if (lat is None or lon is None) and regions:  # the centre of its first region
            code = regions[0]
            if code not in centres:
                region = session.get(Region, code)
                centres[code] = (region.lat, region.lon) if region else (None, None)
            lat, lon = centres[code]
        if lat is None or lon is None or not items:
            continue
        listed.append(_Listed(oid or 0, title, org_name, remaining, frozenset(items)))
        located.append(
            matching.Offer(
                id=oid or 0,
                items=tuple(items),
                lat=lat,
                lon=lon,
                capacity=max(1, remaining),
                radius_km=radius,
                regions=tuple(regions),
                hardship=tuple(hardship),
                start=start,
                end=end,
            )
        )
    fresh = _LiveOffers(stamp, now, listed, located)
    if max_age_s > 0:
        with _LIVE_LOCK:
            _LIVE[key] = fresh
    return fresh


def offers_for(
    session: Session,
    *,
    actor: User,
    household_id: int,
    item: str,
    policy: Policy = Policy(),
    now: datetime | None = None,
    reasons: bool = True,
) -> list[SuggestedOffer]:
    """The live offers of ``item`` for a household of the actor's subtree (others: not found):
    eligible ones first, nearest first; then the others with their reason (``reasons=False``:
    the eligible ones only)."""
    household = get_household_for_staff(session, household_id, actor)
    taxon = session.get(TaxonomyItem, item) if item else None
    if taxon is None or not taxon.active:
        raise ValidationFailed({"item": "item.unknown"})
    return _decide(session, household, [item], policy, now=now or utcnow(), reasons=reasons).get(
        item, []
    )


def _decide(
    session: Session,
    household: Household,
    items: list[str],
    policy: Policy,
    *,
    now: datetime,
    reasons: bool,
) -> dict[str, list[SuggestedOffer]]:
    """For each item, the live offers that serve the household's need of it: one
    need per item, one call of the solver's eligibility over them all (the repeat-help rule as
    ``blocked``); eligible first, nearest first, then (``reasons``) the others with their reason,
    asked again offer by offer."""
    community = session.get(Region, household.community_code)
    if community is None or community.lat is None or community.lon is None or not items:
        return {}
    today = beijing_today(now)
    live = _live_offers(session, policy.cache_s)
    if not live.located:
        return {}
    arrays = live.arrays_for(today, policy.max_km)
    m_needs = [
        matching.Need(
            id=index,
            household=household.id or 0,
            item=item,
            lat=community.lat,
            lon=community.lon,
            region=household.community_code,
            priority=1,
            hardship=household.hardship_type,
        )
        for index, item in enumerate(items)
    ]
    needs = encode_needs(m_needs)
    recent = repeat_help.received_items(
        session, [household.id or 0], days=policy.repeat_help_days, now=now
    ).get(household.id or 0, set())
    blocked = np.array([item in recent for item in items], dtype=np.bool_)
    # Only the offers that can reach the household's community go to the eligibility call.
    reach = offers_reaching(arrays, community.lat, community.lon, household.community_code)
    cands = generate_candidates(needs, arrays.take(reach), blocked=blocked)
    fits: dict[int, set[int]] = {n: set() for n in range(len(items))}
    for n, o in zip(cands.need, cands.offer, strict=True):
        fits[int(n)].add(int(reach[o]))
    distances = haversine_km(
        arrays.lat, arrays.lon, np.array([community.lat]), np.array([community.lon])
    )
    out: dict[str, list[SuggestedOffer]] = {}
    for n, item in enumerate(items):
        found: list[SuggestedOffer] = []
        for o in live.by_item.get(item, []) if reasons else sorted(fits[n]):
            offer = live.listed[o]
            if o in fits[n]:
                reason = None if offer.remaining > 0 else CAPACITY_EXHAUSTED
            else:
                one = generate_candidates(
                    encode_needs([m_needs[n]]),
                    encode_offers([live.located[o]], today, policy.max_km),
                    blocked=blocked[n : n + 1],
                )
                reason = WHY_NONE_NAMES[int(one.why_none[0])]
            found.append(
                SuggestedOffer(
                    offer_id=offer.offer_id,
                    title=offer.title,
                    org_name=offer.org_name,
                    remaining=offer.remaining,
                    distance_km=round(float(distances[o]), 2),
                    eligible=reason is None,
                    reason=reason,
                )
            )
        found.sort(key=lambda s: (not s.eligible, s.distance_km or 0.0, s.offer_id))
        out[item] = found
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
    policy: Policy = Policy(),
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
    # One eligibility call for every item.
    decided = _decide(session, household, list(items), policy, now=now or utcnow(), reasons=False)
    offers = {
        item: tuple(r for r in decided.get(item, []) if r.eligible)[:offers_per_item]
        for item in items
    }
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
