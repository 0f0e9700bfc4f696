"""The optimal matcher: a layered min-cost flow solved by OR-Tools ``SimpleMinCostFlow``.

Read in the OR-Tools order: data → network (variables = arc flows, constraints = capacities)
→ objective (integer arc costs) → solve → check status → read the solution.

Network::

    source ─(cap: household cap)→ household [─(1)→ item group] ─(1, −reward[priority])→ need
           ─(1, distance)→ offer ─(cap: offer capacity less held units)→ sink
    source ─(cap: all needs, cost 0)→ sink        # "not served" is always allowed

(households whose cap cannot bind are left out: their needs hang off the source; item
groups exist only with ``once_per_item``, for a household's needs of one item.)  Rejected
pairs and needs of recently helped households have no need → offer arc at all, and held
needs are not in the network (DESIGN §12).

Objective (DESIGN §5, §12), lexicographic: most priority-1 needs served, then priority-2,
then priority-3, then least total distance less the regional-tilt bonus (``tilt_km`` per
served need in ``tilt_regions``; the bonus is added to that need's reward, so it belongs to
the distance level and is counted in ``D`` below). It is folded into one integer cost with
rewards ``W1 > W2 > W3 > 0`` per served need and distance in units of ``unit_m`` metres. Why
the weights below are exact (not a heuristic): compare the optimum F with any better
solution L. ``L - F`` splits into cycles of F's residual network. Along a cycle the needs
that become served (+) and unserved (-) alternate; consecutive ones share an offer, or share
a household whose cap is tight. So a cycle changes the served count by -1, 0 or +1, and it
can trade needs of *different* priorities only inside a household that has more candidate
needs than its cap and needs of two priorities (or, with ``once_per_item``, inside an item
group with needs of two priorities). With ``m`` such places and ``D`` a bound on any change
in total distance less tilt (the sum over needs of their longest candidate arc plus their
tilt bonus), ``W3 = D + 1``, ``W2 = 3D + 3`` and ``W1 = (m + 1)(2D + 2) + 3D + 3`` make
every cycle that improves the (p1, p2, p3) vector lexicographically strictly profitable, and
every cycle that keeps it equal profitable exactly when it shortens the distance. Without
binding household caps (``m = 0``) this is the matroid argument: all optimal sets share the
same priority profile. ``tests/matching/test_properties.py`` checks it against brute force.

OR-Tools scales costs by the number of nodes internally and answers ``BAD_COST_RANGE`` when
that could overflow int64.  We therefore pick the finest distance unit (1 m, 10 m, … 10 km)
whose largest cost stays well inside that range (``COST_LIMIT``), and retry coarser on
``BAD_COST_RANGE``; the unit used is reported as ``stats["distance_unit_m"]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from matching.candidates import (
    WHY_NONE_NAMES,
    Candidates,
    NeedArrays,
    encode_needs,
    encode_offers,
    generate_candidates,
)
from matching.model import (
    REASON_CODES,
    Assignment,
    Id,
    Need,
    Offer,
    Problem,
    Result,
    Unmatched,
    id_sort_key,
)
from matching.taxonomy import item_codes, item_index

__all__ = [
    "Network",
    "Prepared",
    "Progress",
    "SolveError",
    "SolveTimeout",
    "build_network",
    "make_result",
    "prefer_older",
    "prepare",
    "solve",
]

Progress = Callable[[float, str], None]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]

DISTANCE_UNITS_M = (1, 10, 100, 1_000, 10_000)
"""Cost scale: one unit of arc cost is this many metres (finest that fits int64 is used)."""

COST_LIMIT = 2**59
"""Our bound on max|cost| × (nodes + 1).  OR-Tools rejects more than 2**62 up front, and its
prices can still overflow during the solve below that (seen at 0.6 × 2**62), hence 1/8."""

SOURCE, SINK = 0, 1
_EPOCH = datetime(2000, 1, 1)
_POSTED = attrgetter("posted")

# candidates.why_none codes index REASON_CODES directly.
assert REASON_CODES[: len(WHY_NONE_NAMES)] == WHY_NONE_NAMES


class SolveTimeout(RuntimeError):
    """The round exceeded ``Params.time_limit_s`` (checked between phases)."""


class SolveError(RuntimeError):
    """OR-Tools did not return an optimal flow (status in the message)."""


@dataclass(frozen=True, slots=True)
class Network:
    """The flow network as OR-Tools-ready arrays; arcs [need_arc0, need_arc0 + n_pairs) are
    the need → offer arcs, in candidate order."""

    tails: I32
    heads: I32
    capacities: I64
    costs: I64
    supplies: I64  # per node
    need_arc0: int
    n_pairs: int
    distance_unit_m: int
    weights: tuple[int, int, int]
    bonus: I64 | None = None  # per need: regional-tilt reward in cost units (None = no tilt)


# ----------------------------------------------------------------------------------------
# Data


def _id_rank(ids: list[Id]) -> I64:
    """Rank of each id in the canonical id order (ints numerically first, then strings)."""
    if ids and all(type(i) is str for i in ids):
        keys = np.array(ids, dtype=str)
        order = np.argsort(keys, kind="stable")
    else:
        order = np.array(sorted(range(len(ids)), key=lambda k: id_sort_key(ids[k])), dtype=np.int64)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    return rank


def _canonical(problem: Problem) -> tuple[list[Need], list[Offer]]:
    """Sort inputs so that the same round gives the same answer whatever the input order:
    needs by priority, then older first (no posting time = newest), then id — also the
    tie-break order of DESIGN §5."""
    needs = problem.needs
    n = len(needs)
    priority = np.fromiter(map(attrgetter("priority"), needs), dtype=np.int64, count=n)
    posted = np.fromiter(
        (np.inf if t is None else (t - _EPOCH).total_seconds() for t in map(_POSTED, needs)),
        dtype=np.float64,
        count=n,
    )
    order = np.lexsort((_id_rank([x.id for x in needs]), posted, priority))
    offer_order = np.argsort(_id_rank([o.id for o in problem.offers]), kind="stable")
    return [needs[i] for i in order.tolist()], [problem.offers[j] for j in offer_order.tolist()]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A problem in canonical order, as arrays, with its candidate pairs.

    Held needs are left out of ``needs`` (they are not matched again) and the units their
    held proposals reserve are taken off ``capacity``; ``tilted`` marks the needs in the
    regional-tilt regions (whether or not the tilt weight is on)."""

    needs: list[Need]
    offers: list[Offer]
    items: I32
    household: I32
    n_households: int
    priority: NDArray[np.int8]
    capacity: I64
    cands: Candidates
    tilted: NDArray[np.bool_]
    held_needs: int = 0
    held_units: int = 0
    item_group: I32 | None = None  # per need: its (household, item) group, if once_per_item


def prepare(problem: Problem, round_date: date) -> Prepared:
    """Canonical order, arrays and candidates: the data step shared with the greedy baseline."""
    params = problem.params
    needs, offers = _canonical(problem)
    held_need_ids = {h.need for h in problem.held}
    if held_need_ids:
        needs = [n for n in needs if n.id not in held_need_ids]
    capacity = np.fromiter(map(attrgetter("capacity"), offers), dtype=np.int64, count=len(offers))
    offer_index: dict[Id, int] = {o.id: j for j, o in enumerate(offers)}
    held_units = 0
    for h in problem.held:  # Rule: a held proposal keeps its unit of the offer's capacity.
        j = offer_index.get(h.offer)
        if j is not None and capacity[j] > 0:
            capacity[j] -= 1
            held_units += 1
    need_arr = encode_needs(needs)
    household, hh_index = _household_index(needs)
    n_households = len(hh_index)
    return Prepared(
        needs=needs,
        offers=offers,
        items=need_arr.item,
        household=household,
        n_households=n_households,
        priority=np.fromiter(map(attrgetter("priority"), needs), dtype=np.int8, count=len(needs)),
        capacity=capacity,
        cands=generate_candidates(
            need_arr,
            encode_offers(offers, round_date, params.max_km),
            blocked=_recently_helped(problem, hh_index, household, need_arr.item),
            excluded=_excluded_pairs(needs, offer_index),
        ),
        tilted=_tilted(need_arr, params.tilt_regions),
        held_needs=len(problem.needs) - len(needs),
        held_units=held_units,
        item_group=_item_groups(household, need_arr.item) if params.once_per_item else None,
    )


def _item_groups(household: I32, item: I32) -> I32:
    """Dense id per (household, item) pair, per need."""
    key = household.astype(np.int64) * (len(item_index()) + 1) + item
    groups = np.unique(key, return_inverse=True)[1]
    return np.asarray(groups, dtype=np.int32).reshape(-1)


def _recently_helped(
    problem: Problem, hh_index: dict[Id, int], household: I32, item: I32
) -> NDArray[np.bool_] | None:
    """Per need: its household received the need's item within the repeat-help window."""
    if not problem.recent:
        return None
    index = item_index()
    received = np.zeros((len(hh_index), len(index)), dtype=np.bool_)
    for r in problem.recent:
        h = hh_index.get(r.household)
        if h is not None:
            received[h, [index[code] for code in r.items]] = True
    result: NDArray[np.bool_] = received[household, item]
    return result


def _excluded_pairs(needs: list[Need], offer_index: dict[Id, int]) -> I64 | None:
    """Sorted keys ``need * len(offers) + offer`` of the pairs staff rejected (offers that are
    not in the round are ignored)."""
    m = len(offer_index)
    keys = [
        i * m + j
        for i, n in enumerate(needs)
        if n.excluded_offers
        for j in (offer_index.get(o) for o in n.excluded_offers)
        if j is not None
    ]
    return np.unique(np.array(keys, dtype=np.int64)) if keys else None


def _tilted(needs: NeedArrays, regions: tuple[str, ...]) -> NDArray[np.bool_]:
    """Per need: its region lies in one of the tilt regions (NBS prefixes; a need coded only
    to its district is not inside a street prefix)."""
    out = np.zeros(len(needs), dtype=np.bool_)
    for prefix in regions:
        scale = 10 ** (12 - len(prefix))
        lo, hi = int(prefix) * scale, (int(prefix) + 1) * scale
        out |= (needs.region12 >= lo) & (needs.region12 < hi) & (needs.region_len >= len(prefix))
    return out


def _household_index(needs: list[Need]) -> tuple[I32, dict[Id, int]]:
    """Dense household index per need (first appearance order, deterministic), and the map."""
    index: dict[Id, int] = {}  # 1 and "1" are different keys, as in JSON
    out = np.fromiter(
        (index.setdefault(h, len(index)) for h in map(attrgetter("household"), needs)),
        dtype=np.int32,
        count=len(needs),
    )
    return out, index


# ----------------------------------------------------------------------------------------
# Objective weights


def _mixed_capped_households(
    household: I32, priority: NDArray[np.int8], active: NDArray[np.bool_], cap: I64
) -> int:
    """Households with more candidate needs than their cap and needs of two priorities —
    the only places where serving one priority can displace another (see module doc)."""
    h = household[active]
    if len(h) == 0:
        return 0
    n_h = len(cap)
    count = np.bincount(h, minlength=n_h)
    p = priority[active].astype(np.int64)
    pmin = np.full(n_h, 4, dtype=np.int64)
    pmax = np.zeros(n_h, dtype=np.int64)
    np.minimum.at(pmin, h, p)
    np.maximum.at(pmax, h, p)
    return int(np.count_nonzero((count > cap) & (pmin != pmax)))


def _weights(distance_bound: int, mixed: int) -> tuple[int, int, int]:
    """Rewards per served need of priority 1, 2, 3 (exactness argument in module doc)."""
    d = distance_bound
    w3 = d + 1
    w2 = 3 * d + 3
    w1 = (mixed + 1) * (2 * d + 2) + 3 * d + 3
    return w1, w2, w3


# ----------------------------------------------------------------------------------------
# Network


def build_network(
    cands: Candidates,
    household: I32,
    n_households: int,
    priority: NDArray[np.int8],
    capacity: I64,
    max_per_household: int | None,
    units: tuple[int, ...] = DISTANCE_UNITS_M,
    *,
    tilt_m: I64 | None = None,
    item_group: I32 | None = None,
) -> Network:
    """Nodes: source, sink, needs with candidates, capped households, offers.

    ``tilt_m`` (per need, metres): the regional-tilt bonus, added to the need's reward; it
    counts in the distance level of the objective, so it is part of the bound ``D``.
    ``item_group`` (per need, ``once_per_item``): needs of one household for one item hang off
    a group node of capacity 1 (between the household, or the source, and the needs) — a
    laminar sub-cap, so still a flow network; groups with needs of two priorities count in
    ``m`` like capped households.

    A household node is only needed where its cap can bind (more candidate needs than the
    cap); the needs of every other household hang directly off the source.  Same optimum,
    a smaller network, and OR-Tools solves it markedly faster.
    """
    n_needs = len(household)
    n_offers = len(capacity)
    active = np.zeros(n_needs, dtype=np.bool_)
    active[cands.need] = True
    act = np.flatnonzero(active).astype(np.int32)
    n_act = len(act)

    # Rule (once_per_item): at most one need per household and item is served per round.
    multi = np.zeros(0, dtype=np.int32)
    if item_group is not None:
        g_act = item_group[act]
        n_groups = int(item_group.max()) + 1 if len(item_group) else 0
        g_size = np.bincount(g_act, minlength=n_groups)
        multi = np.flatnonzero(g_size > 1).astype(np.int32)
        g_household = np.zeros(n_groups, dtype=np.int32)
        g_household[g_act] = household[act]
        # what a household can have served at most: one per item
        servable = np.bincount(g_household[np.unique(g_act)], minlength=n_households)
    else:
        servable = np.bincount(household[act], minlength=n_households)
    # Rule: at most max_per_household needs of one household are served per round.
    needs_per_hh = servable.astype(np.int64)
    hh_cap = (
        needs_per_hh if max_per_household is None else np.minimum(needs_per_hh, max_per_household)
    )
    capped = np.flatnonzero(needs_per_hh > hh_cap).astype(np.int32)

    # Node numbers: 0 source, 1 sink, then active needs, capped households, item groups, offers.
    need0 = 2
    hh0 = need0 + n_act
    group0 = hh0 + len(capped)
    offer0 = group0 + len(multi)
    n_nodes = offer0 + n_offers
    need_node = np.full(n_needs, -1, dtype=np.int32)
    need_node[act] = need0 + np.arange(n_act, dtype=np.int32)
    hh_node = np.full(n_households, SOURCE, dtype=np.int32)
    hh_node[capped] = hh0 + np.arange(len(capped), dtype=np.int32)
    above_need = hh_node[household[act]]  # (capped household or source) → need
    group_tails = np.zeros(0, dtype=np.int32)
    mixed_groups = 0
    if item_group is not None and len(multi):
        group_node = np.full(len(g_size), -1, dtype=np.int32)
        group_node[multi] = group0 + np.arange(len(multi), dtype=np.int32)
        in_multi = group_node[g_act] >= 0
        above_need = np.where(in_multi, group_node[g_act], above_need)  # group → need
        group_tails = hh_node[g_household[multi]]  # (household or source) → group
        p = priority[act].astype(np.int64)
        pmin = np.full(len(g_size), 4, dtype=np.int64)
        pmax = np.zeros(len(g_size), dtype=np.int64)
        np.minimum.at(pmin, g_act, p)
        np.maximum.at(pmax, g_act, p)
        mixed_groups = int(np.count_nonzero(pmin[multi] != pmax[multi]))

    dist_m = np.rint(cands.distance_km * 1000.0).astype(np.int64)
    max_arc = np.zeros(n_needs, dtype=np.int64)
    np.maximum.at(max_arc, cands.need, dist_m)
    mixed = _mixed_capped_households(household, priority, active, hh_cap) + mixed_groups
    unit, costs_pair, weights = _scale(dist_m, max_arc, mixed, n_nodes, units, tilt_m)
    reward = np.array([0, weights[0], weights[1], weights[2]], dtype=np.int64)
    bonus = None if tilt_m is None or not tilt_m.any() else (tilt_m + unit // 2) // unit

    tails = np.concatenate(
        [
            above_need,  # (item group, capped household or source) → need
            need_node[cands.need],  # need → offer
            offer0 + np.arange(n_offers, dtype=np.int32),  # offer → sink
            np.full(len(capped), SOURCE, dtype=np.int32),  # source → capped household
            np.array([SOURCE], dtype=np.int32),  # source → sink: not serving is allowed
            group_tails,  # (capped household or source) → item group
        ]
    ).astype(np.int32)
    heads = np.concatenate(
        [
            need_node[act],
            offer0 + cands.offer,
            np.full(n_offers, SINK, dtype=np.int32),
            hh0 + np.arange(len(capped), dtype=np.int32),
            np.array([SINK], dtype=np.int32),
            group0 + np.arange(len(multi), dtype=np.int32),
        ]
    ).astype(np.int32)
    capacities = np.concatenate(
        [
            np.ones(n_act, dtype=np.int64),  # each need is served at most once
            np.ones(len(cands), dtype=np.int64),
            capacity,  # offer capacity (units it can deliver this round)
            hh_cap[capped],  # household cap per round
            np.array([n_act], dtype=np.int64),
            np.ones(len(multi), dtype=np.int64),  # one need per household and item
        ]
    )
    costs = np.concatenate(
        [
            # serve by priority, lexicographically (module doc), plus the regional tilt
            -reward[priority[act]] - (0 if bonus is None else bonus[act]),
            costs_pair,  # then least total distance, in units of `unit` metres
            np.zeros(n_offers + len(capped) + 1 + len(multi), dtype=np.int64),
        ]
    )
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[SOURCE], supplies[SINK] = n_act, -n_act
    return Network(
        tails=tails,
        heads=heads,
        capacities=capacities,
        costs=costs,
        supplies=supplies,
        need_arc0=n_act,
        n_pairs=len(cands),
        distance_unit_m=unit,
        weights=weights,
        bonus=bonus,
    )


def _scale(
    dist_m: I64,
    max_arc: I64,
    mixed: int,
    n_nodes: int,
    units: tuple[int, ...],
    tilt_m: I64 | None = None,
) -> tuple[int, I64, tuple[int, int, int]]:
    """Finest distance unit whose costs stay within OR-Tools' int64 range.  The bound ``D``
    covers every change of the distance level: arcs and tilt bonuses."""
    for unit in units:
        bound = int(((max_arc + unit // 2) // unit).sum())
        if tilt_m is not None:
            bound += int(((tilt_m + unit // 2) // unit).sum())
        weights = _weights(bound, mixed)
        if weights[0] * (n_nodes + 1) < COST_LIMIT:
            return unit, (dist_m + unit // 2) // unit, weights
    raise SolveError(f"costs overflow int64 even with distance unit {units[-1]} m")


# ----------------------------------------------------------------------------------------
# Solve


def _solve_network(net: Network) -> tuple[min_cost_flow.SimpleMinCostFlow, Any]:
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.capacities, net.costs)
    smcf.set_nodes_supplies(np.arange(len(net.supplies), dtype=np.int32), net.supplies)
    status = smcf.solve()
    return smcf, status


# ----------------------------------------------------------------------------------------
# Result


def _assignment_reasons(
    cands: Candidates, chosen: I64, item_codes: list[str], items: I32, priority: NDArray[np.int8]
) -> list[tuple[str, ...]]:
    """Short reason codes per chosen pair: item, priority, distance, why this offer."""
    nearest = np.full(int(cands.need.max()) + 1 if len(cands) else 0, np.inf)
    np.minimum.at(nearest, cands.need, cands.distance_km)
    need = cands.need[chosen]
    dist = cands.distance_km[chosen]
    is_nearest = dist <= nearest[need] + 1e-9
    cache: dict[tuple[int, int, bool], tuple[str, str, str]] = {}
    out: list[tuple[str, ...]] = []
    for k, p, near, d in zip(
        items[need].tolist(),
        priority[need].tolist(),
        is_nearest.tolist(),
        dist.tolist(),
        strict=True,
    ):
        head = cache.get((k, p, near))
        if head is None:
            why = "nearest_eligible_offer" if near else "nearer_offers_full"
            head = cache.setdefault((k, p, near), (f"item:{item_codes[k]}", f"priority:{p}", why))
        out.append((head[0], head[1], f"distance_km:{d:.2f}", head[2]))
    return out


_LOST_FROM = REASON_CODES.index("capacity_exhausted")  # reasons of needs that had an offer


def _unmatched_reasons(
    cands: Candidates, served: NDArray[np.bool_], household: I32, hh_served: I64, hh_cap: I64
) -> NDArray[np.int8]:
    """Reason index (into REASON_CODES) per need; -1 for served needs."""
    reason = cands.why_none.copy()  # no_offer_for_item / out_of_area / not_eligible
    lost = (reason < 0) & ~served
    at_cap = hh_served[household] >= hh_cap[household]
    reason[lost] = REASON_CODES.index("capacity_exhausted")
    reason[lost & at_cap] = REASON_CODES.index("household_cap")
    return reason


def _check_time(start: float, limit: float | None, phase: str) -> None:
    if limit is not None and time.perf_counter() - start > limit:
        raise SolveTimeout(f"time limit {limit:g} s exceeded after {phase}")


def solve(problem: Problem, *, progress: Progress | None = None) -> Result:
    """Optimal assignment of needs to offers (DESIGN §5).

    ``progress(fraction, message)`` is called between phases.  Raises :class:`SolveTimeout`
    if ``problem.params.time_limit_s`` is exceeded (checked between phases; the OR-Tools
    solve itself is not interrupted) and :class:`SolveError` if OR-Tools fails.
    """
    start = time.perf_counter()
    report = progress or (lambda fraction, message: None)
    params = problem.params
    round_date = params.round_date or date.today()
    timings: dict[str, float] = {}

    def lap(name: str, t0: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - t0, 4)
        _check_time(start, params.time_limit_s, name)
        return now

    # Data
    report(0.0, "candidates")
    t = time.perf_counter()
    data = prepare(problem, round_date)
    needs, offers, cands = data.needs, data.offers, data.cands
    household, n_households, priority = data.household, data.n_households, data.priority
    capacity = data.capacity
    tilt_m = tilt_metres(data, params.tilt_km)
    t = lap("candidates", t)

    # Variables, constraints and objective: the network
    report(0.3, "model")
    net = build_network(
        cands, household, n_households, priority, capacity, params.max_per_household,
        tilt_m=tilt_m, item_group=data.item_group,
    )  # fmt: skip
    t = lap("build", t)

    # Solve, coarsening the distance unit if OR-Tools reports a cost overflow
    report(0.4, "solve")
    smcf, status = _solve_network(net)
    while status == min_cost_flow.SimpleMinCostFlow.BAD_COST_RANGE:
        coarser = tuple(u for u in DISTANCE_UNITS_M if u > net.distance_unit_m)
        if not coarser:
            break
        net = build_network(
            cands, household, n_households, priority, capacity, params.max_per_household, coarser,
            tilt_m=tilt_m, item_group=data.item_group,
        )  # fmt: skip
        smcf, status = _solve_network(net)
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise SolveError(f"min-cost flow failed with status {status.name}")
    t = lap("solve", t)

    # Solution
    report(0.9, "result")
    pair_arcs = np.arange(net.need_arc0, net.need_arc0 + net.n_pairs, dtype=np.int32)
    flows = np.asarray(smcf.flows(pair_arcs), dtype=np.int64)
    costs_pair = net.costs[net.need_arc0 : net.need_arc0 + net.n_pairs]
    if net.bonus is not None:  # a swap must keep distance minus tilt bonus unchanged
        costs_pair = costs_pair - net.bonus[cands.need] + int(net.bonus.max())
    flows = prefer_older(
        cands, flows, costs_pair, household, priority, params.max_per_household,
        item_group=data.item_group,
    )  # fmt: skip
    result = make_result(
        needs, offers, cands, flows, data.items, household, priority, net,
        params.max_per_household, item_group=data.item_group,
    )  # fmt: skip
    lap("result", t)
    stats = dict(result.stats) | fairness_stats(problem, data, flows)
    stats["seconds"] = round(time.perf_counter() - start, 4)
    stats["timings"] = timings
    stats["round_date"] = round_date.isoformat()
    report(1.0, "done")
    return Result(result.assignments, result.unmatched, result.status, stats)


def tilt_metres(data: Prepared, tilt_km: float) -> I64 | None:
    """Per need: the regional-tilt bonus in metres (None when the tilt is off)."""
    if tilt_km <= 0 or not data.tilted.any():
        return None
    return data.tilted.astype(np.int64) * round(tilt_km * 1000)


def fairness_stats(problem: Problem, data: Prepared, flows: I64) -> dict[str, Any]:
    """What DESIGN §12 adds to a round's stats: the distance limit, the regional tilt (its
    weight and how many needs in those regions were served), held proposals and the pairs
    left out because staff rejected them."""
    params = problem.params
    served = np.zeros(len(data.needs), dtype=np.bool_)
    served[data.cands.need[flows > 0]] = True
    return {
        "max_km": params.max_km,
        "tilt": {
            "regions": list(params.tilt_regions),
            "km": params.tilt_km,
            "needs": int(data.tilted.sum()),
            "served": int((served & data.tilted).sum()),
        },
        "held": data.held_needs,
        "held_units": data.held_units,
        "recent_households": len({r.household for r in problem.recent}),
        "excluded_pairs": sum(len(n.excluded_offers) for n in data.needs),
    }


def prefer_older(
    cands: Candidates,
    flows: I64,
    pair_cost: I64,
    household: I32,
    priority: NDArray[np.int8],
    max_per_household: int | None,
    *,
    item_group: I32 | None = None,
) -> I64:
    """Tie-break (DESIGN §5: older needs first, then ids), applied after the optimum is
    found: where an unserved need could take the place of a served one at the same offer
    with the same priority and the same distance cost, the one earlier in canonical order
    (older, then smaller id) gets it.  Each swap keeps counts, distance and caps unchanged,
    so the result stays optimal.  Only exact ties are touched; needs are indexed in
    canonical order, so a smaller index means earlier."""
    flows = flows.copy()
    on = flows > 0
    served = np.zeros(len(household), dtype=np.bool_)
    served[cands.need[on]] = True
    width = int(pair_cost.max(initial=0)) + 1
    key = (cands.offer.astype(np.int64) * 4 + priority[cands.need]) * width + pair_cost
    waiting = ~served[cands.need]
    # groups (offer, priority, cost) where a waiting need is earlier than a served one
    held_key, held_need = key[on], cands.need[on]
    order = np.lexsort((held_need, held_key))
    held_key, held_need = held_key[order], held_need[order]
    last = np.r_[held_key[1:] != held_key[:-1], True] if len(held_key) else held_key
    latest_key, latest_need = held_key[last], held_need[last]  # latest served need per group
    wait_key, wait_need = key[waiting], cands.need[waiting]
    pos = np.searchsorted(latest_key, wait_key)
    pos_ok = pos < len(latest_key)
    hit = np.zeros(len(wait_key), dtype=np.bool_)
    hit[pos_ok] = (latest_key[pos[pos_ok]] == wait_key[pos_ok]) & (
        wait_need[pos_ok] < latest_need[pos[pos_ok]]
    )
    ties = np.unique(wait_key[hit])
    if len(ties) == 0:
        return flows
    n_h = int(household.max()) + 1
    hh_needs = np.bincount(household, minlength=n_h)
    cap = hh_needs if max_per_household is None else np.minimum(hh_needs, max_per_household)
    used = np.bincount(household[served], minlength=n_h)
    group_used = (
        None
        if item_group is None
        else np.bincount(item_group[served], minlength=int(item_group.max()) + 1)
    )
    arcs = np.flatnonzero(np.isin(key, ties))
    arcs = arcs[np.lexsort((cands.need[arcs], key[arcs]))]
    groups = np.split(arcs, np.flatnonzero(np.diff(key[arcs])) + 1)
    for group in groups:
        holders = sorted((int(cands.need[a]), int(a)) for a in group if flows[a] > 0)
        for a in group.tolist():  # candidates in canonical order
            u = int(cands.need[a])
            if served[u] or not holders or holders[-1][0] < u:
                continue
            s, s_arc = holders[-1]
            hu, hs = household[u], household[s]
            if hu != hs and used[hu] >= cap[hu]:
                continue
            if group_used is not None and item_group is not None:
                gu, gs = item_group[u], item_group[s]
                if gu != gs and group_used[gu] > 0:
                    continue  # once_per_item: u's household already has the item
                group_used[gs] -= 1
                group_used[gu] += 1
            flows[s_arc], flows[a] = 0, 1
            served[s], served[u] = False, True
            used[hs] -= 1
            used[hu] += 1
            holders[-1] = (u, a)
            holders.sort()
    return flows


def make_result(
    needs: list[Need],
    offers: list[Offer],
    cands: Candidates,
    flows: I64,
    items: I32,
    household: I32,
    priority: NDArray[np.int8],
    net: Network | None,
    max_per_household: int | None,
    status: str = "optimal",
    *,
    item_group: I32 | None = None,
) -> Result:
    """Assignments (in need order) with reasons; unmatched needs with reason codes; stats."""
    chosen = np.flatnonzero(flows > 0)
    need_idx = cands.need[chosen]
    served = np.zeros(len(needs), dtype=np.bool_)
    served[need_idx] = True
    n_h = int(household.max()) + 1 if len(household) else 0
    hh_served = np.bincount(household[need_idx], minlength=n_h).astype(np.int64)
    hh_needs = np.bincount(household, minlength=n_h).astype(np.int64)
    hh_cap = hh_needs if max_per_household is None else np.minimum(hh_needs, max_per_household)
    reason = _unmatched_reasons(cands, served, household, hh_served, hh_cap)
    if item_group is not None:
        # once_per_item: a need whose household gets the item through another need this round
        got = np.zeros(int(item_group.max()) + 1 if len(item_group) else 0, dtype=np.bool_)
        got[item_group[served]] = True
        reason[(reason >= _LOST_FROM) & got[item_group]] = REASON_CODES.index("recently_helped")

    codes = list(item_codes())
    reasons = _assignment_reasons(cands, chosen, codes, items, priority)
    dist = cands.distance_km[chosen]
    need_ids = [n.id for n in needs]
    offer_ids = [o.id for o in offers]
    assignments = tuple(
        map(
            Assignment,
            [need_ids[i] for i in need_idx.tolist()],
            [offer_ids[j] for j in cands.offer[chosen].tolist()],
            np.round(dist, 3).tolist(),
            reasons,
        )
    )
    lost = np.flatnonzero(reason >= 0)
    unmatched = tuple(
        map(
            Unmatched,
            [need_ids[i] for i in lost.tolist()],
            [REASON_CODES[r] for r in reason[lost].tolist()],
        )
    )
    return Result(
        assignments,
        unmatched,
        status,
        _stats(needs, offers, cands, priority, served, reason, dist, net, status),
    )


def _stats(
    needs: list[Need],
    offers: list[Offer],
    cands: Candidates,
    priority: NDArray[np.int8],
    served: NDArray[np.bool_],
    reason: NDArray[np.int8],
    dist: NDArray[np.float64],
    net: Network | None,
    status: str,
) -> dict[str, Any]:
    by_p = np.bincount(priority[served], minlength=4)
    all_p = np.bincount(priority, minlength=4)
    by_reason = np.bincount(reason[reason >= 0], minlength=len(REASON_CODES))
    stats: dict[str, Any] = {
        "status": status,
        "needs": len(needs),
        "offers": len(offers),
        "served": int(served.sum()),
        "unmatched": int((~served).sum()),
        "served_by_priority": {str(p): int(by_p[p]) for p in (1, 2, 3)},
        "needs_by_priority": {str(p): int(all_p[p]) for p in (1, 2, 3)},
        "unmatched_by_reason": {c: int(by_reason[i]) for i, c in enumerate(REASON_CODES)},
        "total_distance_km": round(float(np.round(dist, 3).sum()), 3),
        "candidate_arcs": len(cands),
    }
    if net is not None:
        stats["distance_unit_m"] = net.distance_unit_m
        stats["network_arcs"] = len(net.tails)
        stats["network_nodes"] = len(net.supplies)
    return stats
