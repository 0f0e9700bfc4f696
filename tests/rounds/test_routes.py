"""Match-round pages: what a round will take in, start it, watch it, read why each need was paired
(or not) in words with names, decide on its proposals."""

from __future__ import annotations

import html
import re

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


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_page_says_what_a_round_takes_in_and_why_it_paired(
    client, login_as, make_user, make_household, make_need, make_org, make_offer, db
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    org = make_org()
    make_offer(make_user(Role.ORG, org_id=org.id), items=["01-01"], capacity=4, title="阳光助餐")
    home = make_household(staff, name="王秀英", risk_score=30)
    make_need(staff, home, kind="service", item="01-01", title="每天送午餐")
    make_need(staff, make_household(staff), kind="service", item="08-01", title="咨询遗产")
    login_as(staff)
    index = _text(client.get("/rounds/").get_data(as_text=True))
    assert "上城区" in index and "330102" not in index  # the area by its name
    english = _text(client.get("/rounds/?lang=en").get_data(as_text=True))
    assert "Needs 2 in all: 2 open service needs and 0 micro-wishes" in english
    assert "Live offers 1 offers of vetted organisations, open today, with 4 places left" in english
    assert "At most 2 needs of one household are served in one round" in english
    assert "The solver stops after 5 minutes" in english

    page = client.get(client.post("/rounds/start").headers["Location"])
    zh = _text(page.get_data(as_text=True))
    assert org.name in zh and "阳光助餐" in zh and "王*" in zh and "上城区" in zh
    assert "item:" not in zh and "priority:" not in zh and "distance_km" not in zh
    assert "咨询遗产" in zh and "法律咨询" in zh  # the need left unserved, its item named
    en = _text(client.get(f"{page.request.path}?lang=en").get_data(as_text=True))
    assert f"{org.name}'s offer “阳光助餐” provides Meals" in en
    assert "Priority 1: 王*'s household is at risk level 1" in en
    assert "km from the offer to the need in 清波街道 清波门社区" in en
    assert "The nearest offer for Meals that still had places" in en
    assert "No live offer provides Legal advice" in en


def test_admin_chooses_the_district_of_a_round(client, login_as, make_user, db):
    login_as(make_user(Role.ADMIN))
    page = _text(client.get("/rounds/?scope=330106&lang=en").get_data(as_text=True))
    assert "Area 西湖区" in page  # the count is for the district chosen
    assert "Area 全市" not in page
    ignored = _text(client.get("/rounds/?scope=999999").get_data(as_text=True))
    assert "全市" in ignored  # an area not offered: the whole city
    r = client.post("/rounds/start", data={"scope": "330106"})
    assert r.status_code == 302
    assert "西湖区" in _text(client.get(r.headers["Location"]).get_data(as_text=True))
    assert client.post("/rounds/start", data={"scope": "999999"}).status_code == 422


def test_unserved_needs_filter_by_reason_district_and_item_and_export(
    client, login_as, make_user, make_household, make_need, make_org, make_offer, db
):
    """Item 5 of issue 15: the round page lists the unserved needs with filters by reason,
    district and item; the Excel export takes the same filter and writes names, not codes."""
    from io import BytesIO

    from openpyxl import load_workbook
    from sqlmodel import select

    from marketplace.models import MatchRound
    from tests.factories import OTHER_DISTRICT_COMMUNITY

    admin = make_user(Role.ADMIN)
    here = make_user(Role.HUB_STAFF, hub="330102")
    there = make_user(Role.HUB_STAFF, hub="330106")
    org_user = make_user(Role.ORG, org_id=make_org().id)
    make_offer(org_user, items=["01-01"], regions=["330102"], capacity=5)
    lawyer = make_need(
        here, make_household(here), kind="service", item="08-01", title="想咨询赡养纠纷"
    )
    far = make_need(
        there,
        make_household(there, community_code=OTHER_DISTRICT_COMMUNITY),
        kind="service",
        item="01-01",
        title="西湖区的助餐",
    )
    login_as(admin)
    assert client.post("/rounds/start").status_code == 302
    with db() as s:
        round_id = s.exec(select(MatchRound.id)).one()

    def listed(**args):
        page = client.get(f"/rounds/{round_id}", query_string=args).get_data(as_text=True)
        return {int(n) for n in re.findall(r"#(\d+) · ", page)}, page

    everything, page = listed()
    assert everything == {lawyer.id, far.id}
    assert 'name="reason"' in page and 'name="district"' in page and 'name="item"' in page
    assert listed(reason="no_offer_for_item")[0] == {lawyer.id}
    assert listed(reason="out_of_area")[0] == {far.id}
    assert listed(district="330106")[0] == {far.id}
    assert listed(item="08-01")[0] == {lawyer.id}
    assert listed(item="08-01", district="330106")[0] == set()
    assert listed(reason="bogus", district="33", item="x")[0] == everything  # ignored

    response = client.get(f"/rounds/{round_id}/unmatched.xlsx?district=330106")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2  # the header and the one need of 西湖区
    header, row = rows
    assert header[:4] == ("编号", "标题", "家庭", "区县")
    record = dict(zip(header, row, strict=True))
    assert record["编号"] == far.id and record["区县"] == "西湖区"
    assert (record["帮扶事项"], record["困难类型"], record["风险等级"]) == ("助餐", "兜底型", 1)
    assert record["原因"] == "不在任何项目的服务范围内"  # names, not codes
    assert "上保社区" in record["理由"]
