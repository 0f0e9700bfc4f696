"""Tiny hand-checked instances: each rule of DESIGN §5 and each reason code."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime

import pytest

from matching import Problem, Result, SolveTimeout, solve, solve_greedy
from tests.matching.helpers import (
    BASE_LON,
    brute_force,
    check_feasible,
    need,
    north,
    offer,
    problem,
)


def served(r: Result) -> dict[object, object]:
    return {a.need: a.offer for a in r.assignments}


def reasons(r: Result) -> dict[object, str]:
    return {u.need: u.reason for u in r.unmatched}


def test_capacity_limits_needs_served() -> None:
    p = problem([need("a"), need("b"), need("c")], [offer("o", capacity=2)])
    r = solve(p)
    assert len(r.assignments) == 2
    assert reasons(r) == {"c": "capacity_exhausted"}
    check_feasible(p, r)


def test_zero_capacity_offer_serves_nobody() -> None:
    r = solve(problem([need("a")], [offer("o", capacity=0)]))
    assert reasons(r) == {"a": "capacity_exhausted"}


def test_radius_is_great_circle_distance() -> None:
    p = problem(
        [need("near", lat=north(4.9)), need("far", lat=north(5.1))],
        [offer("o", radius_km=5.0, capacity=5)],
    )
    r = solve(p)
    assert served(r) == {"near": "o"}
    assert reasons(r) == {"far": "out_of_area"}
    assert r.assignments[0].distance_km == pytest.approx(4.9, abs=0.01)


def test_region_prefix_matches_district_street_and_community() -> None:
    needs = [
        need("same-street", region="330106001002"),
        need("other-street", region="330106002001"),
        need("district-only", region="330106"),  # coarser than the prefix: not inside it
        need("other-district", region="330105001001"),
    ]
    r = solve(problem(needs, [offer("o", regions=("330106001",), capacity=9)]))
    assert served(r) == {"same-street": "o"}
    assert set(reasons(r).values()) == {"out_of_area"}
    r = solve(problem(needs, [offer("o", regions=("330106", "330105001001"), capacity=9)]))
    assert set(served(r)) == {"same-street", "other-street", "district-only", "other-district"}


def test_region_and_radius_must_both_hold() -> None:
    needs = [need("in", region="330106001001"), need("far", lat=north(20), region="330106001001")]
    r = solve(problem(needs, [offer("o", regions=("330106",), radius_km=10, capacity=5)]))
    assert served(r) == {"in": "o"}


def test_hardship_restriction() -> None:
    needs = [need("b", hardship="bottom"), need("d", hardship="development"), need("x")]
    r = solve(problem(needs, [offer("o", hardship=("bottom", "care"), capacity=5)]))
    assert served(r) == {"b": "o"}
    assert reasons(r) == {"d": "not_eligible", "x": "not_eligible"}


def test_date_window_covers_round_date() -> None:
    o_live = offer("live", start=date(2025, 2, 1), end=date(2025, 3, 1))
    o_late = offer("late", start=date(2025, 3, 2))
    o_over = offer("over", end=date(2025, 2, 28))
    r = solve(problem([need("a"), need("b")], [o_live, o_late, o_over]))
    assert served(r) in ({"a": "live"}, {"b": "live"})
    assert list(reasons(r).values()) == ["capacity_exhausted"]
    r = solve(problem([need("a")], [o_late, o_over]))
    assert reasons(r) == {"a": "not_eligible"}


def test_household_cap() -> None:
    needs = [need("a", household="h"), need("b", household="h", item="01-01"), need("c")]
    offers = [offer("o1", capacity=5), offer("o2", items=("01-01",))]
    r = solve(problem(needs, offers, max_per_household=1))
    assert len(r.assignments) == 2
    assert "c" in served(r)
    assert list(reasons(r).values()) == ["household_cap"]
    r = solve(problem(needs, offers))
    assert len(r.assignments) == 3


def test_no_offer_for_item() -> None:
    r = solve(problem([need("a", item="08-03")], [offer("o")]))
    assert reasons(r) == {"a": "no_offer_for_item"}
    r = solve(problem([need("a")], []))
    assert reasons(r) == {"a": "no_offer_for_item"}


def test_out_of_area_beats_not_eligible_in_reason_order() -> None:
    # the only offer for the item is both far away and restricted: out_of_area
    o = offer("o", radius_km=1, hardship=("care",))
    r = solve(problem([need("a", lat=north(3), hardship="bottom")], [o]))
    assert reasons(r) == {"a": "out_of_area"}


def test_priority_beats_distance() -> None:
    needs = [need("p3-near", priority=3), need("p1-far", priority=1, lat=north(9))]
    r = solve(problem(needs, [offer("o", radius_km=10)]))
    assert served(r) == {"p1-far": "o"}
    assert reasons(r) == {"p3-near": "capacity_exhausted"}


def test_one_priority_1_need_beats_two_priority_2_needs() -> None:
    """Serving p1 'x' displaces p2 'a' (same offer) and p2 'b' (same household, cap 1).
    Rewards in the ratio 3:2:1 would serve a and b; the lexicographic policy serves x."""
    needs = [
        need("x", priority=1, household="H"),
        need("b", priority=2, household="H", item="01-01"),
        need("a", priority=2, household="A"),
    ]
    offers = [offer("shared"), offer("meals", items=("01-01",))]
    p = problem(needs, offers, max_per_household=1)
    r = solve(p)
    assert r.served_by_priority == (1, 0, 0) == brute_force(p)[0]
    assert served(r) == {"x": "shared"}
    assert reasons(r) == {"b": "household_cap", "a": "capacity_exhausted"}
    check_feasible(p, r)


def test_distance_is_minimised_across_needs() -> None:
    # a greedy 'nearest for the first need' crosses; the optimum does not
    needs = [need("a", lat=north(1)), need("b", lat=north(3))]
    offers = [offer("o-near-a", lat=north(2)), offer("o-far", lat=north(-1), radius_km=10)]
    r = solve(problem(needs, offers))
    assert served(r) == {"a": "o-far", "b": "o-near-a"}
    assert r.total_distance_km == pytest.approx(3.0, abs=0.01)


def test_assignment_reasons() -> None:
    needs = [need("a", priority=1), need("b", priority=2, lat=north(0.5))]
    offers = [offer("o1"), offer("o2", lat=north(2), radius_km=5)]
    r = solve(problem(needs, offers))
    by_need = {a.need: a for a in r.assignments}
    assert by_need["a"].reasons[:2] == ("item:07-02", "priority:1")
    assert "nearest_eligible_offer" in by_need["a"].reasons
    assert "nearer_offers_full" in by_need["b"].reasons
    assert any(x.startswith("distance_km:") for x in by_need["b"].reasons)


def test_older_need_wins_a_tie() -> None:
    needs = [
        need("new", posted=datetime(2025, 2, 20), household="h1"),
        need("old", posted=datetime(2025, 1, 5), household="h2"),
    ]
    for order in (needs, needs[::-1]):
        r = solve(problem(order, [offer("o")]))
        assert served(r) == {"old": "o"}


def test_ids_are_kept_as_given() -> None:
    r = solve(problem([need(17, household=3)], [offer(5)]))  # type: ignore[arg-type]
    assert r.assignments[0].need == 17 and r.assignments[0].offer == 5


def test_empty_problem() -> None:
    r = solve(problem([], []))
    assert r.assignments == () and r.unmatched == ()
    assert r.stats["served_by_priority"] == {"1": 0, "2": 0, "3": 0}


def test_stats_fields() -> None:
    r = solve(problem([need("a", priority=1), need("b", item="01-01")], [offer("o")]))
    s = r.stats
    for key in ("status", "seconds", "served_by_priority", "total_distance_km", "candidate_arcs"):
        assert key in s
    assert s["status"] == "optimal" == r.status
    assert set(s["timings"]) == {"candidates", "build", "solve", "result"}
    assert s["unmatched_by_reason"]["no_offer_for_item"] == 1
    assert s["distance_unit_m"] == 1


def test_progress_is_reported() -> None:
    seen: list[tuple[float, str]] = []
    solve(problem([need()], [offer()]), progress=lambda f, m: seen.append((f, m)))
    assert seen[0][0] == 0.0 and seen[-1] == (1.0, "done")
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)


def test_time_limit_raises() -> None:
    p = problem([need(f"n{i}", lat=north(i * 0.01)) for i in range(300)], [offer(capacity=50)])
    p = replace(p, params=replace(p.params, time_limit_s=1e-9))
    with pytest.raises(SolveTimeout):
        solve(p)


def test_round_date_defaults_to_today() -> None:
    p = Problem((need(),), (offer(end=date(2000, 1, 1)),))
    r = solve(p)
    assert r.stats["round_date"] == date.today().isoformat()
    assert [u.reason for u in r.unmatched] == ["not_eligible"]


def test_same_input_same_result_and_shuffle_invariance() -> None:
    rng = random.Random(3)
    needs = [
        need(
            f"n{i}",
            household=f"h{i // 2}",
            priority=rng.randint(1, 3),
            lat=north(rng.uniform(-5, 5)),
            lon=BASE_LON + rng.uniform(-0.05, 0.05),
        )
        for i in range(60)
    ]
    offers = [
        offer(f"o{j}", lat=north(rng.uniform(-5, 5)), capacity=4, radius_km=6) for j in range(6)
    ]
    p = problem(needs, offers, max_per_household=1)
    first = solve(p)
    again = solve(p)
    assert first.assignments == again.assignments and first.unmatched == again.unmatched
    shuffled = problem(
        rng.sample(needs, len(needs)), rng.sample(offers, len(offers)), max_per_household=1
    )
    other = solve(shuffled)
    assert other.assignments == first.assignments
    assert other.served_by_priority == first.served_by_priority
    assert other.total_distance_km == first.total_distance_km


def test_greedy_is_feasible_and_never_better() -> None:
    needs = [need("p2", priority=2, lat=north(0.1)), need("p1", priority=1, lat=north(0.2))]
    offers = [offer("o1", radius_km=1), offer("o2", lat=north(0.3), radius_km=0.2)]
    p = problem(needs, offers)
    g, o = solve_greedy(p), solve(p)
    check_feasible(p, g)
    assert g.status == "greedy"
    assert o.served_by_priority >= g.served_by_priority
