"""Command line: ``python -m matching {solve,bench,suggest}`` (see matching/README.md)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

__all__ = ["main"]

EXIT_BAD_INPUT = 2
EXIT_TIMEOUT = 3


def _cmd_solve(args: argparse.Namespace) -> int:
    from matching.greedy import solve_greedy
    from matching.io import ProblemFileError, load_problem, result_to_json, write_json_atomic
    from matching.solver import SolveTimeout, solve

    try:
        problem = load_problem(args.problem)
    except ProblemFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.time_limit is not None:
        from dataclasses import replace

        problem = replace(problem, params=replace(problem.params, time_limit_s=args.time_limit))
    try:
        result = solve_greedy(problem) if args.greedy else solve(problem)
    except SolveTimeout as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_TIMEOUT
    data = result_to_json(result)
    if args.output in (None, "-"):
        json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        write_json_atomic(args.output, data)
        s = result.stats
        print(
            f"{s['status']}: served {s['served']} of {s['needs']} needs "
            f"(p1/p2/p3 {s['served_by_priority']['1']}/{s['served_by_priority']['2']}/"
            f"{s['served_by_priority']['3']}), {s['total_distance_km']} km, "
            f"{s['seconds']} s -> {args.output}",
            file=sys.stderr,
        )
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from matching.bench import run_bench
    from matching.text import labelled_accuracy

    cap = None if args.max_per_household == 0 else args.max_per_household
    run_bench(
        args.needs,
        args.offers,
        args.seed,
        max_per_household=cap,
        check=args.check,
        repeat=args.repeat,
        fair=args.fair,
        out=sys.stdout,
        text_accuracy=labelled_accuracy,
    )
    return 0


def _cmd_suggest(args: argparse.Namespace) -> int:
    from matching.taxonomy import items
    from matching.text import suggest_items

    names = {i.code: i.name_zh for i in items()}
    out = [
        {
            "text": text,
            "suggestions": [
                {"item": code, "name": names[code], "score": round(score, 1)}
                for code, score in suggest_items(text, k=args.k)
            ],
        }
        for text in args.texts
    ]
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m matching", description="Zhongfu 众扶 matching: needs ↔ offers."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("solve", help="solve a problem file, write a result file")
    p.add_argument("problem", help="PROBLEM.json")
    p.add_argument("-o", "--output", help="RESULT.json (default: standard output)")
    p.add_argument("--greedy", action="store_true", help="use the greedy baseline instead")
    p.add_argument("--time-limit", type=float, help="seconds (overrides params.time_limit_s)")
    p.set_defaults(func=_cmd_solve)

    p = sub.add_parser("bench", help="benchmark on a synthetic Hangzhou-like market")
    p.add_argument("--needs", type=int, default=100_000)
    p.add_argument("--offers", type=int, default=3_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-per-household", type=int, default=2, help="0 = no cap (default 2)")
    p.add_argument("--check", action="store_true", help="independent lexicographic check")
    p.add_argument("--repeat", type=int, default=1, help="best of N timings (default 1)")
    p.add_argument(
        "--fair",
        action="store_true",
        help="add DESIGN §12 inputs: recent items, rejected pairs, held, 30 km limit, tilt",
    )
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser("suggest", help="suggest taxonomy items for free-text wishes")
    p.add_argument("texts", nargs="+", metavar="TEXT")
    p.add_argument("-k", type=int, default=3, help="suggestions per text (default 3)")
    p.set_defaults(func=_cmd_suggest)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
