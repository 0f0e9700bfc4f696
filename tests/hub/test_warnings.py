"""预警 pages: the queue (zh and en, overdue badge, filters), a warning's detail with suggestions
and the close forms (refer_hub flashes the needs created; bad input re-renders naming the field),
the referrals page and its status form."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from marketplace.models import Household, MonitoringEvent, Need, PolicyReferral, RiskWarning, Role
from marketplace.services import warnings as warnings_service
from tests.factories import COMMUNITY, text

STREET = COMMUNITY[:9]


def _raise(db: Any, household_id: int, *, overdue: bool = False) -> int:
    with db() as s:
        h = s.get(Household, household_id)
        event = MonitoringEvent(
            household_id=h.id,
            kind="job_loss",
            occurred_on=date(2026, 12, 1),
            source="hub",
            community_code=h.community_code,
        )
        s.add(event)
        s.flush()
        w = warnings_service.raise_for_event(s, event, h)
        if overdue:
            w.due_at = w.raised_at - timedelta(hours=1)
        return int(w.id)


@pytest.fixture
def staff(make_user):
    return make_user(Role.HUB_STAFF, hub=STREET)


def test_the_queue_renders_in_chinese_and_english_with_the_overdue_badge(
    client, db, login_as, staff, make_household
):
    household = make_household(staff, name="李四", risk_score=40)
    late = _raise(db, household.id, overdue=True)
    login_as(staff)
    zh = text(client.get("/hub/warnings"))
    # (The page's own words are in the catalogue once the lead merges zh-warnings.json.)
    assert 'lang="zh-CN"' in zh and "李*" in zh and "李四" not in zh
    assert "pill-overdue" in zh and "清波门社区" in zh
    assert f"/hub/warnings/{late}" in zh
    en = text(client.get("/hub/warnings?lang=en"))
    assert "Overdue" in en and "Job lost" in en and "Important warning" in en
    assert f"/hub/warnings/{late}" not in text(client.get("/hub/warnings?overdue=0&lang=en"))
    home = text(client.get("/hub/"))
    assert "/hub/warnings" in home


def test_close_refer_hub_from_the_page_creates_the_needs_and_says_how_many(
    client, db, login_as, staff, make_household
):
    household = make_household(staff, risk_score=40)
    wid = _raise(db, household.id)
    login_as(staff)
    page = text(client.get(f"/hub/warnings/{wid}?lang=en"))
    assert "Suggestions for help" in page and 'name="need_items"' in page
    assert f"/hub/households/{household.id}" in page
    r = client.post(
        f"/hub/warnings/{wid}/check", data={"check_mode": "phone", "findings": "电话联系"}
    )
    assert r.status_code == 302
    r = client.post(
        f"/hub/warnings/{wid}/close?lang=en",
        data={"outcome": "refer_hub", "need_items": ["01-01", "02-01"], "policy_items": ["P1-01"]},
        follow_redirects=True,
    )
    body = text(r)
    assert r.status_code == 200 and "2 needs were created" in body
    with db() as s:
        needs = s.exec(select(Need).where(Need.household_id == household.id)).all()
        assert len(needs) == 2 and all(n.status == "pending_review" for n in needs)
        assert s.exec(select(PolicyReferral)).all() == []  # the other outcome's boxes ignored
        w = s.get(RiskWarning, wid)
        assert (w.status, w.check_mode, w.findings) == ("closed", "phone", "电话联系")
    for need in needs:
        assert f"/hub/needs/{need.id}/edit" in body


def test_a_bad_close_rerenders_naming_the_field_and_a_no_action_close_works(
    client, db, login_as, staff, make_household
):
    wid = _raise(db, make_household(staff).id)
    login_as(staff)
    r = client.post(f"/hub/warnings/{wid}/close", data={"outcome": "no_action", "note": ""})
    assert r.status_code == 422 and 'id="note-error"' in text(r)
    with db() as s:
        assert s.get(RiskWarning, wid).status == "open"
    r = client.post(f"/hub/warnings/{wid}/close", data={"outcome": "no_action", "note": "已就业"})
    assert r.status_code == 302
    with db() as s:
        assert s.get(RiskWarning, wid).outcome == "no_action"


def test_the_referrals_page_moves_a_referral(client, db, login_as, staff, make_household):
    wid = _raise(db, make_household(staff).id)
    login_as(staff)
    client.post(
        f"/hub/warnings/{wid}/close", data={"outcome": "refer_policy", "policy_items": ["P1-01"]}
    )
    with db() as s:
        rid = s.exec(select(PolicyReferral.id)).one()
    assert "最低生活保障" in text(client.get("/hub/referrals"))
    en_name = warnings_service.policy_items()["P1-01"].name_en
    assert en_name in text(client.get("/hub/referrals?lang=en"))
    r = client.post(f"/hub/referrals/{rid}", data={"status": "in_progress", "note": "已提交"})
    assert r.status_code == 302
    with db() as s:
        assert s.get(PolicyReferral, rid).status == "in_progress"
    client.post(f"/hub/referrals/{rid}", data={"status": "done", "amount_yuan": "x"})
    with db() as s:
        assert s.get(PolicyReferral, rid).status == "in_progress"  # refused: not a number


def test_another_districts_staff_get_404(client, db, login_as, make_user, staff, make_household):
    wid = _raise(db, make_household(staff).id)
    login_as(make_user(Role.HUB_STAFF, hub="330106"))
    assert client.get(f"/hub/warnings/{wid}").status_code == 404
    assert (
        client.post(
            f"/hub/warnings/{wid}/close", data={"outcome": "no_action", "note": "x"}
        ).status_code
        == 404
    )
