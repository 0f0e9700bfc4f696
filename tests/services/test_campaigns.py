"""专项活动 — campaigns (issue 16 item 6): who creates them and for what area, field-named
validation with nothing stored, wishes joining at creation or by tagging (all or nothing), the
progress funnel counted in SQL, the branch leaderboard on the campaign's wishes, and the wish
pool's campaign filter."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, func, select

from marketplace.models import AuditLog, Campaign, Need, NeedStatus, Role, User
from marketplace.services import branches, campaigns, claims, wishes
from marketplace.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import (
    OTHER_DISTRICT_COMMUNITY,
    confirm,
    delivered_claim,
)


@pytest.fixture
def staff(make_user) -> User:
    return make_user(Role.HUB_STAFF, hub="330102")


def _valid(**overrides):
    return {
        "name": "节日慰问",
        "theme": "春节前走访困难家庭",
        "start": date.today().isoformat(),
        "end": (date.today() + timedelta(days=20)).isoformat(),
        "items": ["07-02", "01-01"],
        "regions": ["330102001", "330102001051"],
    } | overrides


def test_admin_and_district_staff_create_street_staff_and_members_cannot(
    db, users, staff, make_user
):
    street = make_user(Role.HUB_STAFF, hub="330102001")
    with db() as s:
        c = campaigns.create_campaign(s, actor=s.get(User, staff.id), data=_valid())
        # the community inside the listed street adds nothing
        assert c.regions == ["330102001"] and c.scope_code == "330102"
        assert c.items == ["01-01", "07-02"] and c.status == "active"
        city = campaigns.create_campaign(
            s, actor=s.get(User, users["admin"].id), data=_valid(regions=["330106", "330102"])
        )
        assert city.scope_code is None and city.regions == ["330102", "330106"]
        for who in (street, users["member"], users["org"]):
            with pytest.raises(Forbidden):
                campaigns.create_campaign(s, actor=s.get(User, who.id), data=_valid())
    with db() as s:
        actions = s.exec(select(AuditLog.action).where(AuditLog.object_type == "campaign")).all()
        assert sorted(actions) == ["campaign.create", "campaign.create"]


def test_bad_input_names_each_field_and_stores_nothing(db, staff):
    with db() as s:
        actor = s.get(User, staff.id)
        with pytest.raises(ValidationFailed) as exc:
            campaigns.create_campaign(
                s,
                actor=actor,
                data=_valid(
                    name=" ",
                    start="2026-13-01",
                    items=["99-99"],
                    regions=["330106"],  # another district
                ),
            )
        assert set(exc.value.errors) == {"name", "start", "items", "regions"}
        assert exc.value.errors["regions"].code == "campaign.regions_out_of_scope"
        assert exc.value.errors["items"].params == {"codes": ["99-99"]}
        with pytest.raises(ValidationFailed) as exc:
            campaigns.create_campaign(
                s,
                actor=actor,
                data=_valid(start="2026-02-10", end="2026-02-01", regions=["12345"], items=[]),
            )
        assert exc.value.errors["end"].code == "period.reversed"
        assert exc.value.errors["regions"].code == "region.codes_invalid"
        assert exc.value.errors["items"].code == "field.too_few"
        past = (date.today() - timedelta(days=3)).isoformat()
        with pytest.raises(ValidationFailed) as exc:
            campaigns.create_campaign(s, actor=actor, data=_valid(start="2020-01-01", end=past))
        assert exc.value.errors["end"].code == "campaign.end_past"
    with db() as s:
        assert s.exec(select(func.count()).select_from(Campaign)).one() == 0


def test_a_need_joins_a_running_campaign_of_its_community_and_item(
    db, staff, make_household, make_need, make_campaign
):
    campaign = make_campaign(staff)
    household = make_household(staff)
    need = make_need(staff, household, campaign_id=campaign.id)
    assert need.campaign_id == campaign.id
    far = make_household(staff, community_code="330102003050")
    with db() as s:
        assert [c.id for c in campaigns.for_need(s, community_code=household.community_code)] == [
            campaign.id
        ]
        assert campaigns.for_need(s, community_code=OTHER_DISTRICT_COMMUNITY) == []
    before = _needs(db)
    with pytest.raises(ValidationFailed) as exc:
        make_need(staff, household, item="01-01", campaign_id=campaign.id)
    assert exc.value.errors["campaign_id"].code == "campaign.item_not_theme"
    with pytest.raises(ValidationFailed) as exc:
        make_need(staff, household, campaign_id=campaign.id + 99)
    assert exc.value.errors["campaign_id"].code == "campaign.not_found"
    narrow = make_campaign(staff, regions=["330102001"])
    with pytest.raises(ValidationFailed) as exc:
        make_need(staff, far, campaign_id=narrow.id)
    assert exc.value.errors["campaign_id"].code == "campaign.not_targeted"
    with db() as s:
        campaigns.close_campaign(s, actor=s.get(User, staff.id), campaign_id=campaign.id)
    with pytest.raises(ValidationFailed) as exc:
        make_need(staff, household, campaign_id=campaign.id)
    assert exc.value.errors["campaign_id"].code == "campaign.not_running"
    assert _needs(db) == before  # nothing half-written


def _needs(db) -> int:
    with db() as s:
        return int(s.exec(select(func.count()).select_from(Need)).one())


def test_tagging_open_wishes_is_all_or_nothing(
    db, staff, make_user, make_household, make_need, make_campaign
):
    campaign = make_campaign(staff)
    household = make_household(staff)
    a = make_need(staff, household)
    b = make_need(staff, household, title="想要一个电饭煲给老人")
    wrong_item = make_need(staff, household, item="01-01", title="助餐")
    pending = make_need(staff, household, publish=False, title="还没审核的心愿")
    with db() as s:
        actor = s.get(User, staff.id)
        listed = [
            n.id for n, _name in campaigns.candidates(s, actor=actor, campaign_id=campaign.id)
        ]
        assert sorted(listed) == sorted([a.id, b.id])
        with pytest.raises(ValidationFailed) as exc:
            campaigns.tag_wishes(
                s, actor=actor, campaign_id=campaign.id, need_ids=[a.id, wrong_item.id, pending.id]
            )
        assert exc.value.errors["need_ids"].params == {"ids": sorted([wrong_item.id, pending.id])}
    with db() as s:
        assert s.exec(select(Need.id).where(col(Need.campaign_id).is_not(None))).all() == []
    with db() as s:
        n = campaigns.tag_wishes(
            s, actor=s.get(User, staff.id), campaign_id=campaign.id, need_ids=[a.id, b.id]
        )
        assert n == 2
    with db() as s:
        tagged = s.exec(select(Need.id).where(Need.campaign_id == campaign.id)).all()
        assert sorted(tagged) == sorted([a.id, b.id])
        assert (
            s.exec(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == "need.campaign")
            ).one()
            == 2
        )
        # tagged once: not again
        with pytest.raises(ValidationFailed):
            campaigns.tag_wishes(
                s, actor=s.get(User, staff.id), campaign_id=campaign.id, need_ids=[a.id]
            )


def test_other_districts_staff_neither_see_nor_tag(
    db, staff, make_user, make_household, make_need, make_campaign
):
    other = make_user(Role.HUB_STAFF, hub="330106")
    street_staff = make_user(Role.HUB_STAFF, hub="330102001")
    campaign = make_campaign(staff)
    need = make_need(staff, make_household(staff))
    with db() as s:
        actor = s.get(User, other.id)
        assert campaigns.visible_campaigns(s, actor) == []
        with pytest.raises(NotFound):
            campaigns.get_campaign(s, campaign.id, actor)
        with pytest.raises(NotFound):
            campaigns.tag_wishes(s, actor=actor, campaign_id=campaign.id, need_ids=[need.id])
        with pytest.raises(NotFound):
            campaigns.close_campaign(s, actor=actor, campaign_id=campaign.id)
        # a street hub of the district sees it, but only its creator's hub closes it
        street = s.get(User, street_staff.id)
        assert [c.id for c in campaigns.visible_campaigns(s, street)] == [campaign.id]
        with pytest.raises(Forbidden):
            campaigns.close_campaign(s, actor=street, campaign_id=campaign.id)


def test_progress_counts_each_stage(
    db, app, staff, users, make_user, make_household, make_need, make_campaign
):
    campaign = make_campaign(staff)
    household = make_household(staff)
    make_need(staff, household, publish=False, campaign_id=campaign.id, title="待审核")
    make_need(staff, household, campaign_id=campaign.id, title="还开着")
    member = users["member"]
    claimed = make_need(staff, household, campaign_id=campaign.id, title="已认领")
    with db() as s:
        claims.claim_wish(
            s, member=s.get(User, member.id), wish_id=claimed.id, policy=claims.ClaimPolicy(100, 7)
        )
    done = delivered_claim(app, staff, member, hours="2", campaign_id=campaign.id)
    confirm(app, staff, done.need_id)
    make_need(staff, household, title="不在活动里")  # not in the campaign: not counted
    with db() as s:
        p = campaigns.progress(s, campaign.id)
    assert (p.wishes, p.published, p.claimed, p.delivered, p.confirmed) == (4, 3, 2, 1, 1)


def test_branch_leaderboard_counts_only_the_campaigns_wishes(
    db, app, staff, make_org, make_user, make_household, make_campaign
):
    party = make_user(Role.ORG, org_id=make_org(type="party_org").id)
    with db() as s:
        actor = s.get(User, party.id)
        first = branches.create_branch(s, actor=actor, name="第一党支部")
        second = branches.create_branch(s, actor=actor, name="第二党支部")
        m1, _p = branches.add_member(s, actor=actor, branch_id=first.id, username="dy1")
        m2, _p = branches.add_member(s, actor=actor, branch_id=second.id, username="dy2")
    campaign = make_campaign(staff)
    # every household new (no double help), at risk 45: level 1, +10 points per record
    # first branch: one campaign wish, 2 hours → 10 + 2×5 + 10 = 30
    c1 = delivered_claim(app, staff, m1, hours="2", campaign_id=campaign.id)
    confirm(app, staff, c1.need_id)
    # second branch: two campaign wishes, 1 hour each → 2 × (10 + 5 + 10) = 50 …
    for title in ("心愿一", "心愿二"):
        c = delivered_claim(app, staff, m2, hours="1", campaign_id=campaign.id, title=title)
        confirm(app, staff, c.need_id)
    # … and one outside the campaign (does not count here)
    c = delivered_claim(app, staff, m1, hours="8", title="活动以外")
    confirm(app, staff, c.need_id)
    with db() as s:
        view = campaigns.page(s, campaign.id, s.get(User, staff.id))
    assert [(r.rank, r.name, r.records, r.points) for r in view.board] == [
        (1, "第二党支部", 2, 50),
        (2, "第一党支部", 1, 30),
    ]
    assert view.as_json()["progress"]["confirmed"] == 3


def test_the_pool_filters_by_campaign(db, staff, make_household, make_need, make_campaign):
    campaign = make_campaign(staff)
    household = make_household(staff)
    inside = make_need(staff, household, campaign_id=campaign.id)
    outside = make_need(staff, household, title="另一个心愿")
    with db() as s:
        f = wishes.parse_filter({"campaign": str(campaign.id)})
        assert [v.id for v in wishes.browse(s, f)[0]] == [inside.id]
        assert {v.id for v in wishes.browse(s, wishes.WishFilter())[0]} == {inside.id, outside.id}
    with pytest.raises(ValidationFailed) as exc:
        wishes.parse_filter({"campaign": "abc"})
    assert "campaign" in exc.value.errors


def test_closing_twice_is_a_conflict_and_needs_keep_their_tag(
    db, users, staff, make_household, make_need, make_campaign
):
    campaign = make_campaign(users["admin"])
    need = make_need(staff, make_household(staff), campaign_id=campaign.id)
    with db() as s:
        closed = campaigns.close_campaign(
            s, actor=s.get(User, users["admin"].id), campaign_id=campaign.id
        )
        assert closed.status == "closed" and not campaigns.is_running(closed)
        with pytest.raises(Conflict):
            campaigns.close_campaign(
                s, actor=s.get(User, users["admin"].id), campaign_id=campaign.id
            )
    with db() as s:
        assert s.get(Need, need.id).campaign_id == campaign.id
        assert s.get(Need, need.id).status == NeedStatus.OPEN.value
