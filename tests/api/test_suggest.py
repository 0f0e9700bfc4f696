"""GET /api/v1/offers/suggest (帮扶建议): the live offers that could serve a household's need of
one item now — eligible nearest first with distance, the others with the solver's reason."""

from __future__ import annotations

from datetime import date, timedelta

from marketplace.models import Role
from tests.factories import OTHER_DISTRICT_COMMUNITY


def _org_user(make_user, make_org):
    org = make_org()
    return make_user(Role.ORG, org_id=org.id)


def test_eligible_offers_nearest_first_and_why_the_others_do_not_qualify(
    client, db, make_user, make_org, make_offer, make_household, api_token
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff, risk_score=40)
    org_user = _org_user(make_user, make_org)
    near = make_offer(org_user, title="近处家电", lat=30.268, lon=120.139, radius_km=10)
    far = make_offer(org_user, title="远处家电", lat=30.33, lon=120.139, radius_km=20)
    elsewhere = make_offer(org_user, title="外区家电", regions=["330106"])
    out_of_radius = make_offer(org_user, title="半径外", lat=30.40, lon=120.139, radius_km=2)
    other_item = make_offer(org_user, title="助餐", items=["01-01"])
    only_care = make_offer(org_user, title="仅关爱型", hardship=["care"])
    later = make_offer(
        org_user,
        title="下月开始",
        start=date.today() + timedelta(days=10),
        end=date.today() + timedelta(days=40),
    )
    r = client.get(
        f"/api/v1/offers/suggest?household_id={household.id}&item=07-02",
        headers=api_token(staff),
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    ids = [o["offer_id"] for o in body["items"]]
    assert ids[:2] == [near.id, far.id]
    distances = [o["distance_km"] for o in body["items"]]
    assert distances == sorted(distances) and distances[0] < 1 < distances[1]
    why = {o["offer_id"]: o["reason"] for o in body["not_eligible"]}
    assert why[elsewhere.id] == "out_of_area"
    assert why[out_of_radius.id] == "out_of_area"
    assert why[only_care.id] == "not_eligible"
    assert later.id not in ids  # not live yet: not listed as servable now
    assert other_item.id not in ids and other_item.id not in why


def test_bad_parameters_name_the_field(client, make_user, api_token):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    headers = api_token(staff)
    r = client.get("/api/v1/offers/suggest?item=07-02", headers=headers)
    assert r.status_code == 422 and "household_id" in r.get_json()["errors"]
    r = client.get("/api/v1/offers/suggest?household_id=abc&item=07-02", headers=headers)
    assert r.status_code == 422 and "household_id" in r.get_json()["errors"]


def test_unknown_item_and_household_outside_the_scope(client, make_user, make_household, api_token):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    other = make_user(Role.HUB_STAFF, hub="330106")
    household = make_household(staff)
    foreign = make_household(other, community_code=OTHER_DISTRICT_COMMUNITY)
    headers = api_token(staff)
    r = client.get(
        f"/api/v1/offers/suggest?household_id={household.id}&item=99-99", headers=headers
    )
    assert r.status_code == 422 and "item" in r.get_json()["errors"]
    r = client.get(f"/api/v1/offers/suggest?household_id={foreign.id}&item=07-02", headers=headers)
    assert r.status_code == 404
    member = make_user(Role.MEMBER)
    r = client.get(
        f"/api/v1/offers/suggest?household_id={household.id}&item=07-02",
        headers=api_token(member),
    )
    assert r.status_code == 403
