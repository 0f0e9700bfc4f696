"""The fairness report (services/fairness.py): per round (served share and the served needs'
waiting time by risk level, district and hardship type; repeat-help refusals) and per Beijing
month for the viewer's area; months checked; scoped like the rounds."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

import matching
from marketplace.models import Claim, Household, Need, Role, User, utcnow
from marketplace.services import fairness, repeat_help, rounds
from marketplace.services.clock import BEIJING
from marketplace.services.errors import Forbidden, NotFound, ValidationFailed
from marketplace.services.messages import Message
from tests.factories import OTHER_DISTRICT_COMMUNITY


def _set(s, need_id, **values):
    need = s.get(Need, need_id)
    for k, v in values.items():
        setattr(need, k, v)
    s.add(need)


def _claim(s, need_id, at, *, member_id=None, status="active"):
    s.add(
        Claim(
            need_id=need_id,
            member_id=member_id,
            status=status,
            claimed_at=at,
            due_at=at + timedelta(days=7),
        )
    )
    _set(s, need_id, status="claimed")


@pytest.fixture
def city(make_user, make_household, make_need, make_org, make_offer):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    west = make_user(Role.HUB_STAFF, hub="330106")
    org_user = make_user(Role.ORG, org_id=make_org().id)

    def service(score, hardship="bottom", who=staff, **household):
        home = make_household(who, risk_score=score, hardship_type=hardship, **household)
        return make_need(who, home, kind="service", item="01-01", title="助浴")

    return {
        "staff": staff,
        "west": west,
        "admin": make_user(Role.ADMIN),
        "member": make_user(Role.MEMBER),
        "level1": service(30),
        "level2": service(70, "care"),
        "level3": service(95, "care"),
        "offer": make_offer(org_user, items=["01-01"], regions=["330102"], capacity=1),
        "make_household": make_household,
        "make_need": make_need,
    }


def test_a_round_serves_level_1_first_and_says_so(db, city):
    """One unit of capacity for three households: the level-1 need is served; the report shows
    level 1 served 1 of 1, levels 2 and 3 none; the wait is the served need's; a household that
    received the item recently is counted as a repeat-help refusal."""
    with db() as s:
        _set(s, city["level1"].id, published_at=utcnow() - timedelta(days=4))
    with db() as s:  # the level-2 household's second bathing need
        household = s.get(Household, s.get(Need, city["level2"].id).household_id)
    again = city["make_need"](city["staff"], household, kind="service", item="01-01", title="又")
    with db() as s:
        _claim(s, city["level2"].id, utcnow() - timedelta(days=2), member_id=city["member"].id)
    with db() as s:
        staff = s.get(User, city["staff"].id)
        match_round = rounds.start_round(s, actor=staff)
        problem = rounds.load_problem(s, match_round, rounds.RoundSettings())
        rounds.store_result(s, match_round.id, matching.solve(problem), {})
        round_id = match_round.id
    with db() as s:
        report = fairness.round_report(s, actor=s.get(User, city["staff"].id), round_id=round_id)
    levels = {g.key: (g.needs, g.served) for g in report.by_level}
    assert levels == {"1": (1, 1), "2": (1, 0), "3": (1, 0)}  # `again` is level 2
    assert (report.needs, report.served) == (3, 1)
    assert report.by_level[0].share == 1.0 and report.by_level[1].share == 0.0
    assert report.by_level[0].median_wait_days == pytest.approx(4.0, abs=0.1)
    assert report.median_wait_days == pytest.approx(4.0, abs=0.1)
    assert [(g.key, g.name, g.needs) for g in report.by_district] == [("330102", "上城区", 3)]
    assert {g.key: g.served for g in report.by_hardship} == {"bottom": 1, "care": 0}
    assert report.repeat_help_refused == 1
    data = report.as_json()
    assert data["by_risk_level"][0]["served_share"] == 1.0
    assert data["repeat_help"] == {"refused": 1, "allowed": 0}
    assert data["omitted"] == []
    assert data["important_warnings"]["counted"] == 0
    assert data["draws"]["held"] == 0 and len(data["draws"]["by_band"]) == 4
    assert again.id  # in the round, unserved
    with db() as s, pytest.raises(NotFound):
        fairness.round_report(s, actor=s.get(User, city["west"].id), round_id=round_id)


def _bj(day, hour=10):
    return datetime(2026, day[0], day[1], hour, tzinfo=BEIJING)


def test_a_month_counts_the_needs_waiting_in_it(db, city):
    """November 2026 (Beijing): served in the month with their waits; waiting and unserved;
    served before, published after, closed before: not counted. Scoped by the viewer."""
    make_need, make_household = city["make_need"], city["make_household"]
    staff, west = city["staff"], city["west"]

    def need(score=30, who=staff, **household):
        return make_need(who, make_household(who, risk_score=score, **household)).id

    served_nov = need(30)  # published 3 Nov, claimed 10 Nov: 7 days
    served_nov_b = need(70)  # published 1 Nov 00:30 Beijing, claimed 2 Nov 00:30: 1 day
    waiting = need(70)  # published in October, still open
    served_before = need(30)  # claimed in October
    later = need(30)  # published in December
    closed_before = need(30)  # cancelled in October
    western = need(30, who=west, community_code=OTHER_DISTRICT_COMMUNITY)  # another district
    with db() as s:
        _set(s, served_nov, published_at=_bj((11, 3)))
        _claim(s, served_nov, _bj((11, 10)), member_id=city["member"].id)
        _set(s, served_nov_b, published_at=_bj((11, 1), 0) + timedelta(minutes=30))
        _claim(s, served_nov_b, _bj((11, 2), 0) + timedelta(minutes=30))
        _set(s, waiting, published_at=_bj((10, 20)))
        _set(s, served_before, published_at=_bj((10, 1)))
        _claim(s, served_before, _bj((10, 25)))
        _set(s, later, published_at=_bj((12, 2)))
        _set(
            s, closed_before, published_at=_bj((10, 2)), status="cancelled", closed_at=_bj((10, 30))
        )
        _set(s, western, published_at=_bj((11, 5)))
        # The fixture's three needs were published now (after November): not in it.
    with db() as s:
        hub = fairness.month_report(s, actor=s.get(User, staff.id), month="2026-11")
        city_wide = fairness.month_report(s, actor=s.get(User, city["admin"].id), month="2026-11")
        other = fairness.month_report(s, actor=s.get(User, west.id), month="2026-11")
    assert (hub.needs, hub.served) == (3, 2)
    assert {g.key: (g.needs, g.served) for g in hub.by_level} == {"1": (1, 1), "2": (2, 1)}
    assert {g.key: g.median_wait_days for g in hub.by_level} == {"1": 7.0, "2": 1.0}
    assert hub.median_wait_days == 4.0
    assert hub.scope_code == "330102" and hub.scope_name == "上城区"
    assert (city_wide.needs, city_wide.served) == (4, 2)
    assert {g.key for g in city_wide.by_district} == {"330102", "330106"}
    assert (other.needs, other.served) == (1, 0) and other.by_district[0].name == "西湖区"
    assert city_wide.period_start == _bj((11, 1), 0)


def test_repeat_help_allowed_is_counted_in_its_month(db, city):
    with db() as s:
        repeat_help.allow(
            s, actor=s.get(User, city["staff"].id), need_id=city["level2"].id, reason="坏了"
        )
    month = utcnow().astimezone(BEIJING).strftime("%Y-%m")
    with db() as s:
        assert fairness.month_report(s, actor=s.get(User, city["staff"].id), month=month)
        report = fairness.month_report(s, actor=s.get(User, city["admin"].id), month=month)
        assert report.repeat_help_allowed == 1
        west = fairness.month_report(s, actor=s.get(User, city["west"].id), month=month)
        assert west.repeat_help_allowed == 0


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "26-11", "2026/11", "abc", "1999-01"])
def test_months_are_checked(bad):
    with pytest.raises(ValidationFailed) as caught:
        fairness.parse_month(bad)
    assert caught.value.errors == {"month": Message("fairness.month_invalid")}


def test_an_empty_month_is_the_current_one():
    assert fairness.parse_month("", today=date(2026, 12, 6)) == "2026-12"
    assert fairness.parse_month(" 2026-02 ") == "2026-02"


def test_members_get_no_report(db, city):
    with db() as s, pytest.raises(Forbidden):
        fairness.month_report(s, actor=s.get(User, city["member"].id), month="2026-11")


def test_the_month_counts_important_warnings_handled_within_3_days(db, make_user, make_household):
    """Raised this month (a major illness: severe, so important): one closed in time, one past its
    3 days and still open (counted, late), one still within its 3 days (pending)."""
    from marketplace.models import RiskWarning
    from marketplace.services import clock, monitoring
    from marketplace.services import warnings as warnings_service

    staff = make_user(Role.HUB_STAFF, hub="330102")
    admin = make_user(Role.ADMIN)
    household = make_household(staff, risk_score=40)
    ids = []
    with db() as s:
        actor = s.get(User, staff.id)
        for _ in range(3):
            _event, warning = monitoring.record_event(
                s,
                actor=actor,
                kind="major_illness",
                occurred_on=clock.beijing_today(),
                household_id=household.id,
            )
            ids.append(warning.id)
    with db() as s:
        warnings_service.close(
            s, actor=s.get(User, staff.id), warning_id=ids[0], outcome="no_action", note="已核实"
        )
        late = s.get(RiskWarning, ids[1])
        late.due_at = utcnow() - timedelta(hours=1)
        assert [s.get(RiskWarning, i).level for i in ids] == ["important"] * 3
    with db() as s:
        month = clock.beijing_today().strftime("%Y-%m")
        report = fairness.month_report(s, actor=s.get(User, admin.id), month=month)
    assert (report.important_warnings, report.important_on_time) == (2, 1)
    assert report.important_pending == 1 and report.important_on_time_share == 0.5
    assert report.as_json()["important_warnings"]["share"] == 0.5
