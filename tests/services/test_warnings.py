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
