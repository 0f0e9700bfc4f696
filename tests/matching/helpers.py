"""Factories and an independent (slow, obviously correct) reference for solver tests."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from datetime import date
from typing import Any

from matching import Need, Offer, Params, Problem, Result

ROUND = date(2025, 3, 1)
BASE_LAT, BASE_LON = 30.27, 120.16
KM_LAT = 1 / 111.195  # degrees of latitude per km


def need(id: str = "n1", **kw: Any) -> Need:
    data: dict[str, Any] = {
        "household": f"h-{id}",
        "item": "07-02",
        "lat": BASE_LAT,
        "lon": BASE_LON,
        "region": "330106001001",
        "priority": 2,
    }
    data.update(kw)
    return Need(id=id, **data)


def offer(id: str = "o1", **kw: Any) -> Offer:
    data: dict[str, Any] = {
        "items": ("07-02",),
        "lat": BASE_LAT,
        "lon": BASE_LON,
        "capacity": 1,
    }
    data.update(kw)
    return Offer(id=id, **data)


def problem(needs: list[Need], offers: list[Offer], **params: Any) -> Problem:
    params.setdefault("round_date", ROUND)
    return Problem(tuple(needs), tuple(offers), Params(**params))


def north(km: float) -> float:
    """Latitude ``km`` north of the base point."""
    return BASE_LAT + km * KM_LAT


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))


def eligible(n: Need, o: Offer, day: date = ROUND, max_km: float | None = None) -> bool:
    """DESIGN §5 eligibility, written out plainly (``max_km``: radius of offers with none)."""
    if n.item not in o.items:
        return False
    if o.regions and not any(n.region.startswith(r) for r in o.regions):
        return False
    radius = max_km if o.radius_km is None else o.radius_km
    if radius is not None and haversine_km(n.lat, n.lon, o.lat, o.lon) > radius:
        return False
    if o.hardship and n.hardship not in o.hardship:
        return False
    return (o.start is None or o.start <= day) and (o.end is None or day <= o.end)


def recently_helped(p: Problem, n: Need) -> bool:
    return any(r.household == n.household and n.item in r.items for r in p.recent)


def held_needs(p: Problem) -> set[object]:
    return {h.need for h in p.held}


def allowed(p: Problem, n: Need, o: Offer) -> bool:
    """Eligible, and none of the DESIGN §12 exclusions: recently helped, rejected pair."""
    day = p.params.round_date or ROUND
    return (
        eligible(n, o, day, p.params.max_km)
        and not recently_helped(p, n)
        and o.id not in n.excluded_offers
    )


def capacity_left(p: Problem, o: Offer) -> int:
    """The offer's capacity less the units its held proposals keep."""
    return max(0, o.capacity - sum(h.offer == o.id for h in p.held))


def tilted(p: Problem, n: Need) -> bool:
    return p.params.tilt_km > 0 and n.region.startswith(tuple(p.params.tilt_regions))


def dist_m(n: Need, o: Offer) -> int:
    return round(haversine_km(n.lat, n.lon, o.lat, o.lon) * 1000)


def brute_force(p: Problem) -> tuple[tuple[int, int, int], int]:
    """Best (served p1, p2, p3) lexicographically, then least total metres (less the
    regional-tilt bonus of served tilted needs), by enumeration.  Held needs are left out."""
    held = held_needs(p)
    needs = tuple(n for n in p.needs if n.id not in held)
    offers = p.offers
    bonus = round(p.params.tilt_km * 1000)
    options = [[None, *[j for j, o in enumerate(offers) if allowed(p, n, o)]] for n in needs]
    cap = p.params.max_per_household
    best: tuple[tuple[int, int, int], int] | None = None
    for choice in itertools.product(*options):
        used = Counter(j for j in choice if j is not None)
        if any(used[j] > capacity_left(p, offers[j]) for j in used):
            continue
        if cap is not None:
            per_hh = Counter(needs[i].household for i, j in enumerate(choice) if j is not None)
            if any(v > cap for v in per_hh.values()):
                continue
        if p.params.once_per_item:
            per_item = Counter(
                (needs[i].household, needs[i].item) for i, j in enumerate(choice) if j is not None
            )
            if any(v > 1 for v in per_item.values()):
                continue
        served = Counter(needs[i].priority for i, j in enumerate(choice) if j is not None)
        counts = (served[1], served[2], served[3])
        total = sum(
            dist_m(needs[i], offers[j]) - (bonus if tilted(p, needs[i]) else 0)
            for i, j in enumerate(choice)
            if j is not None
        )
        if best is None or (counts, -total) > (best[0], -best[1]):
            best = (counts, total)
    assert best is not None
    return best


def total_m(p: Problem, r: Result) -> int:
    """Total metres of the assignments, less the tilt bonus of tilted needs served."""
    needs = {n.id: n for n in p.needs}
    offers = {o.id: o for o in p.offers}
    bonus = round(p.params.tilt_km * 1000)
    return sum(
        dist_m(needs[a.need], offers[a.offer]) - (bonus if tilted(p, needs[a.need]) else 0)
        for a in r.assignments
    )


def check_feasible(p: Problem, r: Result) -> None:
    """Capacity (less held units), eligibility and the DESIGN §12 exclusions, once per need,
    household cap, held needs untouched, and every other need accounted for."""
    held = held_needs(p)
    needs = {n.id: n for n in p.needs if n.id not in held}
    offers = {o.id: o for o in p.offers}
    served = [a.need for a in r.assignments]
    assert len(served) == len(set(served)), "a need is served twice"
    for a in r.assignments:
        assert allowed(p, needs[a.need], offers[a.offer]), a
        assert a.reasons
    load = Counter(a.offer for a in r.assignments)
    for oid, used in load.items():
        assert used <= capacity_left(p, offers[oid])
    cap = p.params.max_per_household
    if cap is not None:
        per_hh = Counter(needs[a.need].household for a in r.assignments)
        assert max(per_hh.values(), default=0) <= cap
    if p.params.once_per_item:
        per_item = Counter((needs[a.need].household, needs[a.need].item) for a in r.assignments)
        assert max(per_item.values(), default=0) <= 1, "a household got one item twice"
    unmatched = [u.need for u in r.unmatched]
    assert sorted(map(str, served + unmatched)) == sorted(str(i) for i in needs)
