"""Organisation pages: offers (pending vetting until the administrator vets), assignments and
their deliveries."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from marketplace.models import Claim, Need, Offer, Organisation
from tests.factories import text, valid_credit_code


def test_org_registers_and_publishes_an_offer_pending_vetting(client, db, as_role, users):
    response = client.post(
        "/auth/register-org",
        data={
            "name": "爱心助老服务中心",
            "type": "ngo",
            "credit_code": valid_credit_code(777),
            "display_name": "李经理",
            "username": "aixin",
            "password": "a-long-password-1",
            "confirm": "a-long-password-1",
        },
    )
    assert response.status_code == 302, text(response)[:800]
    with db() as s:
        org = s.exec(select(Organisation).where(Organisation.name == "爱心助老服务中心")).one()
        assert org.status == "pending"
    client.post("/auth/login", data={"username": "aixin", "password": "a-long-password-1"})
    assert "等待审核" in text(client.get("/org/"))
    response = client.post(
        "/org/offers/new",
        data={
            "title": "家电焕新",
            "items": ["07-02", "09-02"],
            "districts": ["330102"],
            "capacity": "10",
            "start": date.today().isoformat(),
            "end": (date.today() + timedelta(days=30)).isoformat(),
            "hardship": ["care"],
        },
    )
    assert response.status_code == 302, text(response)[:800]
    with db() as s:
        offer = s.exec(select(Offer).where(Offer.org_id == org.id)).one()
        assert offer.items == ["07-02", "09-02"] and offer.hardship == ["care"]
    assert "剩余 10 / 共 10" in text(client.get("/org/"))

    # The administrator vets it.
    admin = as_role("admin")
    assert "爱心助老服务中心" in text(admin.get("/admin/"))
    admin.post(f"/admin/orgs/{org.id}/vet", data={"note": "材料齐全", "approve": "1"})
    with db() as s:
        assert s.get(Organisation, org.id).status == "vetted"


def test_offer_without_area_is_refused(as_role):
    client = as_role("org")
    response = client.post(
        "/org/offers/new",
        data={
            "title": "x",
            "items": ["07-02"],
            "capacity": "3",
            "start": date.today().isoformat(),
            "end": date.today().isoformat(),
        },
    )
    assert response.status_code == 422
    assert "请填写服务范围" in text(response)


def test_org_sees_its_assignment_masked_and_reports_delivery(
    as_role, make_household, make_need, make_offer, users, db
):
    from datetime import UTC, datetime

    staff = users["hub_staff"]
    household = make_household(staff, phone="13700001111")
    need = make_need(staff, household)
    offer = make_offer(users["org"])
    with db() as s:  # an accepted match-round proposal, as the rounds service leaves it
        s.get(Need, need.id).status = "matched"
        s.add(
            Claim(need_id=need.id, offer_id=offer.id, due_at=datetime.now(UTC) + timedelta(days=7))
        )
    client = as_role("org")
    page = text(client.get("/org/assignments"))
    assert "想要一个电饭煲" in page and household.name[0] + "*" in page
    for secret in (household.phone, household.id_number, household.address, household.name):
        assert secret not in page
    with db() as s:
        claim = s.exec(select(Claim)).one()
    assert client.get(f"/org/assignments/{claim.id}/deliver").status_code == 200
    response = client.post(f"/org/assignments/{claim.id}/deliver", data={"note": "已上门安装"})
    assert response.status_code == 302
    with db() as s:
        assert s.get(Claim, claim.id).status == "delivered"
    # Another organisation cannot touch it.
    assert as_role("member").get(f"/member/claims/{claim.id}/deliver").status_code == 404
