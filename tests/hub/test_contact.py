"""本助联体联系方式 (hub/intake.py): staff edit their own hub's contact; needs carry a delivery
mode and instructions; the 幸福码 card prints the hub's phone (no HUB_PHONES setting)."""

from __future__ import annotations

from sqlmodel import select

from marketplace.models import AuditLog, Hub, Need
from tests.factories import text

CONTACT = {
    "contact_name": "王老师",
    "contact_phone": "0571-87001234",
    "handover_address": "上城区助联体服务大厅102室",
    "office_hours": "周一至周五 9:00–17:00",
}


def test_staff_edit_their_hub_contact_from_the_hub_home(as_role, users, db):
    staff = as_role("hub_staff")
    assert "/hub/contact" in text(staff.get("/hub/"))
    assert staff.get("/hub/contact").status_code == 200
    bad = staff.post("/hub/contact", data=CONTACT | {"contact_phone": "12345"})
    assert bad.status_code == 422
    with db() as s:
        assert s.exec(select(Hub).where(Hub.region_code == "330102")).one().contact_phone == ""
    saved = staff.post("/hub/contact", data=CONTACT)
    assert saved.status_code == 302
    page = text(staff.get("/hub/contact"))
    assert "0571-87001234" in page and "上城区助联体服务大厅102室" in page
    with db() as s:
        hub = s.exec(select(Hub).where(Hub.region_code == "330102")).one()
        assert (hub.contact_name, hub.office_hours) == ("王老师", "周一至周五 9:00–17:00")
        assert s.exec(select(AuditLog).where(AuditLog.action == "hub.contact")).one()


def test_only_hub_staff_reach_the_contact_page(as_role):
    for role in ("member", "org", "admin"):
        assert as_role(role).get("/hub/contact").status_code in (302, 403, 404)


def test_the_card_prints_the_hub_contact(as_role, make_household, users):
    staff = as_role("hub_staff")
    household = make_household(users["hub_staff"])
    assert "有问题请打电话" not in text(staff.get(f"/hub/households/{household.id}/card"))
    staff.post("/hub/contact", data=CONTACT)
    card = text(staff.get(f"/hub/households/{household.id}/card"))
    assert "0571-87001234" in card and "周一至周五" in card


def test_need_form_records_the_delivery_mode_and_instructions(as_role, make_household, users, db):
    household = make_household(users["hub_staff"])
    staff = as_role("hub_staff")
    form = text(staff.get(f"/hub/households/{household.id}/needs/new"))
    assert 'name="delivery_mode"' in form and 'name="delivery_instructions"' in form
    response = staff.post(
        f"/hub/households/{household.id}/needs/new",
        data={
            "kind": "wish",
            "item": "07-02",
            "title": "想要一台电风扇",
            "value_yuan": "100",
            "delivery_mode": "home_delivery",
            "delivery_instructions": f"上门，需先电话预约，电话{household.phone}",
        },
    )
    assert response.status_code == 302, text(response)[:800]
    with db() as s:
        need = s.exec(select(Need).where(Need.title == "想要一台电风扇")).one()
        assert need.delivery_mode == "home_delivery"
        # Scrubbed: the phone reaches the helper only through the audited reveal.
        assert need.delivery_instructions.startswith("上门，需先电话预约")
        assert household.phone not in need.delivery_instructions
    bad = staff.post(
        f"/hub/households/{household.id}/needs/new",
        data={"kind": "wish", "item": "07-02", "title": "x", "delivery_mode": "by_drone"},
    )
    assert bad.status_code == 422
