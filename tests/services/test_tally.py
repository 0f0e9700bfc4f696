"""The snapshot of needs by community, kind and status behind the dashboards (services/tally.py)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import col, select

from marketplace.models import Need, NeedStatus, NeedTally, User, utcnow
from marketplace.services import dashboard, households, tally

pytestmark = pytest.mark.world("market")  # tests/world.py: two districts, claims in every state


def _direct(s) -> Counter[tuple[str, str, str]]:
    return Counter((n.community_code, n.kind, n.status) for n in s.exec(select(Need)))


def _snapshot(s) -> Counter[tuple[str, str, str]]:
    return Counter({(t.community_code, t.kind, t.status): t.n for t in s.exec(select(NeedTally))})


def test_refresh_counts_every_need_once(db, world):
    with db() as s:
        assert tally.taken_at(s) is None  # nothing counted before the first rebuild
        taken = tally.refresh(s)
        assert _snapshot(s) == _direct(s)
        assert sum(_snapshot(s).values()) == len(s.exec(select(Need)).all()) > 0
        assert tally.taken_at(s) == taken
    with db() as s:  # a second rebuild replaces the rows, it does not add to them
        tally.refresh(s)
        assert _snapshot(s) == _direct(s)


def _cancel_one_open_need(s, staff: User) -> None:
    need = s.exec(
        select(Need).where(
            Need.status == NeedStatus.OPEN.value, col(Need.community_code).startswith("330102")
        )
    ).first()
    assert need is not None
    households.cancel_need(s, actor=staff, need_id=need.id or 0, reason="test")


def test_a_fresh_snapshot_is_reused_and_an_old_one_rebuilt(db, world):
    now = utcnow()
    with db() as s:
        taken = tally.refresh(s, now - timedelta(seconds=30))
        before = _snapshot(s)
        _cancel_one_open_need(s, s.get(User, world.staff.id))
    with db() as s:
        # 30 s old, 60 s allowed: the snapshot stands, without the cancellation.
        assert tally.ensure(s, max_age_s=60, now=now) == taken
        assert _snapshot(s) == before != _direct(s)
        # 20 s allowed: it is rebuilt and counts the cancelled need.
        assert tally.ensure(s, max_age_s=20, now=now) == now
        assert _snapshot(s) == _direct(s)
    with db() as s:  # 0: rebuilt on every call
        assert tally.ensure(s, max_age_s=0, now=now + timedelta(seconds=1)) > now


def test_dashboard_reads_the_snapshot_and_says_when_it_was_taken(db, world):
    now = utcnow()
    with db() as s:
        admin = s.get(User, world.admin.id)
        exact = dashboard.build(s, actor=admin, now=now)  # counts_max_age_s=0: counted now
        assert exact.counts_as_of == now
        _cancel_one_open_need(s, s.get(User, world.staff.id))
    with db() as s:
        admin = s.get(User, world.admin.id)
        later = now + timedelta(seconds=5)
        cached = dashboard.build(s, actor=admin, now=later, counts_max_age_s=60)
        assert cached.counts_as_of == now
        assert cached.status_totals == exact.status_totals
        fresh = dashboard.build(s, actor=admin, now=later, counts_max_age_s=0)
        assert fresh.counts_as_of == later
        assert fresh.status_totals["cancelled"] == exact.status_totals.get("cancelled", 0) + 1
        assert fresh.status_totals["open"] == exact.status_totals["open"] - 1
