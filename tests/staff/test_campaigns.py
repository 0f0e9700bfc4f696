"""Campaign pages (issue 16 item 6): the list linked from the staff nav, a new campaign (the
administrator or a district hub's staff; field errors, nothing stored), the campaign page with its
progress, adding open wishes, closing it; the hub's need form with a campaign; the members' pool
with the running campaigns and their filter."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import func, select

from marketplace.models import Campaign, Need, Role
from tests.factories import text

TODAY = date.today()


def _form(**overrides):
    return {
        "name": "节日慰问",
        "theme": "中秋走访",
        "start": TODAY.isoformat(),
        "end": (TODAY + timedelta(days=10)).isoformat(),
        "items": ["07-02"],
        "regions": ["330102001"],
        "communities": "",
    } | overrides


def test_district_staff_create_a_campaign_from_the_nav(client, login_as, users, db):
    web = login_as(users["hub_staff"])
    home = web.get("/hub/")
    assert 'href="/staff/campaigns"' in home.get_data(as_text=True)
    listing = web.get("/staff/campaigns")
    assert listing.status_code == 200 and 'href="/staff/campaigns/new"' in listing.get_data(
        as_text=True
    )
    page = web.get("/staff/campaigns/new")
    assert page.status_code == 200 and "上城区" in text(page)
    r = web.post("/staff/campaigns/new", data=_form(communities="330102003050"))
    assert r.status_code in (302, 303)
    with db() as s:
        c = s.exec(select(Campaign)).one()
        assert c.regions == ["330102001", "330102003050"] and c.scope_code == "330102"
    detail = web.get(r.headers["Location"])
    assert detail.status_code == 200 and "节日慰问" in text(detail)
    assert 'data-stage="wishes">0<' in detail.get_data(as_text=True)


def test_bad_form_shows_field_errors_and_stores_nothing(client, login_as, users, db):
    web = login_as(users["hub_staff"])
    r = web.post(
        "/staff/campaigns/new",
        data=_form(end=(TODAY - timedelta(days=1)).isoformat(), communities="330106002051"),
    )
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert 'aria-invalid="true"' in body
    with db() as s:
        assert s.exec(select(func.count()).select_from(Campaign)).one() == 0


def test_street_staff_may_not_create_but_admin_may(client, login_as, users, make_user):
    street = make_user(Role.HUB_STAFF, hub="330102001")
    web = login_as(street)
    assert web.get("/staff/campaigns").status_code == 200
    assert web.get("/staff/campaigns/new").status_code == 403
    web.get("/auth/logout")
    admin = login_as(users["admin"])
    assert admin.get("/staff/campaigns/new").status_code == 200
    r = admin.post("/staff/campaigns/new", data=_form(regions=["330106"]))
    assert r.status_code in (302, 303)
    detail = admin.get(r.headers["Location"]).get_data(as_text=True)
    assert "西湖区" in detail and "campaign-candidates" not in detail  # admin adds no wishes


def test_staff_add_open_wishes_and_the_progress_counts_them(
    client, login_as, users, db, make_household, make_need, make_campaign
):
    staff = users["hub_staff"]
    campaign = make_campaign(staff)
    household = make_household(staff)
    a = make_need(staff, household, title="想要电饭煲")
    b = make_need(staff, household, item="01-01", title="助餐服务")  # not a theme item
    web = login_as(staff)
    page = web.get(f"/staff/campaigns/{campaign.id}")
    body = page.get_data(as_text=True)
    assert f'value="{a.id}"' in body and f'value="{b.id}"' not in body
    r = web.post(f"/staff/campaigns/{campaign.id}/wishes", data={"need_ids": [a.id, b.id]})
    assert r.status_code in (302, 303)
    with db() as s:  # all or nothing: b does not qualify, so a was not added either
        assert s.get(Need, a.id).campaign_id is None
    web.post(f"/staff/campaigns/{campaign.id}/wishes", data={"need_ids": [a.id]})
    with db() as s:
        assert s.get(Need, a.id).campaign_id == campaign.id
    page = web.get(f"/staff/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-stage="wishes">1<' in page and 'data-stage="published">1<' in page
    web.post(f"/staff/campaigns/{campaign.id}/close")
    with db() as s:
        assert s.get(Campaign, campaign.id).status == "closed"


def test_the_hub_need_form_offers_running_campaigns(
    client, login_as, users, db, make_household, make_campaign
):
    staff = users["hub_staff"]
    campaign = make_campaign(staff)
    household = make_household(staff)
    web = login_as(staff)
    form = web.get(f"/hub/households/{household.id}/needs/new").get_data(as_text=True)
    assert f'<option value="{campaign.id}">春风行动</option>' in form
    data = {
        "kind": "wish",
        "item": "07-02",
        "title": "电饭煲",
        "value_yuan": "100",
        "delivery_mode": "handover",
        "campaign_id": str(campaign.id),
    }
    r = web.post(f"/hub/households/{household.id}/needs/new", data=data)
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:400]
    wrong = web.post(f"/hub/households/{household.id}/needs/new", data=data | {"item": "01-01"})
    assert wrong.status_code == 422
    with db() as s:
        rows = s.exec(select(Need.campaign_id, Need.item_code)).all()
        assert rows == [(campaign.id, "07-02")]


def test_members_see_running_campaigns_and_filter_the_pool(
    client, login_as, users, make_household, make_need, make_campaign
):
    staff = users["hub_staff"]
    campaign = make_campaign(staff)
    household = make_household(staff)
    make_need(staff, household, campaign_id=campaign.id, title="活动心愿")
    make_need(staff, household, title="普通心愿")
    web = login_as(users["member"])
    pool = web.get("/member/").get_data(as_text=True)
    assert f'href="/member/?campaign={campaign.id}"' in pool and "普通心愿" in pool
    only = web.get(f"/member/?campaign={campaign.id}").get_data(as_text=True)
    assert "活动心愿" in only and "普通心愿" not in only
