"""探访关爱 (services/visits.py): scheduling by risk level, who may record a visit (hub staff of
the subtree, the paired helper; anyone else: not found), a staff finding raises a monitoring
event, a helper's finding reaches the street hub, the hub confirms a helper's visit as a service
record, the due list (overdue first)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from marketplace.models import (
    AuditLog,
    Contribution,
    Household,
    MonitoringEvent,
    Notification,
    Role,
    Visit,
    VisitSchedule,
)
from marketplace.services import clock, pairings, schedules, visits
from marketplace.services.errors import Conflict, NotFound, ValidationFailed
from tests.factories import COMMUNITY, set_test_score

STREET = COMMUNITY[:9]


@pytest.fixture
def people(make_user):
    return {
        "staff": make_user(Role.HUB_STAFF, hub="330102"),
        "street": make_user(Role.HUB_STAFF, hub=STREET),
        "other": make_user(Role.HUB_STAFF, hub="330106"),
        "member": make_user(Role.MEMBER),
        "stranger": make_user(Role.MEMBER),
    }


def _pair(db, staff, household_id, member_id):
    with db() as s:
        return pairings.pair(
            s,
            actor=s.get(type(staff), staff.id),
            household_id=household_id,
            member_id=member_id,
            end=(clock.beijing_today() + timedelta(days=365)).isoformat(),
        ).id


def test_registration_schedules_the_first_visit_one_interval_later_by_level(
    db, people, make_household
):
    h = make_household(people["staff"])
    today = clock.beijing_today()
    with db() as s:
        schedule = s.get(VisitSchedule, h.id)
        assert schedule.last_visited_on is None
        assert (schedule.due_1, schedule.due_2, schedule.due_3) == (
            today + timedelta(days=30),
            today + timedelta(days=91),
            today + timedelta(days=182),
        )
        # The due date read is the column of the household's current level.
        household = s.get(Household, h.id)
        assert visits.due_on(s, household) == today + timedelta(days=30)  # score 45: level 1
        set_test_score(s, household, 95)
        assert visits.due_on(s, household) == today + timedelta(days=182)


def test_a_visit_moves_the_schedule_on_by_the_configured_intervals(db, people, make_household):
    h = make_household(people["staff"])
    day = clock.beijing_today() - timedelta(days=3)
    with db() as s:
        visits.record_visit(
            s,
            actor=s.get(type(people["staff"]), people["staff"].id),
            household_id=h.id,
            visited_on=day.isoformat(),
            mode="home",
            note="老人身体还好，电话13812345678",
            intervals=schedules.VisitIntervals(10, 20, 40),
        )
    with db() as s:
        schedule = s.get(VisitSchedule, h.id)
        assert schedule.last_visited_on == day
        assert (schedule.due_1, schedule.due_2, schedule.due_3) == (
            day + timedelta(days=10),
            day + timedelta(days=20),
            day + timedelta(days=40),
        )
        visit = s.exec(select(Visit).where(Visit.household_id == h.id)).one()
        assert "13812345678" in visit.note and "13812345678" not in visit.public_note
        assert s.exec(select(AuditLog).where(AuditLog.action == "visit.record")).first()
    # An older visit recorded late does not move the dates back.
    with db() as s:
        visits.record_visit(
            s,
            actor=s.get(type(people["staff"]), people["staff"].id),
            household_id=h.id,
            visited_on=(day - timedelta(days=20)).isoformat(),
            mode="phone",
            intervals=schedules.VisitIntervals(10, 20, 40),
        )
    with db() as s:
        assert s.get(VisitSchedule, h.id).last_visited_on == day


def test_reschedule_follows_changed_intervals(db, people, make_household):
    h = make_household(people["staff"])
    today = clock.beijing_today()
    with db() as s:
        schedules.reschedule(s, schedules.VisitIntervals())  # remembers the defaults
        assert schedules.reschedule(s, schedules.VisitIntervals()) == 0
        assert schedules.reschedule(s, schedules.VisitIntervals(14, 60, 120)) >= 1
    with db() as s:
        schedule = s.get(VisitSchedule, h.id)
        assert (schedule.due_1, schedule.due_2, schedule.due_3) == (
            today + timedelta(days=14),
            today + timedelta(days=60),
            today + timedelta(days=120),
        )


def test_bad_input_names_the_field_and_stores_nothing(db, people, make_household):
    h = make_household(people["staff"])
    with db() as s:
        with pytest.raises(ValidationFailed) as exc:
            visits.record_visit(
                s,
                actor=s.get(type(people["staff"]), people["staff"].id),
                household_id=h.id,
                visited_on=(clock.beijing_today() + timedelta(days=1)).isoformat(),
                mode="letter",
                event_kind="nothing",
            )
        assert set(exc.value.errors) == {"visited_on", "mode", "event_kind"}
    with db() as s:
        assert s.exec(select(Visit)).first() is None


def test_only_staff_of_the_subtree_and_the_paired_member_record(db, people, make_household):
    h = make_household(people["staff"])
    for who in ("other", "stranger"):
        with db() as s, pytest.raises(NotFound):
            visits.record_visit(
                s,
                actor=s.get(type(people[who]), people[who].id),
                household_id=h.id,
                visited_on=date.today().isoformat(),
                mode="home",
            )
    with db() as s, pytest.raises(NotFound):  # not paired yet
        visits.record_visit(
            s,
            actor=s.get(type(people["member"]), people["member"].id),
            household_id=h.id,
            visited_on=clock.beijing_today().isoformat(),
            mode="home",
        )
    pairing_id = _pair(db, people["staff"], h.id, people["member"].id)
    with db() as s:
        visit = visits.record_visit(
            s,
            actor=s.get(type(people["member"]), people["member"].id),
            household_id=h.id,
            visited_on=clock.beijing_today().isoformat(),
            mode="phone",
            note="聊了半小时",
        )
        assert visit.pairing_id == pairing_id
    with db() as s:
        pairings.end_pairing(
            s, actor=s.get(type(people["staff"]), people["staff"].id), pairing_id=pairing_id
        )
    with db() as s, pytest.raises(NotFound):  # the pairing ended
        visits.record_visit(
            s,
            actor=s.get(type(people["member"]), people["member"].id),
            household_id=h.id,
            visited_on=clock.beijing_today().isoformat(),
            mode="home",
        )


def test_a_staff_finding_raises_a_monitoring_event(db, people, make_household):
    h = make_household(people["staff"])
    with db() as s:
        visit = visits.record_visit(
            s,
            actor=s.get(type(people["staff"]), people["staff"].id),
            household_id=h.id,
            visited_on=clock.beijing_today().isoformat(),
            mode="home",
            findings="儿子上月失业",
            event_kind="job_loss",
        )
        event = s.get(MonitoringEvent, visit.event_id)
        assert event is not None
        assert (event.household_id, event.kind, event.source) == (h.id, "job_loss", "hub")


def test_a_helper_finding_goes_to_the_street_hub_not_straight_to_an_event(
    db, people, make_household
):
    h = make_household(people["staff"])
    _pair(db, people["staff"], h.id, people["member"].id)
    with db() as s:
        visit = visits.record_visit(
            s,
            actor=s.get(type(people["member"]), people["member"].id),
            household_id=h.id,
            visited_on=clock.beijing_today().isoformat(),
            mode="home",
            findings="老人摔了一跤",
            event_kind="disaster",
        )
        assert visit.event_id is None
        assert s.exec(select(MonitoringEvent)).first() is None
        notes = s.exec(select(Notification).where(Notification.kind == "visit_finding")).all()
        assert [n.user_id for n in notes] == [people["street"].id]


def test_the_hub_confirms_a_helpers_visit_once_as_a_service_record(db, people, make_household):
    h = make_household(people["staff"])
    _pair(db, people["staff"], h.id, people["member"].id)
    with db() as s:
        visit_id = visits.record_visit(
            s,
            actor=s.get(type(people["member"]), people["member"].id),
            household_id=h.id,
            visited_on=clock.beijing_today().isoformat(),
            mode="home",
        ).id
    with db() as s:
        rows = visits.to_confirm(s, actor=s.get(type(people["staff"]), people["staff"].id))
        assert [v.id for v, _, _ in rows] == [visit_id]
        with pytest.raises(NotFound):
            visits.confirm_visit(
                s, actor=s.get(type(people["other"]), people["other"].id), visit_id=visit_id
            )
    with db() as s:
        visits.confirm_visit(
            s,
            actor=s.get(type(people["staff"]), people["staff"].id),
            visit_id=visit_id,
            hours="1.5",
        )
    with db() as s:
        record = s.exec(select(Contribution)).one()
        assert (record.member_id, str(record.hours), record.item_code) == (
            people["member"].id,
            "1.5",
            "02-01",
        )
        assert record.household_label == "张*"
        with pytest.raises(Conflict):
            visits.confirm_visit(
                s, actor=s.get(type(people["staff"]), people["staff"].id), visit_id=visit_id
            )


def test_visits_due_lists_overdue_first_and_only_the_subtree(db, people, make_household):
    a = make_household(people["staff"], name="甲")
    b = make_household(people["staff"], name="乙")
    c = make_household(people["staff"], name="丙")
    today = clock.beijing_today()
    with db() as s:
        s.get(VisitSchedule, a.id).due_1 = today - timedelta(days=5)
        s.get(VisitSchedule, b.id).due_1 = today + timedelta(days=3)
        s.get(VisitSchedule, c.id).due_1 = today + timedelta(days=20)  # not within the week
        s.flush()
        schedules.relevel(s)  # (the rows moved by hand: their level-1 date is the one due)
    with db() as s:
        staff = s.get(type(people["staff"]), people["staff"].id)
        page, rows = visits.visits_due(s, actor=staff)
        assert [(r.household_id, r.overdue) for r in rows] == [(a.id, True), (b.id, False)]
        assert page.total == 2
        _, overdue = visits.visits_due(s, actor=staff, overdue=True)
        assert [r.household_id for r in overdue] == [a.id]
        _, none = visits.visits_due(s, actor=s.get(type(people["other"]), people["other"].id))
        assert none == []
