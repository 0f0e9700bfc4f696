"""Zhongfu 众扶 matching library: needs of households in hardship ↔ assistance offers.

Pure Python + numpy + OR-Tools; no web or database imports.  Validated problem data
(:class:`Problem`) in, :class:`Result` out::

    from matching import Need, Offer, Params, Problem, solve
    result = solve(Problem(needs, offers, Params(max_per_household=2)))

See ``matching/README.md`` for the policy, file formats and CLI.
"""

from matching.greedy import solve_greedy
from matching.model import (
    HARDSHIP_CODES,
    REASON_CODES,
    TILT_DISTRICTS,
    Assignment,
    Held,
    Need,
    Offer,
    Params,
    Problem,
    RecentHelp,
    Result,
    Unmatched,
)
from matching.solver import SolveError, SolveTimeout, solve

__all__ = [
    "HARDSHIP_CODES",
    "REASON_CODES",
    "TILT_DISTRICTS",
    "Assignment",
    "Held",
    "Need",
    "Offer",
    "Params",
    "Problem",
    "RecentHelp",
    "Result",
    "SolveError",
    "SolveTimeout",
    "Unmatched",
    "solve",
    "solve_greedy",
]
