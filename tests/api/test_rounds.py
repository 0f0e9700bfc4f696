"""Match rounds in the product: background run, proposals with reasons, decisions, failures."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

import matching
from marketplace.models import Need, Offer, Proposal, Role


@pytest.fixture
def market(make_user, make_household, make_need, make_org, make_offer):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    org_user = make_user(Role.ORG, org_id=make_org().id)
    offer = make_offer(org_user, items=["01-01", "02-01"], regions=["330102"], capacity=2)
    needs = []
    for score in (30, 50, 95):  # two priority-1 households, one priority-3
        household = make_household(staff, risk_score=score)
        needs.append(make_need(staff, household, kind="service", item="01-01", title="助餐"))
    far = make_household(staff, risk_score=20)
    needs.append(
        make_need(staff, far, kind="service", item="08-01", title="法律咨询")
    )  # no offer for the item
    return staff, org_user, offer, needs


def test_round_proposes_highest_risk_first_and_accepts(client, api_token, make_user, market, db):
    staff, org_user, offer, needs = market
    h = api_token(staff)
    r = client.post("/api/v1/match-rounds", headers=h)
    assert r.status_code == 202
    round_id = r.get_json()["id"]
    status = client.get(f"/api/v1/match-rounds/{round_id}", headers=h).get_json()
    assert status["status"] == "done" and status["progress"] == 1.0
    assert status["statistics"]["served_by_priority"] == {"1": 2, "2": 0, "3": 0}
    assert status["unmatched_by_reason"] == {"capacity_exhausted": 1, "no_offer_for_item": 1}
    proposals = client.get(f"/api/v1/match-rounds/{round_id}/proposals", headers=h).get_json()[
        "items"
    ]
    assert sorted(p["need_id"] for p in proposals) == sorted([needs[0].id, needs[1].id])
    assert all(p["reasons"] for p in proposals)

    other = api_token(make_user(Role.HUB_STAFF, hub="330106"))
    assert client.get(f"/api/v1/match-rounds/{round_id}", headers=other).status_code == 404
    assert (
        client.post(f"/api/v1/proposals/{proposals[0]['id']}/accept", headers=other).status_code
        == 404
    )

    assert (
        client.post(
            f"/api/v1/proposals/{proposals[0]['id']}/lock", json={"reason": ""}, headers=h
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/proposals/{proposals[0]['id']}/lock", json={"reason": "等家属确认"}, headers=h
        ).status_code
        == 200
    )
    r = client.post(f"/api/v1/proposals/{proposals[0]['id']}/accept", headers=h)
    assert r.status_code == 200, r.get_json()
    assert (
        client.post(f"/api/v1/proposals/{proposals[0]['id']}/accept", headers=h).status_code == 409
    )
    assert (
        client.post(
            f"/api/v1/proposals/{proposals[1]['id']}/reject",
            json={"reason": "家庭已自行解决"},
            headers=h,
        ).status_code
        == 200
    )
    with db() as s:
        assert s.get(Offer, offer.id).remaining == 1
        assert s.get(Need, proposals[0]["need_id"]).status == "matched"
        assert s.get(Need, proposals[1]["need_id"]).status == "open"

    # The organisation sees the assignment and reports delivery; staff confirm.
    h_org = api_token(org_user)
    claim_id = r.get_json()["id"]
    assert (
        client.post(
            f"/api/v1/claims/{claim_id}/deliver",
            json={"note": "已送餐到家，老人已签收"},
            headers=h_org,
        ).status_code
        == 200
    )
    assert (
        client.post(f"/api/v1/needs/{proposals[0]['need_id']}/confirm", headers=h).status_code
        == 200
    )


def test_failed_or_timed_out_round_writes_nothing(client, api_token, market, monkeypatch, db):
    staff, *_ = market
    h = api_token(staff)

    def boom(problem, progress=None):
        progress(0.5, "halfway")
        raise matching.SolveTimeout("time limit exceeded")

    monkeypatch.setattr(matching, "solve", boom)
    round_id = client.post("/api/v1/match-rounds", headers=h).get_json()["id"]
    status = client.get(f"/api/v1/match-rounds/{round_id}", headers=h).get_json()
    assert status["status"] == "failed" and "timeout" in status["message"]
    with db() as s:
        assert s.exec(select(func.count()).select_from(Proposal)).one() == 0


def test_members_cannot_start_rounds(client, api_token, make_user):
    assert (
        client.post("/api/v1/match-rounds", headers=api_token(make_user(Role.MEMBER))).status_code
        == 403
    )
    assert client.post("/api/v1/match-rounds").status_code == 401
