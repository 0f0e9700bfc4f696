"""Dashboard figures equal counts computed directly from the rows (issue: dashboard)."""

from __future__ import annotations

import io
import statistics
from datetime import UTC

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from marketplace.models import Claim, Household, Hub, Need, Offer, User
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
        "SLA",
        "Offer utilisation",
        "Hub coverage",
        "Participation",
    ]
    rows = list(wb["Needs by area"].iter_rows(values_only=True))
    assert rows[-1][-1] == sum(d.status_totals.values())
    assert list(wb["Time to help"].iter_rows(values_only=True))[1][0] == d.time_to_help.count
