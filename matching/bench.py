"""``python -m matching bench``: time the optimiser on a synthetic Hangzhou-like market.

Prints, for one run: candidate generation, model build + solve, the whole ``solve()``, a
bare OR-Tools reference solve on the very same arc arrays (timed in the same run), the
greedy baseline, served needs by priority for both, total distance, arcs, peak memory and
the text-suggestion accuracy on the labelled wishes.  ``--check`` adds an independent
optimality check of the served-by-priority vector (see :func:`lexicographic_counts`).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import TextIO

import numpy as np
from ortools.graph.python import min_cost_flow

from matching.candidates import Candidates
from matching.greedy import solve_greedy
from matching.model import Problem, Result
from matching.solver import Network, build_network, prepare, solve, tilt_metres
from matching.synthetic import ROUND_DATE, synthetic_problem

__all__ = ["lexicographic_counts", "reference_solve", "run_bench"]


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def reference_solve(
    net: Network, cands: Candidates, priority: np.ndarray
) -> tuple[float, tuple[int, int, int]]:
    """Bare ``SimpleMinCostFlow``: add the same arrays, solve, read flows; (seconds, counts)."""
    t = time.perf_counter()
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.capacities, net.costs)
    smcf.set_nodes_supplies(np.arange(len(net.supplies), dtype=np.int32), net.supplies)
    status = smcf.solve()
    seconds = time.perf_counter() - t
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"reference solve failed: {status.name}")
    arcs = np.arange(net.need_arc0, net.need_arc0 + net.n_pairs, dtype=np.int32)
    served = cands.need[np.asarray(smcf.flows(arcs)) > 0]
    by_p = np.bincount(priority[served], minlength=4)
    return seconds, (int(by_p[1]), int(by_p[2]), int(by_p[3]))


def lexicographic_counts(net: Network) -> tuple[int, int, int]:
    """Lexicographically largest (p1, p2, p3) served vector, computed without the weight
    argument of the solver: distances are dropped and the rewards are 1, N3 + 1 and
    (N2 + 1)(N3 + 1), so that by plain counting one more need of a priority outweighs any
    number of needs of the lower ones."""
    n_act = net.need_arc0
    costs = net.costs.copy()
    rewards = -costs[:n_act]
    # rewards are W[priority] plus at most the tilt bonus, which stays below the next weight
    level = np.where(rewards >= net.weights[0], 1, np.where(rewards >= net.weights[1], 2, 3))
    n2, n3 = int((level == 2).sum()), int((level == 3).sum())
    r = np.array([0, (n2 + 1) * (n3 + 1), n3 + 1, 1], dtype=np.int64)
    costs[:n_act] = -r[level]
    costs[n_act : n_act + net.n_pairs] = 0
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.capacities, costs)
    smcf.set_nodes_supplies(np.arange(len(net.supplies), dtype=np.int32), net.supplies)
    status = smcf.solve()
    if status != min_cost_flow.SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"check solve failed: {status.name}")
    flows = np.asarray(smcf.flows(np.arange(n_act, dtype=np.int32)))
    by_p = np.bincount(level[flows > 0], minlength=4)
    return int(by_p[1]), int(by_p[2]), int(by_p[3])


def _p1_households(problem: Problem, result: Result) -> int:
    p1 = {n.id: n.household for n in problem.needs if n.priority == 1}
    return len({p1[a.need] for a in result.assignments if a.need in p1})


def _fmt(counts: tuple[int, int, int]) -> str:
    return "/".join(str(c) for c in counts)


def run_bench(
    n_needs: int,
    n_offers: int,
    seed: int,
    *,
    max_per_household: int | None = 2,
    check: bool = False,
    repeat: int = 1,
    fair: bool = False,
    out: TextIO,
    text_accuracy: Callable[..., tuple[float, float, int]] | None = None,
) -> dict[str, float]:
    """Run one benchmark and print its figures to ``out``; returns the key timings."""

    def print_(line: str) -> None:
        print(line, file=out, flush=True)

    t = time.perf_counter()
    problem = synthetic_problem(
        n_needs, n_offers, seed, max_per_household=max_per_household, fair=fair
    )
    print_(
        f"instance       : {n_needs} needs x {n_offers} offers, seed {seed}, "
        f"max_per_household {max_per_household} (generated in {time.perf_counter() - t:.1f} s)"
    )
    if fair:
        p = problem.params
        print_(
            f"fairness input : {len(problem.recent)} households with recent items, "
            f"{sum(bool(n.excluded_offers) for n in problem.needs)} needs with rejected "
            f"offers, {len(problem.held)} held, max_km {p.max_km:g}, tilt {p.tilt_km:g} km on "
            f"{','.join(p.tilt_regions)}"
        )
    rss_before = _rss_mib()

    result = solve(problem)
    peak = _peak_rss_mib()
    st = result.stats
    tm = st["timings"]
    print_(f"candidate arcs : {st['candidate_arcs']}  (distance unit {st['distance_unit_m']} m)")
    print_(f"candidates     : {tm['candidates']:.2f} s")
    print_(f"model + solve  : {tm['build'] + tm['solve']:.2f} s (build {tm['build']:.2f}, "
           f"solve {tm['solve']:.2f})")  # fmt: skip
    print_(f"whole solve    : {st['seconds']:.2f} s (candidates + model + solve + result "
           f"{tm['result']:.2f})")  # fmt: skip
    print_(f"peak RSS       : {peak:.0f} MiB (instance alone {rss_before:.0f} MiB; "
           f"solve added <= {peak - rss_before:.0f} MiB)")  # fmt: skip
    if fair:
        by = st["unmatched_by_reason"]
        print_(f"fairness       : recently_helped {by['recently_helped']}, previously_rejected "
               f"{by['previously_rejected']}, held {st['held']} ({st['held_units']} units kept), "
               f"tilt needs served {st['tilt']['served']} of {st['tilt']['needs']}")  # fmt: skip

    data = prepare(problem, ROUND_DATE)
    net = build_network(
        data.cands, data.household, data.n_households, data.priority, data.capacity,
        max_per_household, tilt_m=tilt_metres(data, problem.params.tilt_km),
        item_group=data.item_group,
    )  # fmt: skip
    ref_s, ref_counts = reference_solve(net, data.cands, data.priority)
    whole_s = float(st["seconds"])
    for _ in range(repeat - 1):  # best of N for both, interleaved, to damp machine noise
        whole_s = min(whole_s, float(solve(problem).stats["seconds"]))
        ref_s = min(ref_s, reference_solve(net, data.cands, data.priority)[0])
    best = f"best of {repeat}: " if repeat > 1 else ""
    print_(f"reference      : {best}{ref_s:.2f} s bare SimpleMinCostFlow on the same arrays "
           f"(add arcs + solve)")  # fmt: skip
    print_(f"ratio          : whole solve {best}{whole_s:.2f} s = {whole_s / ref_s:.2f}x reference")
    ok = ref_counts == result.served_by_priority
    print_(f"reference check: served p1/p2/p3 {_fmt(ref_counts)} -> "
           f"{'equal' if ok else 'DIFFERENT'}")  # fmt: skip
    if check:
        t = time.perf_counter()
        lex = lexicographic_counts(net)
        ok_lex = lex == result.served_by_priority
        print_(f"lex check      : independent lexicographic max {_fmt(lex)} -> "
               f"{'equal' if ok_lex else 'DIFFERENT'} ({time.perf_counter() - t:.1f} s)")  # fmt: skip

    greedy = solve_greedy(problem)
    opt_c, gr_c = result.served_by_priority, greedy.served_by_priority
    print_(f"greedy         : {greedy.stats['seconds']:.2f} s")
    print_(f"served p1/p2/p3: optimal {_fmt(opt_c)} (of {st['needs_by_priority']['1']}/"
           f"{st['needs_by_priority']['2']}/{st['needs_by_priority']['3']})  greedy {_fmt(gr_c)}")  # fmt: skip
    print_(f"p1 gain        : +{opt_c[0] - gr_c[0]} priority-1 needs, "
           f"+{_p1_households(problem, result) - _p1_households(problem, greedy)} "
           f"priority-1 households vs greedy")  # fmt: skip
    print_(f"total distance : optimal {result.total_distance_km:.1f} km "
           f"({result.total_distance_km / max(1, sum(opt_c)):.2f} km/need)  greedy "
           f"{greedy.total_distance_km:.1f} km ({greedy.total_distance_km / max(1, sum(gr_c)):.2f} km/need)")  # fmt: skip
    if text_accuracy is not None:
        top1, top3, n = text_accuracy()
        h1, h3, hn = text_accuracy(holdout=True)
        print_(f"text suggest   : top-1 {top1:.1%}  top-3 {top3:.1%} on {n} labelled wishes "
               f"(leave-one-out); held-out {hn}: top-1 {h1:.1%}  top-3 {h3:.1%}")  # fmt: skip
    return {"whole": whole_s, "reference": ref_s, "peak_rss_mib": peak}
