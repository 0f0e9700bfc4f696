"""The care API: POST /visits (201; 422 naming the field, nothing stored; 404 for strangers),
GET /visits/due, POST /pairings (201; 409 when paired), DELETE /pairings/{id}, GET /me/pairings,
and the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from marketplace.models import Role, Visit
from marketplace.services import clock


def test_care_api(client, db, make_user, make_household, api_token):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    member = make_user(Role.MEMBER)
    stranger = make_user(Role.MEMBER)
    h = make_household(staff, name="欧阳秀兰")
    hs, hm, hx = api_token(staff), api_token(member), api_token(stranger)
    today = clock.beijing_today().isoformat()

    r = client.post(
        "/api/v1/visits", json={"household_id": h.id, "visited_on": "x", "mode": "car"}, headers=hs
    )
    assert r.status_code == 422
    assert set(r.get_json()["errors"]) == {"visited_on", "mode"}
    with db() as s:
        assert s.exec(select(Visit)).first() is None

    r = client.post(
        "/api/v1/visits",
        json={
            "household_id": h.id,
            "visited_on": today,
            "mode": "home",
            "note": "n",
            "findings": "f",
        },
        headers=hs,
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["findings"] == "f"

    due = client.get("/api/v1/visits/due", headers=hs).get_json()
    assert due["total"] == 0  # just visited: due in 30 days

    end = (clock.beijing_today() + timedelta(days=90)).isoformat()
    r = client.post(
        "/api/v1/pairings",
        json={"household_id": h.id, "member_id": member.id, "end": end},
        headers=hs,
    )
    assert r.status_code == 201, r.get_json()
    pairing_id = r.get_json()["id"]
    r = client.post(
        "/api/v1/pairings",
        json={"household_id": h.id, "member_id": stranger.id, "end": end},
        headers=hs,
    )
    assert r.status_code == 409
    r = client.post("/api/v1/pairings", json={"household_id": h.id, "end": end}, headers=hs)
    assert r.status_code == 422 and "member_id" in r.get_json()["errors"]

    mine = client.get("/api/v1/me/pairings", headers=hm).get_json()["items"]
    assert [p["household"] for p in mine] == ["欧*"]
    assert "欧阳秀兰" not in str(mine)

    body = {"household_id": h.id, "visited_on": today, "mode": "phone", "note": "电话13812345678"}
    assert client.post("/api/v1/visits", json=body, headers=hx).status_code == 404
    r = client.post("/api/v1/visits", json=body, headers=hm)
    assert r.status_code == 201
    assert "13812345678" not in r.get_json()["note"] and "findings" not in r.get_json()

    assert (
        client.delete(
            f"/api/v1/pairings/{pairing_id}", json={"reason": "结束"}, headers=hs
        ).status_code
        == 200
    )
    assert client.delete(f"/api/v1/pairings/{pairing_id}", headers=hs).status_code == 409
    assert client.get("/api/v1/me/pairings", headers=hm).get_json()["items"] == []

    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/visits", "/visits/due", "/pairings", "/pairings/{pairing_id}", "/me/pairings"} <= set(
        paths
    )
