"""A small world for the dashboard, alert and import tests: two districts, claims in every state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from marketplace.db import get_engine, session_scope
from marketplace.models import Claim, Role, User, utcnow
from marketplace.services import claims
from tests.conftest import OTHER_DISTRICT_COMMUNITY


@dataclass
class World:
    admin: User
    staff: User  # district hub 330102
    street_staff: User  # street hub 330102001 (parent of COMMUNITY's hub)
    other_staff: User  # district hub 330106
    members: list[User]
    org_user: User
    offer_id: int
    need_ids: dict[str, list[int]] = field(default_factory=dict)


def _shift(app: Any, claim_id: int, **deltas: timedelta) -> None:
    """Move a claim's timestamps into the past (e.g. delivered 10 days ago)."""
    with app.app_context(), session_scope(get_engine(app)) as s:
        claim = s.get(Claim, claim_id)
        assert claim is not None
        for name, delta in deltas.items():
            setattr(claim, name, getattr(claim, name) - delta)


@pytest.fixture
def world(
    app: Any,
    make_user: Callable[..., User],
    make_org: Callable[..., Any],
    make_household: Callable[..., Any],
    make_need: Callable[..., Any],
    make_offer: Callable[..., Any],
) -> World:
    org = make_org(vetted=True)
    w = World(
        admin=make_user(Role.ADMIN),
        staff=make_user(Role.HUB_STAFF, hub="330102"),
        street_staff=make_user(Role.HUB_STAFF, hub="330102001"),
        other_staff=make_user(Role.HUB_STAFF, hub="330106"),
        members=[make_user(Role.MEMBER) for _ in range(3)],
        org_user=make_user(Role.ORG, org_id=org.id),
        offer_id=make_offer(make_user(Role.ORG, org_id=org.id), capacity=10).id,
    )
    risky = make_household(w.staff, risk_score=40)  # level 1: 3-day SLA
    steady = make_household(w.staff, risk_score=75)  # level 2: 7-day SLA
    far = make_household(w.other_staff, community_code=OTHER_DISTRICT_COMMUNITY, risk_score=95)
    make_need(w.staff, risky, publish=False)  # pending review
    make_need(w.staff, steady)  # open
    make_need(w.other_staff, far)  # open, other district
    states = {
        "confirmed_fast": risky,
        "confirmed_late": risky,
        "delivered_overdue": risky,
        "delivered_fresh": steady,
        "active": steady,
        "confirmed_other": far,
    }
    with app.app_context(), session_scope(get_engine(app)) as s:
        for i, (state, household) in enumerate(states.items()):
            staff_id = w.other_staff.id if household is far else w.staff.id
            staff = s.get(User, staff_id)
            member = s.get(User, w.members[i % 3].id)
            assert staff is not None and member is not None
            from marketplace.schemas import NeedIn
            from marketplace.services import households

            need = households.create_need(
                s,
                actor=staff,
                data=NeedIn(
                    household_id=household.id, kind="wish", item="07-02", title=f"心愿{state}"
                ),
            )
            households.publish_need(s, actor=staff, need_id=need.id or 0)
            claim = claims.claim_wish(
                s, member=member, wish_id=need.id or 0, policy=claims.ClaimPolicy(max_open=10)
            )
            if state != "active":
                claims.report_delivery(s, actor=member, claim_id=claim.id or 0, note="送到了")
            if state.startswith("confirmed"):
                claims.confirm_delivery(s, actor=staff, need_id=need.id or 0)
            w.need_ids.setdefault(state, []).append(need.id or 0)
        s.flush()
        ids = {
            n: s.exec(select(Claim.id).where(Claim.need_id == ids[0])).one()
            for n, ids in w.need_ids.items()
        }
    # Timelines: published 2 days before confirmation (fast), 5 days late, 10 days overdue.
    _shift(app, ids["confirmed_fast"], delivered_at=timedelta(days=1), claimed_at=timedelta(days=2))
    _shift(app, ids["confirmed_late"], delivered_at=timedelta(days=5))
    _shift(app, ids["delivered_overdue"], delivered_at=timedelta(days=10))
    with app.app_context(), session_scope(get_engine(app)) as s:
        from marketplace.models import Need

        for name, days in (("confirmed_fast", 2), ("confirmed_late", 6), ("confirmed_other", 0)):
            need = s.get(Need, w.need_ids[name][0])
            assert need is not None and need.published_at is not None
            need.published_at = need.published_at - timedelta(days=days)
    return w


def now() -> Any:
    return utcnow()
