"""The city seed's year of monitoring events and warnings (issue 13 items 7, 9), at a tiny scale:
every warning at its community's staffed street hub, due 3 / 7 days after it was raised by its
level, open ones mostly within their window, closed ones mostly on time."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlmodel import func, select

from marketplace.db import get_engine
from marketplace.models import (
    Household,
    Hub,
    MonitoringEvent,
    Need,
    PolicyReferral,
    RiskWarning,
    Role,
    User,
    risk_level,
)
from marketplace.services import priority
from marketplace.services import warnings as warnings_service


def _aware(dt):
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@pytest.fixture
def seeded(app):
    from marketplace.city import Scale, seed_city

    scale = Scale.of(0.004)
    return scale, seed_city(get_engine(app), scale=scale, seed=7)


def test_the_seed_loads_events_and_warnings(db, seeded):
    scale, counts = seeded
    assert counts["events"] == counts["warnings"] == scale.events == 240
    assert counts["open warnings"] == scale.warnings == 80
    with db() as s:
        assert s.exec(select(func.count()).select_from(MonitoringEvent)).one() == 240
        warnings = s.exec(select(RiskWarning)).all()
        events = {e.id: e for e in s.exec(select(MonitoringEvent))}
        households = {h.id: h for h in s.exec(select(Household))}
        hubs = {h.id: h for h in s.exec(select(Hub))}
        staffed = set(
            s.exec(select(User.hub_id).where(User.role == Role.HUB_STAFF.value, User.active)).all()
        )
        # every event kind and several sources occur
        assert len({e.kind for e in events.values()}) >= 8
        assert {"hub", "import", "dept"} <= {e.source for e in events.values()}
        now = max(_aware(w.raised_at) for w in warnings)
        for w in warnings:
            household, event = households[w.household_id], events[w.event_id]
            assert event.household_id == w.household_id
            assert w.community_code == household.community_code == event.community_code
            hub = hubs[w.hub_id]
            assert hub.level == "street" and hub.region_code == w.community_code[:9]
            assert w.hub_id in staffed
            important = risk_level(household.risk_score) == 1 or warnings_service.is_severe(
                s, event.kind
            )
            assert w.level == ("important" if important else "general")
            days = 3 if w.level == "important" else 7
            assert _aware(w.due_at) - _aware(w.raised_at) == timedelta(days=days)
            if w.status == "closed":
                assert w.outcome in {"refer_policy", "refer_hub", "no_action"}
                assert w.on_time == (_aware(w.closed_at) <= _aware(w.due_at))
        open_ = [w for w in warnings if w.status == "open"]
        closed = [w for w in warnings if w.status == "closed"]
        overdue = [w for w in open_ if _aware(w.due_at) < now]
        assert len(open_) == 80 and 0 < len(overdue) < 0.25 * len(open_)
        assert sum(bool(w.on_time) for w in closed) >= 0.85 * len(closed)
        oldest = min(_aware(w.raised_at) for w in closed)
        assert now - oldest > timedelta(days=200)  # about a year of history
        referred = {w.id for w in closed if w.outcome == "refer_policy"}
        referrals = s.exec(select(PolicyReferral)).all()
        assert referrals and {r.warning_id for r in referrals} == referred
        assert {r.item_code for r in referrals} <= set(warnings_service.policy_items())
        assert counts["policy referrals"] == len(referrals)


def test_open_important_warnings_raise_the_needs_priority(db, seeded):
    with db() as s:
        # refresh_all already ran: nothing left to change
        assert priority.refresh_all(s) == 0
        warned = set(
            s.exec(
                select(RiskWarning.household_id).where(
                    RiskWarning.status == "open", RiskWarning.level == "important"
                )
            ).all()
        )
        assert s.exec(
            select(Need.id).where(Need.household_id.in_(warned))  # type: ignore[attr-defined]
        ).first()
