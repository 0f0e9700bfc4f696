"""GET /api/v1/households/{id}/score: the resilience score with its model version and an
explanation that adds up, scoped like the rest of the API, in the OpenAPI document."""

from __future__ import annotations

from marketplace.models import Role


def test_the_score_explains_itself(client, make_user, make_household, api_token):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(
        staff,
        members=3,
        profile={"source": "dibao", "major_ill": 1, "savings": "none", "employed": 0},
    )
    r = client.get(f"/api/v1/households/{household.id}/score", headers=api_token(staff))
    assert r.status_code == 200
    body = r.get_json()
    assert body["score"] == 100 - 25 - 12 - 8 - 12 == 43
    assert body["level"] == 1 and body["model_version"] == "v2" and body["computed_at"]
    points = {c["indicator"]: c["points"] for c in body["contributions"]}
    assert points["base"] == 100 and points["source.dibao"] == -25
    assert sum(points.values()) == body["score"]
    assert all(c["why"] and set(c) == {"indicator", "points", "why"} for c in body["contributions"])


def test_the_score_is_scoped(client, make_user, make_household, api_token):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff, profile={"source": "tekun"})
    url = f"/api/v1/households/{household.id}/score"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=api_token(make_user(Role.MEMBER))).status_code == 403
    other = make_user(Role.HUB_STAFF, hub="330106")
    assert client.get(url, headers=api_token(other)).status_code == 404
    admin = client.get(url, headers=api_token(make_user(Role.ADMIN)))
    assert admin.status_code == 200 and admin.get_json()["score"] == 65
    assert (
        client.get("/api/v1/households/999999/score", headers=api_token(staff)).status_code == 404
    )


def test_a_typed_score_is_ignored_and_the_household_is_scored(client, make_user, api_token):
    from tests.factories import COMMUNITY, valid_id_number

    staff = make_user(Role.HUB_STAFF, hub="330102")
    h = api_token(staff)
    payload = {
        "name": "赵六",
        "id_number": valid_id_number(4242),
        "phone": "13912345678",
        "address": "延安路1号",
        "community_code": COMMUNITY,
        "hardship_type": "care",
        "risk_score": 5,
        "members": 1,
        "profile": {"source": "discovered", "elderly_alone": True},
    }
    r = client.post("/api/v1/households", json=payload, headers=h)
    assert r.status_code == 201
    hid = r.get_json()["id"]
    household = client.get(f"/api/v1/households/{hid}", headers=h).get_json()
    assert household["risk_score"] == 100 - 15 - 12 and household["source"] == "discovered"
    assert household["profile"]["elderly_alone"] is True
    bad = client.post(
        "/api/v1/households",
        json=payload | {"id_number": valid_id_number(4243), "profile": {"source": "rich"}},
        headers=h,
    )
    assert bad.status_code == 422 and "profile" in bad.get_json()["errors"]
    over = client.post(
        "/api/v1/households",
        json=payload | {"id_number": valid_id_number(4244), "profile": {"chronic_ill": 2}},
        headers=h,
    )
    assert over.status_code == 422 and "profile" in over.get_json()["errors"]


def test_the_score_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/households/{household_id}/score"]["get"]
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Score"
    }
    score = spec["components"]["schemas"]["Score"]
    assert {"score", "level", "model_version", "computed_at", "contributions"} <= set(
        score["required"]
    )
    assert "Profile" in spec["components"]["schemas"]


def test_staff_replace_the_profile_and_get_the_new_score(
    client, make_user, make_household, api_token, db
):
    from sqlmodel import select

    from marketplace.models import ProfileChange

    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff, members=2, profile={"source": "dibian"})
    url = f"/api/v1/households/{household.id}/profile"
    h = api_token(staff)
    r = client.put(
        url, json={"members": 3, "profile": {"source": "dibian", "major_ill": 1}}, headers=h
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["score"] == 100 - 15 - 12 and body["reason"] == "profile"
    assert sum(c["points"] for c in body["contributions"]) == body["score"]
    with db() as s:
        change = s.exec(select(ProfileChange)).one()
        assert change.changes == {"major_ill": [0, 1], "members": [2, 3]}
    bad = client.put(url, json={"profile": {"source": "dibian", "dependants": 9}}, headers=h)
    assert bad.status_code == 422 and "dependants" in bad.get_json()["errors"]
    assert client.put(url, json={}, headers=h).status_code == 422
    other = api_token(make_user(Role.HUB_STAFF, hub="330106"))
    assert client.put(url, json={"profile": {"source": "tekun"}}, headers=other).status_code == 404
    admin = api_token(make_user(Role.ADMIN))
    assert client.put(url, json={"profile": {"source": "tekun"}}, headers=admin).status_code == 403
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "put" in spec["paths"]["/households/{household_id}/profile"]
