"""预警 (services/warnings.py): a warning's level and due time, the queue, the three outcomes, a
second close refused, referral status moves, the dashboard's on-time figure."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from marketplace.models import (
    AuditLog,
    Household,
    Hub,
    MonitoringEvent,
    Notification,
    Role,
    User,
)
from marketplace.services import resilience
from marketplace.services import warnings as warnings_service
from tests.factories import COMMUNITY

STREET = COMMUNITY[:9]


def record_event(s: Session, household: Household, kind: str = "job_loss") -> MonitoringEvent:
    """An event as the monitoring service stores it before raising the warning."""
    event = MonitoringEvent(
        household_id=household.id,
        kind=kind,
        occurred_on=date(2026, 12, 1),
        note="失业",
        source="hub",
        community_code=household.community_code,
    )
    s.add(event)
    s.flush()
    return event


def raise_warning(db: Any, household_id: int, kind: str = "job_loss") -> int:
    with db() as s:
        household = s.get(Household, household_id)
        warning = warnings_service.raise_for_event(s, record_event(s, household, kind), household)
        assert warning is not None
        return int(warning.id)


@pytest.fixture
def street_staff(make_user: Any) -> User:
    return make_user(Role.HUB_STAFF, hub=STREET)


def test_a_level_1_household_gets_an_important_warning_due_in_3_days(
    db, make_user, make_household, street_staff
):
    household = make_household(street_staff, risk_score=45)
    with db() as s:
        h = s.get(Household, household.id)
        warning = warnings_service.raise_for_event(s, record_event(s, h), h)
        assert warning is not None
        assert warning.level == "important" and warning.status == "open"
        assert warning.due_at - warning.raised_at == timedelta(days=3)
        hub = s.get(Hub, warning.hub_id)
        assert hub.region_code == STREET
        sent = s.exec(select(Notification).where(Notification.user_id == street_staff.id)).all()
        assert [n.code for n in sent] == ["warning.raised"]
        assert sent[0].ref_type == "warning" and sent[0].ref_id == warning.id
        assert s.exec(select(AuditLog).where(AuditLog.action == "warning.raise")).one()


def test_a_level_2_household_gets_a_general_warning_due_in_7_days(db, make_household, street_staff):
    household = make_household(street_staff, risk_score=75)
    with db() as s:
        h = s.get(Household, household.id)
        warning = warnings_service.raise_for_event(s, record_event(s, h), h)
        assert warning.level == "general"
        assert warning.due_at - warning.raised_at == timedelta(days=7)


def test_a_severe_event_kind_is_important_whatever_the_level(
    db, make_household, street_staff, monkeypatch
):
    household = make_household(street_staff, risk_score=95)
    real = resilience.active_model

    def with_rules(session: Session) -> resilience.Model:
        model = real(session)
        definition = dict(model.definition) | {"events": {"death": {"severe": True}}}
        return resilience.Model(
            model.version, model.base, model.base_why, model.indicators, definition
        )

    monkeypatch.setattr(resilience, "active_model", with_rules)
    with db() as s:
        h = s.get(Household, household.id)
        assert warnings_service.raise_for_event(s, record_event(s, h, "death"), h).level == (
            "important"
        )
        assert warnings_service.raise_for_event(s, record_event(s, h, "birth"), h).level == (
            "general"
        )


def test_the_policy_items_file_has_7_categories_and_16_items():
    cats = warnings_service.policy_categories()
    assert len(cats) == 7
    items = warnings_service.policy_items()
    assert len(items) == 16
    assert items["P1-01"].name_zh == "最低生活保障" and items["P1-01"].category == "P1"
    assert all(code.startswith(items[code].category + "-") for code in items)


# Raising to a staffed hub, the queue, the check and the close ------------------------------------

from marketplace.models import Need, PolicyReferral, RiskWarning  # noqa: E402
from marketplace.services.errors import (  # noqa: E402
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
)

DISTRICT = COMMUNITY[:6]


def _warning(db: Any, warning_id: int) -> RiskWarning:
    with db() as s:
        w = s.get(RiskWarning, warning_id)
        s.expunge(w)
        return w


def _user(s: Session, user: User) -> User:
    return s.get(User, user.id)


def test_a_street_without_staff_sends_the_warning_to_the_district_and_tells_its_staff(
    db, make_user, make_household
):
    district = make_user(Role.HUB_STAFF, hub=DISTRICT)
    household = make_household(district)
    warning_id = raise_warning(db, household.id)
    with db() as s:
        w = s.get(RiskWarning, warning_id)
        assert s.get(Hub, w.hub_id).region_code == DISTRICT
        sent = s.exec(select(Notification).where(Notification.user_id == district.id)).all()
        assert [n.code for n in sent] == ["warning.raised"]


def test_the_queue_is_oldest_due_first_and_scoped(db, make_user, make_household, street_staff):
    other = make_user(Role.HUB_STAFF, hub="330106")
    household = make_household(street_staff, risk_score=75)  # general: due in 7 days
    level1 = make_household(street_staff, risk_score=30)  # important: due in 3 days
    theirs = make_household(other, community_code="330106002051")
    general = raise_warning(db, household.id)
    important = raise_warning(db, level1.id)
    foreign = raise_warning(db, theirs.id)
    admin, member = make_user(Role.ADMIN), make_user(Role.MEMBER)
    with db() as s:
        page = warnings_service.queue(s, actor=_user(s, street_staff))
        assert [r.warning.id for r in page.rows] == [important, general]
        assert page.total == 2 and page.rows[0].household_label == "张*"
        assert page.rows[0].event is not None and page.rows[0].event.kind == "job_loss"
        only = warnings_service.queue(s, actor=_user(s, street_staff), level="general")
        assert [r.warning.id for r in only.rows] == [general]
        assert warnings_service.queue(s, actor=_user(s, street_staff), overdue=True).rows == []
        everything = warnings_service.queue(s, actor=s.get(User, admin.id))
        assert {r.warning.id for r in everything.rows} == {important, general, foreign}
        with pytest.raises(NotFound):
            warnings_service.get_for_staff(s, actor=_user(s, street_staff), warning_id=foreign)
        with pytest.raises(Forbidden):
            warnings_service.queue(s, actor=s.get(User, member.id))


def test_an_overdue_filter_finds_the_late_ones(db, make_household, street_staff):
    household = make_household(street_staff)
    late = raise_warning(db, household.id)
    raise_warning(db, household.id)
    with db() as s:
        w = s.get(RiskWarning, late)
        w.due_at = w.raised_at - timedelta(hours=1)
        s.add(w)
    with db() as s:
        rows = warnings_service.queue(s, actor=_user(s, street_staff), overdue=True).rows
        assert [r.warning.id for r in rows] == [late]


def test_the_check_is_recorded_and_editable_while_open(db, make_household, street_staff):
    warning_id = raise_warning(db, make_household(street_staff).id)
    with db() as s:
        warnings_service.record_check(
            s, actor=_user(s, street_staff), warning_id=warning_id, mode="phone", findings="已电话"
        )
        warnings_service.record_check(
            s, actor=_user(s, street_staff), warning_id=warning_id, mode="home", findings="已上门"
        )
        with pytest.raises(ValidationFailed) as bad:
            warnings_service.record_check(
                s, actor=_user(s, street_staff), warning_id=warning_id, mode="fax", findings=""
            )
        assert set(bad.value.errors) == {"check_mode"}
    w = _warning(db, warning_id)
    assert (w.check_mode, w.findings) == ("home", "已上门")


def test_refer_policy_makes_one_referral_per_item_and_a_second_close_conflicts(
    db, make_household, street_staff
):
    warning_id = raise_warning(db, make_household(street_staff).id)
    with db() as s:
        closed = warnings_service.close(
            s,
            actor=_user(s, street_staff),
            warning_id=warning_id,
            outcome="refer_policy",
            policy_items=["P1-01", "P3-01", "P1-01"],
            check_mode="phone",
            findings="失业后无收入",
        )
        assert len(closed.referral_ids) == 2 and closed.need_ids == []
    with db() as s:
        w = s.get(RiskWarning, warning_id)
        assert (w.status, w.outcome, w.check_mode, w.on_time) == (
            "closed",
            "refer_policy",
            "phone",
            True,
        )
        assert w.closed_by == street_staff.id
        refs = s.exec(select(PolicyReferral).where(PolicyReferral.warning_id == warning_id)).all()
        assert sorted(r.item_code for r in refs) == ["P1-01", "P3-01"]
        assert all(r.status == "referred" for r in refs)
        assert s.exec(select(AuditLog).where(AuditLog.action == "warning.close")).one()
        with pytest.raises(Conflict):
            warnings_service.close(
                s,
                actor=_user(s, street_staff),
                warning_id=warning_id,
                outcome="no_action",
                note="x",
            )


def test_refer_hub_creates_needs_pending_review_through_the_need_service(
    db, make_household, street_staff
):
    household = make_household(street_staff)
    warning_id = raise_warning(db, household.id)
    with db() as s:
        closed = warnings_service.close(
            s,
            actor=_user(s, street_staff),
            warning_id=warning_id,
            outcome="refer_hub",
            need_items=["01-01", "02-01"],
        )
    with db() as s:
        needs = s.exec(select(Need).where(Need.household_id == household.id)).all()
        assert sorted(n.id for n in needs) == sorted(closed.need_ids)
        assert {n.item_code for n in needs} == {"01-01", "02-01"}
        assert all(n.status == "pending_review" and n.kind == "service" for n in needs)
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "need.create")).all()) == 2
        referrals, need_ids = warnings_service.outcome_of(s, s.get(RiskWarning, warning_id))
        assert referrals == [] and sorted(need_ids) == sorted(closed.need_ids)


def test_no_action_needs_a_reason(db, make_household, street_staff):
    warning_id = raise_warning(db, make_household(street_staff).id)
    with db() as s:
        with pytest.raises(ValidationFailed) as bad:
            warnings_service.close(
                s, actor=_user(s, street_staff), warning_id=warning_id, outcome="no_action"
            )
        assert set(bad.value.errors) == {"note"}
        warnings_service.close(
            s,
            actor=_user(s, street_staff),
            warning_id=warning_id,
            outcome="no_action",
            note="已再就业，无需帮扶",
        )
    w = _warning(db, warning_id)
    assert (w.outcome, w.outcome_note) == ("no_action", "已再就业，无需帮扶")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"outcome": "refer_policy"}, "policy_items"),
        ({"outcome": "refer_policy", "policy_items": ["P9-99"]}, "policy_items"),
        ({"outcome": "refer_hub", "need_items": []}, "need_items"),
        ({"outcome": "refer_hub", "need_items": ["99-99"]}, "need_items"),
        ({"outcome": "refer_hub", "need_items": "01-01", "check_mode": "fax"}, "check_mode"),
        ({"outcome": "nothing"}, "outcome"),
        ({"outcome": "no_action", "note": "x" * 1001}, "note"),
    ],
)
def test_bad_input_names_the_field_and_leaves_nothing(
    db, make_household, street_staff, kwargs, field
):
    household = make_household(street_staff)
    warning_id = raise_warning(db, household.id)
    with db() as s:
        with pytest.raises(ValidationFailed) as bad:
            warnings_service.close(s, actor=_user(s, street_staff), warning_id=warning_id, **kwargs)
        assert field in bad.value.errors
    w = _warning(db, warning_id)
    assert w.status == "open" and w.outcome is None and w.check_mode is None
    with db() as s:
        assert s.exec(select(PolicyReferral)).all() == []
        assert s.exec(select(Need).where(Need.household_id == household.id)).all() == []


def test_closing_an_important_warning_lowers_the_households_priority_again(
    db, make_household, make_need, street_staff
):
    household = make_household(street_staff, risk_score=75, hardship_type="care")
    need = make_need(street_staff, household)
    with db() as s:
        before = s.get(Need, need.id).priority
    warning_id = raise_warning(db, household.id, kind="job_loss")
    with db() as s:
        s.get(RiskWarning, warning_id).level = "important"
    with db() as s:
        from marketplace.services import priority

        priority.refresh_households(s, [household.id])
    with db() as s:
        raised = s.get(Need, need.id).priority
    assert raised == before - 1
    with db() as s:
        warnings_service.close(
            s, actor=_user(s, street_staff), warning_id=warning_id, outcome="no_action", note="好"
        )
    with db() as s:
        assert s.get(Need, need.id).priority == before


def test_a_late_close_is_not_on_time(db, make_household, street_staff):
    warning_id = raise_warning(db, make_household(street_staff).id)
    with db() as s:
        w = s.get(RiskWarning, warning_id)
        w.due_at = w.raised_at - timedelta(minutes=1)
    with db() as s:
        warnings_service.close(
            s, actor=_user(s, street_staff), warning_id=warning_id, outcome="no_action", note="迟"
        )
    assert _warning(db, warning_id).on_time is False


# Referrals ---------------------------------------------------------------------------------------


def _referral(db: Any, household_id: int, staff: User) -> int:
    warning_id = raise_warning(db, household_id)
    with db() as s:
        closed = warnings_service.close(
            s,
            actor=_user(s, staff),
            warning_id=warning_id,
            outcome="refer_policy",
            policy_items=["P1-01"],
        )
        return closed.referral_ids[0]


def test_a_referral_moves_referred_in_progress_done(db, make_user, make_household, street_staff):
    household = make_household(street_staff)
    rid = _referral(db, household.id, street_staff)
    other = make_user(Role.HUB_STAFF, hub="330106")
    with db() as s:
        me = _user(s, street_staff)
        warnings_service.update_referral(s, actor=me, referral_id=rid, status="in_progress")
        with pytest.raises(ValidationFailed) as bad:
            warnings_service.update_referral(
                s, actor=me, referral_id=rid, status="done", amount_yuan="abc"
            )
        assert set(bad.value.errors) == {"amount_yuan"}
        done = warnings_service.update_referral(
            s,
            actor=me,
            referral_id=rid,
            status="done",
            since="2026-12-01",
            amount_yuan="1200.50",
            note="已批准低保",
        )
        assert done.status == "done" and str(done.amount_yuan) == "1200.50"
        assert done.since == date(2026, 12, 1) and done.done_at is not None
        with pytest.raises(Conflict):
            warnings_service.update_referral(s, actor=me, referral_id=rid, status="in_progress")
        listed = warnings_service.referrals(s, actor=me, status="done")
        assert [r.referral.id for r in listed.rows] == [rid]
        assert warnings_service.referrals(s, actor=me, household_id=household.id).total == 1
        with pytest.raises(NotFound):
            warnings_service.update_referral(
                s, actor=s.get(User, other.id), referral_id=rid, status="declined"
            )
        assert warnings_service.referrals(s, actor=s.get(User, other.id)).total == 0
        actions = s.exec(select(AuditLog.action).where(AuditLog.object_type == "policyreferral"))
        assert sorted(actions.all()) == ["referral.create", "referral.update", "referral.update"]


# Escalation --------------------------------------------------------------------------------------


def test_overdue_warnings_move_up_to_the_district_once_per_step(
    db, make_user, make_household, street_staff
):
    district = make_user(Role.HUB_STAFF, hub=DISTRICT)
    warning_id = raise_warning(db, make_household(street_staff).id)
    with db() as s:
        w = s.get(RiskWarning, warning_id)
        street_hub = w.hub_id
        now = w.due_at + timedelta(hours=1)
    with db() as s:
        assert warnings_service.escalate_overdue(s, now)["warnings_escalated"] == 1
    with db() as s:
        w = s.get(RiskWarning, warning_id)
        assert w.hub_id != street_hub and s.get(Hub, w.hub_id).region_code == DISTRICT
        assert w.escalations == 1 and w.escalated_at is not None
        sent = s.exec(select(Notification).where(Notification.user_id == district.id)).all()
        assert [n.code for n in sent] == ["warning.escalated"] and sent[0].ref_id == warning_id
        assert s.exec(select(AuditLog).where(AuditLog.action == "warning.escalate")).one()
        # Nobody staffs the city: nothing higher to go to, and not moved twice either way.
        assert warnings_service.escalate_overdue(s, now + timedelta(days=2)) == {
            "warnings_escalated": 0,
            "leads_escalated": 0,
        }
    with db() as s:
        assert s.get(RiskWarning, warning_id).escalations == 1


def test_a_warning_not_yet_due_stays(db, make_user, make_household, street_staff):
    make_user(Role.HUB_STAFF, hub=DISTRICT)
    warning_id = raise_warning(db, make_household(street_staff).id)
    with db() as s:
        assert warnings_service.escalate_overdue(s)["warnings_escalated"] == 0
    assert _warning(db, warning_id).escalations == 0
