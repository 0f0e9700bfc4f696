"""``python -m matching``: solve a file, reject malformed files, suggest items."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "problem-small.json"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matching", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_solve_example(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = run("solve", str(EXAMPLE), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text("utf-8"))
    assert set(result) == {"assignments", "unmatched", "stats"}
    stats = result["stats"]
    assert stats["status"] == "optimal"
    assert set(stats["served_by_priority"]) == {"1", "2", "3"}
    problem = json.loads(EXAMPLE.read_text("utf-8"))
    ids = {n["id"] for n in problem["needs"]}
    assert {a["need"] for a in result["assignments"]} | {
        u["need"] for u in result["unmatched"]
    } == ids
    assert result["assignments"] and all(a["reasons"] for a in result["assignments"])
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_solve_to_stdout_keeps_integer_ids(tmp_path: Path) -> None:
    problem = {
        "needs": [{"id": 1, "household": 10, "item": "07-02", "lat": 30.27, "lon": 120.16,
                   "region": "330106001001", "priority": 1}],
        "offers": [{"id": 2, "items": ["07-02"], "lat": 30.27, "lon": 120.17, "capacity": 1}],
    }  # fmt: skip
    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem))
    proc = run("solve", str(path))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["assignments"][0]["need"] == 1 and result["assignments"][0]["offer"] == 2


def _mutate(change: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text("utf-8"))
    change(data)
    return data


def _set(section: str, index: int, field: str, value: object) -> Any:
    def change(data: dict[str, Any]) -> None:
        data[section][index][field] = value

    return change


def _drop(section: str, index: int, field: str) -> Any:
    def change(data: dict[str, Any]) -> None:
        del data[section][index][field]

    return change


BAD = [
    (
        _set("needs", 7, "lat", 95.0),
        'needs[7] (id "n8"): field "lat": 95.0 is out of range -90..90',
    ),
    (_set("needs", 2, "lon", 200), 'needs[2] (id "n3"): field "lon": 200 is out of range'),
    (_drop("needs", 0, "item"), 'needs[0] (id "n1"): field "item": missing'),
    (
        _set("needs", 1, "item", "10-01"),
        'needs[1] (id "n2"): field "item": \'10-01\' is not a known',
    ),
    (
        _set("needs", 3, "priority", 5),
        'needs[3] (id "n4"): field "priority": 5 is out of range 1..3',
    ),
    (_set("needs", 3, "priority", "1"), 'needs[3] (id "n4"): field "priority"'),
    (_set("needs", 4, "region", "33a"), 'needs[4] (id "n5"): field "region"'),
    (_set("needs", 5, "hardship", "poor"), 'needs[5] (id "n6"): field "hardship"'),
    (_set("needs", 5, "posted", "yesterday"), 'needs[5] (id "n6"): field "posted"'),
    (_set("needs", 9, "id", "n1"), 'needs[9] (id "n1"): duplicate id (first at needs[0])'),
    (
        _set("offers", 2, "capacity", -3),
        'offers[2] (id "o-school"): field "capacity": -3 must be >= 0',
    ),
    (_set("offers", 0, "items", "07-02"), 'offers[0] (id "o-appliance"): field "items"'),
    (_set("offers", 1, "regions", ["33"]), 'offers[1] (id "o-meals"): field "regions[0]"'),
    (_set("offers", 1, "end", "2025-13-01"), 'offers[1] (id "o-meals"): field "end"'),
    (_set("offers", 2, "hardship", ["rich"]), 'offers[2] (id "o-school"): field "hardship[0]"'),
    (_drop("offers", 3, "lat"), 'offers[3] (id "o-escort"): field "lat": missing'),
    (lambda d: d["needs"].append(7), "needs[10]: is not an object"),
    (lambda d: d.pop("offers"), 'field "offers": missing or not a list'),
    (lambda d: d.update(params={"max_per_household": 0}), 'params: field "max_per_household"'),
]


@pytest.mark.parametrize(("change", "message"), BAD, ids=[m[:40] for _, m in BAD])
def test_malformed_problem_exits_2_with_one_message(
    tmp_path: Path, change: Any, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_mutate(change), ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "result.json"
    proc = run("solve", str(path), "-o", str(out))
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_json_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"needs": [', encoding="utf-8")
    proc = run("solve", str(path), "-o", str(tmp_path / "r.json"))
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr
    proc = run("solve", str(tmp_path / "nope.json"), "-o", str(tmp_path / "r.json"))
    assert proc.returncode == 2 and "cannot read" in proc.stderr
    assert not (tmp_path / "r.json").exists()


def test_suggest_prints_top_3_per_text() -> None:
    proc = run("suggest", "想要一个电饭煲", "孩子需要书包")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [o["suggestions"][0]["item"] for o in out] == ["07-02", "05-02"]
    assert all(len(o["suggestions"]) == 3 for o in out)


def test_bench_runs_small(tmp_path: Path) -> None:
    proc = run("bench", "--needs", "2000", "--offers", "60", "--seed", "2", "--check")
    assert proc.returncode == 0, proc.stderr
    assert "reference check: served p1/p2/p3" in proc.stdout and "-> equal" in proc.stdout
    assert "lex check" in proc.stdout and "DIFFERENT" not in proc.stdout
    assert "text suggest" in proc.stdout


def test_bench_with_the_fairness_inputs() -> None:
    proc = run("bench", "--needs", "2000", "--offers", "60", "--seed", "2", "--check", "--fair")
    assert proc.returncode == 0, proc.stderr
    assert "fairness input :" in proc.stdout and "max_km 30" in proc.stdout
    assert "fairness       : recently_helped" in proc.stdout
    assert "-> equal" in proc.stdout and "DIFFERENT" not in proc.stdout


def test_solve_a_file_with_fairness_inputs(tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["held"] = [{"need": data["needs"][0]["id"], "offer": data["offers"][0]["id"]}]
    data["params"] |= {"max_km": 30, "once_per_item": True}
    path = tmp_path / "fair.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "result.json"
    proc = run("solve", str(path), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["stats"]["held"] == 1 and result["stats"]["max_km"] == 30
    assert data["needs"][0]["id"] not in {a["need"] for a in result["assignments"]}
    assert data["needs"][0]["id"] not in {u["need"] for u in result["unmatched"]}


def test_library_imports_no_web_or_database_code() -> None:
    code = (
        "import sys, matching, matching.text, matching.io, matching.bench, matching.__main__;"
        "bad = [m for m in ('flask', 'sqlmodel', 'sqlalchemy', 'marketplace') if m in sys.modules];"
        "print(bad)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "[]"
