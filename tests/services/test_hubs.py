"""A hub as its staff see it (services/hubs.py): the home page's figures of its own subtree, the
communities it may register households in, and the 幸福码 wall card."""

from __future__ import annotations

import pytest

from marketplace.models import Role, User
from marketplace.services import claims, hubs
from marketplace.services.errors import NotFound
from tests.factories import COMMUNITY, OTHER_DISTRICT_COMMUNITY


def test_home_counts_only_the_hubs_subtree(db, make_user, make_household, make_need):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    other = make_user(Role.HUB_STAFF, hub="330106")
    member = make_user(Role.MEMBER)
    mine = make_household(staff)
    make_need(staff, mine, publish=False)
    make_need(staff, mine)
    delivered = make_need(staff, make_household(staff))
    make_need(other, make_household(other, community_code=OTHER_DISTRICT_COMMUNITY))
    with db() as s:
        actor = s.get(User, member.id)
        claim = claims.claim_wish(
            s, member=actor, wish_id=delivered.id, policy=claims.ClaimPolicy(max_open=5)
        )
        claims.report_delivery(s, actor=actor, claim_id=claim.id, note="送到了，户主当面签收")
    with db() as s:
        home = hubs.home(s, actor=s.get(User, staff.id))
        assert home.hub is not None and home.hub.region_code == "330102"
        assert home.households == 2
        assert home.needs_by_status == {"pending_review": 1, "open": 1, "delivered": 1}
        assert [row.need.id for row in home.deliveries] == [delivered.id]
        far = hubs.home(s, actor=s.get(User, other.id))
        assert (far.households, far.needs_by_status, far.deliveries) == (1, {"open": 1}, [])


def test_communities_are_grouped_by_street_within_the_scope(db, make_user):
    district = make_user(Role.HUB_STAFF, hub="330102")
    street = make_user(Role.HUB_STAFF, hub="330102001")
    with db() as s:
        groups = hubs.communities(s, actor=s.get(User, district.id))
        streets = [ref.code for ref, _ in groups]
        assert "330102001" in streets and all(c.startswith("330102") for c in streets)
        for ref, members in groups:
            assert members and all(m.code[:9] == ref.code and len(m.code) == 12 for m in members)
        qingbo = dict(groups_by_code(groups))["330102001"]
        assert COMMUNITY in {m.code for m in qingbo}
        own = hubs.communities(s, actor=s.get(User, street.id))
        assert [ref.code for ref, _ in own] == ["330102001"]
        assert {m.code for m in own[0][1]} == {m.code for m in qingbo}


def groups_by_code(groups):
    return [(ref.code, members) for ref, members in groups]


def test_wall_card_masks_the_name_and_is_for_the_hubs_own_households(db, make_user, make_household):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    other = make_user(Role.HUB_STAFF, hub="330106")
    household = make_household(staff, name="欧阳秀兰")
    with db() as s:
        card = hubs.wall_card(s, actor=s.get(User, staff.id), household_id=household.id)
        assert card.surname == "欧*" and card.token == household.token
        assert card.community == "清波门社区" and card.hub is not None
        with pytest.raises(NotFound):
            hubs.wall_card(s, actor=s.get(User, other.id), household_id=household.id)
