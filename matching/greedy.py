"""Greedy baseline, for comparison only: first come (by urgency), nearest offer.

Needs are taken in order of priority, then posting time (older first), then id; each takes
the nearest eligible offer that still has capacity, if its household is under its cap.
This is roughly what a claim race or a spreadsheet does; the optimiser never serves fewer
needs of a priority class without serving more of a more urgent one.
"""

from __future__ import annotations

import time
from datetime import date

import numpy as np

from matching.model import Problem, Result
from matching.solver import fairness_stats, make_result, prepare

__all__ = ["solve_greedy"]


def solve_greedy(problem: Problem) -> Result:
    """Greedy assignment with the same eligibility rules and result format as ``solve``."""
    start = time.perf_counter()
    round_date = problem.params.round_date or date.today()
    data = prepare(problem, round_date)  # needs already in greedy order
    t_cands = time.perf_counter() - start
    cands = data.cands
    order = np.lexsort((cands.offer, cands.distance_km, cands.need))  # nearest first per need
    offer_sorted = cands.offer[order].tolist()
    bounds = np.searchsorted(cands.need[order], np.arange(len(data.needs) + 1)).tolist()
    remaining = data.capacity.tolist()
    cap = problem.params.max_per_household
    hh_left = [len(data.needs) if cap is None else cap] * data.n_households
    household = data.household.tolist()
    group = None if data.item_group is None else data.item_group.tolist()
    group_taken: set[int] = set()
    flows = np.zeros(len(cands), dtype=np.int64)
    for i in range(len(data.needs)):
        h = household[i]
        if hh_left[h] == 0 or (group is not None and group[i] in group_taken):
            continue
        for a in range(bounds[i], bounds[i + 1]):
            o = offer_sorted[a]
            if remaining[o] > 0:
                remaining[o] -= 1
                hh_left[h] -= 1
                flows[order[a]] = 1
                if group is not None:
                    group_taken.add(group[i])
                break
    result = make_result(
        data.needs, data.offers, cands, flows, data.items, data.household, data.priority, None,
        cap, status="greedy", item_group=data.item_group,
    )  # fmt: skip
    stats = dict(result.stats) | fairness_stats(problem, data, flows)
    stats["seconds"] = round(time.perf_counter() - start, 4)
    stats["timings"] = {"candidates": round(t_cands, 4)}
    stats["round_date"] = round_date.isoformat()
    return Result(result.assignments, result.unmatched, result.status, stats)
