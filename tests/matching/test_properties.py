"""Hypothesis properties on random small markets, against an independent reference."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Held, Params, Problem, RecentHelp, solve, solve_greedy
from matching.bench import lexicographic_counts
from matching.solver import build_network, prepare, tilt_metres
from tests.matching.helpers import (
    BASE_LAT,
    BASE_LON,
    ROUND,
    allowed,
    brute_force,
    check_feasible,
    eligible,
    held_needs,
    need,
    offer,
    problem,
    total_m,
)

ITEMS = ("07-02", "01-01")
REGIONS = ("330106001001", "330106001002", "330106002001", "330105001001", "330106")
PREFIXES = ("330106", "330106001", "330105001001", "330105")
HARDSHIP = ("bottom", "care", "development")
settings.register_profile(
    "matching", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def markets(
    draw: st.DrawFn, max_needs: int = 7, max_offers: int = 3, fair: bool = False
) -> Problem:
    """Random small markets; ``fair`` adds the DESIGN §12 inputs: rejected pairs, recently
    received items, held proposals, a distance limit and a regional tilt."""
    n_needs = draw(st.integers(0, max_needs))
    n_offers = draw(st.integers(0, max_offers))
    offer_ids = [f"o{j}" for j in range(n_offers)]
    no_exclusions: st.SearchStrategy[list[str]] = st.just([])
    excluded = (
        st.lists(st.sampled_from(offer_ids), max_size=2, unique=True)
        if fair and offer_ids
        else no_exclusions
    )
    coord = st.floats(-0.05, 0.05)  # about ±5 km, on a coarse grid to create ties
    grid = st.integers(-4, 4).map(lambda k: k * 0.01)
    needs = [
        need(
            f"n{i}",
            household=f"h{draw(st.integers(0, max(0, n_needs // 2)))}",
            item=draw(st.sampled_from(ITEMS)),
            lat=BASE_LAT + draw(grid),
            lon=BASE_LON + draw(grid),
            region=draw(st.sampled_from(REGIONS)),
            priority=draw(st.integers(1, 3)),
            hardship=draw(st.none() | st.sampled_from(HARDSHIP)),
            excluded_offers=tuple(draw(excluded)),
        )
        for i in range(n_needs)
    ]
    offers = [
        offer(
            f"o{j}",
            items=tuple(sorted(draw(st.sets(st.sampled_from(ITEMS), min_size=1)))),
            lat=BASE_LAT + draw(coord),
            lon=BASE_LON + draw(coord),
            capacity=draw(st.integers(0, 3)),
            radius_km=draw(st.none() | st.floats(1.0, 8.0)),
            regions=tuple(draw(st.lists(st.sampled_from(PREFIXES), max_size=2, unique=True))),
            hardship=tuple(draw(st.lists(st.sampled_from(HARDSHIP), max_size=2, unique=True))),
            start=draw(st.none() | st.just(ROUND - timedelta(days=3))),
            end=draw(st.none() | st.sampled_from([ROUND, ROUND - timedelta(days=1)])),
        )
        for j in range(n_offers)
    ]
    cap = draw(st.none() | st.integers(1, 2))
    p = problem(needs, offers, max_per_household=cap)
    if not fair:
        return p
    households = sorted({n.household for n in needs})
    recent = [
        RecentHelp(h, tuple(draw(st.lists(st.sampled_from(ITEMS), max_size=2, unique=True))))
        for h in draw(st.lists(st.sampled_from(households), max_size=2, unique=True))
    ] if households else []  # fmt: skip
    ids = [n.id for n in needs]
    held = [
        Held(i, draw(st.sampled_from([*offer_ids, "elsewhere"])))
        for i in (draw(st.lists(st.sampled_from(ids), max_size=2, unique=True)) if ids else [])
    ]
    params = Params(
        max_per_household=cap,
        round_date=ROUND,
        max_km=draw(st.none() | st.floats(1.5, 6.0)),
        tilt_regions=("330105", "330106001"),
        tilt_km=draw(st.sampled_from([0.0, 0.4, 3.0])),
        once_per_item=draw(st.booleans()),
    )
    return Problem(p.needs, p.offers, params, tuple(recent), tuple(held))


@settings(settings.get_profile("matching"))
@given(markets())
def test_solution_is_feasible(p: Problem) -> None:
    r = solve(p)
    check_feasible(p, r)  # capacity, eligibility, once per need, household cap


@settings(settings.get_profile("matching"))
@given(markets(fair=True))
def test_solution_is_feasible_with_fairness_constraints(p: Problem) -> None:
    r = solve(p)
    check_feasible(p, r)  # no excluded pair, no recently received item, held units kept
    assert r.stats["held"] == len(held_needs(p) & {n.id for n in p.needs})


@settings(settings.get_profile("matching"), max_examples=80)
@given(markets(max_needs=6, max_offers=3) | markets(max_needs=6, max_offers=3, fair=True))
def test_lexicographic_optimum_and_least_distance_match_brute_force(p: Problem) -> None:
    r = solve(p)
    counts, metres = brute_force(p)
    assert r.served_by_priority == counts
    assert abs(total_m(p, r) - metres) <= len(r.assignments)  # rounding of each arc to 1 m


@settings(settings.get_profile("matching"), max_examples=40)
@given(markets(max_needs=40, max_offers=6) | markets(max_needs=40, max_offers=6, fair=True))
def test_served_counts_match_independent_lexicographic_solve(p: Problem) -> None:
    data = prepare(p, ROUND)
    net = build_network(
        data.cands, data.household, data.n_households, data.priority, data.capacity,
        p.params.max_per_household, tilt_m=tilt_metres(data, p.params.tilt_km),
        item_group=data.item_group,
    )  # fmt: skip
    assert solve(p).served_by_priority == lexicographic_counts(net)


@settings(settings.get_profile("matching"))
@given(markets(max_needs=20, max_offers=5) | markets(max_needs=20, max_offers=5, fair=True))
def test_unmatched_reasons_are_consistent(p: Problem) -> None:
    r = solve(p)
    needs = {n.id: n for n in p.needs}
    offers_for_item = {i: [o for o in p.offers if i in o.items] for i in ITEMS}
    for u in r.unmatched:
        n = needs[u.need]
        eligible_any = any(eligible(n, o, ROUND, p.params.max_km) for o in p.offers)
        allowed_any = any(allowed(p, n, o) for o in p.offers)
        if u.reason == "no_offer_for_item":
            assert not offers_for_item[n.item]
        elif u.reason in ("out_of_area", "not_eligible"):
            assert offers_for_item[n.item] and not eligible_any
        elif u.reason == "recently_helped":
            received = any(r.household == n.household and n.item in r.items for r in p.recent)
            same_item_served = p.params.once_per_item and any(
                (needs[a.need].household, needs[a.need].item) == (n.household, n.item)
                for a in r.assignments
            )
            assert (received and eligible_any and not allowed_any) or same_item_served
        elif u.reason == "previously_rejected":
            assert eligible_any and not allowed_any
            assert not any(r.household == n.household and n.item in r.items for r in p.recent)
        else:
            assert allowed_any
            if u.reason == "household_cap":
                cap = p.params.max_per_household
                hh_served = sum(needs[a.need].household == n.household for a in r.assignments)
                assert cap is not None and hh_served >= cap


@settings(settings.get_profile("matching"))
@given(markets(max_needs=25, max_offers=5) | markets(max_needs=25, max_offers=5, fair=True))
def test_greedy_never_beats_optimal(p: Problem) -> None:
    g, o = solve_greedy(p), solve(p)
    check_feasible(p, g)
    assert o.served_by_priority >= g.served_by_priority
    if o.served_by_priority == g.served_by_priority:
        assert total_m(p, o) <= total_m(p, g) + len(o.assignments)


@settings(settings.get_profile("matching"), max_examples=30)
@given(
    markets(max_needs=25, max_offers=5) | markets(max_needs=25, max_offers=5, fair=True),
    st.randoms(use_true_random=False),
)
def test_input_order_does_not_matter(p: Problem, rnd: object) -> None:
    import random

    assert isinstance(rnd, random.Random)
    shuffled = Problem(
        tuple(rnd.sample(p.needs, len(p.needs))),
        tuple(rnd.sample(p.offers, len(p.offers))),
        p.params,
        tuple(rnd.sample(p.recent, len(p.recent))),
        tuple(rnd.sample(p.held, len(p.held))),
    )
    a, b = solve(p), solve(shuffled)
    assert a.assignments == b.assignments
    assert a.unmatched == b.unmatched


def test_same_seed_same_synthetic_market_and_result() -> None:
    from matching.synthetic import synthetic_problem

    p1, p2 = synthetic_problem(300, 20, seed=5), synthetic_problem(300, 20, seed=5)
    assert p1 == p2
    r1, r2 = solve(p1), solve(p2)
    assert r1.assignments == r2.assignments
    assert synthetic_problem(300, 20, seed=6) != p1
    check_feasible(p1, r1)
    assert date.fromisoformat(r1.stats["round_date"]) == p1.params.round_date


@settings(settings.get_profile("matching"))
@given(markets(max_needs=6, max_offers=4, fair=True))
def test_offers_reaching_a_place_keep_every_eligible_pair(p: Problem) -> None:
    """The one-place prefilter (a household's suggestions) drops only offers that cannot serve
    a need there: the candidates from the kept offers are those of all offers."""
    from matching.candidates import (
        encode_needs,
        encode_offers,
        generate_candidates,
        offers_reaching,
    )

    for n in p.needs:
        needs = encode_needs([n])
        offers = encode_offers(p.offers, ROUND, p.params.max_km)
        kept = offers_reaching(offers, n.lat, n.lon, n.region)
        full = generate_candidates(needs, offers)
        part = generate_candidates(needs, offers.take(kept))
        assert sorted(int(o) for o in full.offer) == sorted(int(kept[o]) for o in part.offer)
        assert {int(o) for o in full.offer} == {
            j for j, o in enumerate(p.offers) if eligible(n, o, max_km=p.params.max_km)
        }
