"""幸福清单 (services/happiness.py): a household's own needs, received and pending, under public
scrubbed titles and a masked name; the token as the only credential; reissuing it."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from sqlmodel import select

from marketplace.models import AuditLog, Household, Role, User
from marketplace.services import claims, happiness, households
from marketplace.services.clock import BEIJING
from marketplace.services.errors import NotFound


@pytest.fixture
def household_with_needs(db, make_user, make_household, make_need):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    member = make_user(Role.MEMBER)
    household = make_household(staff, name="欧阳秀兰")
    other = make_household(staff, name="司马建国")
    make_need(staff, household, title="想要一个书包")  # open
    make_need(staff, household, title="尚未审核", publish=False)  # pending review: not shown
    cancelled = make_need(staff, household, title="已取消")
    delivered = make_need(staff, household, title="欧阳秀兰想要一台电风扇")
    make_need(staff, other, title="别人的心愿")
    with db() as s:
        households.cancel_need(s, actor=s.get(User, staff.id), need_id=cancelled.id, reason="x")
        actor = s.get(User, member.id)
        claim = claims.claim_wish(
            s, member=actor, wish_id=delivered.id, policy=claims.ClaimPolicy(max_open=5)
        )
        claims.report_delivery(s, actor=actor, claim_id=claim.id, note="送到了，户主当面签收")
    return staff, household, claim


def test_the_list_holds_only_the_households_visible_needs(db, household_with_needs):
    _staff, household, claim = household_with_needs
    with db() as s:
        data = happiness.happiness_list(s, household.token)
    assert data["household"] == "欧*"
    assert [e["title"] for e in data["pending"]] == ["想要一个书包"]
    # Published but no helper yet: waiting, not "on the way" (正在路上).
    assert [e["title"] for e in data["waiting"]] == ["想要一个书包"]
    assert data["on_the_way"] == []
    (received,) = data["received"]
    assert received["title"] == "***想要一台电风扇"  # the household's own name scrubbed
    assert received["claim_id"] == claim.id and received["status"] == "delivered"
    assert received["delivered_at"] and received["confirmed_at"] is None
    assert received["acknowledged"] is False and received["item_name"] == "家具家电"
    assert "欧阳秀兰" not in str(data) and household.phone not in str(data)


@pytest.mark.parametrize("token", ["", "x" * 65, "no-such-token"])
def test_an_unknown_empty_or_overlong_token_is_not_found(db, token):
    with db() as s, pytest.raises(NotFound):
        happiness.household_by_token(s, token)


def test_reissuing_replaces_the_token_and_is_audited(db, household_with_needs, make_user):
    staff, household, _claim = household_with_needs
    outsider = make_user(Role.HUB_STAFF, hub="330106")
    with db() as s:
        renewed = happiness.reissue_token(s, actor=s.get(User, staff.id), household_id=household.id)
        assert renewed.token != household.token and len(renewed.token) == 32
        with pytest.raises(NotFound):
            happiness.household_by_token(s, household.token)
        assert happiness.household_by_token(s, renewed.token).id == household.id
        action = s.exec(select(AuditLog.action).where(AuditLog.object_id == str(household.id)))
        assert "household.reissue_code" in set(action)
        with pytest.raises(NotFound):
            happiness.reissue_token(s, actor=s.get(User, outsider.id), household_id=household.id)
        assert s.get(Household, household.id).token == renewed.token


def test_new_tokens_are_long_and_url_safe():
    tokens = {happiness.new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) == 32 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)


@pytest.mark.parametrize("hour, minute", [(0, 30), (23, 30)])
def test_a_delivery_is_dated_by_its_beijing_day(
    db, make_user, make_household, make_need, hour, minute
):
    """00:30 in Beijing is 16:30 UTC the day before; the list shows the Beijing day."""
    staff = make_user(Role.HUB_STAFF, hub="330102")
    member = make_user(Role.MEMBER)
    household = make_household(staff)
    need = make_need(staff, household, item="09-02", title="想要一床被子")
    taken = make_need(staff, household, title="想要一个电饭煲")
    at = datetime(2026, 12, 2, hour, minute, tzinfo=BEIJING)
    with time_machine.travel(at, tick=False), db() as s:
        actor = s.get(User, member.id)
        policy = claims.ClaimPolicy(max_open=5)
        claim = claims.claim_wish(s, member=actor, wish_id=need.id, policy=policy)
        claims.report_delivery(s, actor=actor, claim_id=claim.id, note="送到了，户主当面签收")
        claims.claim_wish(s, member=actor, wish_id=taken.id, policy=policy)
    with db() as s:
        data = happiness.happiness_list(s, household.token)
    (received,) = data["received"]
    assert received["delivered_on"] == "2026-12-02"
    assert datetime.fromisoformat(received["delivered_at"]) == at
    # Claimed by a helper: on the way (正在路上); nothing is left waiting.
    assert [e["title"] for e in data["on_the_way"]] == ["想要一个电饭煲"]
    assert data["waiting"] == []
