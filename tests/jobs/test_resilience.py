"""The city rescore job (jobs/resilience.py) and ``zhongfu resilience``: progress while it runs,
the report when done (households that changed level), a failure reported and nothing changed."""

from __future__ import annotations

import copy
import json

from sqlmodel import select

from marketplace import jobs
from marketplace.jobs import resilience as rescore_job
from marketplace.models import Household, HouseholdScore
from marketplace.services import resilience

V1 = json.loads((resilience.MODELS_DIR / "v1.json").read_text(encoding="utf-8"))


def test_the_job_reports_progress_and_changed_levels(app, make_household, users, db):
    for source in ("tekun", "dibian", "monitored"):
        make_household(users["hub_staff"], profile={"source": source})
    with db() as s:
        resilience.load_model(
            s,
            copy.deepcopy(V1)
            | {"version": "v3", "base": {"points": 95, "why": "Five points less."}},
        )
    seen: list[dict] = []
    queue = jobs.queue(app)
    original = rescore_job.put_state

    def spy(q, job_id, value):
        seen.append(value)
        original(q, job_id, value)

    rescore_job.put_state = spy  # type: ignore[assignment]
    try:
        rescore_job.run(app, queue, "job1", "v3", None)
    finally:
        rescore_job.put_state = original  # type: ignore[assignment]
    assert seen[0]["state"] == "running" and seen[-1]["state"] == "done"
    report = rescore_job.get_state(queue, "job1")["report"]
    # 65 → 60 stays level 2, 85 → 80 stays, 100 → 95 stays level 3
    assert report["households"] == 3 and report["changed_score"] == 3
    assert report["changed_level"] == 0 and report["model_version"] == "v3"
    assert rescore_job.latest(queue)[0] == "job1"


def test_a_failed_job_changes_nothing(app, make_household, users, db):
    household = make_household(users["hub_staff"], profile={"source": "tekun"})
    queue = jobs.queue(app)
    rescore_job.run(app, queue, "job2", "no-such-version", None)
    assert rescore_job.get_state(queue, "job2")["state"] == "failed"
    with db() as s:
        assert s.get_one(Household, household.id).risk_score == 65
        assert len(s.exec(select(HouseholdScore)).all()) == 1


def test_the_cli_loads_a_version_and_rescores(app, make_household, users, db, tmp_path):
    make_household(users["hub_staff"], profile={"source": "dibao"})
    path = tmp_path / "v2.json"
    path.write_text(
        json.dumps(copy.deepcopy(V1) | {"version": "v3", "base": {"points": 80, "why": "x" * 30}})
    )
    runner = app.test_cli_runner()
    out = runner.invoke(args=["resilience", "load", str(path)])
    assert out.exit_code == 0, out.output
    assert "Loaded model v3" in out.output and "1 changed level" in out.output
    again = runner.invoke(args=["resilience", "load", str(path)])
    assert again.exit_code == 2
    listing = runner.invoke(args=["resilience", "versions"])
    assert listing.output.splitlines()[0].startswith("* v3")
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "v9"}')
    refused = runner.invoke(args=["resilience", "load", str(bad)])
    assert refused.exit_code == 2 and "/base" in refused.output
