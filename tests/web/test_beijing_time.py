"""Dates follow Beijing time everywhere (issue 12, item 6): pages, defaults, the live rule and
export file names at 00:30 and 23:30 Beijing time, on a frozen clock. 00:30 in Beijing is 16:30 UTC
the day before, so anything that took the UTC date would be a day behind."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from marketplace.models import Role, User
from marketplace.services import claims
from marketplace.services.clock import BEIJING, beijing_today, now_utc, to_beijing
from marketplace.web.audit import details
from marketplace.web.i18n import bjdate, bjtime
from tests.factories import text

DAY = date(2026, 12, 2)
JUST_AFTER_MIDNIGHT = datetime(2026, 12, 2, 0, 30, tzinfo=BEIJING)  # 2026-12-01 16:30 UTC
LATE_EVENING = datetime(2026, 12, 2, 23, 30, tzinfo=BEIJING)  # 2026-12-02 15:30 UTC
BOTH = pytest.mark.parametrize("moment", [JUST_AFTER_MIDNIGHT, LATE_EVENING], ids=["0030", "2330"])


def test_the_clock_counts_days_in_beijing():
    assert JUST_AFTER_MIDNIGHT.astimezone(UTC).date() == date(2026, 12, 1)
    assert beijing_today(JUST_AFTER_MIDNIGHT.astimezone(UTC)) == DAY
    assert beijing_today(LATE_EVENING.astimezone(UTC)) == DAY
    assert beijing_today(datetime(2026, 1, 1, 15, 59, tzinfo=UTC)) == date(2026, 1, 1)
    assert beijing_today(datetime(2026, 1, 1, 16, 0, tzinfo=UTC)) == date(2026, 1, 2)
    naive_utc = datetime(2026, 12, 1, 16, 30)  # as SQLite hands it back
    assert to_beijing(naive_utc) == JUST_AFTER_MIDNIGHT
    with time_machine.travel(JUST_AFTER_MIDNIGHT, tick=False):
        assert beijing_today() == DAY and now_utc() == JUST_AFTER_MIDNIGHT


def test_the_template_filters_show_beijing_dates_and_times():
    stored = datetime(2026, 12, 1, 21, 18)  # naive UTC = 05:18 on 12-02 in Beijing
    assert bjdate(stored) == "2026-12-02"
    assert bjtime(stored) == "2026-12-02 05:18"
    assert bjdate(stored.replace(tzinfo=UTC).isoformat()) == "2026-12-02"
    assert bjdate(date(2026, 12, 1)) == "2026-12-01"  # a calendar day stays as it is
    assert bjdate(None) == "" and bjtime("") == ""


@BOTH
def test_the_offer_form_starts_on_beijing_today(app, login_as, make_org, make_user, moment):
    org = make_org(vetted=True)
    user = make_user(Role.ORG, org_id=org.id)
    with time_machine.travel(moment, tick=False):
        page = text(login_as(user).get("/org/offers/new"))
    assert 'value="2026-12-02"' in page


@BOTH
def test_an_offer_starting_today_is_live_for_its_organisation_and_the_administrator(
    app, client, login_as, make_org, make_user, make_offer, moment
):
    org = make_org(vetted=True)
    owner = make_user(Role.ORG, org_id=org.id)
    admin = make_user(Role.ADMIN)
    today = make_offer(owner, title="今天开始", start=DAY, end=DAY + timedelta(days=30))
    ended = make_offer(
        owner, title="昨天结束", start=DAY - timedelta(days=9), end=DAY - timedelta(1)
    )
    with time_machine.travel(moment, tick=False):
        org_page = text(login_as(owner).get("/org/?lang=en"))
        client.post("/auth/logout")
        staff_page = text(login_as(admin).get("/staff/offers?lang=en"))
        live_only = text(client.get("/staff/offers?status=live&lang=en"))
        not_live = text(client.get("/staff/offers?status=not_live&lang=en"))
    for page in (org_page, staff_page):  # the same words for the same offers
        assert page.count(">Live</span>") == 1  # the one starting today
        assert page.count(">Not live</span>") == 1  # the one that ended yesterday
    assert f'id="offer-{today.id}"' in org_page
    assert "今天开始" in live_only and "昨天结束" not in live_only
    assert "昨天结束" in not_live and "今天开始" not in not_live
    assert ended.id != today.id


@BOTH
def test_export_file_names_carry_the_beijing_date(app, login_as, make_user, moment):
    admin = make_user(Role.ADMIN)
    with time_machine.travel(moment, tick=False):
        response = login_as(admin).get("/staff/offers.xlsx")
    assert response.status_code == 200
    assert 'filename="offers-2026-12-02.xlsx"' in response.headers["Content-Disposition"]


@BOTH
def test_the_happiness_list_dates_a_delivery_by_its_beijing_day(
    app, client, db, make_user, make_household, make_need, moment
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    member = make_user(Role.MEMBER)
    household = make_household(staff)
    delivered = make_need(staff, household, title="想要一床被子")
    make_need(staff, household, title="想要一个书包")  # published, nobody has it yet
    with time_machine.travel(moment, tick=False), db() as s:
        actor = s.get(User, member.id)
        claim = claims.claim_wish(
            s, member=actor, wish_id=delivered.id, policy=claims.ClaimPolicy(max_open=5)
        )
        claims.report_delivery(s, actor=actor, claim_id=claim.id, note="送到了，户主当面签收")
    page = text(client.get(f"/h/{household.token}"))
    assert "送达于 2026-12-02" in page and "2026-12-01" not in page
    # 正在路上 lists only what a helper has; the open wish waits for one, under its own heading.
    on_the_way, waiting = page.split("<h2>正在路上")[1].split("<h2>等待帮扶")
    assert "想要一个书包" not in on_the_way and "想要一个书包" in waiting


def test_the_audit_log_reads_kept_moments_in_beijing_time(app):
    """An entry keeps ``due_at`` as UTC text; the administrator reads it in Beijing time."""
    with app.test_request_context("/?lang=en"):
        kept = {"due_at": "2026-12-01 16:30:00.123456+00:00", "need_id": 7}
        assert details("claim", kept) == [("Due", "2026-12-02 00:30"), ("Need", "7")]
