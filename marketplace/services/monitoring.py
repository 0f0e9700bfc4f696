"""监测数据变动 — monitoring events from their four sources, and leads (线索) (DESIGN §9).

An event enters from hub staff's form, an Excel import, another department's system (the
API-only ``dept`` role) or, as a lead, a member's discovery report (主动发现). An event about a
known household changes its profile by the rule of its kind in the model in force
(``resilience.EventRule``: the profile edit is kept like a staff edit), rescores it (history
reason ``event:<id>``) and raises a warning (``warnings.raise_for_event``: important or general,
to the street hub, due in 3 or 7 days). An event for a resident ID number we do not know becomes a
lead for the street hub of the given community, due like a warning; the street registers the
household from it or closes it with a note.

A ``dept`` account may submit for any household (found by ID number) but never reads household
data: the answer to its push and its status calls say only what became of its own event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from marketplace import profiles
from marketplace.models import (
    WARNING_DUE_DAYS,
    EventKind,
    EventSource,
    Household,
    Hub,
    Lead,
    LeadStatus,
    MonitoringEvent,
    ProfileChange,
    Region,
    RiskWarning,
    Role,
    User,
    WarningLevel,
)
from marketplace.schemas import validate_resident_id
from marketplace.services import audit, clock, contacts, notifications, resilience, warnings
from marketplace.services.access import in_scope, staff_scope
from marketplace.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.notifications import Ref
from marketplace.services.privacy import household_names, scrub_text

NOTE_CHARS = 1000
DESCRIPTION_CHARS = 2000
DESCRIPTION_MIN = 5
CONTACT_CHARS = 200
EARLIEST = date(2000, 1, 1)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
KINDS = tuple(k.value for k in EventKind)
# Who may push events, and from where each role's events count as coming.
SOURCE_OF_ROLE = {Role.HUB_STAFF.value: EventSource.HUB, Role.DEPT.value: EventSource.DEPT}
LEAD_PAGE = 50


# Input ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventIn:
    """A validated event: its kind, date and note, and who it is about (a household id, or a
    resident ID number with the community it was reported in)."""

    kind: str
    occurred_on: date
    note: str
    household_id: int | None
    id_number: str
    community_code: str


def _text(value: Any, name: str, limit: int, errors: dict[str, Message | str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = "field.not_text"
        return ""
    value = value.strip()
    if CONTROL.search(value):
        errors[name] = "field.control_characters"
    elif len(value) > limit:
        errors[name] = Message("field.too_long", {"max": limit})
    return str(value)


def _date(value: Any, errors: dict[str, Message | str]) -> date:
    today = clock.beijing_today()
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date):
        errors["occurred_on"] = "field.required" if value in (None, "") else "field.not_date"
        return today
    if value > today:
        errors["occurred_on"] = "event.in_future"
    elif value < EARLIEST:
        errors["occurred_on"] = Message("field.min", {"min": EARLIEST.isoformat()})
    return value


def _community(session: Session, value: Any, errors: dict[str, Message | str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors["community_code"] = "field.required"
        return ""
    code = value.strip()
    if not (len(code) == 12 and code.isdigit()):
        errors["community_code"] = "community.code_invalid"
        return code
    region = session.get(Region, code)
    if region is None or region.level != "community":
        errors["community_code"] = "community.unknown"
    return code


def parse_event(
    session: Session,
    *,
    kind: Any,
    occurred_on: Any,
    note: Any = "",
    household_id: Any = None,
    id_number: Any = None,
    community_code: Any = None,
    by_id_number_only: bool = False,
) -> EventIn:
    """Check an event's fields; every problem at once, named by its field (ValidationFailed).
    It is about a household id, or a resident ID number given with a community code (the only
    way for a department's system: ``by_id_number_only``)."""
    errors: dict[str, Message | str] = {}
    if not isinstance(kind, str) or not kind.strip():
        errors["kind"] = "field.required"
    elif kind.strip() not in KINDS:
        errors["kind"] = "field.choice"
    day = _date(occurred_on, errors)
    text = _text(note, "note", NOTE_CHARS, errors)
    hid: int | None = None
    number, community = "", ""
    if household_id not in (None, "") and by_id_number_only:
        errors["household_id"] = "event.household_id_not_allowed"
    elif household_id not in (None, ""):
        if isinstance(household_id, bool) or not isinstance(household_id, int | str):
            errors["household_id"] = "field.not_integer"
        else:
            try:
                hid = int(household_id)
            except ValueError:
                errors["household_id"] = "field.not_integer"
        if id_number not in (None, ""):
            errors["id_number"] = "event.one_target"
    else:
        if id_number in (None, ""):
            errors["household_id" if not by_id_number_only else "id_number"] = "field.required"
        elif not isinstance(id_number, str):
            errors["id_number"] = "field.not_text"
        else:
            try:
                number = validate_resident_id(id_number)
            except ValueError as exc:  # PydanticCustomError is a ValueError
                errors["id_number"] = getattr(exc, "type", "field.invalid")
        community = _community(session, community_code, errors)
    if errors:
        raise ValidationFailed(errors)
    return EventIn(str(kind).strip(), day, text, hid, number, community)


# Recording ------------------------------------------------------------------------------------------


def _source_for(actor: User, source: str | EventSource | None) -> EventSource:
    if actor.role not in SOURCE_OF_ROLE:
        raise Forbidden("event.role_forbidden")
    if source is None:
        return SOURCE_OF_ROLE[actor.role]
    found = EventSource(source)
    if actor.role == Role.DEPT and found is not EventSource.DEPT:
        raise Forbidden("event.role_forbidden")
    if actor.role == Role.HUB_STAFF and found not in (EventSource.HUB, EventSource.IMPORT):
        raise Forbidden("event.role_forbidden")
    return found


def _find_household(session: Session, actor: User, data: EventIn) -> Household | None:
    """The household the event is about: by id (hub staff: their subtree), or by resident ID
    number (a department: anywhere; hub staff: their subtree). None: an ID number we do not
    know, which becomes a lead. Out of a staff member's scope reads as not found."""
    scope = staff_scope(session, actor) if actor.role == Role.HUB_STAFF else None
    if data.household_id is not None:
        household = session.get(Household, data.household_id)
        if household is None or scope is None or not in_scope(scope, household.community_code):
            raise ValidationFailed({"household_id": "household.not_found"})
        return household
    if scope is not None and not in_scope(scope, data.community_code):
        raise ValidationFailed({"community_code": "community.out_of_scope"})
    household = session.exec(select(Household).where(Household.id_number == data.id_number)).first()
    if (
        household is not None
        and scope is not None
        and not in_scope(scope, household.community_code)
    ):
        raise ValidationFailed({"id_number": "household.not_found"})
    return household


def record_event(
    session: Session,
    *,
    actor: User,
    kind: Any,
    occurred_on: Any,
    note: Any = "",
    source: str | EventSource | None = None,
    household_id: Any = None,
    id_number: Any = None,
    community_code: Any = None,
) -> tuple[MonitoringEvent, RiskWarning | None]:
    """Record one event (hub staff or a department's system) and what follows from it: the
    profile change and rescoring of a known household and its warning, or a lead for an unknown
    resident ID number. Bad input stores nothing (ValidationFailed naming the field)."""
    found_source = _source_for(actor, source)
    data = parse_event(
        session,
        kind=kind,
        occurred_on=occurred_on,
        note=note,
        household_id=household_id,
        id_number=id_number,
        community_code=community_code,
        by_id_number_only=actor.role == Role.DEPT,
    )
    household = _find_household(session, actor, data)
    return _record(session, actor, data, found_source, household)


def _record(
    session: Session,
    actor: User | None,
    data: EventIn,
    source: EventSource,
    household: Household | None,
) -> tuple[MonitoringEvent, RiskWarning | None]:
    names = household_names(household) if household is not None else []
    event = MonitoringEvent(
        household_id=household.id if household is not None else None,
        kind=data.kind,
        occurred_on=data.occurred_on,
        note=scrub_text(data.note, names=names),  # staff and queues read it: no personal data
        source=source.value,
        community_code=household.community_code if household is not None else data.community_code,
        reported_by=actor.id if actor is not None else None,
        created_at=clock.now_utc(),
    )
    session.add(event)
    session.flush()
    warning: RiskWarning | None = None
    if household is None:
        lead = _open_lead(
            session,
            actor=actor,
            community_code=data.community_code,
            source=source,
            description=event.note or data.kind,
            id_number=data.id_number,
            severe=resilience.active_model(session).event_rule(data.kind).severe,
        )
        event.lead_id = lead.id
        session.add(event)
    else:
        apply_event(session, event, household, actor=actor)
        warning = warnings.raise_for_event(session, event, household)
    session.flush()
    audit.record(
        session,
        actor,
        "monitoring.event",
        event,
        after={
            "kind": event.kind,
            "source": event.source,
            "household_id": event.household_id,
            "lead_id": event.lead_id,
            "warning_id": warning.id if warning is not None else None,
        },
    )
    return event, warning


def apply_event(
    session: Session, event: MonitoringEvent, household: Household, *, actor: User | None
) -> None:
    """The event's profile effects (the model in force), kept as a profile change by the event,
    then the household rescored with reason ``event:<id>``. A household registered before
    profiles existed keeps its typed score (an empty profile is unknown, not resilient): its
    warning still follows from that score."""
    if not household.profile:
        return
    model = resilience.active_model(session)
    before = profiles.load(household.profile, source=household.source)
    stored, members = resilience.apply_effects(
        model.event_rule(event.kind), before.stored(), household.members
    )
    after = profiles.Profile.model_validate(stored)
    changed: dict[str, Any] = profiles.changes(before, after)
    if members != household.members:
        changed["members"] = [household.members, members]
    if changed:
        household.profile = after.stored()
        household.source = after.source
        household.members = members
        session.add(household)
        session.add(
            ProfileChange(
                household_id=household.id or 0,
                changed_by=actor.id if actor is not None else None,
                changes=changed | {"event": [None, event.id]},
            )
        )
    resilience.rescore(session, household, reason=f"event:{event.id}", actor=actor)


# Leads ----------------------------------------------------------------------------------------------


def _lead_hub(session: Session, community_code: str) -> Hub:
    hub = contacts.street_hub(session, community_code) or contacts.responsible_hub(
        session, community_code
    )
    if hub is None:
        raise ValidationFailed({"community_code": "lead.no_hub"})
    return hub


def _open_lead(
    session: Session,
    *,
    actor: User | None,
    community_code: str,
    source: EventSource,
    description: str,
    contact: str = "",
    id_number: str = "",
    severe: bool = False,
) -> Lead:
    hub = _lead_hub(session, community_code)
    now = clock.now_utc()
    level = WarningLevel.IMPORTANT if severe else WarningLevel.GENERAL
    lead = Lead(
        community_code=community_code,
        hub_id=hub.id or 0,
        source=source.value,
        description=description[:DESCRIPTION_CHARS],
        contact=contact,
        id_number=id_number,
        due_at=now + timedelta(days=WARNING_DUE_DAYS[level.value]),
        reported_by=actor.id if actor is not None else None,
        created_at=now,
    )
    session.add(lead)
    session.flush()
    audit.record(
        session,
        actor,
        "lead.open",
        lead,
        after={"hub_id": lead.hub_id, "source": lead.source, "community_code": community_code},
    )
    staff = contacts.staff_of_hub(session, hub) or _admins(session)
    message = Message(
        "notice.lead_opened",
        {"hub": hub.name, "due": clock.beijing_date(lead.due_at).isoformat()},
    )
    for uid in staff:
        notifications.notify(session, uid, "lead", message, Ref("lead", lead.id or 0))
    return lead


def _admins(session: Session) -> list[int]:
    rows = session.exec(
        select(User.id).where(User.role == Role.ADMIN.value, col(User.active).is_(True))
    ).all()
    return [int(u) for u in rows if u is not None]


DISCOVERY_ROLES = (Role.MEMBER.value, Role.ORG.value)


def report_discovery(
    session: Session, *, actor: User, community_code: Any, description: Any, contact: Any = ""
) -> Lead:
    """主动发现: a member (or an organisation) reports someone in difficulty who may not be
    registered. It becomes a lead for the street hub of the community, due in 7 days. The
    description is scrubbed (staff read it; personal data belongs in ``contact``), the contact
    is kept for the responsible staff only."""
    if actor.role not in DISCOVERY_ROLES:
        raise Forbidden("discovery.role_forbidden")
    errors: dict[str, Message | str] = {}
    community = _community(session, community_code, errors)
    text = _text(description, "description", DESCRIPTION_CHARS, errors)
    if "description" not in errors and len(text) < DESCRIPTION_MIN:
        errors["description"] = (
            "field.required" if not text else Message("field.too_short", {"min": DESCRIPTION_MIN})
        )
    reach = _text(contact, "contact", CONTACT_CHARS, errors)
    if errors:
        raise ValidationFailed(errors)
    return _open_lead(
        session,
        actor=actor,
        community_code=community,
        source=EventSource.DISCOVERY,
        description=scrub_text(text),
        contact=reach,
    )


@dataclass(frozen=True)
class LeadPage:
    items: list[Lead]
    total: int
    page: int
    pages: int
    community_names: dict[str, str]


def list_leads(
    session: Session, *, actor: User, status: str = LeadStatus.OPEN.value, page: int = 1
) -> LeadPage:
    """The leads of the staff member's subtree, oldest due first (open) or newest first."""
    scope = staff_scope(session, actor)
    if status not in {s.value for s in LeadStatus}:
        raise ValidationFailed({"status": "field.choice"})
    where = (Lead.status == status, col(Lead.community_code).startswith(scope))
    total = session.exec(select(func.count()).select_from(Lead).where(*where)).one()
    order = (
        (col(Lead.due_at), col(Lead.id))
        if status == LeadStatus.OPEN.value
        else (col(Lead.id).desc(),)
    )
    pages = max(1, -(-int(total) // LEAD_PAGE))
    page = min(max(1, page), pages)
    items = list(
        session.exec(
            select(Lead)
            .where(*where)
            .order_by(*order)
            .offset((page - 1) * LEAD_PAGE)
            .limit(LEAD_PAGE)
        )
    )
    codes = {lead.community_code for lead in items}
    names = (
        dict(
            session.exec(select(Region.code, Region.name).where(col(Region.code).in_(codes))).all()
        )
        if codes
        else {}
    )
    return LeadPage(items, int(total), page, pages, names)


def _lead_for_staff(session: Session, actor: User, lead_id: int) -> Lead:
    scope = staff_scope(session, actor)
    lead = session.get(Lead, lead_id)
    if lead is None or not in_scope(scope, lead.community_code):
        raise NotFound("lead.not_found")
    return lead


def _close_open_lead(session: Session, lead_id: int, values: Mapping[str, Any]) -> None:
    done = session.execute(
        update(Lead)
        .where(col(Lead.id) == lead_id, col(Lead.status) == LeadStatus.OPEN.value)
        .values(**values)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("lead.not_open")


def register_lead(session: Session, *, actor: User, lead_id: int, household_id: int) -> Lead:
    """The street registered the household of a lead (a household of its subtree): the lead is
    done, and its events now belong to the household."""
    lead = _lead_for_staff(session, actor, lead_id)
    scope = staff_scope(session, actor)
    household = session.get(Household, household_id)
    if household is None or not in_scope(scope, household.community_code):
        raise ValidationFailed({"household_id": "household.not_found"})
    now = clock.now_utc()
    _close_open_lead(
        session,
        lead_id,
        {
            "status": LeadStatus.REGISTERED.value,
            "household_id": household.id,
            "closed_at": now,
            "closed_by": actor.id,
        },
    )
    session.execute(
        update(MonitoringEvent)
        .where(col(MonitoringEvent.lead_id) == lead_id, col(MonitoringEvent.household_id).is_(None))
        .values(household_id=household.id)
    )
    audit.record(session, actor, "lead.register", lead, after={"household_id": household.id})
    session.refresh(lead)
    return lead


def close_lead(session: Session, *, actor: User, lead_id: int, note: Any) -> Lead:
    """Checked, nothing to register: closed with a note saying why (required)."""
    lead = _lead_for_staff(session, actor, lead_id)
    errors: dict[str, Message | str] = {}
    text = _text(note, "note", NOTE_CHARS, errors)
    if not text and not errors:
        errors["note"] = "field.required"
    if errors:
        raise ValidationFailed(errors)
    _close_open_lead(
        session,
        lead_id,
        {
            "status": LeadStatus.CLOSED.value,
            "close_note": scrub_text(text),
            "closed_at": clock.now_utc(),
            "closed_by": actor.id,
        },
    )
    audit.record(session, actor, "lead.close", lead, after={"status": LeadStatus.CLOSED.value})
    session.refresh(lead)
    return lead


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()


# Reading --------------------------------------------------------------------------------------------


def household_events(session: Session, household_id: int, limit: int = 50) -> list[MonitoringEvent]:
    """A household's events, newest first (the caller checked the scope)."""
    return list(
        session.exec(
            select(MonitoringEvent)
            .where(MonitoringEvent.household_id == household_id)
            .order_by(col(MonitoringEvent.id).desc())
            .limit(limit)
        )
    )


def event_dict(event: MonitoringEvent) -> dict[str, Any]:
    """An event as its submitter reads it: the household's id when it was matched, never its
    personal data (a department reads no household data)."""
    return {
        "id": event.id,
        "household_id": event.household_id,
        "kind": event.kind,
        "occurred_on": event.occurred_on.isoformat(),
        "source": event.source,
        "community_code": event.community_code,
        "note": event.note,
        "matched": event.household_id is not None,
        "lead": event.lead_id is not None,
        "created_at": _iso(event.created_at),
    }


def event_status(session: Session, *, actor: User, event_id: int) -> dict[str, Any]:
    """What became of an event its submitter pushed (a department: its own events only; others'
    read as not found): recorded, a warning (level, status, due, outcome) or a lead (status)."""
    event = session.get(MonitoringEvent, event_id)
    if event is None or actor.id is None or event.reported_by != actor.id:
        raise NotFound("event.not_found")
    out = event_dict(event)
    status = "recorded"
    warning = session.exec(select(RiskWarning).where(RiskWarning.event_id == event.id)).first()
    if warning is not None:
        out["warning"] = {
            "level": warning.level,
            "status": warning.status,
            "due_at": _iso(warning.due_at),
            "outcome": warning.outcome,
            "closed_at": _iso(warning.closed_at),
        }
        status = f"warning_{warning.status}"
    else:
        out["warning"] = None
    if event.lead_id is not None:
        lead = session.get(Lead, event.lead_id)
        if lead is not None:
            out["lead_status"] = lead.status
            status = f"lead_{lead.status}"
    out["status"] = status
    return out


def warning_dict(warning: RiskWarning | None, event: MonitoringEvent) -> dict[str, Any] | None:
    """The warning an event raised, in the warnings API's shape (``warnings.as_dict``)."""
    return warnings.as_dict(warning, event) if warning is not None else None


def kinds_with_rules(session: Session) -> Sequence[tuple[str, bool]]:
    """Every event kind and whether the model in force calls it severe (for forms)."""
    model = resilience.active_model(session)
    return [(k, model.event_rule(k).severe) for k in KINDS]


def lead_receipt(lead: Lead) -> dict[str, Any]:
    """What the reporter of a discovery gets back: the lead's number, status and due time."""
    return {
        "id": lead.id,
        "status": lead.status,
        "community_code": lead.community_code,
        "due_at": _iso(lead.due_at),
        "created_at": _iso(lead.created_at),
    }
