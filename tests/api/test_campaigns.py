"""API: GET/POST /api/v1/campaigns, GET /api/v1/campaigns/{id} with progress and the branch
leaderboard, and the wish list's ``campaign`` filter (issue 16 items 6 and 8)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import func, select

from marketplace.models import Campaign, Role, User
from marketplace.services import branches
from tests.factories import confirm, delivered_claim

BODY = {
    "name": "春风行动",
    "theme": "新春送温暖",
    "start": date.today().isoformat(),
    "end": (date.today() + timedelta(days=30)).isoformat(),
    "items": ["07-02"],
    "regions": ["330102"],
}


def test_district_staff_create_and_everyone_but_a_department_reads(
    client, users, api_token, make_user
):
    staff = api_token(users["hub_staff"])  # district hub 330102
    r = client.post("/api/v1/campaigns", json=BODY, headers=staff)
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["scope"] == "330102" and created["running"] is True
    for role in ("member", "org", "admin", "hub_staff"):
        listing = client.get("/api/v1/campaigns", headers=api_token(users[role]))
        assert listing.status_code == 200
        assert [c["id"] for c in listing.get_json()["items"]] == [created["id"]]
    dept = api_token(make_user(Role.DEPT))
    assert client.get("/api/v1/campaigns", headers=dept).status_code == 403
    assert client.get(f"/api/v1/campaigns/{created['id']}", headers=dept).status_code == 403
    for role in ("member", "org"):
        refused = client.post("/api/v1/campaigns", json=BODY, headers=api_token(users[role]))
        assert refused.status_code == 403
    street = api_token(make_user(Role.HUB_STAFF, hub="330102001"))
    assert client.post("/api/v1/campaigns", json=BODY, headers=street).status_code == 403
    other = api_token(make_user(Role.HUB_STAFF, hub="330106"))
    assert client.get(f"/api/v1/campaigns/{created['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/campaigns", headers=other).get_json()["items"] == []


def test_bad_body_names_the_fields_and_stores_nothing(client, users, api_token, db):
    staff = api_token(users["hub_staff"])
    r = client.post(
        "/api/v1/campaigns",
        json=BODY | {"name": "", "end": "2020-01-01", "regions": ["330106"], "items": ["00-00"]},
        headers=staff,
    )
    assert r.status_code == 422
    assert set(r.get_json()["errors"]) == {"name", "end", "regions", "items"}
    with db() as s:
        assert s.exec(select(func.count()).select_from(Campaign)).one() == 0


def test_detail_has_progress_and_branch_leaderboard(
    app, client, db, users, api_token, make_org, make_user, make_campaign
):
    staff = users["hub_staff"]
    party = make_user(Role.ORG, org_id=make_org(type="party_org").id)
    with db() as s:
        b = branches.create_branch(s, actor=s.get(User, party.id), name="第一党支部")
        member, _p = branches.add_member(
            s, actor=s.get(User, party.id), branch_id=b.id, username="dy-api"
        )
    campaign = make_campaign(staff)
    claim = delivered_claim(app, staff, member, hours="2", campaign_id=campaign.id)
    confirm(app, staff, claim.need_id)
    delivered_claim(app, staff, users["member"], campaign_id=campaign.id, title="第二个心愿")
    r = client.get(f"/api/v1/campaigns/{campaign.id}", headers=api_token(users["member"]))
    assert r.status_code == 200
    body = r.get_json()
    assert body["progress"] == {
        "wishes": 2,
        "published": 2,
        "claimed": 2,
        "delivered": 2,
        "confirmed": 1,
    }
    assert [(x["name"], x["records"], x["points"]) for x in body["leaderboard"]] == [
        ("第一党支部", 1, 30)  # 10 + 2 h × 5 + 10 (level-1 household)
    ]
    assert (
        client.get("/api/v1/campaigns/999", headers=api_token(users["member"])).status_code == 404
    )


def test_the_wish_list_filters_by_campaign(
    client, users, api_token, make_household, make_need, make_campaign
):
    staff = users["hub_staff"]
    campaign = make_campaign(staff)
    household = make_household(staff)
    inside = make_need(staff, household, campaign_id=campaign.id)
    make_need(staff, household, title="另一个心愿")
    h = api_token(users["member"])
    r = client.get("/api/v1/wishes", query_string={"campaign": campaign.id}, headers=h)
    assert [w["id"] for w in r.get_json()["items"]] == [inside.id]
    assert len(client.get("/api/v1/wishes", headers=h).get_json()["items"]) == 2
    bad = client.get("/api/v1/wishes", query_string={"campaign": "x"}, headers=h)
    assert bad.status_code == 422 and "campaign" in bad.get_json()["errors"]


def test_a_need_created_through_the_api_joins_a_campaign(
    client, users, api_token, make_household, make_campaign
):
    staff = users["hub_staff"]
    campaign = make_campaign(staff)
    household = make_household(staff)
    h = api_token(staff)
    need = {"household_id": household.id, "kind": "wish", "item": "07-02", "title": "电饭煲"}
    r = client.post("/api/v1/needs", json=need | {"campaign_id": campaign.id}, headers=h)
    assert r.status_code == 201, r.get_json()
    wrong = client.post(
        "/api/v1/needs", json=need | {"item": "01-01", "campaign_id": campaign.id}, headers=h
    )
    assert wrong.status_code == 422
    assert wrong.get_json()["errors"].keys() == {"campaign_id"}


def test_openapi_documents_the_campaigns(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert set(spec["paths"]["/campaigns"]) == {"get", "post"}
    detail = spec["paths"]["/campaigns/{campaign_id}"]["get"]
    props = detail["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    assert {"progress", "leaderboard"} <= set(props)
    names = [p["name"] for p in spec["paths"]["/wishes"]["get"]["parameters"]]
    assert "campaign" in names


def test_hub_staff_add_open_wishes_through_the_api(
    client, users, api_token, make_household, make_need, make_campaign, db
):
    staff = users["hub_staff"]
    campaign = make_campaign(staff)
    household = make_household(staff)
    a = make_need(staff, household)
    b = make_need(staff, household, item="01-01", title="助餐")
    h = api_token(staff)
    url = f"/api/v1/campaigns/{campaign.id}/wishes"
    refused = client.post(url, json={"need_ids": [a.id, b.id]}, headers=h)
    assert refused.status_code == 422
    assert refused.get_json()["errors"].keys() == {"need_ids"}
    assert client.post(url, json={"need_ids": "x"}, headers=h).status_code == 422
    r = client.post(url, json={"need_ids": [a.id]}, headers=h)
    assert r.status_code == 200
    assert r.get_json()["added"] == 1 and r.get_json()["progress"]["wishes"] == 1
    member = api_token(users["member"])
    assert client.post(url, json={"need_ids": [a.id]}, headers=member).status_code == 403
