"""Households and their needs (services/households.py): registration in the staff's own area,
search, needs with a scrubbed public version, review transitions, expiry, duplicates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from marketplace.models import AuditLog, Household, Need, Role, User
from marketplace.schemas import HouseholdIn, NeedIn
from marketplace.services import claims, households
from marketplace.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.services.messages import Message
from tests.factories import COMMUNITY, OTHER_DISTRICT_COMMUNITY, valid_id_number


def _household(**overrides) -> HouseholdIn:
    data = {
        "name": "张三丰",
        "id_number": valid_id_number(7001),
        "phone": "13812345678",
        "address": "解放路1号",
        "community_code": COMMUNITY,
        "hardship_type": "bottom",
        "risk_score": 45,
        "members": 2,
    } | overrides
    return HouseholdIn(**data)


@pytest.fixture
def staff(make_user):
    return make_user(Role.HUB_STAFF, hub="330102")


def test_a_household_is_registered_in_the_staffs_area_once(db, staff):
    with db() as s:
        actor = s.get(User, staff.id)
        household = households.create_household(s, actor=actor, data=_household())
        assert household.name_initials == "zsf" and household.id_tail == household.id_number[-4:]
        assert len(household.token) == 32 and household.created_by == staff.id
        with pytest.raises(Conflict) as caught:
            households.create_household(s, actor=actor, data=_household(name="另一个"))
        assert caught.value.errors == {"id_number": Message("household.duplicate")}
        with pytest.raises(Forbidden):
            households.create_household(
                s,
                actor=actor,
                data=_household(
                    id_number=valid_id_number(7002), community_code=OTHER_DISTRICT_COMMUNITY
                ),
            )
        with pytest.raises(ValidationFailed) as caught:  # a street is no community
            households.create_household(
                s,
                actor=actor,
                data=_household(id_number=valid_id_number(7003), community_code="330102001000"),
            )
        assert caught.value.errors == {"community_code": Message("community.unknown")}
    with db() as s:
        (entry,) = s.exec(select(AuditLog).where(AuditLog.action == "household.create"))
        assert entry.after["name"] == "张*" and household.phone not in str(entry.after)
        assert (
            entry.after["id_number"]
            == household.id_number[:6] + "********" + household.id_number[-4:]
        )


def test_add_households_stores_a_batch_in_order(db, staff):
    rows = [_household(name=n, id_number=valid_id_number(7100 + i)) for i, n in enumerate("甲乙丙")]
    with db() as s:
        ids = households.add_households(s, actor=s.get(User, staff.id), rows=rows)
        assert [s.get(Household, i).name for i in ids] == ["甲", "乙", "丙"]
        assert len({s.get(Household, i).token for i in ids}) == 3


def test_search_by_initials_id_tail_or_name_within_the_area(db, staff, make_user, make_household):
    other = make_user(Role.HUB_STAFF, hub="330106")
    zhang = make_household(staff, name="张三丰", id_number=valid_id_number(7201))
    li = make_household(staff, name="李四", id_number="11010519491231002X")
    make_household(other, name="张三", community_code=OTHER_DISTRICT_COMMUNITY)
    with db() as s:
        actor = s.get(User, staff.id)

        def found(q, **kw):
            return [h.id for h in households.search_households(s, actor=actor, q=q, **kw)]

        assert found("ZS") == found("zsf") == [zhang.id]  # not the other district's 张三
        assert found("002x") == found("1231002X") == found("2X") == [li.id]
        assert found("三丰") == [zhang.id]
        assert found("") == [li.id, zhang.id]  # newest first
        assert found("", after_id=li.id) == [zhang.id] and found("", limit=1) == [li.id]
    assert households.search_conditions("  ") == []


def test_a_need_has_a_scrubbed_public_version_and_a_future_deadline(db, staff, make_household):
    household = make_household(staff, name="王秀英")
    with db() as s:
        actor = s.get(User, staff.id)
        data = NeedIn(
            household_id=household.id,
            kind="wish",
            item="07-02",
            title="王秀英想要电饭煲",
            description="电话13812345678",
        )
        need = households.create_need(s, actor=actor, data=data)
        assert need.status == "pending_review" and need.community_code == COMMUNITY
        assert (need.public_title, need.public_text) == ("***想要电饭煲", "电话***")
        assert need.title == "王秀英想要电饭煲" and need.lat is not None
        late = data.model_copy(update={"deadline": date(2026, 1, 1)})
        with pytest.raises(ValidationFailed) as caught:
            households.create_need(s, actor=actor, data=late, today=date(2026, 1, 2))
        assert caught.value.errors == {"deadline": Message("need.deadline_past")}
        with pytest.raises(ValidationFailed):
            households.create_need(s, actor=actor, data=data.model_copy(update={"item": "99-99"}))


def test_review_publishes_edits_and_cancels_once(db, staff, make_user, make_household, make_need):
    need = make_need(staff, make_household(staff), publish=False)
    member = make_user(Role.MEMBER)
    with db() as s:
        actor = s.get(User, staff.id)
        edited = households.edit_public_version(
            s, actor=actor, need_id=need.id, title=" 想要电饭煲 ", text="坏了"
        )
        assert (edited.public_title, edited.public_text) == ("想要电饭煲", "坏了")
        with pytest.raises(ValidationFailed) as caught:
            households.edit_public_version(
                s, actor=actor, need_id=need.id, title=" ", text="x" * 2001
            )
        assert set(caught.value.errors) == {"public_title", "public_text"}
        published = households.publish_need(s, actor=actor, need_id=need.id)
        assert published.status == "open" and published.published_at is not None
        with pytest.raises(Conflict) as caught:
            households.publish_need(s, actor=actor, need_id=need.id)
        assert caught.value.message == Message("need.not_publishable", {"need_status": "open"})
        claim = claims.claim_wish(
            s, member=s.get(User, member.id), wish_id=need.id, policy=claims.ClaimPolicy()
        )
        with pytest.raises(ValidationFailed):
            households.cancel_need(s, actor=actor, need_id=need.id, reason=" ")
        cancelled = households.cancel_need(s, actor=actor, need_id=need.id, reason=" 已搬走 ")
        assert (cancelled.status, cancelled.close_reason) == ("cancelled", "已搬走")
        assert s.get(type(claim), claim.id).status == "cancelled"  # the claim is released
        with pytest.raises(Conflict):
            households.edit_public_version(s, actor=actor, need_id=need.id, title="x", text="")
        with pytest.raises(Conflict):
            households.cancel_need(s, actor=actor, need_id=need.id, reason="again")


def test_staff_of_another_district_cannot_touch_a_need(
    db, staff, make_user, make_household, make_need
):
    need = make_need(staff, make_household(staff), publish=False)
    outsider = make_user(Role.HUB_STAFF, hub="330106")
    with db() as s:
        actor = s.get(User, outsider.id)
        with pytest.raises(NotFound):
            households.publish_need(s, actor=actor, need_id=need.id)
        with pytest.raises(NotFound):
            households.household_record(s, actor=actor, household_id=need.household_id)


def test_open_and_pending_needs_past_their_deadline_expire(db, staff, make_household, make_need):
    household = make_household(staff)
    soon = date.today() + timedelta(days=1)
    open_need = make_need(staff, household, deadline=soon)
    pending = make_need(staff, household, deadline=soon, publish=False)
    later = make_need(staff, household, deadline=soon + timedelta(days=5))
    undated = make_need(staff, household, deadline=None)
    with db() as s:
        assert households.expire_needs(s) == 0
        assert households.expire_needs(s, today=soon + timedelta(days=1)) == 2
        assert households.expire_needs(s, today=soon + timedelta(days=1)) == 0  # once
    with db() as s:
        status = {n.id: n.status for n in s.exec(select(Need))}
        assert status[open_need.id] == status[pending.id] == "expired"
        assert status[later.id] == status[undated.id] == "open"
        entries = s.exec(select(AuditLog).where(AuditLog.action == "need.expire")).all()
        assert {e.actor for e in entries} == {"system"} and len(entries) == 2


def test_household_record_is_audited_with_needs_newest_first(db, staff, make_household, make_need):
    household = make_household(staff)
    first, second = make_need(staff, household), make_need(staff, household, publish=False)
    with db() as s:
        record = households.household_record(
            s, actor=s.get(User, staff.id), household_id=household.id
        )
        assert [n.id for n in record.needs] == [second.id, first.id]
        assert record.community == "清波门社区" and record.claims == {}
    with db() as s:
        views = s.exec(
            select(AuditLog).where(
                AuditLog.action == "household.view", col(AuditLog.object_id) == str(household.id)
            )
        ).all()
        assert len(views) == 1


def test_possible_duplicates_are_flagged_within_a_household(db, staff, make_household, make_need):
    household = make_household(staff)
    one = make_need(staff, household, title="想要一个电饭煲", publish=False)
    two = make_need(staff, household, title="需要电饭煲一个", publish=False)
    other = make_need(staff, household, item="05-02", title="孩子要书包", publish=False)
    elsewhere = make_need(staff, make_household(staff), title="想要一个电饭煲", publish=False)
    with db() as s:
        found = households.possible_duplicates(s, [one.id, other.id, elsewhere.id])
        assert found == {one.id: [two.id]}
        assert households.possible_duplicates(s, []) == {}


def test_suggest_items_names_the_items(db):
    with db() as s:
        (best, *_rest) = households.suggest_items(s, "想要一个电饭煲")
        assert best["item"] == "07-02" and best["name_zh"] and best["name_en"]
        assert len(households.suggest_items(s, "想要一个电饭煲", k=2)) <= 2
