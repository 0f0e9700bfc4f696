"""Member pages: the wish pool, claiming, reporting a delivery, the map; the whole way from a
claim to the household's acknowledgement."""

from __future__ import annotations

import re

from sqlmodel import select

from marketplace.models import Claim, Need
from tests.factories import text


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

    # Two steps: the preview shows what will be sent and stores nothing, then the confirmation.
    preview = member.post(
        f"/member/claims/{claim.id}/deliver",
        data={"note": "已送到家里，户主当面签收", "photo": (jpeg(), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200, text(preview)[:800]
    page = text(preview)
    assert "已送到家里，户主当面签收" in page and 'src="data:image/jpeg;base64,' in page
    with db() as s:
        assert s.get(Claim, claim.id).status == "active"
    pending = re.search(r'name="pending" type="hidden" value="([0-9a-f]{32})"', page)
    assert pending, page[:2000]
    response = member.post(
        f"/member/claims/{claim.id}/deliver",
        data={"note": "已送到家里，户主当面签收", "pending": pending.group(1), "step": "confirm"},
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


def test_member_map_has_the_controls_words_and_no_household(as_role):
    client = as_role("member")
    assert 'data-l-zoom-in="放大"' in text(client.get("/member/"))
    data = client.get("/member/map.json").get_json()
    assert data["hubs"] == [] and data["offers"] == []
    for wish in data["wishes"]:
        assert set(wish) == {"code", "name", "lat", "lon", "count"}
