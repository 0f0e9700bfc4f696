"""DESIGN §12 in the solver: no double help, rejected pairs stay rejected, held proposals keep
their capacity, the regional tilt and the distance limit — each checked on tiny instances whose
optimum is worked out by hand (and against brute force)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from matching import TILT_DISTRICTS, Held, Params, Problem, RecentHelp, Result, solve, solve_greedy
from matching.synthetic import synthetic_problem
from tests.matching.helpers import (
    ROUND,
    brute_force,
    check_feasible,
    haversine_km,
    need,
    north,
    offer,
    problem,
    total_m,
)


def served(r: Result) -> dict[object, object]:
    return {a.need: a.offer for a in r.assignments}


def reasons(r: Result) -> dict[object, str]:
    return {u.need: u.reason for u in r.unmatched}


def with_(p: Problem, **kw: object) -> Problem:
    return replace(p, **kw)


# -- no double help -------------------------------------------------------------------------


def test_recently_received_item_is_not_proposed_again() -> None:
    p = problem(
        [
            need("again", household="h1", item="07-02", priority=1),
            need("other-item", household="h1", item="01-01", priority=1),
            need("neighbour", household="h2", item="07-02", priority=3, lat=north(5)),
        ],
        [offer("o", items=("07-02", "01-01"), capacity=3)],
    )
    assert served(solve(p)) == {"again": "o", "other-item": "o", "neighbour": "o"}

    r = solve(with_(p, recent=(RecentHelp("h1", ("07-02",)),)))
    # The household's own priority-1 need for the item it just received is not served, even
    # though it would win on priority; its other item and the neighbour still are.
    assert served(r) == {"other-item": "o", "neighbour": "o"}
    assert reasons(r) == {"again": "recently_helped"}
    check_feasible(with_(p, recent=(RecentHelp("h1", ("07-02",)),)), r)


def test_recently_helped_frees_the_capacity_for_the_next_need_in_the_optimum() -> None:
    # One unit; without the rule the priority-1 need of h1 takes it.
    p = problem(
        [need("h1-need", household="h1", priority=1), need("h2-need", household="h2", priority=3)],
        [offer("o", capacity=1)],
    )
    assert served(solve(p)) == {"h1-need": "o"}
    fair = with_(p, recent=(RecentHelp("h1", ("07-02",)),))
    r = solve(fair)
    assert served(r) == {"h2-need": "o"}
    assert reasons(r) == {"h1-need": "recently_helped"}
    assert r.served_by_priority == brute_force(fair)[0] == (0, 0, 1)
    assert r.stats["unmatched_by_reason"]["recently_helped"] == 1


def test_recently_helped_only_when_an_offer_would_otherwise_fit() -> None:
    p = problem(
        [need("no-offer", household="h1", item="01-01"), need("far", household="h1", lat=north(3))],
        [offer("o", radius_km=1.0)],
    )
    p = with_(p, recent=(RecentHelp("h1", ("01-01", "07-02")),))
    assert reasons(solve(p)) == {"no-offer": "no_offer_for_item", "far": "out_of_area"}


def test_recent_items_of_one_household_do_not_touch_another_household() -> None:
    p = problem([need("a", household=7), need("b", household="7")], [offer("o", capacity=2)])
    r = solve(with_(p, recent=(RecentHelp(7, ("07-02",)),)))  # 7 and "7" differ, as in JSON
    assert served(r) == {"b": "o"}
    assert reasons(r) == {"a": "recently_helped"}


def test_once_per_item_one_household_gets_an_item_once_per_round() -> None:
    # Two duplicate wishes of h1 and one of h2; two units.  Without the rule h1 takes both.
    needs = [
        need("h1-first", household="h1", priority=1, posted=datetime(2025, 2, 1)),
        need("h1-again", household="h1", priority=1, posted=datetime(2025, 2, 20)),
        need("h2", household="h2", priority=3, lat=north(3)),
        need("h1-other-item", household="h1", item="01-01", priority=2),
    ]
    offers = [offer("o", capacity=2), offer("o2", items=("01-01",))]
    p = problem(needs, offers)
    assert set(served(solve(p))) == {"h1-first", "h1-again", "h1-other-item"}
    fair = problem(needs, offers, once_per_item=True)
    r = solve(fair)
    assert served(r) == {"h1-first": "o", "h2": "o", "h1-other-item": "o2"}
    assert reasons(r) == {"h1-again": "recently_helped"}
    assert (r.served_by_priority, total_m(fair, r)) == brute_force(fair)
    check_feasible(fair, r)
    g = solve_greedy(fair)
    check_feasible(fair, g)
    assert reasons(g) == {"h1-again": "recently_helped"}


def test_once_per_item_with_a_household_cap_keeps_the_optimum() -> None:
    # h1: two needs of item 07-02 (priorities 1 and 2) and one of 01-01 (priority 2), cap 2.
    needs = [
        need("a", household="h1", priority=2),
        need("b", household="h1", priority=1, lat=north(2)),
        need("c", household="h1", item="01-01", priority=2),
        need("d", household="h2", priority=2, lat=north(1)),
    ]
    offers = [offer("o", capacity=2), offer("o2", items=("01-01",))]
    p = problem(needs, offers, max_per_household=2, once_per_item=True)
    r = solve(p)
    assert served(r) == {"b": "o", "c": "o2", "d": "o"}
    assert (r.served_by_priority, total_m(p, r)) == brute_force(p)


# -- rejected pairs ---------------------------------------------------------------------------


def test_rejected_pair_is_not_proposed_again_but_other_offers_are() -> None:
    p = problem(
        [need("n", excluded_offers=("near",))],
        [offer("near", lat=north(1)), offer("far", lat=north(4))],
    )
    r = solve(p)
    assert served(r) == {"n": "far"}
    assert r.assignments[0].distance_km == pytest.approx(4.0, abs=0.01)
    check_feasible(p, r)


def test_rejected_pair_leaves_its_offer_to_the_next_need_in_the_optimum() -> None:
    # Without the exclusion the optimum pairs a-o1 and b-o2 (2 km in all); with a-o1 rejected,
    # the only way to serve both is a-o2 and b-o1.
    needs = [need("a", excluded_offers=("o1",)), need("b", lat=north(2))]
    offers = [offer("o1"), offer("o2", lat=north(2))]
    p = problem(needs, offers)
    r = solve(p)
    assert served(r) == {"a": "o2", "b": "o1"}
    assert (r.served_by_priority, total_m(p, r)) == brute_force(p)
    assert served(solve(problem([need("a"), need("b", lat=north(2))], offers))) == {
        "a": "o1",
        "b": "o2",
    }


def test_every_eligible_offer_rejected_gives_previously_rejected() -> None:
    p = problem(
        [need("n", excluded_offers=("o1", "o2", "not-in-this-round"))],
        [offer("o1"), offer("o2"), offer("o3", items=("01-01",))],
    )
    r = solve(p)
    assert reasons(r) == {"n": "previously_rejected"}
    assert r.stats["excluded_pairs"] == 3


def test_recently_helped_wins_over_previously_rejected() -> None:
    p = problem([need("n", household="h", excluded_offers=("o",))], [offer("o")])
    r = solve(with_(p, recent=(RecentHelp("h", ("07-02",)),)))
    assert reasons(r) == {"n": "recently_helped"}


# -- held proposals ---------------------------------------------------------------------------


def test_held_pair_keeps_its_unit_of_capacity_and_its_need_is_not_rematched() -> None:
    p = problem(
        [need("held", priority=3), need("p1", priority=1), need("p2", priority=1)],
        [offer("o", capacity=2)],
    )
    # Without the hold both priority-1 needs would take the two units.
    assert served(solve(p)) == {"p1": "o", "p2": "o"}
    fair = with_(p, held=(Held("held", "o"),))
    r = solve(fair)
    assert served(r) == {"p1": "o"}
    assert reasons(r) == {"p2": "capacity_exhausted"}  # the held need is in neither list
    assert r.stats["held"] == 1 and r.stats["held_units"] == 1
    assert r.stats["needs"] == 2
    check_feasible(fair, r)


def test_held_pair_of_a_need_outside_the_round_still_reserves_its_unit() -> None:
    p = problem([need("a"), need("b")], [offer("o", capacity=2)])
    r = solve(with_(p, held=(Held("from-another-scope", "o"),)))
    assert len(r.assignments) == 1
    assert r.stats["held"] == 0 and r.stats["held_units"] == 1


def test_held_units_never_make_capacity_negative() -> None:
    p = problem([need("a")], [offer("o", capacity=1)])
    r = solve(with_(p, held=(Held("x", "o"), Held("y", "o"))))
    assert reasons(r) == {"a": "capacity_exhausted"}
    assert r.stats["held_units"] == 1


def test_greedy_respects_the_same_exclusions() -> None:
    p = problem(
        [need("held"), need("again", household="h"), need("rejected", excluded_offers=("o",))],
        [offer("o", capacity=3)],
    )
    fair = with_(p, recent=(RecentHelp("h", ("07-02",)),), held=(Held("held", "o"),))
    g = solve_greedy(fair)
    assert served(g) == {}
    assert reasons(g) == {"again": "recently_helped", "rejected": "previously_rejected"}


# -- regional tilt ----------------------------------------------------------------------------

CHUNAN = "330127101001"  # 淳安


def contested(tilt_km: float, **kw: object) -> Problem:
    """One unit, two needs of the same priority: a city need 1 km away and a 淳安 need 5 km
    away (coordinates are only for the distance; the region code makes the tilt)."""
    a = need("city", priority=2, lat=north(1))
    b = need("chunan", priority=2, lat=north(5), region=CHUNAN)
    p = problem([a, b], [offer("o")])
    params = Params(round_date=ROUND, tilt_regions=TILT_DISTRICTS, tilt_km=tilt_km)
    return replace(p, needs=tuple(replace(n, **kw) for n in p.needs), params=params)


def test_tilt_changes_who_wins_a_contested_offer_only_when_on() -> None:
    off = solve(contested(0.0))
    assert served(off) == {"city": "o"}
    assert off.stats["tilt"] == {
        "regions": ["330122", "330127", "330182"],
        "km": 0.0,
        "needs": 1,
        "served": 0,
    }
    on = solve(contested(10.0))
    assert served(on) == {"chunan": "o"}
    assert on.stats["tilt"]["served"] == 1 and on.stats["tilt"]["km"] == 10.0
    # The weight is a distance: 3 km of bonus do not make up for 4 km farther.
    assert served(solve(contested(3.0))) == {"city": "o"}
    for p in (contested(0.0), contested(3.0), contested(10.0)):
        r = solve(p)
        assert (r.served_by_priority, total_m(p, r)) == brute_force(p)


def test_tilt_never_outweighs_priority() -> None:
    p = contested(1000.0)
    p = replace(p, needs=(replace(p.needs[0], priority=1), replace(p.needs[1], priority=3)))
    assert served(solve(p)) == {"city": "o"}


def test_tilt_does_not_change_how_many_are_served() -> None:
    p = synthetic_problem(3000, 60, seed=4)
    on = replace(p, params=replace(p.params, tilt_regions=TILT_DISTRICTS, tilt_km=20.0))
    r_off, r_on = solve(p), solve(on)
    assert r_on.served_by_priority == r_off.served_by_priority
    assert r_on.stats["tilt"]["served"] >= r_off.stats["tilt"]["served"]
    assert r_on.total_distance_km >= r_off.total_distance_km
    check_feasible(on, r_on)


# -- distance limit ---------------------------------------------------------------------------


def test_max_km_limits_offers_without_a_radius() -> None:
    p = problem(
        [need("near", lat=north(29)), need("far", lat=north(31))],
        [offer("o", capacity=2)],
        max_km=30.0,
    )
    r = solve(p)
    assert served(r) == {"near": "o"}
    assert reasons(r) == {"far": "out_of_area"}
    assert r.stats["max_km"] == 30.0
    unlimited = solve(with_(p, params=replace(p.params, max_km=None)))
    assert served(unlimited) == {"near": "o", "far": "o"}


def test_max_km_applies_to_region_only_offers_and_not_to_an_offers_own_radius() -> None:
    p = problem(
        [need("far-in-region", lat=north(40)), need("far-in-radius", lat=north(40))],
        [
            offer("region-only", regions=("330106",)),
            offer("radius-50", radius_km=50.0, items=("07-02",)),
        ],
        max_km=30.0,
    )
    r = solve(p)
    assert len(r.assignments) == 1
    assert r.assignments[0].offer == "radius-50"


def test_no_proposal_is_farther_than_the_limit_on_a_city_market() -> None:
    base = synthetic_problem(4000, 80, seed=2)
    # make every offer radius-free, as the city's region-only offers are
    offers = tuple(replace(o, radius_km=None) for o in base.offers)
    p = replace(base, offers=offers, params=replace(base.params, max_km=30.0))
    loose = solve(replace(p, params=replace(p.params, max_km=None)))
    assert max(a.distance_km for a in loose.assignments) > 30.0  # the limit does bind
    r = solve(p)
    assert r.assignments and max(a.distance_km for a in r.assignments) <= 30.0
    needs = {n.id: n for n in p.needs}
    offer_of = {o.id: o for o in p.offers}
    for a in r.assignments:
        n, o = needs[a.need], offer_of[a.offer]
        assert haversine_km(n.lat, n.lon, o.lat, o.lon) <= 30.0 + 1e-9
    check_feasible(p, r)
