"""监测数据变动 — monitoring events from their four sources, and leads (线索) (DESIGN §9).

An event enters from hub staff's form, an Excel import, another department's system (the
API-only ``dept`` role) or, as a lead, a member's discovery report (主动发现). An event about a
known household changes its profile by the rule of its kind in the model in force
(``resilience.EventRule``: the profile edit is kept like a staff edit), rescores it (history
reason ``event:<id>``) and raises a warning (``warnings.raise_for_events``: important or general,
to the street hub, due in 3 or 7 days). An event for a resident ID number we do not know becomes a
lead for the street hub of the given community, due like a warning; the street registers the
household from it or closes it with a note.

One code path stores events, one or many (``store_events``): a department's batch of up to 1,000
(``record_events``) and a 10,000-row Excel import cost a few statements per batch, not per event.

A ``dept`` account may submit for any household (found by ID number) but never reads household
data: the answer to its push and its status calls say only what became of its own event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from marketplace import profiles
from marketplace.bulk import add_all_inserted
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
from marketplace.services import (
    audit,
    clock,
    contacts,
    fields,
    notifications,
    priority,
    regions,
    resilience,
    warnings,
)
from marketplace.services.access import in_scope, staff_scope
from marketplace.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.notifications import Ref
from marketplace.services.privacy import household_names, scrub_text
from marketplace.services.regions import in_subtree

NOTE_CHARS = 1000
DESCRIPTION_CHARS = 2000
DESCRIPTION_MIN = 5
CONTACT_CHARS = 200
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


def _community(session: Session, value: Any, errors: dict[str, Message | str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors["community_code"] = "field.required"
        return ""
    code = value.strip()
    if not (len(code) == 12 and code.isdigit()):
        errors["community_code"] = "community.code_invalid"
        return code
    # The cached reference names (no query per pushed event): a 12-digit code is a community.
    if code not in regions.region_names(session):
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
    day = (
        fields.day(
            occurred_on,
            "occurred_on",
            errors,
            latest=clock.beijing_today(),
            future_code=Message("event.in_future"),
        )
        or clock.beijing_today()
    )
    text = fields.text(note, "note", errors, limit=NOTE_CHARS)
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


def find_household(
    session: Session,
    actor: User,
    data: EventIn,
    *,
    by_number: Mapping[str, Household] | None = None,
) -> Household | None:
    """The household the event is about: by id (hub staff: their subtree), or by resident ID
    number (a department: anywhere; hub staff: their subtree). None: an ID number we do not
    know, which becomes a lead. Out of a staff member's scope reads as not found.
    ``by_number``: the households of a batch's ID numbers, read at once (``households_by_number``)."""
    scope = staff_scope(session, actor) if actor.role == Role.HUB_STAFF else None
    if data.household_id is not None:
        household = session.get(Household, data.household_id)
        if household is None or scope is None or not in_scope(scope, household.community_code):
            raise ValidationFailed({"household_id": "household.not_found"})
        return household
    if scope is not None and not in_scope(scope, data.community_code):
        raise ValidationFailed({"community_code": "community.out_of_scope"})
    household = by_number.get(data.id_number) if by_number is not None else None
    if household is None:  # not read with the batch (or written otherwise): ask
        household = session.exec(
            select(Household).where(Household.id_number == data.id_number)
        ).first()
    if (
        household is not None
        and scope is not None
        and not in_scope(scope, household.community_code)
    ):
        raise ValidationFailed({"id_number": "household.not_found"})
    return household


MAX_BATCH = 1000  # events in one push of a department's system


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
    household = find_household(session, actor, data)
    return store_event(session, actor, data, found_source, household)


EVENT_FIELDS = ("household_id", "id_number", "community_code", "kind", "occurred_on", "note")


def record_events(
    session: Session,
    *,
    actor: User,
    items: Any,
    source: str | EventSource | None = None,
) -> list[tuple[MonitoringEvent, RiskWarning | None]]:
    """Record a batch of events (a department's system pushes up to ``MAX_BATCH`` at a time),
    all or nothing: every item is checked first like ``record_event`` (its fields, the
    household by the actor's rules, a hub for a lead), and any bad item stores nothing
    (ValidationFailed with the errors keyed ``events[<i>].<field>``, ``i`` from 0). Then they are
    stored together (``store_events``), in the order given."""
    found_source = _source_for(actor, source)
    if not isinstance(items, list):
        raise ValidationFailed({"events": "field.not_list"})
    if not items:
        raise ValidationFailed({"events": "field.required"})
    if len(items) > MAX_BATCH:
        raise ValidationFailed({"events": Message("event.batch_too_large", {"max": MAX_BATCH})})
    errors: dict[str, Message | str] = {}
    checked: list[tuple[EventIn, Household | None]] = []
    hubs: dict[str, Hub] = {}
    known = households_by_number(
        session, [i.get("id_number") for i in items if isinstance(i, dict)]
    )
    for i, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise ValidationFailed({"_": "api.json_object_required"})
            data = parse_event(
                session,
                **{k: item.get(k) for k in EVENT_FIELDS},
                by_id_number_only=actor.role == Role.DEPT,
            )
            household = find_household(session, actor, data, by_number=known)
            if household is None:
                lead_hub(session, data.community_code, hubs)
        except ValidationFailed as exc:
            errors.update({f"events[{i}].{name}": m for name, m in exc.errors.items()})
            continue
        checked.append((data, household))
    if errors:
        raise ValidationFailed(errors)
    return store_events(session, actor, checked, found_source)


def households_by_number(session: Session, numbers: Sequence[Any]) -> dict[str, Household]:
    """The registered households of these resident ID numbers (any text; one query per 1,000),
    by ID number; a number not registered is not a key."""
    wanted = sorted({n.strip().upper() for n in numbers if isinstance(n, str) and n.strip()})
    out: dict[str, Household] = {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        out.update(
            (h.id_number, h)
            for h in session.exec(select(Household).where(col(Household.id_number).in_(chunk)))
        )
    return out


def store_event(
    session: Session,
    actor: User | None,
    data: EventIn,
    source: EventSource,
    household: Household | None,
) -> tuple[MonitoringEvent, RiskWarning | None]:
    """Store one checked event (``store_events`` of one)."""
    return store_events(session, actor, [(data, household)], source)[0]


def store_events(
    session: Session,
    actor: User | None,
    items: Sequence[tuple[EventIn, Household | None]],
    source: EventSource,
) -> list[tuple[MonitoringEvent, RiskWarning | None]]:
    """Store checked events (``parse_event``), each about its household (``find_household``;
    None: an unknown resident, who becomes a lead), and what follows from them, with set-based
    work whatever their number: the leads and the events inserted together; each household's
    profile effects applied in Python, its events in the order given (each kept as a profile
    change and rescored with reason ``event:<id>``: ``resilience.rescore_many``, one round per
    n-th event of a household); the warnings raised together (``warnings.raise_for_events``,
    each at the household's level right after its event), audited together, and the stored
    priority of the households' needs refreshed once. The event and its warning (None for a
    lead or a household without a hub), in the order given. ``record_event`` for one event,
    ``record_events`` for a department's batch, the Excel import for a file."""
    if not items:
        return []
    model = resilience.active_model(session)
    notes = [
        scrub_text(  # staff and queues read it: no personal data
            data.note, names=household_names(household) if household is not None else []
        )
        for data, household in items
    ]
    unknown = [i for i, (_, household) in enumerate(items) if household is None]
    leads = dict(
        zip(
            unknown,
            _open_leads(
                session,
                actor=actor,
                specs=[
                    _LeadSpec(
                        community_code=items[i][0].community_code,
                        source=source,
                        description=notes[i] or items[i][0].kind,
                        id_number=items[i][0].id_number,
                        severe=model.event_rule(items[i][0].kind).severe,
                    )
                    for i in unknown
                ],
            ),
            strict=True,
        )
    )
    now = clock.now_utc()
    events = [
        MonitoringEvent(
            household_id=household.id if household is not None else None,
            kind=data.kind,
            occurred_on=data.occurred_on,
            note=note,
            source=source.value,
            community_code=household.community_code
            if household is not None
            else data.community_code,
            reported_by=actor.id if actor is not None else None,
            lead_id=leads[i].id if i in leads else None,
            created_at=now,
        )
        for i, ((data, household), note) in enumerate(zip(items, notes, strict=True))
    ]
    add_all_inserted(session, events)
    known = [(event, household) for event, (_, household) in zip(events, items, strict=True)]
    scores = _apply_and_rescore(session, model, known, actor)
    raised = warnings.raise_for_events(
        session,
        [
            (event, household, scores.get(i, household.risk_score))
            for i, (event, household) in enumerate(known)
            if household is not None
        ],
        refresh=False,
        model=model,
    )
    found = iter(raised)
    out = [(event, next(found) if household is not None else None) for event, household in known]
    # The needs' stored priority follows the new scores and the important warnings: once.
    priority.refresh_households(session, {h.id or 0 for _, h in known if h is not None})
    audit.record_many(
        session,
        actor,
        "monitoring.event",
        "monitoringevent",
        [
            (
                event.id or 0,
                {
                    "kind": event.kind,
                    "source": event.source,
                    "household_id": event.household_id,
                    "lead_id": event.lead_id,
                    "warning_id": warning.id if warning is not None else None,
                },
            )
            for event, warning in out
        ],
    )
    return out


def _apply_and_rescore(
    session: Session,
    model: resilience.Model,
    known: Sequence[tuple[MonitoringEvent, Household | None]],
    actor: User | None,
) -> dict[int, int]:
    """Each event's profile effects (the model in force) on its household, kept as a profile
    change by the event, and the household rescored with reason ``event:<id>``; several events
    of one household one after the other, in order (round k rescored the k-th event of each
    household together). The household's score right after each event, by position. A
    household registered before profiles existed keeps its typed score (an empty profile is
    unknown, not resilient): its warning follows from that score."""
    rounds: list[list[int]] = []
    seen: dict[int, int] = {}
    for i, (_, household) in enumerate(known):
        if household is None or not household.profile:
            continue
        k = seen.get(household.id or 0, 0)
        seen[household.id or 0] = k + 1
        if k == len(rounds):
            rounds.append([])
        rounds[k].append(i)
    scores: dict[int, int] = {}
    for positions in rounds:
        changes: list[ProfileChange] = []
        for i in positions:
            event, household = known[i]
            assert household is not None
            change = _apply_effects(model, event, household, actor)
            if change is not None:
                changes.append(change)
        add_all_inserted(session, changes)
        homes = [h for i in positions if (h := known[i][1]) is not None]
        results = resilience.rescore_many(
            session,
            homes,
            [f"event:{known[i][0].id}" for i in positions],
            actor,
            refresh=False,
            model=model,
        )
        scores.update({i: r.score for i, r in zip(positions, results, strict=True)})
    return scores


def _apply_effects(
    model: resilience.Model, event: MonitoringEvent, household: Household, actor: User | None
) -> ProfileChange | None:
    """The event's profile effects on the household (changed in place); the profile change to
    keep, None when nothing changed."""
    before = profiles.load(household.profile, source=household.source)
    stored, members = resilience.apply_effects(
        model.event_rule(event.kind), before.stored(), household.members
    )
    after = profiles.Profile.model_validate(stored)
    changed: dict[str, Any] = profiles.changes(before, after)
    if members != household.members:
        changed["members"] = [household.members, members]
    if not changed:
        return None
    household.profile = after.stored()
    household.source = after.source
    household.members = members
    return ProfileChange(  # the household changed in place: flushed with its rescoring
        household_id=household.id or 0,
        changed_by=actor.id if actor is not None else None,
        changes=changed | {"event": [None, event.id]},
    )


# Leads ----------------------------------------------------------------------------------------------


def lead_hub(session: Session, community_code: str, cache: dict[str, Hub] | None = None) -> Hub:
    """The hub a lead of this community goes to: its street's (the district's when the street
    has none), else the nearest responsible one; ``lead.no_hub`` (a field error) when none.
    ``cache``: per community, for a batch."""
    if cache is not None and community_code in cache:
        return cache[community_code]
    hub = contacts.street_hub(session, community_code) or contacts.responsible_hub(
        session, community_code
    )
    if hub is None:
        raise ValidationFailed({"community_code": "lead.no_hub"})
    if cache is not None:
        cache[community_code] = hub
    return hub


@dataclass(frozen=True)
class _LeadSpec:
    community_code: str
    source: EventSource
    description: str
    contact: str = ""
    id_number: str = ""
    severe: bool = False


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
    spec = _LeadSpec(community_code, source, description, contact, id_number, severe)
    return _open_leads(session, actor=actor, specs=[spec])[0]


def _open_leads(session: Session, *, actor: User | None, specs: Sequence[_LeadSpec]) -> list[Lead]:
    """Leads for the street hubs (due like a warning: 3 days when severe, else 7), inserted and
    audited together; each hub's staff (the administrators when it has none) told once: of its
    one lead, or of how many arrived."""
    if not specs:
        return []
    hubs: dict[str, Hub] = {}
    now = clock.now_utc()
    made: list[tuple[Lead, Hub]] = []
    for spec in specs:
        hub = lead_hub(session, spec.community_code, hubs)
        level = WarningLevel.IMPORTANT if spec.severe else WarningLevel.GENERAL
        lead = Lead(
            community_code=spec.community_code,
            hub_id=hub.id or 0,
            source=spec.source.value,
            description=spec.description[:DESCRIPTION_CHARS],
            contact=spec.contact,
            id_number=spec.id_number,
            due_at=now + timedelta(days=WARNING_DUE_DAYS[level.value]),
            reported_by=actor.id if actor is not None else None,
            created_at=now,
        )
        made.append((lead, hub))
    add_all_inserted(session, [lead for lead, _ in made])
    audit.record_many(
        session,
        actor,
        "lead.open",
        "lead",
        [
            (
                lead.id or 0,
                {
                    "hub_id": lead.hub_id,
                    "source": lead.source,
                    "community_code": lead.community_code,
                },
            )
            for lead, _ in made
        ],
    )
    by_hub: dict[int, tuple[Hub, list[Lead]]] = {}
    for lead, hub in made:
        by_hub.setdefault(hub.id or 0, (hub, []))[1].append(lead)
    for hub, opened in by_hub.values():
        staff = contacts.staff_of_hub(session, hub) or _admins(session)
        if len(opened) == 1:
            message = Message(
                "notice.lead_opened",
                {"hub": hub.name, "due": clock.beijing_date(opened[0].due_at).isoformat()},
            )
            ref: Ref | None = Ref("lead", opened[0].id or 0)
        else:
            message = Message("notice.leads_opened", {"hub": hub.name, "count": len(opened)})
            ref = None
        for uid in staff:
            notifications.notify(session, uid, "lead", message, ref)
    return [lead for lead, _ in made]


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
    text = fields.text(description, "description", errors, limit=DESCRIPTION_CHARS)
    if "description" not in errors and len(text) < DESCRIPTION_MIN:
        errors["description"] = (
            "field.required" if not text else Message("field.too_short", {"min": DESCRIPTION_MIN})
        )
    reach = fields.text(contact, "contact", errors, limit=CONTACT_CHARS)
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

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def list_leads(
    session: Session, *, actor: User, status: str = LeadStatus.OPEN.value, page: int = 1
) -> LeadPage:
    """The leads of the staff member's subtree, oldest due first (open) or newest first."""
    scope = staff_scope(session, actor)
    if status not in {s.value for s in LeadStatus}:
        raise ValidationFailed({"status": "field.choice"})
    where = (Lead.status == status, in_subtree(Lead.community_code, scope))
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


def overdue_ids(leads: Sequence[Lead], now: datetime | None = None) -> set[int]:
    """The open leads past their due time."""
    now = now or clock.now_utc()
    return {
        lead.id
        for lead in leads
        if lead.id is not None
        and lead.status == LeadStatus.OPEN.value
        and (lead.due_at if lead.due_at.tzinfo else lead.due_at.replace(tzinfo=UTC)) < now
    }


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


def _household_id(value: Any) -> int:
    if value in (None, ""):
        raise ValidationFailed({"household_id": "field.required"})
    text = (
        str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
    )
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise ValidationFailed({"household_id": "field.not_integer"})
    return int(text)


def register_lead(session: Session, *, actor: User, lead_id: int, household_id: Any) -> Lead:
    """The street registered the household of a lead (a household of its subtree): the lead is
    done, and its events now belong to the household. The lead is looked up first: another
    area's lead is not found whatever the body says."""
    lead = _lead_for_staff(session, actor, lead_id)
    scope = staff_scope(session, actor)
    household = session.get(Household, _household_id(household_id))
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
    text = fields.text(note, "note", errors, limit=NOTE_CHARS)
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
    """An event as its submitter reads it (``warnings.event_dict``, the shape beside a warning,
    and whether it matched a household or became a lead): the household's id when it was
    matched, never its personal data (a department reads no household data)."""
    return (warnings.event_dict(event) or {}) | {
        "matched": event.household_id is not None,
        "lead": event.lead_id is not None,
        "lead_id": event.lead_id,
    }


def lead_dict(lead: Lead, community_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A lead as the responsible hub staff read it (the contact and ID number included: they
    are the ones who call or visit)."""
    return lead_receipt(lead) | {
        "community_name": (community_names or {}).get(lead.community_code, ""),
        "source": lead.source,
        "description": lead.description,
        "contact": lead.contact,
        "id_number": lead.id_number,
        "hub_id": lead.hub_id,
        "escalations": lead.escalations,
        "household_id": lead.household_id,
        "closed_at": _iso(lead.closed_at),
        "close_note": lead.close_note,
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
