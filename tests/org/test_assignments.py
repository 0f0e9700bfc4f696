"""An organisation's assignments (org/routes.py): where to deliver, and the household's address
and phone for a home delivery or service, for its own active assignments only."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from marketplace.models import AuditLog, Claim, Hub, Need, utcnow
from tests.factories import text


def _assignment(db, users, make_household, make_need, make_offer, **need):
    staff = users["hub_staff"]
    household = make_household(staff, phone="13700001111", address="清波街7号1幢101室")
    wish = make_need(staff, household, **need)
    offer = make_offer(users["org"])
    with db() as s:
        s.get(Need, wish.id).status = "matched"
        hub = s.exec(select(Hub).where(Hub.region_code == "330102")).one()
        hub.contact_phone, hub.handover_address = "0571-87001234", "上城区助联体服务大厅"
        claim = Claim(need_id=wish.id, offer_id=offer.id, due_at=utcnow() + timedelta(days=7))
        s.add(claim)
        s.flush()
        return household, claim.id


def test_assignment_shows_hub_contact_and_reveals_the_household_on_request(
    as_role, db, users, make_household, make_need, make_offer, make_org, make_user, login_as
):
    household, claim_id = _assignment(
        db,
        users,
        make_household,
        make_need,
        make_offer,
        delivery_mode="home_service",
        delivery_instructions="上门，需先电话预约",
    )
    org = as_role("org")
    page = text(org.get("/org/assignments"))
    assert "0571-87001234" in page and "上门，需先电话预约" in page
    assert household.address not in page and household.phone not in page
    assert f'action="/org/assignments/{claim_id}/household"' in page
    shown = org.post(f"/org/assignments/{claim_id}/household")
    assert shown.status_code == 200
    assert household.address in text(shown) and household.phone in text(shown)
    with db() as s:
        entry = s.exec(select(AuditLog).where(AuditLog.action == "household.contact_view")).one()
        assert entry.actor_id == users["org"].id
    # Another organisation's account gets nothing.
    stranger = login_as(make_user("org", org_id=make_org().id))
    refused = stranger.post(f"/org/assignments/{claim_id}/household")
    assert refused.status_code == 404 and household.address not in text(refused)
