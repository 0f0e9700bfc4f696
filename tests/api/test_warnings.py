"""预警 API: the queue of street staff, one warning, the close (200, a second 409, 422 naming the
field with nothing stored), referrals; another district's staff get 404, members and
organisations 403, a department's system may not read warnings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import Household, MonitoringEvent, Need, PolicyReferral, RiskWarning, Role
from marketplace.services import accounts
from marketplace.services import warnings as warnings_service
from tests.factories import COMMUNITY, PASSWORD

STREET = COMMUNITY[:9]


def _raise(db: Any, household_id: int) -> int:
    with db() as s:
        h = s.get(Household, household_id)
        event = MonitoringEvent(
            household_id=h.id,
            kind="job_loss",
            occurred_on=date(2026, 12, 1),
            source="hub",
            community_code=h.community_code,
        )
        s.add(event)
        s.flush()
        return int(warnings_service.raise_for_event(s, event, h).id)


@pytest.fixture
def setup(db, make_user, make_household, api_token):
    staff = make_user(Role.HUB_STAFF, hub=STREET)
    household = make_household(staff, risk_score=40)
    warning_id = _raise(db, household.id)
    return {"staff": staff, "household": household, "warning_id": warning_id,
            "h": api_token(staff)}  # fmt: skip


def test_the_queue_lists_the_warning_with_its_event_and_suggestions(client, setup):
    r = client.get("/api/v1/warnings?status=open&level=important", headers=setup["h"])
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["total"] == 1 and body["page"] == 1
    item = body["items"][0]
    assert item["id"] == setup["warning_id"] and item["household_id"] == setup["household"].id
    assert item["level"] == "important" and item["status"] == "open"
    assert item["event"]["kind"] == "job_loss" and isinstance(item["suggestions"], list)
    assert client.get("/api/v1/warnings?level=general", headers=setup["h"]).get_json()["total"] == 0
    assert client.get("/api/v1/warnings?overdue=true", headers=setup["h"]).get_json()["total"] == 0
    bad = client.get("/api/v1/warnings?status=maybe", headers=setup["h"])
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]


def test_one_warning_then_close_refer_hub_then_a_second_close_is_409(client, db, setup):
    wid = setup["warning_id"]
    one = client.get(f"/api/v1/warnings/{wid}", headers=setup["h"])
    assert one.status_code == 200 and one.get_json()["id"] == wid
    r = client.post(
        f"/api/v1/warnings/{wid}/close",
        json={
            "outcome": "refer_hub",
            "need_items": ["01-01"],
            "note": "助餐",
            "check_mode": "home",
        },
        headers=setup["h"],
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "closed" and body["outcome"] == "refer_hub" and body["on_time"]
    assert len(body["need_ids"]) == 1 and body["check_mode"] == "home"
    with db() as s:
        need = s.get(Need, body["need_ids"][0])
        assert need.household_id == setup["household"].id and need.status == "pending_review"
    again = client.post(
        f"/api/v1/warnings/{wid}/close",
        json={"outcome": "no_action", "note": "x"},
        headers=setup["h"],
    )
    assert again.status_code == 409


def test_bad_close_is_422_naming_the_field_and_stores_nothing(client, db, setup):
    wid = setup["warning_id"]
    r = client.post(
        f"/api/v1/warnings/{wid}/close",
        json={"outcome": "refer_policy", "policy_items": ["nope"]},
        headers=setup["h"],
    )
    assert r.status_code == 422 and set(r.get_json()["errors"]) == {"policy_items"}
    with db() as s:
        assert s.get(RiskWarning, wid).status == "open"
        assert s.exec(select(PolicyReferral)).all() == []


def test_referrals_listed_and_moved(client, setup):
    wid = setup["warning_id"]
    closed = client.post(
        f"/api/v1/warnings/{wid}/close",
        json={"outcome": "refer_policy", "policy_items": ["P1-01", "P2-01"]},
        headers=setup["h"],
    ).get_json()
    assert len(closed["referral_ids"]) == 2
    listed = client.get("/api/v1/referrals?status=referred", headers=setup["h"]).get_json()
    assert sorted(r["id"] for r in listed["items"]) == sorted(closed["referral_ids"])
    rid = closed["referral_ids"][0]
    moved = client.patch(
        f"/api/v1/referrals/{rid}", json={"status": "done", "amount_yuan": 800}, headers=setup["h"]
    )
    assert moved.status_code == 200 and moved.get_json()["status"] == "done"
    assert Decimal(moved.get_json()["amount_yuan"]) == 800
    back = client.patch(
        f"/api/v1/referrals/{rid}", json={"status": "in_progress"}, headers=setup["h"]
    )
    assert back.status_code == 409


def test_other_districts_staff_get_404_members_and_orgs_403(
    client, setup, make_user, make_org, api_token
):
    wid = setup["warning_id"]
    other = api_token(make_user(Role.HUB_STAFF, hub="330106"))
    assert client.get(f"/api/v1/warnings/{wid}", headers=other).status_code == 404
    assert (
        client.post(
            f"/api/v1/warnings/{wid}/close",
            json={"outcome": "no_action", "note": "x"},
            headers=other,
        ).status_code
        == 404
    )
    assert client.get("/api/v1/warnings", headers=other).get_json()["total"] == 0
    org = make_org(vetted=True)
    for user in (make_user(Role.MEMBER), make_user(Role.ORG, org_id=org.id)):
        headers = api_token(user)
        assert client.get("/api/v1/warnings", headers=headers).status_code == 403
        assert client.get(f"/api/v1/warnings/{wid}", headers=headers).status_code == 403
    admin = api_token(make_user(Role.ADMIN))
    assert client.get("/api/v1/warnings", headers=admin).get_json()["total"] == 1
    assert client.get(f"/api/v1/warnings/{wid}", headers=admin).status_code == 200
    assert (
        client.post(
            f"/api/v1/warnings/{wid}/close",
            json={"outcome": "no_action", "note": "x"},
            headers=admin,
        ).status_code
        == 403
    )


def test_a_department_account_reads_neither_households_nor_warnings(app, client, setup):
    from marketplace.db import get_engine, session_scope

    with app.app_context(), session_scope(get_engine(app)) as s:
        accounts.create_user(s, actor=None, username="dept1", password=PASSWORD, role=Role.DEPT)
    token = client.post("/api/v1/tokens", json={"username": "dept1", "password": PASSWORD})
    assert token.status_code == 201, token.get_json()
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    wid = setup["warning_id"]
    assert client.get("/api/v1/warnings", headers=headers).status_code == 403
    assert client.get(f"/api/v1/warnings/{wid}", headers=headers).status_code == 403
    assert (
        client.get(f"/api/v1/households/{setup['household'].id}", headers=headers).status_code
        == 403
    )


def test_the_openapi_document_has_the_warning_paths(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/warnings", "/warnings/{warning_id}", "/warnings/{warning_id}/close", "/referrals",
                 "/referrals/{referral_id}"):  # fmt: skip
        assert path in spec["paths"], path
    assert "Warning" in spec["components"]["schemas"]
