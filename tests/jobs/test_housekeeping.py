"""Housekeeping (every minute): overdue claims expire, alerts go out, the dashboards' counts are
rebuilt; the same work as ``zhongfu housekeeping``."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlmodel import select

from marketplace import jobs
from marketplace.models import Need, NeedStatus, NeedTally, Role, User, utcnow
from marketplace.services import claims


def _counts(s) -> tuple[Counter, Counter]:
    direct = Counter((n.community_code, n.kind, n.status) for n in s.exec(select(Need)))
    snapshot = Counter(
        {(t.community_code, t.kind, t.status): t.n for t in s.exec(select(NeedTally))}
    )
    return direct, snapshot


def _claimed(db, member: User, need: Need, *, delivered: bool = False, days_ago: int = 0) -> None:
    with db() as s:
        actor = s.get(User, member.id)
        claim = claims.claim_wish(
            s,
            member=actor,
            wish_id=need.id,
            policy=claims.ClaimPolicy(max_open=5),
            now=utcnow() - timedelta(days=days_ago),
        )
        if delivered:
            claims.report_delivery(s, actor=actor, claim_id=claim.id, note="送到了，户主当面签收")


def test_housekeeping_expires_claims_sends_alerts_and_recounts(
    app, db, make_user, make_household, make_need
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    member = make_user(Role.MEMBER)
    overdue = make_need(staff, make_household(staff), title="逾期未送")
    delivered = make_need(staff, make_household(staff), title="已送达")
    _claimed(db, member, overdue, days_ago=8)  # 7 days to deliver: past due
    _claimed(db, member, delivered, delivered=True)

    result = jobs.tasks(app).housekeeping.call_local()

    assert result["claims_expired"] == 1
    assert result["alerts"]["delivery_awaiting"] >= 1  # the district hub's staff
    assert datetime.fromisoformat(result["tally_taken_at"])
    with db() as s:
        assert s.get(Need, overdue.id).status == NeedStatus.OPEN.value  # back in the pool
        direct, snapshot = _counts(s)
        assert snapshot == direct and sum(snapshot.values()) == 2
    # Idempotent: a second run a minute later expires and alerts nothing new.
    again = jobs.tasks(app).housekeeping.call_local()
    assert again["claims_expired"] == 0 and sum(again["alerts"].values()) == 0


def test_housekeeping_runs_every_minute_on_the_apps_queue(app):
    queue = jobs.queue(app)
    for minute in (0, 1, 37):
        due = queue.read_periodic(datetime(2026, 12, 1, 9, minute))
        assert [task.name for task in due] == ["housekeeping"]


def test_housekeeping_command(app, make_user):
    result = app.test_cli_runner().invoke(args=["housekeeping"])
    assert result.exit_code == 0, result.output
    assert "claims_expired" in result.output and "tally_taken_at" in result.output
