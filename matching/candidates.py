"""Candidate generation: every eligible (need, offer) pair with its distance, vectorised.

The loop is over items and, within an item, over the offers that cover it (a few thousand
iterations in all); the pairs themselves are only ever handled as numpy arrays:

* needs of one item are kept sorted by latitude, so a radius offer only looks at the
  latitude band it can reach (``searchsorted``), then computes exact haversine distances;
* needs of one item are also kept sorted by their region code padded to 12 digits, so an
  offer restricted to region prefixes looks at contiguous ranges
  (``prefix * 10**(12 - len(prefix)) <= code12 < (prefix + 1) * 10**(12 - len(prefix))``);
* hardship eligibility is a bitmask test, the date window one boolean per offer;
* offers without a radius get ``max_km`` (the round's distance limit) as their radius.

Then the pairs the round must not propose are removed before any network is built (DESIGN
§12): every pair of a need whose household recently received its item (``blocked``), and the
(need, offer) pairs staff rejected (``excluded``).  For needs with no candidate left the
reason is computed here too (``why_none``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter

import numpy as np
from numpy.typing import NDArray

from matching.model import HARDSHIP_CODES, Need, Offer
from matching.taxonomy import item_index

__all__ = [
    "EARTH_RADIUS_KM",
    "NOT_ELIGIBLE",
    "NO_OFFER_FOR_ITEM",
    "OUT_OF_AREA",
    "PREVIOUSLY_REJECTED",
    "RECENTLY_HELPED",
    "Candidates",
    "NeedArrays",
    "OfferArrays",
    "encode_needs",
    "encode_offers",
    "generate_candidates",
    "haversine_km",
]

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
KM_PER_DEGREE_LAT = EARTH_RADIUS_KM * np.pi / 180.0

# Codes of ``Candidates.why_none`` (index into these names); -1 = the need has candidates.
NO_OFFER_FOR_ITEM, OUT_OF_AREA, NOT_ELIGIBLE, RECENTLY_HELPED, PREVIOUSLY_REJECTED = 0, 1, 2, 3, 4
WHY_NONE_NAMES = (
    "no_offer_for_item",
    "out_of_area",
    "not_eligible",
    "recently_helped",
    "previously_rejected",
)

_HARDSHIP_BIT = {code: 1 << i for i, code in enumerate(HARDSHIP_CODES)}

I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class NeedArrays:
    """Needs as parallel arrays (one row per need, in the caller's order)."""

    item: I32
    lat: F64
    lon: F64
    region12: I64  # region code padded with zeros to 12 digits
    region_len: I32  # 6, 9 or 12
    hardship_bit: I64  # 0 when the need has no hardship type

    def __len__(self) -> int:
        return len(self.item)


@dataclass(frozen=True, slots=True)
class OfferArrays:
    """Offers as parallel arrays, plus their small per-offer lists."""

    lat: F64
    lon: F64
    radius_km: F64  # +inf = no radius limit
    hardship_mask: I64  # 0 = open to every hardship type
    live: NDArray[np.bool_]  # date window covers the round date
    items: tuple[tuple[int, ...], ...]
    regions: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return len(self.lat)

    def take(self, index: I32) -> OfferArrays:
        """The offers at ``index``, in that order (their positions become 0..len-1)."""
        return OfferArrays(
            lat=self.lat[index],
            lon=self.lon[index],
            radius_km=self.radius_km[index],
            hardship_mask=self.hardship_mask[index],
            live=self.live[index],
            items=tuple(self.items[i] for i in index),
            regions=tuple(self.regions[i] for i in index),
        )


def offers_reaching(offers: OfferArrays, lat: float, lon: float, region: str) -> I32:
    """The offers whose service area can hold a point (its community code ``region``): a region
    list that has a prefix of it, if any, and the radius around the offer. A cheap prefilter for
    one place (a household's suggestions): ``generate_candidates`` still decides, so every rule
    keeps one home; it only skips the offers that cannot reach the place (a hair of slack on the
    radius, for the rounding of the other argument order)."""
    near = haversine_km(offers.lat, offers.lon, np.array(lat), np.array(lon)) <= (
        offers.radius_km * (1.0 + 1e-9) + 1e-9
    )
    in_regions = np.fromiter(
        (
            not prefixes or any(region.startswith(p) for p in prefixes)
            for prefixes in offers.regions
        ),
        dtype=np.bool_,
        count=len(offers),
    )
    return np.flatnonzero(near & in_regions).astype(np.int32)


@dataclass(frozen=True, slots=True)
class Candidates:
    """Eligible pairs, grouped by need (need ascending, then offer ascending)."""

    need: I32
    offer: I32
    distance_km: F64
    why_none: NDArray[np.int8]  # per need: -1, or one of the codes above

    def __len__(self) -> int:
        return len(self.need)


def encode_needs(needs: Sequence[Need]) -> NeedArrays:
    """Turn need records into arrays (one Python pass over needs, none over pairs)."""
    index = item_index()
    n = len(needs)
    regions = list(map(attrgetter("region"), needs))
    region_len = np.fromiter(map(len, regions), dtype=np.int32, count=n)
    region = np.fromiter(map(int, regions), dtype=np.int64, count=n)
    return NeedArrays(
        item=np.fromiter(map(index.__getitem__, map(attrgetter("item"), needs)), np.int32, n),
        lat=np.fromiter(map(attrgetter("lat"), needs), dtype=np.float64, count=n),
        lon=np.fromiter(map(attrgetter("lon"), needs), dtype=np.float64, count=n),
        region12=region * 10 ** (12 - region_len).astype(np.int64),
        region_len=region_len,
        hardship_bit=np.fromiter(
            map(_HARDSHIP_BIT.get, map(attrgetter("hardship"), needs), itertools.repeat(0)),
            dtype=np.int64,
            count=n,
        ),
    )


def encode_offers(
    offers: Sequence[Offer], round_date: date, max_km: float | None = None
) -> OfferArrays:
    """Turn offer records into arrays; ``live`` applies the date window for ``round_date``;
    offers without a radius get ``max_km`` (None = no limit)."""
    index = item_index()
    m = len(offers)
    default_radius = np.inf if max_km is None else float(max_km)
    return OfferArrays(
        lat=np.fromiter((o.lat for o in offers), dtype=np.float64, count=m),
        lon=np.fromiter((o.lon for o in offers), dtype=np.float64, count=m),
        radius_km=np.fromiter(
            (default_radius if o.radius_km is None else o.radius_km for o in offers),
            dtype=np.float64,
            count=m,
        ),
        hardship_mask=np.fromiter(
            (sum(_HARDSHIP_BIT[h] for h in set(o.hardship)) for o in offers),
            dtype=np.int64,
            count=m,
        ),
        live=np.fromiter((o.live_on(round_date) for o in offers), dtype=np.bool_, count=m),
        items=tuple(tuple(sorted({index[i] for i in o.items})) for o in offers),
        regions=tuple(o.regions for o in offers),
    )


def haversine_km(lat1: F64 | float, lon1: F64 | float, lat2: F64, lon2: F64) -> F64:
    """Great-circle distance in km between points given in degrees (broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) * 0.5) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) * 0.5) ** 2
    )
    result: F64 = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return result


@dataclass(frozen=True, slots=True)
class _ItemNeeds:
    """The needs of one item, in latitude order and in region-code order."""

    by_lat: I32
    lat_sorted: F64
    by_region: I32
    region_sorted: I64


def _index_needs_by_item(needs: NeedArrays, n_items: int) -> list[_ItemNeeds]:
    by_lat = np.lexsort((needs.lat, needs.item)).astype(np.int32)
    by_region = np.lexsort((needs.region12, needs.item)).astype(np.int32)
    bounds = np.searchsorted(needs.item[by_lat], np.arange(n_items + 1), side="left")
    result = []
    for k in range(n_items):
        lo, hi = bounds[k], bounds[k + 1]
        lat_idx, reg_idx = by_lat[lo:hi], by_region[lo:hi]
        result.append(_ItemNeeds(lat_idx, needs.lat[lat_idx], reg_idx, needs.region12[reg_idx]))
    return result


def _area_members(group: _ItemNeeds, needs: NeedArrays, offers: OfferArrays, o: int) -> I32:
    """Needs of the item that lie in offer ``o``'s service area, before the radius test."""
    if offers.regions[o]:
        parts = []
        for prefix in offers.regions[o]:
            scale = 10 ** (12 - len(prefix))
            lo, hi = np.searchsorted(
                group.region_sorted, [int(prefix) * scale, (int(prefix) + 1) * scale]
            )
            part = group.by_region[lo:hi]
            parts.append(part[needs.region_len[part] >= len(prefix)])
        return parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts))
    radius = offers.radius_km[o]
    if np.isfinite(radius):
        band = radius / KM_PER_DEGREE_LAT * (1.0 + 1e-9) + 1e-9
        lat = offers.lat[o]
        lo, hi = np.searchsorted(group.lat_sorted, [lat - band, lat + band])
        return group.by_lat[lo:hi]
    return group.by_lat


def generate_candidates(
    needs: NeedArrays,
    offers: OfferArrays,
    *,
    blocked: NDArray[np.bool_] | None = None,
    excluded: I64 | None = None,
) -> Candidates:
    """All eligible (need, offer) pairs and, for needs with none, why not (DESIGN §5).

    ``blocked`` (per need): the household recently received the need's item — no pair.
    ``excluded``: pair keys ``need * len(offers) + offer`` never to propose (rejected)."""
    n_items = len(item_index())
    groups = _index_needs_by_item(needs, n_items)
    offers_of_item: list[list[int]] = [[] for _ in range(n_items)]
    for o, its in enumerate(offers.items):
        for k in its:
            offers_of_item[k].append(o)

    item_offered = np.zeros(n_items, dtype=np.bool_)
    in_area = np.zeros(len(needs), dtype=np.bool_)
    chunks_need: list[I32] = []
    chunks_offer: list[I32] = []
    chunks_dist: list[F64] = []
    for k in range(n_items):
        group = groups[k]
        item_offered[k] = bool(offers_of_item[k])
        if len(group.by_lat) == 0:
            continue
        for o in offers_of_item[k]:
            members = _area_members(group, needs, offers, o)
            if len(members) == 0:
                continue
            dist = haversine_km(
                offers.lat[o], offers.lon[o], needs.lat[members], needs.lon[members]
            )
            # Rule: within the offer's radius (if any) — great-circle distance <= radius_km.
            if np.isfinite(offers.radius_km[o]):
                inside = dist <= offers.radius_km[o]
                members, dist = members[inside], dist[inside]
            in_area[members] = True
            # Rule: the offer's date window covers the round date.
            if not offers.live[o]:
                continue
            # Rule: hardship restriction (empty = everyone; else the need's type must be listed).
            mask = offers.hardship_mask[o]
            if mask:
                ok = (needs.hardship_bit[members] & mask) != 0
                members, dist = members[ok], dist[ok]
            if len(members):
                chunks_need.append(members)
                chunks_offer.append(np.full(len(members), o, dtype=np.int32))
                chunks_dist.append(dist)

    if chunks_need:
        need = np.concatenate(chunks_need)
        offer = np.concatenate(chunks_offer)
        dist = np.concatenate(chunks_dist)
        order = np.lexsort((offer, need))
        need, offer, dist = need[order], offer[order], dist[order]
    else:
        need = np.zeros(0, dtype=np.int32)
        offer = np.zeros(0, dtype=np.int32)
        dist = np.zeros(0, dtype=np.float64)

    eligible = np.zeros(len(needs), dtype=np.bool_)
    eligible[need] = True
    # Rule (DESIGN §12): no double help, and a rejected pair is not proposed again — the
    # arcs are dropped here, so the optimum is computed without them.
    keep = None
    if blocked is not None and blocked.any():
        keep = ~blocked[need]
    if excluded is not None and len(excluded):
        key = need.astype(np.int64) * len(offers) + offer
        gone = np.isin(key, excluded)
        keep = ~gone if keep is None else keep & ~gone
    if keep is not None:
        need, offer, dist = need[keep], offer[keep], dist[keep]
    has_arc = np.zeros(len(needs), dtype=np.bool_)
    has_arc[need] = True
    why = np.full(len(needs), NOT_ELIGIBLE, dtype=np.int8)
    why[~in_area] = OUT_OF_AREA
    why[~item_offered[needs.item]] = NO_OFFER_FOR_ITEM
    why[eligible] = PREVIOUSLY_REJECTED
    if blocked is not None:
        why[eligible & blocked] = RECENTLY_HELPED
    why[has_arc] = -1
    return Candidates(need=need.astype(np.int32), offer=offer, distance_km=dist, why_none=why)
