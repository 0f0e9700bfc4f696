"""预警 — warnings raised by monitoring events, checked by the street hub within 3 days (重点预警)
or 7 days (一般预警), closed with an outcome (DESIGN §9).

An event about a known household raises one warning (``raise_for_event``): important when the
household is level 1 after rescoring or the model file calls the event's kind severe
(``events.<kind>.severe``), general otherwise. It goes to the street hub of the household's
community (``contacts.street_hub``) with its due time (``models.WARNING_DUE_DAYS``); the hub's
staff are notified. Staff of the hubs of a subtree work their queue oldest due first, record the
check (phone or home visit, what they found) and close the warning with one of three outcomes:

- ``refer_policy``: one referral (``PolicyReferral``) per item of policy assistance
  (救助"一件事", ``data/policy_items.json``), each with a status until done;
- ``refer_hub``: needs created for the household through the normal need service (pending
  review, then published as any other);
- ``no_action``: with a reason.

Closing is one conditional UPDATE (open → closed), so a second close is a conflict. Overdue
warnings (and leads) move up the hub chain to the nearest staffed hub (``escalate_overdue``, run
by housekeeping).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from marketplace.models import (
    WARNING_DUE_DAYS,
    Household,
    Hub,
    MonitoringEvent,
    RiskWarning,
    Role,
    User,
    WarningLevel,
    WarningStatus,
    risk_level,
)
from marketplace.services import audit, clock, contacts, notifications, priority, resilience
from marketplace.services.messages import Message
from marketplace.services.notifications import Ref

POLICY_ITEMS_FILE = Path(__file__).resolve().parent.parent / "data" / "policy_items.json"
CHECK_MODES = ("phone", "home")
NOTE_CHARS = 1000
FINDINGS_CHARS = 2000
MAX_ITEMS = 16  # policy items or needs created by one close


# Policy assistance (救助"一件事") -------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyItem:
    code: str  # "P1-01"
    name_zh: str
    name_en: str
    category: str  # "P1"


@dataclass(frozen=True)
class PolicyCategory:
    code: str
    name_zh: str
    name_en: str
    items: tuple[PolicyItem, ...] = field(default=())


@cache
def policy_categories() -> tuple[PolicyCategory, ...]:
    """The 7 categories / 16 items of policy assistance, as shipped in ``policy_items.json``."""
    data = json.loads(POLICY_ITEMS_FILE.read_text(encoding="utf-8"))
    out = []
    for cat in data["categories"]:
        items = tuple(
            PolicyItem(i["code"], i["name_zh"], i["name_en"], cat["code"]) for i in cat["items"]
        )
        out.append(PolicyCategory(cat["code"], cat["name_zh"], cat["name_en"], items))
    return tuple(out)


def policy_items() -> dict[str, PolicyItem]:
    """Item code → item, in the file's order."""
    return {i.code: i for c in policy_categories() for i in c.items}


# Raising ------------------------------------------------------------------------------------------


def is_severe(session: Session, kind: str) -> bool:
    """Whether the model in force calls this event kind severe (``events.<kind>.severe``); a
    model without event rules calls nothing severe."""
    rules = resilience.active_model(session).definition.get("events") or {}
    rule = rules.get(kind) if isinstance(rules, Mapping) else None
    return bool(isinstance(rule, Mapping) and rule.get("severe"))


def level_for(session: Session, event: MonitoringEvent, household: Household) -> WarningLevel:
    """重点预警 when the household is level 1 (after rescoring) or the event is severe."""
    if risk_level(household.risk_score) == 1 or is_severe(session, event.kind):
        return WarningLevel.IMPORTANT
    return WarningLevel.GENERAL


def due_at(raised_at: datetime, level: str) -> datetime:
    """When a warning raised at ``raised_at`` becomes overdue (3 / 7 days)."""
    return raised_at + timedelta(days=WARNING_DUE_DAYS[str(level)])


def raise_for_event(
    session: Session, event: MonitoringEvent, household: Household
) -> RiskWarning | None:
    """Raise the warning of an event about a known household (the event and the household's new
    score already stored): to the street hub, due in 3 or 7 days, its staff notified, audited.
    None when no hub of the household's chain exists to take it (a region without hubs)."""
    hub = contacts.street_hub(session, household.community_code) or contacts.responsible_hub(
        session, household.community_code
    )
    if hub is None or household.id is None or event.id is None:
        return None
    level = level_for(session, event, household)
    now = clock.now_utc()
    warning = RiskWarning(
        household_id=household.id,
        event_id=event.id,
        level=level.value,
        status=WarningStatus.OPEN.value,
        community_code=household.community_code,
        hub_id=hub.id or 0,
        raised_at=now,
        due_at=due_at(now, level.value),
    )
    session.add(warning)
    session.flush()
    audit.record(
        session,
        None,
        "warning.raise",
        warning,
        after={"level": warning.level, "hub_id": warning.hub_id, "event_id": event.id},
        actor_label="system",
    )
    _notify_hub(session, hub, warning, "warning.raised")
    if level is WarningLevel.IMPORTANT:
        priority.refresh_households(session, [household.id])
    return warning


def _notify_hub(session: Session, hub: Hub, warning: RiskWarning, code: str) -> int:
    """Tell the staff of ``hub`` about a warning; when nobody staffs it, the administrators."""
    ids = contacts.staff_of_hub(session, hub) or _admins(session)
    message = Message(
        code,
        {
            "level": warning.level,
            "hub": hub.name,
            "due": clock.beijing_date(warning.due_at).isoformat(),
        },
    )
    for uid in ids:
        notifications.notify(session, uid, "warning", message, Ref("warning", warning.id or 0))
    return len(ids)


def _admins(session: Session) -> list[int]:
    rows = session.exec(
        select(User.id).where(User.role == Role.ADMIN.value, col(User.active).is_(True))
    ).all()
    return [int(u) for u in rows if u is not None]


# Shapes -------------------------------------------------------------------------------------------


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def is_overdue(warning: RiskWarning, now: datetime | None = None) -> bool:
    return warning.status == WarningStatus.OPEN.value and _aware(warning.due_at) < (
        now or clock.now_utc()
    )


def event_dict(event: MonitoringEvent | None) -> dict[str, Any] | None:
    """The event as the API shows it beside its warning (the note is the reporter's words:
    scrubbed by the recording service before storing)."""
    if event is None:
        return None
    return {
        "id": event.id,
        "household_id": event.household_id,
        "kind": event.kind,
        "occurred_on": _iso(event.occurred_on),
        "source": event.source,
        "community_code": event.community_code,
        "note": event.note,
        "created_at": _iso(event.created_at),
    }


def as_dict(
    warning: RiskWarning,
    event: MonitoringEvent | None,
    *,
    suggestions: Sequence[Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A warning's JSON (the API's list, its close, and the event push's answer)."""
    out: dict[str, Any] = {
        "id": warning.id,
        "household_id": warning.household_id,
        "level": warning.level,
        "status": warning.status,
        "raised_at": _iso(warning.raised_at),
        "due_at": _iso(warning.due_at),
        "overdue": is_overdue(warning, now),
        "hub_id": warning.hub_id,
        "community_code": warning.community_code,
        "escalations": warning.escalations,
        "check_mode": warning.check_mode,
        "outcome": warning.outcome,
        "closed_at": _iso(warning.closed_at),
        "on_time": warning.on_time,
        "event": event_dict(event),
    }
    if suggestions is not None:
        out["suggestions"] = list(suggestions)
    return out
