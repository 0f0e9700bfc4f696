"""我的志愿服务记录 (issue 16): hours with the delivery report, the hub's confirmation with hours,
the member's records page, its Excel sheet and certificate, and the public verification page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlmodel import select

from marketplace.models import Certificate, Claim, ClaimStatus, Contribution, User
from tests.factories import delivered_claim, has_cjk_font, text, xlsx_rows

HAS_FONT = has_cjk_font()


def _claim(as_role, make_household, make_need, users, db):
    staff = users["hub_staff"]
    wish = make_need(staff, make_household(staff))
    member = as_role("member")
    assert member.post(f"/member/wishes/{wish.id}/claim").status_code == 302
    with db() as s:
        return member, s.exec(select(Claim).where(Claim.need_id == wish.id)).one()


def test_member_declares_hours_with_the_report(as_role, make_household, make_need, users, db):
    member, claim = _claim(as_role, make_household, make_need, users, db)
    url = f"/member/claims/{claim.id}/deliver"
    note = "电饭煲已经送到，老人很满意。"
    form = text(member.get(url))
    assert 'name="hours"' in form
    bad = member.post(url, data={"note": note, "hours": "abc", "step": "preview"})
    assert bad.status_code == 422
    assert 'id="hours-errors"' in text(bad)
    preview = member.post(url, data={"note": note, "hours": "2.5", "step": "preview"})
    assert preview.status_code == 200 and "2.5" in text(preview)
    with db() as s:
        assert s.get(Claim, claim.id).status == ClaimStatus.ACTIVE.value
    done = member.post(url, data={"note": note, "hours": "2.5", "step": "confirm"})
    assert done.status_code == 302
    with db() as s:
        stored = s.get(Claim, claim.id)
        assert stored.status == ClaimStatus.DELIVERED.value
        assert stored.declared_hours == Decimal("2.5")


def test_hub_confirms_correcting_the_hours(app, as_role, users, db):
    staff, member = users["hub_staff"], users["member"]
    claim = delivered_claim(app, staff, member, hours="3")
    hub = as_role("hub_staff")
    page = text(hub.get("/hub/deliveries"))
    assert f'id="hours-{claim.need_id}"' in page and 'value="3.0"' in page
    bad = hub.post(f"/hub/needs/{claim.need_id}/confirm", data={"hours": "99"})
    assert bad.status_code == 302
    with db() as s:
        assert s.get(Claim, claim.id).status == ClaimStatus.DELIVERED.value
        assert s.exec(select(Contribution)).all() == []
    ok = hub.post(f"/hub/needs/{claim.need_id}/confirm", data={"hours": "1.5"})
    assert ok.status_code == 302
    with db() as s:
        record = s.exec(select(Contribution)).one()
        assert record.hours == Decimal("1.5") and record.hours_declared == Decimal("3.0")
        assert s.get(Claim, claim.id).status == ClaimStatus.CONFIRMED.value


def test_records_page_excel_certificate_and_verification(app, as_role, client, users, db):
    staff, member = users["hub_staff"], users["member"]
    claim = delivered_claim(app, staff, member, hours="2")
    hub = as_role("hub_staff")
    hub.post(f"/hub/needs/{claim.need_id}/confirm", data={"hours": "2.5"})
    with db() as s:
        record = s.exec(select(Contribution)).one()
    me = as_role("member")
    home = text(me.get("/member/"))
    assert 'href="/member/records"' in home
    page = text(me.get("/member/records"))
    assert record.record_no in page and "2.5" in page and "张*" in page
    assert "张三" not in page
    assert f'data-total="points">{record.points}<' in page
    sheet = me.get("/member/records.xlsx")
    assert sheet.status_code == 200
    rows = xlsx_rows(sheet)
    assert rows[1][0] == record.record_no and rows[1][6] == "张*" and rows[1][10] == 2.5
    bad = me.get("/member/records?from=2026-02-01&to=2026-01-01")
    assert bad.status_code == 422
    pdf = me.post("/member/records", data={"from": "2000-01-01", "to": "2004-12-31"})
    assert pdf.status_code == 422  # no records then: a message, no certificate
    pdf = me.post("/member/records", data={"from": "", "to": ""})
    if not HAS_FONT:
        assert pdf.status_code == 503
        pytest.skip("no Chinese font installed (apt-get install fonts-noto-cjk)")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    with db() as s:
        cert = s.exec(select(Certificate)).one()
        assert cert.records == 1 and cert.hours == Decimal("2.5")
        name = s.get(User, member.id).display_name or member.username
    client.post("/auth/logout")
    valid = client.get(f"/verify/{cert.code}")
    assert valid.status_code == 200
    body = text(valid)
    assert 'data-verify="records">1<' in body and 'data-verify="hours">2.5<' in body
    assert f'data-verify="volunteer">{name[0]}*<' in body
    assert "张" not in body and "清波" not in body
    forged = client.get(f"/verify/{cert.code[:-2]}xx")
    assert forged.status_code == 404 and "verify-invalid" in text(forged)
    assert re.search(r"[\u4e00-\u9fff]", text(forged))


def test_records_are_for_members_only(as_role):
    hub = as_role("hub_staff")
    assert hub.get("/member/records").status_code in (302, 403)


def test_certificate_without_a_chinese_font_is_a_clear_error(app, as_role, users, db):
    staff, member = users["hub_staff"], users["member"]
    claim = delivered_claim(app, staff, member, hours="1")
    as_role("hub_staff").post(f"/hub/needs/{claim.need_id}/confirm", data={})
    app.config["CERTIFICATE_FONT"] = "/nonexistent/font.ttc"
    me = as_role("member")
    refused = me.post("/member/records", data={"from": "", "to": ""})
    assert refused.status_code == 503
    assert "fonts-noto-cjk" in text(refused)
    with db() as s:
        assert s.exec(select(Certificate)).all() == []
