"""Dashboard figures equal counts computed directly from the rows (issue: dashboard)."""

from __future__ import annotations

import io
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from marketplace.models import (
    Claim,
    Household,
    Hub,
    MonitoringEvent,
    Need,
    Offer,
    PolicyReferral,
    RiskWarning,
    User,
)
from marketplace.services import dashboard, exports

pytestmark = pytest.mark.world("market")  # tests/world.py: two districts, claims in every state


def _aware(dt):
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _expected(s, scope):
    needs = [n for n in s.exec(select(Need)) if scope is None or n.community_code.startswith(scope)]
    by_status: dict[str, int] = {}
    for n in needs:
        by_status[n.status] = by_status.get(n.status, 0) + 1
    in_scope = {n.id: n for n in needs}
    claims = [c for c in s.exec(select(Claim)) if c.need_id in in_scope]
    hours = sorted(
        (_aware(c.confirmed_at) - _aware(in_scope[c.need_id].published_at)).total_seconds() / 3600
        for c in claims
        if c.status == "confirmed"
    )
    return by_status, claims, hours


def _nearest_rank(values, q):
    import math

    return round(values[max(0, math.ceil(q * len(values)) - 1)], 1)


def test_city_figures_equal_direct_counts(db, world):
    with db() as s:
        admin = s.get(User, world.admin.id)
        d = dashboard.build(s, actor=admin)
        by_status, claims, hours = _expected(s, None)
        assert d.status_totals == by_status
        assert sum(a.total for a in d.by_area) == sum(by_status.values())
        assert {a.code for a in d.by_area} == {"330102", "330106"}
        assert d.time_to_help.count == len(hours) == 3
        assert d.time_to_help.median_hours == round(statistics.median_low(hours), 1)
        assert d.time_to_help.p90_hours == _nearest_rank(hours, 0.9)
        members = {c.member_id for c in claims if c.member_id}
        assert d.participation.active_members == len(members)
        assert d.participation.member_claims == len(claims)
        assert d.participation.confirmed_deliveries == sum(c.status == "confirmed" for c in claims)
        hubs = [h for h in s.exec(select(Hub)) if h.level == "community"]
        with_hh = {h.community_code for h in s.exec(select(Household))}
        assert d.coverage.hubs == len(hubs)
        assert d.coverage.with_household == len(with_hh)
        assert d.coverage.with_open_need == len(
            {n.community_code for n in s.exec(select(Need)) if n.status == "open"}
        )
        offers = list(s.exec(select(Offer)))
        assert d.offers_total["capacity"] == sum(o.capacity for o in offers)
        assert d.offers_total["used"] == sum(o.capacity - o.remaining for o in offers)


def test_sla_counts_in_time_late_and_overdue(db, world):
    with db() as s:
        d = dashboard.build(s, actor=s.get(User, world.admin.id))
        sla = {row.level: row for row in d.sla}
        # Level 1 (risky household): confirmed after 1 day (in time), after 5 days (late),
        # one delivered 10 days ago and still waiting (overdue).
        assert (sla["1"].in_time, sla["1"].late, sla["1"].overdue_open) == (1, 1, 1)
        assert sla["1"].rate == round(1 / 3, 4)
        # Levels 2–3: the other district's household confirmed at once; a fresh delivery waits.
        assert (sla["2-3"].in_time, sla["2-3"].late, sla["2-3"].overdue_open) == (1, 0, 0)


def test_hub_staff_see_their_subtree_only(db, world):
    with db() as s:
        d = dashboard.build(s, actor=s.get(User, world.staff.id))
        by_status, _claims, hours = _expected(s, "330102")
        assert d.scope == "330102" and d.area_level == "street"
        assert d.status_totals == by_status
        assert all(a.code.startswith("330102") and len(a.code) == 9 for a in d.by_area)
        assert d.time_to_help.count == len(hours) == 2
        other = dashboard.build(s, actor=s.get(User, world.other_staff.id))
        assert other.time_to_help.count == 1


def test_org_and_member_are_refused(db, world):
    import pytest

    from marketplace.services.errors import Forbidden

    with db() as s:
        for user in (world.org_user, world.members[0]):
            with pytest.raises(Forbidden):
                dashboard.build(s, actor=s.get(User, user.id))


def test_workbook_holds_every_figure(db, world):
    with db() as s:
        d = dashboard.build(s, actor=s.get(User, world.admin.id))
    words = exports.Words(t=lambda m: m, label=lambda _vocabulary, code: code)
    wb = load_workbook(io.BytesIO(exports.dashboard(d, words=words)))
    assert wb.sheetnames == [
        "Needs by area",
        "Time to help",
        "Confirmation deadlines",
        "Offer utilisation",
        "Hub coverage",
        "Participation",
        "Warnings",
        "Warnings by area",
        "Warnings handled on time",
        "Outcomes and referrals",
        "Households",
    ]
    rows = list(wb["Needs by area"].iter_rows(values_only=True))
    assert rows[-1][-1] == sum(d.status_totals.values())
    assert list(wb["Time to help"].iter_rows(values_only=True))[1][0] == d.time_to_help.count


# 预警, referrals and households (issue 13 item 7) --------------------------------------------------

NOW = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)  # 12:00 in Beijing: the Beijing day ends in 12 h


def _warn(s, household, *, source, level, due_in_h, closed=None, outcome=None, on_time=None):
    """One event of ``source`` and its warning, due ``due_in_h`` hours after NOW."""
    hub = s.exec(select(Hub).where(Hub.region_code == household.community_code[:9])).one()
    event = MonitoringEvent(
        household_id=household.id,
        kind="job_loss",
        occurred_on=date(2026, 12, 1),
        source=source,
        community_code=household.community_code,
    )
    s.add(event)
    s.flush()
    warning = RiskWarning(
        household_id=household.id,
        event_id=event.id,
        level=level,
        status="closed" if closed else "open",
        community_code=household.community_code,
        hub_id=hub.id,
        raised_at=NOW - timedelta(days=1),
        due_at=NOW + timedelta(hours=due_in_h),
        closed_at=closed,
        outcome=outcome,
        on_time=on_time,
    )
    s.add(warning)
    s.flush()
    return warning


@pytest.fixture
def warned(db, world):
    """Open and closed warnings over the market's three households (risky and steady in 330102,
    far in 330106), and two policy referrals of the risky one."""
    with db() as s:
        hh = {h.risk_score: h for h in s.exec(select(Household))}
        risky, steady, far = hh[40], hh[75], hh[95]
        _warn(s, risky, source="hub", level="important", due_in_h=-5)  # overdue
        _warn(s, risky, source="dept", level="important", due_in_h=3)  # due today (Beijing)
        _warn(s, steady, source="dept", level="general", due_in_h=13)  # due tomorrow
        _warn(s, steady, source="import", level="general", due_in_h=100)
        _warn(s, far, source="happiness", level="general", due_in_h=-1)  # overdue, 330106
        recent = NOW - timedelta(days=2)
        closed = _warn(
            s, risky, source="hub", level="important", due_in_h=-30, closed=recent,
            outcome="refer_policy", on_time=True,
        )  # fmt: skip
        _warn(
            s, steady, source="hub", level="general", due_in_h=-30, closed=recent,
            outcome="no_action", on_time=False,
        )  # fmt: skip
        _warn(
            s, far, source="dept", level="general", due_in_h=-30, closed=recent,
            outcome="refer_hub", on_time=True,
        )  # fmt: skip
        _warn(
            s,
            risky,
            source="hub",
            level="general",
            due_in_h=-1000,
            closed=NOW - timedelta(days=45),
            outcome="no_action",
            on_time=False,
        )  # fmt: skip  (closed before the 30 days: not counted)
        for item, status in (("P1-01", "referred"), ("P2-01", "done")):
            s.add(
                PolicyReferral(
                    household_id=risky.id, warning_id=closed.id, item_code=item, status=status
                )
            )
        s.commit()
    return world


def test_warnings_by_level_source_and_area(db, warned):
    with db() as s:
        w = dashboard.build(s, actor=s.get(User, warned.admin.id), now=NOW).warnings
    assert (w.totals.open, w.totals.due_today, w.totals.overdue) == (5, 1, 2)
    assert w.by_level["important"] == dashboard.WarningCounts(2, 1, 1)
    assert w.by_level["general"] == dashboard.WarningCounts(3, 0, 1)
    assert w.by_source["dept"] == dashboard.WarningCounts(2, 1, 0)
    assert w.by_source["hub"] == dashboard.WarningCounts(1, 0, 1)
    assert w.by_source["import"].open == 1 and w.by_source["discovery"].open == 0
    assert w.by_source["happiness"] == dashboard.WarningCounts(1, 0, 1)
    areas = {a.code: a for a in w.by_area}
    assert set(areas) == {"330102", "330106"}
    assert areas["330102"].important == dashboard.WarningCounts(2, 1, 1)
    assert areas["330102"].general == dashboard.WarningCounts(2, 0, 0)
    assert areas["330106"].general == dashboard.WarningCounts(1, 0, 1)


def test_on_time_share_and_outcomes_count_the_last_30_days(db, warned):
    with db() as s:
        d = dashboard.build(s, actor=s.get(User, warned.admin.id), now=NOW)
    w = d.warnings
    assert (w.closed, w.closed_on_time, w.on_time_rate) == (3, 2, round(2 / 3, 4))
    assert w.by_outcome == {"refer_policy": 1, "refer_hub": 1, "no_action": 1}
    assert d.referrals == {"referred": 1, "in_progress": 0, "done": 1, "declined": 0}


def test_warning_figures_follow_the_staff_scope(db, warned):
    with db() as s:
        d = dashboard.build(s, actor=s.get(User, warned.staff.id), now=NOW)
        other = dashboard.build(s, actor=s.get(User, warned.other_staff.id), now=NOW)
    assert d.warnings.totals == dashboard.WarningCounts(4, 1, 1)
    assert {a.code for a in d.warnings.by_area} == {"330102001"}  # streets of the district
    assert (d.warnings.closed, d.warnings.closed_on_time) == (2, 1)
    assert d.referrals["referred"] == 1
    assert other.warnings.totals == dashboard.WarningCounts(1, 0, 1)
    assert (other.warnings.closed, other.warnings.on_time_rate) == (1, 1.0)
    assert sum(other.referrals.values()) == 0


def test_households_by_risk_level_and_hardship(db, world):
    with db() as s:
        rows = list(s.exec(select(Household)))
        city = dashboard.build(s, actor=s.get(User, world.admin.id)).households
        area = dashboard.build(s, actor=s.get(User, world.staff.id)).households
    assert city.by_level == {1: 1, 2: 1, 3: 1} and city.total == len(rows) == 3
    assert area.by_level == {1: 1, 2: 1, 3: 0} and area.total == 2
    expected: dict[str, int] = {}
    for h in rows:
        expected[h.hardship_type] = expected.get(h.hardship_type, 0) + 1
    assert {k: v for k, v in city.by_hardship.items() if v} == expected
    assert set(city.by_hardship) >= {"bottom", "expense", "emergency", "development", "care"}


def test_workbook_holds_the_warning_sheets(db, warned):
    with db() as s:
        d = dashboard.build(s, actor=s.get(User, warned.admin.id), now=NOW)
    words = exports.Words(t=lambda m: m, label=lambda _vocabulary, code: code)
    wb = load_workbook(io.BytesIO(exports.dashboard(d, words=words)))
    rows = list(wb["Warnings"].iter_rows(values_only=True))
    assert rows[1] == ("All warnings", 5, 1, 2)
    assert ("important", 2, 1, 1) in rows and ("dept", 2, 1, 0) in rows
    by_area = {r[0]: r for r in wb["Warnings by area"].iter_rows(min_row=2, values_only=True)}
    assert by_area["330106"][2:] == (0, 0, 0, 1, 0, 1)
    assert list(wb["Warnings handled on time"].iter_rows(min_row=2, values_only=True)) == [
        (3, 2, round(2 / 3, 4))
    ]
    outcomes = dict(wb["Outcomes and referrals"].iter_rows(min_row=2, values_only=True))
    assert outcomes["refer_policy"] == 1 and outcomes["done"] == 1
    households = dict(wb["Households"].iter_rows(min_row=2, values_only=True))
    assert households["All households"] == 3 and households["Level 1"] == 1
