"""一户一档 on hub and organisation pages: the household's edit form (prefilled) and its history,
need edits, the lifecycle form, attachments (upload, audited view, scope), the offer edit; in
Chinese by default and in English."""

from __future__ import annotations

import io

from sqlmodel import select

from marketplace.models import AuditLog, Household, HouseholdAttachment, Need, Offer, Role
from tests.factories import OTHER_DISTRICT_COMMUNITY, jpeg_bytes, text


def _edit_data(h: Household, **changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "name": h.name,
        "id_number": h.id_number,
        "phone": h.phone,
        "address": h.address,
        "community_code": h.community_code,
        "hardship_type": h.hardship_type,
        "members": str(h.members),
        "tags": list(h.tags),
    }
    return data | changes


def test_staff_correct_a_phone_and_see_it_in_the_history(as_role, users, make_household, db):
    h = make_household(users["hub_staff"], phone="13812345678")
    client = as_role("hub_staff")
    detail = text(client.get(f"/hub/households/{h.id}"))
    assert f'href="/hub/households/{h.id}/edit"' in detail
    assert 'id="history"' in detail and "在册" in detail  # zh by default
    form = text(client.get(f"/hub/households/{h.id}/edit"))
    assert 'value="13812345678"' in form and 'name="profile-source"' not in form
    r = client.post(f"/hub/households/{h.id}/edit", data=_edit_data(h, phone="13912345670"))
    assert r.status_code == 302, text(r)[:400]
    with db() as s:
        assert s.get_one(Household, h.id).phone == "13912345670"
    page = text(client.get(f"/hub/households/{h.id}"))
    history = page[page.index('id="history"') :]
    assert "138****5678" in history and "139****5670" in history
    assert users["hub_staff"].username in history
    english = text(client.get(f"/hub/households/{h.id}?lang=en"))
    assert "History of changes" in english and "Household details corrected" in english


def test_a_bad_id_number_is_refused_on_the_form(as_role, users, make_household, db):
    h = make_household(users["hub_staff"])
    client = as_role("hub_staff")
    r = client.post(f"/hub/households/{h.id}/edit", data=_edit_data(h, id_number="330102"))
    assert r.status_code == 422 and 'id="id_number-errors"' in text(r)
    with db() as s:
        assert s.get_one(Household, h.id).id_number == h.id_number


def test_need_edit_page_hides_the_deal_once_claimed(
    as_role, users, make_household, make_need, db, login_as
):
    from marketplace.models import User
    from marketplace.services import claims

    h = make_household(users["hub_staff"])
    need = make_need(users["hub_staff"], h)
    client = as_role("hub_staff")
    page = text(client.get(f"/hub/needs/{need.id}/edit"))
    assert 'name="value_yuan"' in page and 'name="public_title"' in page
    with db() as s:
        claims.claim_wish(
            s,
            member=s.get_one(User, users["member"].id),
            wish_id=need.id,
            policy=claims.ClaimPolicy(),
        )
    page = text(client.get(f"/hub/needs/{need.id}/edit"))
    assert 'name="value_yuan"' not in page and 'name="item"' not in page
    r = client.post(
        f"/hub/needs/{need.id}/edit",
        data={"title": "想要一个新电饭煲", "description": "", "delivery_instructions": ""},
    )
    assert r.status_code == 302, text(r)[:400]
    with db() as s:
        assert s.get_one(Need, need.id).title == "想要一个新电饭煲"


def test_lifecycle_form_exits_and_the_code_page_is_neutral(
    as_role, users, make_household, client, db
):
    h = make_household(users["hub_staff"])
    staff = as_role("hub_staff")
    r = staff.post(f"/hub/households/{h.id}/stage", data={"stage": "exited", "reason": "迁出"})
    assert r.status_code == 302
    with db() as s:
        assert s.get_one(Household, h.id).stage == "exited"
    page = text(staff.get(f"/hub/households/{h.id}"))  # no visit, pairing or need to start
    assert "该户已退出" in page
    for action in ("/visit", "/pairing", "/needs/new"):
        assert f"/hub/households/{h.id}{action}" not in page
    refused = staff.post(
        f"/hub/households/{h.id}/visit", data={"visited_on": "2026-12-01", "mode": "home"}
    )
    assert refused.status_code == 409 and "该户已退出" in text(refused)
    staff.post("/auth/logout")
    page = client.get(f"/h/{h.token}")
    assert page.status_code == 410
    assert h.name not in text(page) and "迁出" not in text(page)  # neutral: no name, no reason


def test_attachments_upload_view_audited_and_scoped(
    as_role, users, make_household, make_user, login_as, db
):
    h = make_household(users["hub_staff"])
    client = as_role("hub_staff")
    r = client.post(
        f"/hub/households/{h.id}/attachments",
        data={"file": (io.BytesIO(jpeg_bytes()), "证明.jpg")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    bad = client.post(
        f"/hub/households/{h.id}/attachments",
        data={"file": (io.BytesIO(b"<html>hi</html>"), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 302
    with db() as s:
        (row,) = s.exec(select(HouseholdAttachment)).all()
    page = text(client.get(f"/hub/households/{h.id}"))
    assert "证明.jpg" in page
    got = client.get(f"/hub/households/{h.id}/attachments/{row.id}")
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    assert got.data[:2] == b"\xff\xd8"
    got.close()
    with db() as s:
        views = s.exec(select(AuditLog).where(AuditLog.action == "attachment.view")).all()
        assert len(views) == 1
    other = make_user(Role.HUB_STAFF, hub="330106")
    client.post("/auth/logout")
    login_as(other)
    assert client.get(f"/hub/households/{h.id}/attachments/{row.id}").status_code == 404


def test_offer_edit_page(as_role, users, make_offer, db):
    offer = make_offer(users["org"], capacity=5)
    with db() as s:
        s.get_one(Offer, offer.id).remaining = 2
    client = as_role("org")
    assert f"/org/offers/{offer.id}/edit" in text(client.get("/org/"))
    page = client.get(f"/org/offers/{offer.id}/edit")
    assert page.status_code == 200 and 'value="5"' in text(page)
    data = {
        "title": offer.title,
        "description": "",
        "capacity": "2",
        "start": offer.start.isoformat(),
        "end": offer.end.isoformat(),
    }
    r = client.post(f"/org/offers/{offer.id}/edit", data=data)
    assert r.status_code == 422 and 'id="capacity-errors"' in text(r)
    r = client.post(f"/org/offers/{offer.id}/edit", data=data | {"capacity": "8"})
    assert r.status_code == 302
    with db() as s:
        assert (s.get_one(Offer, offer.id).capacity, s.get_one(Offer, offer.id).remaining) == (8, 5)


def test_other_district_staff_cannot_edit(as_role, users, make_user, make_household):
    other = make_user(Role.HUB_STAFF, hub="330106")
    theirs = make_household(other, community_code=OTHER_DISTRICT_COMMUNITY)
    client = as_role("hub_staff")
    assert client.get(f"/hub/households/{theirs.id}/edit").status_code == 404
    assert client.get(f"/hub/households/{theirs.id}/history").status_code == 404
