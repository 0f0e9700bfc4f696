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


def eligible(n: Need, o: Offer, day: date = ROUND) -> bool:
    """DESIGN §5 eligibility, written out plainly."""
    if n.item not in o.items:
        return False
    if o.regions and not any(n.region.startswith(r) for r in o.regions):
        return False
    if o.radius_km is not None and haversine_km(n.lat, n.lon, o.lat, o.lon) > o.radius_km:
        return False
    if o.hardship and n.hardship not in o.hardship:
        return False
    return (o.start is None or o.start <= day) and (o.end is None or day <= o.end)


def dist_m(n: Need, o: Offer) -> int:
    return round(haversine_km(n.lat, n.lon, o.lat, o.lon) * 1000)


def brute_force(p: Problem) -> tuple[tuple[int, int, int], int]:
    """Best (served p1, p2, p3) lexicographically, then least total metres, by enumeration."""
    needs, offers = p.needs, p.offers
    day = p.params.round_date or ROUND
    options = [[None, *[j for j, o in enumerate(offers) if eligible(n, o, day)]] for n in needs]
    cap = p.params.max_per_household
    best: tuple[tuple[int, int, int], int] | None = None
    for choice in itertools.product(*options):
        used = Counter(j for j in choice if j is not None)
        if any(used[j] > offers[j].capacity for j in used):
            continue
        if cap is not None:
            per_hh = Counter(needs[i].household for i, j in enumerate(choice) if j is not None)
            if any(v > cap for v in per_hh.values()):
                continue
        served = Counter(needs[i].priority for i, j in enumerate(choice) if j is not None)
        counts = (served[1], served[2], served[3])
        total = sum(dist_m(needs[i], offers[j]) for i, j in enumerate(choice) if j is not None)
        if best is None or (counts, -total) > (best[0], -best[1]):
            best = (counts, total)
    assert best is not None
    return best


def total_m(p: Problem, r: Result) -> int:
    needs = {n.id: n for n in p.needs}
    offers = {o.id: o for o in p.offers}
    return sum(dist_m(needs[a.need], offers[a.offer]) for a in r.assignments)


def check_feasible(p: Problem, r: Result) -> None:
    """Capacity, eligibility, once per need, household cap, and every need accounted for."""
    needs = {n.id: n for n in p.needs}
    offers = {o.id: o for o in p.offers}
    day = p.params.round_date or ROUND
    served = [a.need for a in r.assignments]
    assert len(served) == len(set(served)), "a need is served twice"
    for a in r.assignments:
        assert eligible(needs[a.need], offers[a.offer], day), a
        assert a.reasons
    load = Counter(a.offer for a in r.assignments)
    for oid, used in load.items():
        assert used <= offers[oid].capacity
    cap = p.params.max_per_household
    if cap is not None:
        per_hh = Counter(needs[a.need].household for a in r.assignments)
        assert max(per_hh.values(), default=0) <= cap
    unmatched = [u.need for u in r.unmatched]
    assert sorted(map(str, served + unmatched)) == sorted(str(n.id) for n in p.needs)
