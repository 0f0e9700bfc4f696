"""The API speaks codes (items, regions, units), as the web pages speak names: an offer's unit is
one of the four unit codes, given or defaulted from its first item, and comes back with it."""

from __future__ import annotations

from datetime import date, timedelta

from marketplace.models import Role


def _offer(**overrides):
    return {
        "title": "陪伴聊天",
        "items": ["02-02"],
        "regions": ["330102001"],
        "capacity": 20,
        "start": date.today().isoformat(),
        "end": (date.today() + timedelta(days=30)).isoformat(),
    } | overrides


def test_an_offer_has_a_unit_by_code(client, api_token, make_user, make_org):
    h_org = api_token(make_user(Role.ORG, org_id=make_org().id))
    r = client.post("/api/v1/offers", json=_offer(), headers=h_org)
    assert r.status_code == 201 and r.get_json()["unit"] == "hour"  # 陪伴聊天 counts hours
    r = client.post("/api/v1/offers", json=_offer(unit="person"), headers=h_org)
    assert r.status_code == 201 and r.get_json()["unit"] == "person"
    r = client.post("/api/v1/offers", json=_offer(unit="kg"), headers=h_org)
    assert r.status_code == 422 and "unit" in r.get_json()["errors"]
    # Outside Hangzhou a circle is refused.
    r = client.post(
        "/api/v1/offers", json=_offer(regions=[], lat=39.9, lon=116.4, radius_km=3), headers=h_org
    )
    assert r.status_code == 422 and "lat" in r.get_json()["errors"]


def test_the_openapi_document_lists_the_units(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    unit = spec["components"]["schemas"]["OfferIn"]["properties"]["unit"]
    assert unit["anyOf"][0]["enum"] == ["portion", "session", "hour", "person"]
