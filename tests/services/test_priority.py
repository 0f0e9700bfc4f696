"""需求优先级 (DESIGN §5, services/priority.py): the rule in Python and in SQL, the stored
``Need.priority`` set at insert and refreshed when an input changes (rescoring, an important
warning opened or closed), and the wish pool ordered by it, then by waiting time."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import product

import pytest
from sqlmodel import col, select

from marketplace.models import (
    Household,
    Hub,
    MonitoringEvent,
    Need,
    NeedStatus,
    RiskWarning,
    Role,
    utcnow,
)
from marketplace.services import priority, resilience, wishes
from tests.factories import set_test_score


def test_rule_levels_and_raises():
    assert [priority.rule(level, False, False) for level in (1, 2, 3)] == [1, 2, 3]
    assert [priority.rule(level, True, False) for level in (1, 2, 3)] == [1, 1, 2]
    assert [priority.rule(level, False, True) for level in (1, 2, 3)] == [1, 1, 2]
    # both raises together are still one step
    assert [priority.rule(level, True, True) for level in (1, 2, 3)] == [1, 1, 2]
    assert priority.of(59, "bottom") == 1
    assert priority.of(60, "care") == 2
    assert priority.of(89, "emergency") == 1
    assert priority.of(90, "expense") == 3
    assert priority.of(95, "care", warned=True) == 2


def test_sql_rule_equals_python_rule(db, make_user, make_household):
    """The same function built as SQL answers as in Python, for every level and raise."""
    staff = make_user(Role.HUB_STAFF, hub="330102")
    cases = list(product((30, 70, 95), ("bottom", "emergency"), (False, True)))
    ids = []
    for score, hardship, warned in cases:
        household = make_household(staff, risk_score=score, hardship_type=hardship)
        if warned:
            with db() as s:
                _warn(s, s.get(Household, household.id))
                s.commit()
        ids.append(household.id)
    with db() as s:
        got = dict(
            s.exec(
                select(Household.id, priority.household_sql()).where(col(Household.id).in_(ids))
            ).all()
        )
        assert got == {
            hid: priority.of(score, hardship, warned)
            for hid, (score, hardship, warned) in zip(ids, cases, strict=True)
        }
        assert priority.for_households(s, ids) == got


def _warn(s, household, level="important", status="open"):
    hub = s.exec(select(Hub).where(Hub.region_code == household.community_code[:9])).first()
    hub = hub or s.exec(select(Hub)).first()
    event = MonitoringEvent(
        household_id=household.id,
        kind="major_illness",
        occurred_on=date.today(),
        source="staff",
        community_code=household.community_code,
    )
    s.add(event)
    s.flush()
    warning = RiskWarning(
        household_id=household.id,
        event_id=event.id,
        level=level,
        status=status,
        community_code=household.community_code,
        hub_id=hub.id,
        due_at=utcnow() + timedelta(days=3),
    )
    s.add(warning)
    s.flush()
    return warning


def test_new_needs_get_their_priority_at_insert(db, make_user, make_household, make_need):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    level2 = make_need(staff, make_household(staff, risk_score=70))
    level2_emergency = make_need(
        staff, make_household(staff, risk_score=70, hardship_type="emergency")
    )
    level3 = make_need(staff, make_household(staff, risk_score=95))
    with db() as s:
        assert [s.get(Need, n.id).priority for n in (level2, level2_emergency, level3)] == [2, 1, 3]


def test_an_important_warning_raises_and_closing_it_lowers(
    db, make_user, make_household, make_need
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff, risk_score=95)
    need = make_need(staff, household)
    with db() as s:
        general = _warn(s, s.get(Household, household.id), level="general")
        priority.refresh_households(s, [household.id])
        s.commit()
        assert s.get(Need, need.id).priority == 3  # a general warning does not raise
        warning = _warn(s, s.get(Household, household.id))
        assert priority.refresh_households(s, [household.id]) == 1
        s.commit()
        assert s.get(Need, need.id).priority == 2
        warning.status = "closed"
        s.add(warning)
        s.flush()
        priority.refresh_households(s, [household.id])
        s.commit()
        assert s.get(Need, need.id).priority == 3
        assert general.status == "open"


def test_closed_needs_keep_the_priority_they_were_served_with(
    db, make_user, make_household, make_need
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff, risk_score=40)
    served = make_need(staff, household)
    live = make_need(staff, household)
    with db() as s:
        row = s.get(Need, served.id)
        row.status = NeedStatus.CONFIRMED.value
        s.add(row)
        set_test_score(s, s.get(Household, household.id), 95)
        s.commit()
        assert s.get(Need, served.id).priority == 1
        assert s.get(Need, live.id).priority == 3


def test_rescoring_refreshes_the_stored_priority(db, make_user, make_household, make_need):
    """``resilience.rescore`` (a profile change, an event) and the city-wide ``rescore_all`` move
    the needs' priority with the household's new level."""
    staff = make_user(Role.HUB_STAFF, hub="330102")
    one = make_household(staff, risk_score=95)
    two = make_household(staff, risk_score=95)
    need_one = make_need(staff, one)
    need_two = make_need(staff, two)
    with db() as s:
        model = resilience.active_model(s)
        h1 = s.get(Household, one.id)
        computed = resilience.score_household(model, h1).score
        # the test score differs in level from what the profile gives
        typed = 95 if computed < 90 else 10
        for h in (h1, s.get(Household, two.id)):
            set_test_score(s, h, typed)
        s.commit()
        assert s.get(Need, need_one.id).priority == priority.of(typed, "bottom")
        resilience.rescore(s, s.get(Household, one.id), reason="profile")
        s.commit()
        assert s.get(Need, need_one.id).priority == priority.of(computed, "bottom")
        assert s.get(Need, need_two.id).priority == priority.of(typed, "bottom")
        h2 = s.get(Household, two.id)
        h2.profile = dict(h1.profile)
        h2.source = h1.source
        h2.members = h1.members
        s.add(h2)
        s.commit()
        report = resilience.rescore_all(s)
        s.commit()
        s.expire_all()  # rescore_all writes in bulk, around the session's objects
        assert report.changed_level >= 1
        assert s.get(Need, need_two.id).priority == priority.of(
            s.get(Household, two.id).risk_score, "bottom"
        )


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_pool_pages_by_priority_then_waiting(db, make_user, make_household, make_need, limit):
    """Every page size walks the same order: priority, then the oldest publication, then id,
    with wishes of equal publication time ordered by id."""
    staff = make_user(Role.HUB_STAFF, hub="330102")
    made = []
    for score, days in [(95, 9), (40, 1), (70, 4), (40, 1), (70, 12), (95, 0), (40, 20)]:
        need = make_need(staff, make_household(staff, risk_score=score))
        made.append((need.id, score, days))
    at = utcnow()
    with db() as s:
        for need_id, _score, days in made:
            row = s.get(Need, need_id)
            row.published_at = at - timedelta(days=days)
            s.add(row)
        s.commit()
        expected = [
            nid
            for nid, _s, _d in sorted(
                made, key=lambda m: (priority.of(m[1], "bottom"), -m[2], m[0])
            )
        ]
        paged, cursor = [], None
        while True:
            page, cursor = wishes.browse(s, wishes.WishFilter(), after_id=cursor, limit=limit)
            paged += [v.id for v in page]
            if cursor is None:
                break
        assert paged == expected
        item_only, _ = wishes.browse(s, wishes.WishFilter(item="07-02"), limit=20)
        assert [v.id for v in item_only] == expected


def test_counts_by_priority_and_households_by_level(db, make_user, make_household, make_need):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    for score in (30, 40, 70, 95):
        make_need(staff, make_household(staff, risk_score=score))
    with db() as s:
        assert priority.counts(s) == {1: 2, 2: 1, 3: 1}
        assert priority.households_by_level(s) == {1: 2, 2: 1, 3: 1}
