"""Reported deliveries as hub staff see them (services/deliveries.py): the rows to confirm in the
staff member's subtree, oldest first, who delivered (a member or an organisation), and photos
only of their own subtree. Uses the attack-surface world of tests/world.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.models import Claim, Organisation, User
from marketplace.services import claims, deliveries
from marketplace.services.errors import NotFound


def _user(s, world, name):
    return s.get(User, world.users[name].id)


def test_awaiting_lists_the_subtrees_deliveries_oldest_first_with_the_deliverer(db, world):
    with db() as s:
        org_user = _user(s, world, "org_owner")
        claims.report_delivery(
            s, actor=org_user, claim_id=world.claim_org, note="已上门，服务完成，户主满意"
        )
        # The member's report is older than the organisation's.
        member_claim = s.get(Claim, world.claim_delivered)
        member_claim.delivered_at -= timedelta(hours=2)
    with db() as s:
        rows = deliveries.awaiting(s, actor=_user(s, world, "hub_owner"))
        assert [r.claim.id for r in rows] == [world.claim_delivered, world.claim_org]
        member, org = rows
        assert member.deliverer == _user(s, world, "member_owner").display_name
        assert org.deliverer == s.get(Organisation, world.org_owner_id).name
        assert member.community == "清波门社区" and member.item_name and member.household.id
        assert member.need.id == world.wish_delivered
        assert deliveries.awaiting(s, actor=_user(s, world, "hub_owner"), limit=1) == rows[:1]
        # Staff of another district see none of them.
        assert deliveries.awaiting(s, actor=_user(s, world, "hub_staff")) == []


def test_deliverer_of_a_claim_without_member_or_offer_is_empty(db, world):
    with db() as s:
        claim = Claim(need_id=world.wish_open, due_at=s.get(Claim, world.claim_active).due_at)
        assert deliveries.deliverer_name(s, claim) == ""


def test_a_photo_is_served_only_to_staff_of_its_subtree(db, world):
    with db() as s:
        staff = _user(s, world, "hub_owner")
        assert deliveries.photo_for_staff(s, actor=staff, name=world.photo_name) == world.photo_name
        with pytest.raises(NotFound):
            deliveries.photo_for_staff(s, actor=_user(s, world, "hub_staff"), name=world.photo_name)
        with pytest.raises(NotFound):
            deliveries.photo_for_staff(s, actor=staff, name="0" * 32 + ".jpg")
