"""Periodic alerts: right recipients, never twice for the same event (issue: notifications)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.models import Notification, Offer
from marketplace.services import alerts

pytestmark = pytest.mark.world("market")  # tests/world.py: two districts, claims in every state


def _kinds(s, user_id):
    return sorted(
        n.kind for n in s.exec(select(Notification).where(Notification.user_id == user_id))
    )


def test_alerts_reach_the_right_people_once(db, world):
    with db() as s:
        first = alerts.run_alerts(s)
    with db() as s:
        second = alerts.run_alerts(s)
    assert sum(second.values()) == 0, second
    # Two deliveries in 330102 await confirmation (one overdue); district staff see both.
    assert first["delivery_awaiting"] >= 2
    with db() as s:
        assert _kinds(s, world.staff.id).count("delivery_awaiting") == 2
        # The overdue one (level 1, 10 days) escalates to the street hub — the parent hub.
        assert "delivery_overdue" in _kinds(s, world.street_staff.id)
        assert "delivery_overdue" not in _kinds(s, world.staff.id)
        assert _kinds(s, world.other_staff.id) == []


def test_claim_expiring_and_offer_low(db, world, app):
    from datetime import timedelta

    from marketplace.models import Claim, utcnow

    with db() as s:
        claim = s.exec(select(Claim).where(Claim.status == "active")).one()
        claim.due_at = utcnow() + timedelta(hours=12)
        member_id = claim.member_id
        offer = s.get(Offer, world.offer_id)
        offer.remaining = 1  # 1 of 10 left: 10%
    with db() as s:
        counts = alerts.run_alerts(s)
        assert counts["claim_expiring"] == 1 and counts["offer_low"] >= 1
        assert "claim_expiring" in _kinds(s, member_id)
        assert "offer_low" in _kinds(s, world.org_user.id)
    with db() as s:
        assert alerts.run_alerts(s)["offer_low"] == 0
