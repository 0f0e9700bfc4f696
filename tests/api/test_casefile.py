"""一户一档 over the API: PATCH households, needs and offers, the history, the lifecycle."""

from __future__ import annotations

from sqlmodel import select

from marketplace.models import Claim, Household, Need, Offer, Role, User
from marketplace.services import claims
from tests.factories import OTHER_DISTRICT_COMMUNITY


def test_patch_household_200_422_and_history_masked(client, users, api_token, make_household, db):
    h = make_household(users["hub_staff"], phone="13812345678")
    headers = api_token(users["hub_staff"])
    r = client.patch(f"/api/v1/households/{h.id}", json={"phone": "13912345670"}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["phone"] == "13912345670" and r.get_json()["stage"] == "registered"
    bad = client.patch(f"/api/v1/households/{h.id}", json={"id_number": "123"}, headers=headers)
    assert bad.status_code == 422 and "id_number" in bad.get_json()["errors"]
    with db() as s:
        assert s.get_one(Household, h.id).id_number == h.id_number  # nothing half-written
    history = client.get(f"/api/v1/households/{h.id}/history", headers=headers)
    assert history.status_code == 200
    rows = history.get_json()
    assert isinstance(rows, list)
    phone = next(r for r in rows if r["field"] == "phone")
    assert set(phone) >= {"at", "actor", "field", "before", "after"}
    assert (phone["before"], phone["after"]) == ("138****5678", "139****5670")
    assert phone["actor"] == users["hub_staff"].username
    body = history.get_data(as_text=True)
    assert "13812345678" not in body and "13912345670" not in body and h.id_number not in body


def test_history_pages(client, users, api_token, make_household):
    h = make_household(users["hub_staff"])
    headers = api_token(users["hub_staff"])
    for n in range(3):
        client.patch(f"/api/v1/households/{h.id}", json={"address": f"路{n}号楼"}, headers=headers)
    first = client.get(f"/api/v1/households/{h.id}/history?limit=2", headers=headers)
    cursor = first.headers["X-Next-Cursor"]
    second = client.get(
        f"/api/v1/households/{h.id}/history?limit=2&cursor={cursor}", headers=headers
    )
    assert second.status_code == 200
    assert first.get_json()[0]["at"] >= second.get_json()[0]["at"]
    assert (
        client.get(f"/api/v1/households/{h.id}/history?limit=0", headers=headers).status_code == 422
    )


def test_patch_need_200_then_409_once_claimed(
    client, users, api_token, make_household, make_need, db
):
    h = make_household(users["hub_staff"])
    need = make_need(users["hub_staff"], h)
    headers = api_token(users["hub_staff"])
    r = client.patch(f"/api/v1/needs/{need.id}", json={"value_yuan": 260}, headers=headers)
    assert r.status_code == 200 and float(r.get_json()["value_yuan"]) == 260
    with db() as s:
        claims.claim_wish(
            s,
            member=s.get_one(User, users["member"].id),
            wish_id=need.id,
            policy=claims.ClaimPolicy(),
        )
    locked = client.patch(f"/api/v1/needs/{need.id}", json={"value_yuan": 300}, headers=headers)
    assert locked.status_code == 409
    assert (
        locked.get_json()["code"] == "need.locked" and "value_yuan" in locked.get_json()["errors"]
    )
    wording = client.patch(
        f"/api/v1/needs/{need.id}", json={"public_title": "电饭煲一个"}, headers=headers
    )
    assert wording.status_code == 200
    with db() as s:
        row = s.get_one(Need, need.id)
        assert row.value_yuan == 260 and row.public_title == "电饭煲一个"
        claim = s.exec(select(Claim).where(Claim.need_id == need.id)).one()
        assert claim.status == "active"  # the wording changed, the claim stands


def test_patch_offer_200_or_422_below_taken(client, users, api_token, make_offer, db):
    offer = make_offer(users["org"], capacity=5)
    with db() as s:
        s.get_one(Offer, offer.id).remaining = 1
    headers = api_token(users["org"])
    r = client.patch(f"/api/v1/offers/{offer.id}", json={"capacity": 3}, headers=headers)
    assert r.status_code == 422 and "capacity" in r.get_json()["errors"]
    ok = client.patch(f"/api/v1/offers/{offer.id}", json={"capacity": 6}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["remaining"] == 2


def test_lifecycle_and_the_happiness_code(client, users, api_token, make_household, make_need, db):
    h = make_household(users["hub_staff"])
    need = make_need(users["hub_staff"], h)
    headers = api_token(users["hub_staff"])
    url = f"/api/v1/households/{h.id}/lifecycle"
    assert client.post(url, json={"stage": "exited"}, headers=headers).status_code == 422
    assert (
        client.post(url, json={"stage": "nowhere", "reason": "x"}, headers=headers).status_code
        == 422
    )
    r = client.post(url, json={"stage": "exited", "reason": "迁出本市"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["stage"] == "exited"
    with db() as s:
        assert s.get_one(Need, need.id).status == "cancelled"
    assert client.get(f"/api/v1/happiness/{h.token}").status_code == 410
    page = client.get(f"/h/{h.token}")
    assert page.status_code == 410 and h.name not in page.get_data(as_text=True)
    again = client.post(url, json={"stage": "gradual_exit", "reason": "x"}, headers=headers)
    assert again.status_code == 409
    back = client.post(url, json={"stage": "registered", "reason": "返贫"}, headers=headers)
    assert back.status_code == 200
    assert client.get(f"/api/v1/happiness/{h.token}").status_code == 200
    rows = client.get(f"/api/v1/households/{h.id}/history", headers=headers).get_json()
    assert [r["after"] for r in rows if r["field"] == "stage"] == ["registered", "exited"]


def test_other_district_404_member_and_org_403(
    client, users, api_token, make_user, make_household, make_need, make_offer
):
    other = make_user(Role.HUB_STAFF, hub="330106")
    theirs = make_household(other, community_code=OTHER_DISTRICT_COMMUNITY)
    their_need = make_need(other, theirs)
    staff = api_token(users["hub_staff"])
    for method, url, body in (
        ("patch", f"/api/v1/households/{theirs.id}", {"phone": "13900000000"}),
        ("get", f"/api/v1/households/{theirs.id}/history", None),
        ("post", f"/api/v1/households/{theirs.id}/lifecycle", {"stage": "exited", "reason": "x"}),
        ("patch", f"/api/v1/needs/{their_need.id}", {"title": "x"}),
    ):
        r = getattr(client, method)(url, json=body, headers=staff)
        assert r.status_code == 404, (url, r.status_code)
        for role in ("member", "org"):
            denied = getattr(client, method)(url, json=body, headers=api_token(users[role]))
            assert denied.status_code == 403, (role, url)
    offer = make_offer(users["org"])
    assert (
        client.patch(f"/api/v1/offers/{offer.id}", json={"capacity": 9}, headers=staff).status_code
        == 403
    )


def test_openapi_documents_the_case_file(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "patch"} <= set(paths["/households/{household_id}"])
    assert "get" in paths["/households/{household_id}/history"]
    assert "post" in paths["/households/{household_id}/lifecycle"]
    assert "patch" in paths["/needs/{need_id}"] and "get" in paths["/needs/{need_id}"]
    assert "patch" in paths["/offers/{offer_id}"]
