"""幸福清单 (services/happiness.py): a household's own needs, received and pending, under public
scrubbed titles and a masked name; the token as the only credential; reissuing it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.models import AuditLog, Household, Role, User
from marketplace.services import claims, happiness, households
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
        claims.report_delivery(s, actor=actor, claim_id=claim.id, note="送到了")
    return staff, household, claim


def test_the_list_holds_only_the_households_visible_needs(db, household_with_needs):
    _staff, household, claim = household_with_needs
    with db() as s:
        data = happiness.happiness_list(s, household.token)
    assert data["household"] == "欧*"
    assert [e["title"] for e in data["pending"]] == ["想要一个书包"]
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
