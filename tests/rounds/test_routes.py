"""Match-round pages: start a round, watch it, decide on its proposals."""

from __future__ import annotations

from marketplace.models import Need, Offer, Role


def test_staff_run_a_round_and_accept(
    client, login_as, make_user, make_household, make_need, make_org, make_offer, db
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    org_user = make_user(Role.ORG, org_id=make_org().id)
    offer = make_offer(org_user, items=["01-01"], regions=["330102"], capacity=3)
    need = make_need(
        staff,
        make_household(staff, name="王秀英"),
        kind="service",
        item="01-01",
        title="每天送午餐",
    )
    login_as(staff)
    assert client.get("/rounds/").status_code == 200
    r = client.post("/rounds/start")
    assert r.status_code == 302
    page = client.get(r.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "每天送午餐" in html and "王*" in html
    with db() as s:
        from sqlmodel import select

        from marketplace.models import Proposal

        proposal = s.exec(select(Proposal)).one()
    status = client.get(f"/rounds/{proposal.round_id}/status.json").get_json()
    assert status["status"] == "done" and status["progress"] == 1.0
    r = client.post(f"/rounds/proposals/{proposal.id}/accept", data={"round_id": proposal.round_id})
    assert r.status_code == 302
    with db() as s:
        assert s.get(Need, need.id).status == "matched"
        assert s.get(Offer, offer.id).remaining == 2
    # Rejecting needs a reason; an accepted proposal cannot be rejected.
    assert (
        client.post(f"/rounds/proposals/{proposal.id}/reject", data={"reason": "x"}).status_code
        == 409
    )


def test_round_pages_are_for_staff_and_admin_only(client, login_as, make_user):
    login_as(make_user(Role.MEMBER))
    assert client.get("/rounds/").status_code == 403
    assert client.post("/rounds/start").status_code == 403


def test_admin_runs_city_rounds(client, login_as, make_user):
    login_as(make_user(Role.ADMIN))
    r = client.post("/rounds/start")
    assert r.status_code == 302
    page = client.get(r.headers["Location"])
    assert page.status_code == 200
    assert 'data-status="done"' in page.get_data(as_text=True)
