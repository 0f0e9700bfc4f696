"""Problem files round-trip; the writer is atomic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matching import solve
from matching.io import (
    ProblemFileError,
    load_problem,
    problem_from_json,
    problem_to_json,
    result_to_json,
    write_json_atomic,
)
from matching.synthetic import synthetic_problem

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "problem-small.json"


def test_round_trip() -> None:
    p = synthetic_problem(200, 10, seed=3)
    assert problem_from_json(json.loads(json.dumps(problem_to_json(p)))) == p


def test_example_loads_and_result_serialises() -> None:
    p = load_problem(EXAMPLE)
    assert len(p.needs) == 10 and len(p.offers) == 4
    data = result_to_json(solve(p))
    json.dumps(data, ensure_ascii=False)


def test_not_an_object() -> None:
    with pytest.raises(ProblemFileError, match="JSON object"):
        problem_from_json([1, 2])


def test_atomic_write_leaves_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(TypeError):
        write_json_atomic(target, {"x": object()})
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]
