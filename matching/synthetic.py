"""Synthetic Hangzhou-like markets for benchmarks, demos and tests (explicit seed).

Needs cluster in the urban core around 30.27N 120.16E with a sparser spread over the outer
districts and the western counties (桐庐, 淳安, 建德); households have 1-4 needs; priorities
are about 25% / 35% / 40% for 1 / 2 / 3, some needs raised one step (急难 or overdue).
Offers have capacities 1-60, 1-3 items, radii 3-30 km and/or region prefixes, and some
hardship restrictions and date windows.  Region codes are made up but shaped like NBS codes
(district + 3-digit street + 3-digit community) and follow the location.

``fair=True`` adds what DESIGN §12 feeds a round (from a separate random stream, so the market
itself is the same): 8% of households received one of their needs' items recently, 3% of
needs have one or two rejected offers of their item, 1% of needs are held on an offer of
their item, a household gets at most one need per item served, offers without a radius are
limited to 30 km, and needs in 桐庐/淳安/建德 get a 10 km regional tilt.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from matching.model import (
    HARDSHIP_CODES,
    TILT_DISTRICTS,
    Held,
    Need,
    Offer,
    Params,
    Problem,
    RecentHelp,
)
from matching.taxonomy import item_codes

__all__ = ["DISTRICT_CENTRES", "ROUND_DATE", "synthetic_problem"]

ROUND_DATE = date(2025, 3, 1)

# (code, lat, lon, share of needs): approximate centres of Hangzhou's districts and counties.
DISTRICT_CENTRES: tuple[tuple[str, float, float, float], ...] = (
    ("330102", 30.250, 120.170, 0.12),  # 上城
    ("330105", 30.320, 120.140, 0.12),  # 拱墅
    ("330106", 30.260, 120.110, 0.11),  # 西湖
    ("330108", 30.200, 120.210, 0.06),  # 滨江
    ("330109", 30.170, 120.270, 0.12),  # 萧山
    ("330110", 30.280, 119.980, 0.07),  # 余杭
    ("330111", 30.050, 119.960, 0.06),  # 富阳
    ("330112", 30.230, 119.720, 0.05),  # 临安
    ("330113", 30.420, 120.300, 0.07),  # 临平
    ("330114", 30.300, 120.480, 0.05),  # 钱塘
    ("330122", 29.800, 119.690, 0.06),  # 桐庐
    ("330127", 29.610, 119.040, 0.05),  # 淳安
    ("330182", 29.470, 119.280, 0.06),  # 建德
)
_CORE = {"330102", "330105", "330106", "330108"}
_HARDSHIP_SHARE = (0.22, 0.07, 0.03, 0.55, 0.13)  # bottom, expense, emergency, development, care


def _item_weights(rng: np.random.Generator) -> NDArray[np.float64]:
    w = rng.gamma(2.0, 1.0, size=len(item_codes()))
    return np.asarray(w / w.sum(), dtype=np.float64)


def _place(
    rng: np.random.Generator, n: int, core_share: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Points: ``core_share`` around the city centre, the rest around district centres."""
    shares = np.array([d[3] for d in DISTRICT_CENTRES])
    district = rng.choice(len(DISTRICT_CENTRES), size=n, p=shares / shares.sum())
    centre_lat = np.array([d[1] for d in DISTRICT_CENTRES])
    centre_lon = np.array([d[2] for d in DISTRICT_CENTRES])
    sigma = np.where([d[0] in _CORE for d in DISTRICT_CENTRES], 0.03, 0.08)
    lat = centre_lat[district] + rng.normal(0, 1, n) * sigma[district]
    lon = centre_lon[district] + rng.normal(0, 1, n) * sigma[district]
    core = rng.random(n) < core_share
    lat[core] = 30.27 + rng.normal(0, 0.06, core.sum())
    lon[core] = 120.16 + rng.normal(0, 0.07, core.sum())
    # district = nearest centre, so that region codes follow the location
    d2 = (lat[:, None] - centre_lat[None, :]) ** 2 + (lon[:, None] - centre_lon[None, :]) ** 2
    return lat, lon, np.argmin(d2, axis=1)


def _regions(
    lat: NDArray[np.float64], lon: NDArray[np.float64], district: NDArray[np.int64]
) -> list[str]:
    street = (
        1 + (np.floor(lat * 30).astype(np.int64) * 7 + np.floor(lon * 30).astype(np.int64)) % 18
    )
    comm = (
        1 + (np.floor(lat * 150).astype(np.int64) * 13 + np.floor(lon * 150).astype(np.int64)) % 30
    )
    codes = [d[0] for d in DISTRICT_CENTRES]
    return [
        f"{codes[d]}{s:03d}{c:03d}"
        for d, s, c in zip(district.tolist(), street.tolist(), comm.tolist(), strict=True)
    ]


def synthetic_problem(
    n_needs: int,
    n_offers: int,
    seed: int = 0,
    *,
    max_per_household: int | None = 2,
    with_text: bool = False,
    fair: bool = False,
) -> Problem:
    """A reproducible market of ``n_needs`` needs and ``n_offers`` offers (``fair``: with the
    DESIGN §12 inputs, see the module doc)."""
    rng = np.random.default_rng(seed)
    codes = item_codes()
    weights = _item_weights(rng)

    # Households: 1-4 needs each, sharing a location, hardship type and base priority.
    sizes = np.minimum(rng.geometric(0.6, size=n_needs), 4)
    hh_of_need = np.repeat(np.arange(n_needs), sizes)[:n_needs]
    n_hh = int(hh_of_need.max()) + 1 if n_needs else 0
    hh_lat, hh_lon, hh_district = _place(rng, n_hh, core_share=0.45)
    hh_region = _regions(hh_lat, hh_lon, hh_district)
    hh_priority = rng.choice([1, 2, 3], size=n_hh, p=[0.23, 0.35, 0.42])
    hh_hardship = rng.choice(len(HARDSHIP_CODES), size=n_hh, p=_HARDSHIP_SHARE)

    raised = rng.random(n_needs) < 0.08  # 急难 need or waiting past its SLA
    priority = np.maximum(hh_priority[hh_of_need] - raised, 1)
    item = rng.choice(len(codes), size=n_needs, p=weights)
    posted_min = rng.integers(0, 60 * 24 * 60, size=n_needs)
    base = datetime(2025, 3, 1, 9, 0)
    needs = tuple(
        Need(
            id=f"n{i}",
            household=f"h{h}",
            item=codes[k],
            lat=round(hh_lat[h], 6),
            lon=round(hh_lon[h], 6),
            region=hh_region[h],
            priority=p,
            posted=base - timedelta(minutes=m),
            hardship=HARDSHIP_CODES[hh_hardship[h]],
            text=None,
        )
        for i, (h, k, p, m) in enumerate(
            zip(
                hh_of_need.tolist(),
                item.tolist(),
                priority.tolist(),
                posted_min.tolist(),
                strict=True,
            )
        )
    )

    o_lat, o_lon, o_district = _place(rng, n_offers, core_share=0.35)
    o_region = _regions(o_lat, o_lon, o_district)
    n_items = rng.choice([1, 2, 3], size=n_offers, p=[0.8, 0.15, 0.05])
    capacity = rng.integers(1, 61, size=n_offers)
    radius = 3.0 + 27.0 * rng.random(n_offers) ** 8
    area_kind = rng.choice(3, size=n_offers, p=[0.45, 0.35, 0.20])  # radius / regions / both
    restricted = rng.random(n_offers) < 0.2
    dated = rng.random(n_offers) < 0.15
    offers = []
    for j in range(n_offers):
        its = tuple(codes[k] for k in sorted(set(rng.choice(len(codes), n_items[j], p=weights))))
        kind = int(area_kind[j])
        region = o_region[j]
        regions: tuple[str, ...] = ()
        if kind > 0:
            regions = (region[:9],) if rng.random() < 0.8 else (region[:6],)
        hardship: tuple[str, ...] = ()
        if restricted[j]:
            hardship = tuple(sorted(rng.choice(HARDSHIP_CODES, 2, replace=False).tolist()))
        start = end = None
        if dated[j]:
            start = ROUND_DATE - timedelta(days=int(rng.integers(0, 60)))
            end = start + timedelta(days=int(rng.integers(20, 120)))
        offers.append(
            Offer(
                id=f"o{j}",
                items=its,
                lat=round(float(o_lat[j]), 6),
                lon=round(float(o_lon[j]), 6),
                capacity=int(capacity[j]),
                radius_km=None if kind == 1 else round(float(radius[j]), 2),
                regions=regions,
                hardship=hardship,
                start=start,
                end=end,
            )
        )
    problem = Problem(
        needs, tuple(offers), Params(max_per_household=max_per_household, round_date=ROUND_DATE)
    )
    return _with_fairness(problem, seed) if fair else problem


def _with_fairness(problem: Problem, seed: int) -> Problem:
    rng = np.random.default_rng([seed, 15])
    needs, offers = problem.needs, problem.offers
    of_item: dict[str, list[str | int]] = {}
    for o in offers:
        for code in o.items:
            of_item.setdefault(code, []).append(o.id)
    first_item: dict[str | int, str] = {}
    for n in needs:
        first_item.setdefault(n.household, n.item)
    households = list(first_item)
    picked = rng.random(len(households)) < 0.08
    recent = tuple(
        RecentHelp(h, (first_item[h],)) for h, hit in zip(households, picked.tolist(), strict=True)
        if hit
    )  # fmt: skip
    draw = rng.random(len(needs))
    out, held = [], []
    for n, x in zip(needs, draw.tolist(), strict=True):
        choices = of_item.get(n.item, [])
        if choices and x < 0.03:
            k = min(len(choices), 1 + int(x * 100) % 2)
            picks = rng.choice(len(choices), size=k, replace=False).tolist()
            n = replace(n, excluded_offers=tuple(choices[i] for i in picks))
        elif choices and x > 0.99:
            held.append(Held(n.id, choices[int(rng.integers(len(choices)))]))
        out.append(n)
    params = replace(
        problem.params,
        max_km=30.0,
        tilt_regions=TILT_DISTRICTS,
        tilt_km=10.0,
        once_per_item=True,
    )
    return Problem(tuple(out), offers, params, recent, tuple(held))
