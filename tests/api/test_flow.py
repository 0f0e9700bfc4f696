"""The whole path, driven through the JSON API as a new integrator would (issue: marketplace)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from sqlmodel import func, select

from marketplace.models import AuditLog, Household, Role
from tests.factories import COMMUNITY, OTHER_DISTRICT_COMMUNITY, valid_credit_code, valid_id_number

ID_RE = re.compile(r"\d{17}[\dX]")
PHONE_RE = re.compile(r"1[3-9]\d{9}")


def household_payload(**overrides: object) -> dict[str, object]:
    return {
        "name": "李秀英",
        "id_number": valid_id_number(7),
        "phone": "13912345678",
        "address": "延安路88号2幢301室",
        "community_code": COMMUNITY,
        "hardship_type": "care",
        "members": 1,
        "profile": {"source": "dibao", "elderly_alone": True, "able_bodied": 0, "employed": 0},
        "tags": ["elderly"],
    } | overrides


def test_whole_path(app, client, make_user, api_token, db):
    admin = make_user(Role.ADMIN)
    staff = make_user(Role.HUB_STAFF, hub="330102")
    other_staff = make_user(Role.HUB_STAFF, hub="330106")
    alice, bob = make_user(Role.MEMBER), make_user(Role.MEMBER)
    h_staff, h_other, h_alice, h_bob = (api_token(u) for u in (staff, other_staff, alice, bob))

    # A bad check digit: 422 naming the field, nothing stored.
    good = valid_id_number(7)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = client.post("/api/v1/households", json=household_payload(id_number=bad), headers=h_staff)
    assert r.status_code == 422
    assert "id_number" in r.get_json()["errors"]
    with db() as s:
        assert s.exec(select(func.count()).select_from(Household)).one() == 0

    r = client.post("/api/v1/households", json=household_payload(), headers=h_staff)
    assert r.status_code == 201, r.get_json()
    household_id = r.get_json()["id"]

    r = client.post(
        "/api/v1/needs",
        json={
            "household_id": household_id,
            "kind": "wish",
            "item": "07-02",
            "title": "想要电饭煲",
            "description": "电饭煲坏了，请联系13912345678",
            "value_yuan": 199.5,
            "deadline": (date.today() + timedelta(days=20)).isoformat(),
        },
        headers=h_staff,
    )
    assert r.status_code == 201, r.get_json()
    wish_id = r.get_json()["id"]
    assert r.get_json()["status"] == "pending_review"

    # Not yet published: members cannot see it.
    assert client.get(f"/api/v1/wishes/{wish_id}", headers=h_alice).status_code == 404
    assert client.post(f"/api/v1/needs/{wish_id}/publish", headers=h_staff).status_code == 200

    r = client.get("/api/v1/wishes", headers=h_alice)
    assert r.status_code == 200
    listing = r.get_data(as_text=True)
    assert any(w["id"] == wish_id for w in r.get_json()["items"])
    detail = client.get(f"/api/v1/wishes/{wish_id}", headers=h_alice)
    body = detail.get_data(as_text=True) + listing
    assert good not in body and "13912345678" not in body and "延安路88号" not in body
    assert not ID_RE.search(body) and not PHONE_RE.search(body)
    assert detail.get_json()["household"] == "李*"

    r = client.post(f"/api/v1/wishes/{wish_id}/claim", headers=h_alice)
    assert r.status_code == 201, r.get_json()
    claim_id = r.get_json()["id"]
    r = client.post(f"/api/v1/wishes/{wish_id}/claim", headers=h_bob)
    assert r.status_code == 409
    assert "already" in r.get_json()["message"]

    # Confirming before delivery is a conflict; delivery by someone else is not found.
    assert client.post(f"/api/v1/needs/{wish_id}/confirm", headers=h_staff).status_code == 409
    assert (
        client.post(
            f"/api/v1/claims/{claim_id}/deliver", json={"note": "x"}, headers=h_bob
        ).status_code
        == 404
    )
    r = client.post(
        f"/api/v1/claims/{claim_id}/deliver", json={"note": "已送到，户主当面签收"}, headers=h_alice
    )
    assert r.status_code == 200 and r.get_json()["status"] == "delivered"

    assert client.post(f"/api/v1/needs/{wish_id}/confirm", headers=h_other).status_code in (
        403,
        404,
    )
    r = client.post(f"/api/v1/needs/{wish_id}/confirm", headers=h_staff)
    assert r.status_code == 200, r.get_json()

    r = client.get(f"/api/v1/households/{household_id}", headers=h_staff)
    token_url = r.get_json()["happiness_url"]
    happy = client.get("/api/v1/happiness/" + token_url.rsplit("/", 1)[1]).get_json()
    assert [e["need_id"] for e in happy["received"]] == [wish_id]
    assert happy["received"][0]["status"] == "confirmed"
    assert client.get(token_url).status_code == 200

    # The other district's staff cannot see the household at all.
    assert client.get(f"/api/v1/households/{household_id}", headers=h_other).status_code == 404
    # Viewing full personal data was audited.
    with db() as s:
        views = s.exec(select(AuditLog).where(AuditLog.action == "household.view")).all()
        assert views and views[0].actor == staff.username
    del admin


def test_errors_are_json_with_fields(client, make_user, api_token):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    h = api_token(staff)
    assert client.post("/api/v1/households", json={}).status_code == 401
    r = client.post(
        "/api/v1/households", data="not json", headers=h | {"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.get_json()["errors"]
    r = client.post("/api/v1/households", json={"name": ""}, headers=h)
    errors = r.get_json()["errors"]
    assert r.status_code == 422 and {
        "name",
        "id_number",
        "phone",
        "community_code",
        "hardship_type",
    } <= set(errors)
    r = client.post(
        "/api/v1/households",
        json=household_payload(community_code=OTHER_DISTRICT_COMMUNITY),
        headers=h,
    )
    assert r.status_code == 403
    r = client.post(
        "/api/v1/households", json=household_payload(community_code="330102999999"), headers=h
    )
    assert r.status_code == 422 and "community_code" in r.get_json()["errors"]
    member = make_user(Role.MEMBER)
    assert (
        client.post(
            "/api/v1/households", json=household_payload(), headers=api_token(member)
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/tokens", json={"username": staff.username, "password": "wrong-password!"}
        ).status_code
        == 401
    )


def test_duplicate_household_is_a_conflict(client, make_user, api_token):
    h = api_token(make_user(Role.HUB_STAFF, hub="330102"))
    assert client.post("/api/v1/households", json=household_payload(), headers=h).status_code == 201
    r = client.post("/api/v1/households", json=household_payload(), headers=h)
    assert r.status_code == 409 and "id_number" in r.get_json()["errors"]


def test_orgs_offers_and_vetting(client, make_user, api_token):
    admin = make_user(Role.ADMIN)
    h_admin = api_token(admin)
    r = client.post(
        "/api/v1/orgs",
        json={"name": "爱心企业", "type": "enterprise", "credit_code": "91330100MA2000000X"},
        headers=h_admin,
    )
    assert r.status_code == 422 and "credit_code" in r.get_json()["errors"]
    r = client.post(
        "/api/v1/orgs",
        json={"name": "爱心企业", "type": "enterprise", "credit_code": valid_credit_code(42)},
        headers=h_admin,
    )
    assert r.status_code == 201 and r.get_json()["status"] == "pending"
    org_id = r.get_json()["id"]
    org_user = make_user(Role.ORG, org_id=org_id)
    h_org = api_token(org_user)
    offer = {
        "title": "家电焕新",
        "items": ["07-02", "07-01"],
        "regions": ["330102"],
        "lat": 30.25,
        "lon": 120.17,
        "radius_km": 10,
        "capacity": 3,
        "start": date.today().isoformat(),
        "end": (date.today() + timedelta(days=30)).isoformat(),
        "hardship": ["care"],
    }
    r = client.post("/api/v1/offers", json=offer, headers=h_org)
    assert r.status_code == 201 and r.get_json()["live"] is False and r.get_json()["remaining"] == 3
    offer_id = r.get_json()["id"]
    assert (
        client.post(f"/api/v1/orgs/{org_id}/vet", json={"approve": True}, headers=h_org).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/orgs/{org_id}/vet", json={"approve": True}, headers=h_admin
        ).get_json()["status"]
        == "vetted"
    )
    assert client.get(f"/api/v1/offers/{offer_id}", headers=h_org).get_json()["live"] is True
    r = client.post(
        "/api/v1/offers", json=offer | {"items": ["99-99"], "capacity": -1}, headers=h_org
    )
    assert r.status_code == 422 and "capacity" in r.get_json()["errors"]
    r = client.post("/api/v1/offers", json=offer | {"end": "2000-01-01"}, headers=h_org)
    assert r.status_code == 422


def test_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/households",
        "/needs",
        "/needs/{need_id}/publish",
        "/wishes",
        "/wishes/{wish_id}/claim",
        "/claims/{claim_id}/deliver",
        "/needs/{need_id}/confirm",
        "/orgs",
        "/orgs/{org_id}/vet",
        "/offers",
        "/tokens",
    ):
        assert path in spec["paths"], path
    json.dumps(spec)


def test_duplicates_are_flagged_and_items_suggested(client, make_user, api_token):
    h = api_token(make_user(Role.HUB_STAFF, hub="330102"))
    household_id = client.post(
        "/api/v1/households", json=household_payload(), headers=h
    ).get_json()["id"]
    need = {
        "household_id": household_id,
        "kind": "wish",
        "item": "07-02",
        "title": "电饭煲坏了，想要一个新的电饭煲",
    }
    first = client.post("/api/v1/needs", json=need, headers=h).get_json()
    assert first["possible_duplicates"] == []
    second = client.post("/api/v1/needs", json=need | {"item": "09-03"}, headers=h).get_json()
    assert second["possible_duplicates"] == [
        first["id"]
    ]  # similar text, different item: flagged, stored
    r = client.get("/api/v1/items/suggest", query_string={"text": "家里的电饭煲坏了"}, headers=h)
    assert r.status_code == 200 and r.get_json()["items"][0]["item"] == "07-02"
    assert client.get("/api/v1/items/suggest", headers=h).status_code == 422


def test_a_constraint_race_is_a_conflict_not_an_outage(client, make_user, api_token, monkeypatch):
    """Two staff registering the same ID number at once: the database refuses the second → 409."""
    from marketplace.services import households

    h = api_token(make_user(Role.HUB_STAFF, hub="330102"))
    assert client.post("/api/v1/households", json=household_payload(), headers=h).status_code == 201
    # Simulate the race: the check-before-insert saw nothing, the unique index catches it.
    real_select = households.select

    def blind_select(*args):
        stmt = real_select(*args)
        return stmt.where(False) if args and getattr(args[0], "key", "") == "id" else stmt

    monkeypatch.setattr(households, "select", blind_select)
    r = client.post("/api/v1/households", json=household_payload(), headers=h)
    assert r.status_code == 409 and r.get_json()["error"] == "conflict"
