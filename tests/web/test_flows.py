"""Flows through the pages: intake, review, claim, delivery, confirmation, acknowledgement."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlmodel import func, select

from marketplace import create_app
from marketplace.db import get_engine
from marketplace.models import Claim, Household, Need, Offer, Organisation, User
from tests.factories import COMMUNITY, TEST_CONFIG, text, valid_credit_code, valid_id_number


def household_form(**overrides: object) -> dict[str, object]:
    return {
        "name": "王秀兰",
        "id_number": valid_id_number(42),
        "phone": "13955556666",
        "address": "清波街88号5幢302室",
        "community_code": COMMUNITY,
        "hardship_type": "care",
        "risk_score": "48",
        "members": "2",
        "tags": ["elderly", "single"],
    } | overrides


def test_register_household_with_bad_check_digit_is_refused(as_role, db):
    client = as_role("hub_staff")
    good = valid_id_number(42)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post("/hub/households/new", data=household_form(id_number=bad))
    assert response.status_code == 422
    page = text(response)
    assert "身份证号码校验位错误" in page
    assert 'value="王秀兰"' in page  # the form keeps what was typed
    with db() as s:
        assert s.exec(select(func.count()).select_from(Household)).one() == 0


def test_register_household_then_record_and_publish_a_need(as_role, db):
    client = as_role("hub_staff")
    response = client.post("/hub/households/new", data=household_form())
    assert response.status_code == 302, text(response)[:500]
    detail = client.get(response.headers["Location"])
    page = text(detail)
    assert valid_id_number(42) in page and "13955556666" in page and "/h/" in page
    with db() as s:
        household = s.exec(select(Household)).one()
    response = client.post(
        f"/hub/households/{household.id}/needs/new",
        data={
            "kind": "wish",
            "item": "07-02",
            "title": "想要一台电风扇",
            "description": "夏天太热，电话13955556666",
            "value_yuan": "150",
            "deadline": (date.today() + timedelta(days=20)).isoformat(),
        },
    )
    assert response.status_code == 302, text(response)[:800]
    queue = text(client.get("/hub/review"))
    assert "想要一台电风扇" in queue and "***" in queue  # the scrubbed text staff will publish
    with db() as s:
        need = s.exec(select(Need)).one()
    assert client.post(f"/hub/needs/{need.id}/publish").status_code == 302
    with db() as s:
        assert s.get(Need, need.id).status == "open"


def test_need_with_past_deadline_shows_message(as_role, make_household, users):
    household = make_household(users["hub_staff"])
    client = as_role("hub_staff")
    response = client.post(
        f"/hub/households/{household.id}/needs/new",
        data={
            "kind": "wish",
            "item": "07-02",
            "title": "x",
            "deadline": (date.today() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "截止日期不能早于今天" in text(response)


def test_staff_of_another_district_cannot_see_the_household(
    make_user, login_as, make_household, users, client
):
    household = make_household(users["hub_staff"])
    outsider = make_user("hub_staff", hub="330106")
    login_as(outsider)
    assert client.get(f"/hub/households/{household.id}").status_code == 404


def test_claim_deliver_confirm_acknowledge(
    as_role, make_household, make_need, users, db, jpeg, client
):
    staff = users["hub_staff"]
    household = make_household(staff, address="清波街88号5幢302室", phone="13912340000")
    need = make_need(staff, household)

    member = as_role("member")
    pool = text(member.get("/member/"))
    assert "想要一个电饭煲" in pool
    wish_page = text(member.get(f"/member/wishes/{need.id}"))
    for secret in (household.id_number, household.phone, household.address, household.name):
        assert secret not in pool and secret not in wish_page
    assert household.name[0] + "*" in wish_page

    response = member.post(f"/member/wishes/{need.id}/claim")
    assert response.status_code == 302
    claims_page = text(member.get("/member/claims"))
    assert "想要一个电饭煲" in claims_page and household.phone not in claims_page
    with db() as s:
        claim = s.exec(select(Claim)).one()

    response = member.post(
        f"/member/claims/{claim.id}/deliver",
        data={"note": "已送到家里", "photo": (jpeg(), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, text(response)[:800]

    staff_client = as_role("hub_staff")
    deliveries = text(staff_client.get("/hub/deliveries"))
    assert "已送到家里" in deliveries
    photo_url = re.search(r'src="(/hub/photos/[0-9a-f]+\.jpg)"', deliveries)
    assert photo_url
    photo = staff_client.get(photo_url.group(1))
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    photo.close()
    assert staff_client.post(f"/hub/needs/{need.id}/confirm").status_code == 302
    with db() as s:
        assert s.get(Need, need.id).status == "confirmed"

    # The member is told, and the household sees it on its 幸福清单 and acknowledges it.
    member = as_role("member")
    assert "送达已确认" in text(member.get("/notifications"))
    assert member.get(photo_url.group(1)).status_code == 403
    member.post("/auth/logout")
    happiness = text(client.get(f"/h/{household.token}"))
    assert "想要一个电饭煲" in happiness and "我已收到" in happiness
    assert household.phone not in happiness and household.id_number not in happiness
    assert client.post(f"/h/{household.token}/ack/{claim.id}").status_code == 302
    assert "您已确认收到" in text(client.get(f"/h/{household.token}"))


def test_second_claim_shows_already_claimed(
    as_role, make_household, make_need, make_user, login_as, users, client
):
    need = make_need(users["hub_staff"], make_household(users["hub_staff"]))
    as_role("member").post(f"/member/wishes/{need.id}/claim")
    client.post("/auth/logout")
    login_as(make_user("member"))
    response = client.post(f"/member/wishes/{need.id}/claim")
    assert response.status_code == 409
    assert "已被认领" in text(response)


def test_reject_delivery_needs_a_reason(as_role, make_household, make_need, users, db):
    need = make_need(users["hub_staff"], make_household(users["hub_staff"]))
    member = as_role("member")
    member.post(f"/member/wishes/{need.id}/claim")
    with db() as s:
        claim = s.exec(select(Claim)).one()
    member.post(f"/member/claims/{claim.id}/deliver", data={"note": "ok"})
    staff = as_role("hub_staff")
    staff.post(f"/hub/needs/{need.id}/reject", data={"reason": ""})
    with db() as s:
        assert s.get(Claim, claim.id).status == "delivered"
    staff.post(f"/hub/needs/{need.id}/reject", data={"reason": "照片看不清"})
    with db() as s:
        assert s.get(Claim, claim.id).status == "active"
    assert "照片看不清" in text(as_role("member").get("/member/claims"))


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


def test_org_registration_with_bad_credit_code(client, db):
    response = client.post(
        "/auth/register-org",
        data={
            "name": "某组织",
            "type": "ngo",
            "credit_code": valid_credit_code(5)[:-1] + "0",
            "username": "mou",
            "password": "a-long-password-1",
            "confirm": "a-long-password-1",
        },
    )
    assert response.status_code == 422
    assert "统一社会信用代码" in text(response)
    with db() as s:
        assert s.exec(select(User).where(User.username == "mou")).first() is None


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


def test_admin_disables_a_user_and_reads_the_audit_log(as_role, users, db):
    admin = as_role("admin")
    admin.post(f"/admin/users/{users['member'].id}/active", data={"active": "0"})
    with db() as s:
        assert s.get(User, users["member"].id).active is False
    audit = text(admin.get("/admin/audit?action=user.disable&lang=en"))
    assert 'value="user.disable" selected' in audit
    assert "<td>Account disabled</td>" in audit  # the action in words, not its code
    assert "<td>Account created</td>" not in audit


def test_post_without_csrf_token_is_refused(database_url, tmp_path, make_user):
    app = create_app(TEST_CONFIG | {"DATABASE_URL": database_url, "WTF_CSRF_ENABLED": True})
    app.instance_path = str(tmp_path / "csrf-instance")
    try:
        client = app.test_client()
        user = make_user("member")
        response = client.post(
            "/auth/login", data={"username": user.username, "password": "correct-horse-battery"}
        )
        assert response.status_code == 400
        # With the token from the page, the same login works.
        page = text(client.get("/auth/login"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token
        response = client.post(
            "/auth/login",
            data={
                "username": user.username,
                "password": "correct-horse-battery",
                "csrf_token": token.group(1),
            },
        )
        assert response.status_code == 302
    finally:
        get_engine(app).dispose()


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


def test_notifications_mark_all_read(as_role, users, db):
    from marketplace.services.messages import Message
    from marketplace.services.notifications import Ref, notify

    with db() as s:
        message = Message("notice.delivery_confirmed", {"title": "电饭煲"})
        notify(s, users["member"].id, "delivery_confirmed", message, Ref("claim", 1))
    client = as_role("member")
    page = text(client.get("/notifications"))
    assert "送达已确认：电饭煲" in page and 'class="badge">1<' in page
    client.post("/notifications/read")
    assert 'class="badge"' not in text(client.get("/notifications"))
