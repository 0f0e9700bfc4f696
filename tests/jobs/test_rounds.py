"""The match round job: queued after the round is committed, run in its own units of work, with
the settings of the app's configuration."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace import jobs
from marketplace.jobs import rounds as round_job
from marketplace.models import MatchRound, Role, User
from marketplace.services import rounds


def test_api_round_is_queued_and_runs_after_the_request_commits(client, api_token, make_user):
    h = api_token(make_user(Role.ADMIN))
    r = client.post("/api/v1/match-rounds", headers=h)
    assert r.status_code == 202
    # The response is built before the commit, so the job had not started yet …
    assert r.get_json()["status"] == "queued"
    # … and it ran once the request had committed (tests run jobs at once).
    status = client.get(f"/api/v1/match-rounds/{r.get_json()['id']}", headers=h).get_json()
    assert status["status"] == "done" and status["progress"] == 1.0


def test_round_queued_in_a_failed_unit_of_work_never_runs(app, db, make_user, monkeypatch):
    admin = make_user(Role.ADMIN)
    ran: list[int] = []
    monkeypatch.setattr(round_job, "run", lambda _app, round_id: ran.append(round_id))
    with pytest.raises(RuntimeError), db() as s:
        match_round = rounds.start_round(s, actor=s.get(User, admin.id))
        jobs.enqueue_round(match_round.id, session=s)
        raise RuntimeError("something after the round failed")
    assert ran == []
    with db() as s:
        assert s.exec(select(MatchRound)).first() is None
        match_round = rounds.start_round(s, actor=s.get(User, admin.id))
        jobs.enqueue_round(match_round.id, session=s)
        assert ran == []
    assert ran == [match_round.id]


def test_round_job_uses_the_configured_settings(app, db, make_user, monkeypatch):
    app.config.update(MATCH_MAX_PER_HOUSEHOLD=1, UNCLAIMED_DAYS_FOR_ROUND=3)
    seen = []

    def load_problem(session, match_round, settings):
        seen.append(settings)
        raise RuntimeError("stop after loading")

    monkeypatch.setattr(rounds, "load_problem", load_problem)
    admin = make_user(Role.ADMIN)
    with db() as s:
        round_id = rounds.start_round(s, actor=s.get(User, admin.id)).id
    round_job.run(app, round_id)
    assert seen == [rounds.settings_from_config(app.config)]
    assert (seen[0].max_per_household, seen[0].unclaimed_days) == (1, 3)
    with db() as s:
        failed = s.get(MatchRound, round_id)
        assert failed.status == "failed" and failed.message == "round.failed"
        assert failed.stats["message_params"]["ref"]  # the reference staff quote
