"""Hub delivery pages (hub/deliveries.py): confirming and rejecting reported deliveries."""

from __future__ import annotations

from sqlmodel import select

from marketplace.models import Claim
from tests.factories import text


def test_reject_delivery_needs_a_reason(as_role, make_household, make_need, users, db):
    need = make_need(users["hub_staff"], make_household(users["hub_staff"]))
    member = as_role("member")
    member.post(f"/member/wishes/{need.id}/claim")
    with db() as s:
        claim = s.exec(select(Claim)).one()
    member.post(
        f"/member/claims/{claim.id}/deliver",
        data={"note": "delivered to the door", "step": "confirm"},
    )
    staff = as_role("hub_staff")
    staff.post(f"/hub/needs/{need.id}/reject", data={"reason": ""})
    with db() as s:
        assert s.get(Claim, claim.id).status == "delivered"
    staff.post(f"/hub/needs/{need.id}/reject", data={"reason": "照片看不清"})
    with db() as s:
        assert s.get(Claim, claim.id).status == "active"
    assert "照片看不清" in text(as_role("member").get("/member/claims"))
