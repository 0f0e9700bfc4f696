"""Member delivery pages (issue 12): where to deliver (the hub's contact, the instructions, the
household's address for a home delivery by an audited reveal), giving a claim back, and the
delivery report's preview and confirmation."""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import select

from marketplace.models import AuditLog, Claim, Hub, Need, User
from tests.factories import text

PENDING = re.compile(r'name="pending" type="hidden" value="([0-9a-f]{32})"')


def _claimed(as_role, make_household, make_need, users, db, **need):
    staff = users["hub_staff"]
    household = make_household(staff, address="清波街88号5幢302室", phone="13912340000")
    wish = make_need(staff, household, **need)
    with db() as s:
        hub = s.exec(select(Hub).where(Hub.region_code == "330102")).one()
        hub.contact_name, hub.contact_phone = "王老师", "0571-87001234"
        hub.handover_address, hub.office_hours = (
            "上城区助联体服务大厅102室",
            "周一至周五 9:00–17:00",
        )
    member = as_role("member")
    assert member.post(f"/member/wishes/{wish.id}/claim").status_code == 302
    with db() as s:
        claim = s.exec(select(Claim).where(Claim.need_id == wish.id)).one()
    return member, household, wish, claim


def test_claims_page_shows_the_hub_contact_and_instructions_not_the_household(
    as_role, make_household, make_need, users, db
):
    member, household, _w, _c = _claimed(
        as_role, make_household, make_need, users, db, delivery_instructions="送到社区服务中心"
    )
    page = text(member.get("/member/claims"))
    for shown in (
        "0571-87001234",
        "王老师",
        "上城区助联体服务大厅102室",
        "周一至周五",
        "送到社区服务中心",
    ):
        assert shown in page, shown
    assert household.address not in page and household.phone not in page
    assert "/household" not in page  # a handover at the hub: nothing to reveal


def test_home_delivery_address_is_revealed_by_an_audited_post_only_while_active(
    as_role, make_household, make_need, users, db
):
    member, household, _w, claim = _claimed(
        as_role, make_household, make_need, users, db, delivery_mode="home_delivery"
    )
    page = text(member.get("/member/claims"))
    reveal = f'action="/member/claims/{claim.id}/household"'
    assert reveal in page and household.address not in page
    assert member.get(f"/member/claims/{claim.id}/household").status_code == 405
    shown = member.post(f"/member/claims/{claim.id}/household")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert household.address in text(shown) and household.phone in text(shown)
    with db() as s:
        views = s.exec(select(AuditLog).where(AuditLog.action == "household.contact_view")).all()
        assert len(views) == 1 and views[0].after["claim_id"] == claim.id
    # Another member, and the owner once the claim is delivered, get nothing.
    other = as_role("admin")  # not a member at all
    assert other.post(f"/member/claims/{claim.id}/household").status_code in (403, 404)
    member = as_role("member")
    member.post(
        f"/member/claims/{claim.id}/deliver",
        data={"note": "已送到家中，户主当面签收", "step": "confirm"},
    )
    closed = member.post(f"/member/claims/{claim.id}/household")
    assert closed.status_code == 409 and household.address not in text(closed)
    assert reveal not in text(member.get("/member/claims"))


def test_another_member_cannot_see_the_household(
    as_role, make_household, make_need, make_user, login_as, users, db
):
    _m, household, _w, claim = _claimed(
        as_role, make_household, make_need, users, db, delivery_mode="home_service"
    )
    as_role("member")
    client = login_as(make_user("member"))
    refused = client.post(f"/member/claims/{claim.id}/household")
    assert refused.status_code == 404 and household.address not in text(refused)


def test_give_back_with_a_reason(as_role, make_household, make_need, users, db):
    member, _h, wish, claim = _claimed(as_role, make_household, make_need, users, db)
    assert f"/member/claims/{claim.id}/give-up" in text(member.get("/member/claims"))
    form = member.get(f"/member/claims/{claim.id}/give-up")
    assert form.status_code == 200
    empty = member.post(f"/member/claims/{claim.id}/give-up", data={"reason": ""})
    assert empty.status_code == 422
    with db() as s:
        assert s.get(Claim, claim.id).status == "active"
    done = member.post(f"/member/claims/{claim.id}/give-up", data={"reason": "家里有事，送不了"})
    assert done.status_code == 302
    with db() as s:
        assert s.get(Claim, claim.id).status == "given_up"
        assert s.get(Need, wish.id).status == "open"
        assert s.get(User, users["member"].id).open_claims == 0
    again = member.post(f"/member/claims/{claim.id}/give-up", data={"reason": "再放弃一次"})
    assert again.status_code == 409
    assert "想要一个电饭煲" in text(member.get("/member/"))  # back in the pool


def test_an_empty_report_is_refused_with_a_clear_message(
    as_role, make_household, make_need, users, db
):
    member, _h, _w, claim = _claimed(as_role, make_household, make_need, users, db)
    for data in ({"note": ""}, {"note": "", "step": "confirm"}):
        refused = member.post(f"/member/claims/{claim.id}/deliver", data=data)
        assert refused.status_code == 422
        assert "报告是空的" in text(refused) or "report is empty" in text(refused)
    short = member.post(f"/member/claims/{claim.id}/deliver", data={"note": "送到了"})
    assert short.status_code == 422
    with db() as s:
        assert s.get(Claim, claim.id).status == "active"


def test_preview_then_edit_keeps_the_photo_then_confirm_stores_it(
    app, as_role, make_household, make_need, users, db, jpeg
):
    member, _h, _w, claim = _claimed(as_role, make_household, make_need, users, db)
    url = f"/member/claims/{claim.id}/deliver"
    preview = member.post(
        url, data={"note": "", "photo": (jpeg(), "p.jpg")}, content_type="multipart/form-data"
    )
    assert preview.status_code == 200 and "data:image/jpeg;base64," in text(preview)
    token = PENDING.search(text(preview)).group(1)
    pending = Path(app.instance_path) / "uploads" / "pending" / f"{claim.id}-{token}.jpg"
    assert pending.is_file()
    with db() as s:
        assert s.get(Claim, claim.id).status == "active"  # nothing sent yet
    edit = member.post(url, data={"note": "", "pending": token, "step": "edit"})
    assert edit.status_code == 200 and token in text(edit)
    assert "data:image/jpeg;base64," in text(edit)  # the photo is kept
    # A token of another claim, or a made-up one, is not a photo.
    assert (
        member.post(url, data={"note": "", "pending": "0" * 32, "step": "confirm"}).status_code
        == 422
    )
    done = member.post(url, data={"note": "", "pending": token, "step": "confirm"})
    assert done.status_code == 302
    with db() as s:
        stored = s.get(Claim, claim.id)
        assert stored.status == "delivered" and stored.photo_path
    assert (Path(app.instance_path) / "uploads" / stored.photo_path).is_file()
    assert not pending.exists()


def test_a_bad_photo_at_the_preview_keeps_nothing(
    app, as_role, make_household, make_need, users, db
):
    import io

    member, _h, _w, claim = _claimed(as_role, make_household, make_need, users, db)
    refused = member.post(
        f"/member/claims/{claim.id}/deliver",
        data={"note": "", "photo": (io.BytesIO(b"not an image"), "p.jpg")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    pending = Path(app.instance_path) / "uploads" / "pending"
    assert not pending.exists() or not any(pending.glob(f"{claim.id}-*.jpg"))


def test_the_wish_page_says_how_it_will_be_delivered_before_the_claim(
    as_role, make_household, make_need, users, db
):
    staff = users["hub_staff"]
    household = make_household(staff, address="清波街9号", phone="13912349999")
    wish = make_need(
        staff, household, delivery_mode="home_delivery", delivery_instructions="送货上门"
    )
    with db() as s:
        hub = s.exec(select(Hub).where(Hub.region_code == "330102")).one()
        hub.contact_phone, hub.handover_address = "0571-87001234", "上城区助联体服务大厅"
    page = text(as_role("member").get(f"/member/wishes/{wish.id}"))
    assert "0571-87001234" in page and "送货上门" in page
    assert household.address not in page and household.phone not in page
    assert "/household" not in page  # nothing to reveal before a claim
