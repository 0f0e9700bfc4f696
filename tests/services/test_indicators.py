"""关爱指标 (services/indicators.py) against hand counts: households, visit rate (visited and
not overdue / visited or overdue), pairing coverage, and the roll-up community → street →
district → city."""

from __future__ import annotations

from datetime import timedelta

from marketplace.models import CareIndicator, Pairing, Role, User, VisitSchedule
from marketplace.services import clock, indicators, schedules
from tests.factories import COMMUNITY, OTHER_DISTRICT_COMMUNITY


def test_indicators_match_hand_counts(db, make_user, make_household):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    west = make_user(Role.HUB_STAFF, hub="330106")
    member = make_user(Role.MEMBER)
    a, b, c, _d = (make_household(staff) for _ in range(4))
    e = make_household(west, community_code=OTHER_DISTRICT_COMMUNITY)
    today = clock.beijing_today()
    with db() as s:
        # a: visited, not overdue → due and on time; b: visited, overdue → due, late;
        # c: never visited, overdue → due, late; d: never visited, not yet due → not counted.
        sa = s.get(VisitSchedule, a.id)
        sa.last_visited_on, sa.due_1 = today - timedelta(days=5), today + timedelta(days=25)
        sb = s.get(VisitSchedule, b.id)
        sb.last_visited_on, sb.due_1 = today - timedelta(days=40), today - timedelta(days=10)
        s.get(VisitSchedule, c.id).due_1 = today - timedelta(days=1)
        s.flush()
        schedules.relevel(s)  # (the rows moved by hand)
        s.add(
            Pairing(
                household_id=a.id, member_id=member.id, start=today, end=today + timedelta(days=9)
            )
        )
        s.add(
            Pairing(
                household_id=e.id,
                member_id=member.id,
                start=today + timedelta(days=3),
                end=today + timedelta(days=9),
            )
        )
    with db() as s:
        result = indicators.rebuild(s)
        assert result["regions"] > 3000
    with db() as s:
        community = s.get(CareIndicator, COMMUNITY)
        assert (
            community.households,
            community.visits_due,
            community.visits_on_time,
            community.paired,
        ) == (4, 3, 1, 1)
        assert community.level == "community"
        street = s.get(CareIndicator, COMMUNITY[:9])
        assert (street.households, street.visits_due, street.paired) == (4, 3, 1)
        city = s.get(CareIndicator, "")
        assert (city.level, city.households, city.visits_due, city.paired) == ("city", 5, 3, 1)
        west_row = s.get(CareIndicator, "330106")
        assert (west_row.households, west_row.paired) == (1, 0)  # starts in 3 days
        # The drill-down: the district's staff see their district and its streets.
        view = indicators.drilldown(s, actor=s.get(User, staff.id))
        assert view.region.code == "330102"
        assert view.region.visit_rate == 1 / 3 and view.region.pairing_coverage == 1 / 4
        assert [r.code for r in view.children] == [COMMUNITY[:9]]
        # Outside the scope falls back to it; deeper goes down.
        assert (
            indicators.drilldown(s, actor=s.get(User, staff.id), region="330106").region.code
            == "330102"
        )
        deeper = indicators.drilldown(s, actor=s.get(User, staff.id), region=COMMUNITY[:9])
        assert [r.code for r in deeper.children] == [COMMUNITY] and deeper.parent == "330102"
        assert indicators.drilldown(s, actor=s.get(User, west.id)).region.households == 1
    with db() as s:
        assert indicators.rebuild_if_stale(s, max_age_s=3600) is False
        assert indicators.rebuild_if_stale(s, max_age_s=0) is True


def test_an_exited_household_is_not_counted_as_registered_nor_paired(db, make_user, make_household):
    from marketplace.models import Household

    staff = make_user(Role.HUB_STAFF, hub="330102")
    member = make_user(Role.MEMBER)
    kept, gone = make_household(staff), make_household(staff)
    today = clock.beijing_today()
    with db() as s:
        for h in (kept, gone):
            s.add(Pairing(household_id=h.id, member_id=member.id, start=today, end=today))
        s.get(Household, gone.id).stage = "exited"
    with db() as s:
        indicators.rebuild(s)
        city = s.get(CareIndicator, "")
        assert (city.households, city.paired) == (1, 1)
