"""Problem files round-trip; the writer is atomic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


def _example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return data


def test_fairness_fields_round_trip_and_take_effect() -> None:
    data = _example()
    data["needs"][0]["excluded_offers"] = ["o-appliance", 99]
    data["recent"] = [{"household": "h1", "items": ["07-02"]}]
    data["held"] = [{"need": "n2", "offer": "o-appliance"}]
    data["params"] |= {
        "max_km": 30,
        "tilt_regions": ["330127", "330182"],
        "tilt_km": 10,
        "once_per_item": True,
    }
    p = problem_from_json(data)
    assert p.needs[0].excluded_offers == ("o-appliance", 99)
    assert p.recent[0].household == "h1" and p.recent[0].items == ("07-02",)
    assert (p.held[0].need, p.held[0].offer) == ("n2", "o-appliance")
    assert (p.params.max_km, p.params.tilt_regions, p.params.tilt_km) == (
        30,
        ("330127", "330182"),
        10,
    )
    assert p.params.once_per_item is True
    assert problem_from_json(json.loads(json.dumps(problem_to_json(p)))) == p
    stats = result_to_json(solve(p))["stats"]
    assert stats["held"] == 1 and stats["max_km"] == 30
    assert stats["tilt"]["regions"] == ["330127", "330182"]
    # absent fields mean: nothing excluded, nothing recent, nothing held, no limit, no tilt
    plain = problem_from_json(_example())
    assert plain.recent == () and plain.held == () and plain.params.max_km is None
    assert plain.params.tilt_km == 0.0 and not plain.params.once_per_item
    assert "recent" not in problem_to_json(plain)


FAIR_BAD: list[tuple[Any, str]] = [
    (
        lambda d: d["needs"][0].update(excluded_offers="o1"),
        'needs[0] (id "n1"): field "excluded_offers": \'o1\' is not a list',
    ),
    (
        lambda d: d["needs"][0].update(excluded_offers=[""]),
        'needs[0] (id "n1"): field "excluded_offers[0]": must not be empty',
    ),
    (
        lambda d: d.update(recent=[{"household": "h1", "items": ["99-99"]}]),
        "recent[0]: field \"items[0]\": '99-99' is not a known taxonomy item",
    ),
    (lambda d: d.update(recent={"h1": ["07-02"]}), 'field "recent": not a list'),
    (lambda d: d.update(held=[{"need": "n1"}]), 'held[0]: field "offer": missing'),
    (
        lambda d: d.update(held=[{"need": "n1", "offer": 1}, {"need": "n1", "offer": 2}]),
        'held[1] (need "n1"): the need is held twice (first at held[0])',
    ),
    (lambda d: d["params"].update(max_km=0), 'params: field "max_km": 0 must be a number > 0'),
    (lambda d: d["params"].update(tilt_regions=["33"]), 'params: field "tilt_regions[0]"'),
    (lambda d: d["params"].update(tilt_km=-1), 'params: field "tilt_km": -1 must be a number'),
    (lambda d: d["params"].update(tilt_km="10"), 'params: field "tilt_km"'),
    (lambda d: d["params"].update(once_per_item=1), 'params: field "once_per_item": 1'),
]


@pytest.mark.parametrize(("change", "message"), FAIR_BAD, ids=[m[:40] for _, m in FAIR_BAD])
def test_bad_fairness_fields_name_the_record_and_field(change: Any, message: str) -> None:
    data = _example()
    change(data)
    with pytest.raises(ProblemFileError) as err:
        problem_from_json(data)
    assert message in str(err.value)
