"""探访关爱 — visits to households, when they fall due, and the list of visits due (DESIGN §10).

A household falls due for a visit by its risk level: level 1 monthly, level 2 quarterly, level 3
every six months (``VisitIntervals``; settings ``VISIT_DAYS_L1/L2/L3``). ``VisitSchedule`` keeps,
per household, the due date for each level (last visit, or registration, plus the level's
interval): the due list reads the column of the household's current level, so a change of level
needs no rewrite and the list stays an indexed read.

A visit is made by hub staff of the household's subtree, or by its paired helper (结对帮扶: the
member, or an account of the organisation, of its active pairing). Anyone else gets "not found".
A staff visit's finding may raise a monitoring event (监测数据变动, ``monitoring.record_event``); a
helper's finding is not an event on its own word (helpers cannot change a household's profile or
score): it goes to the staff of the street hub, who check it and record the event. A helper's
visit becomes a contribution record (志愿服务记录) once the hub confirms it, with the hours the hub
confirms, like a delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from marketplace.models import (
    EventKind,
    Household,
    Pairing,
    Role,
    User,
    Visit,
    VisitMode,
    VisitSchedule,
)
from marketplace.services import (
    audit,
    clock,
    contacts,
    contributions,
    fields,
    notifications,
    pairing_window,
    schedules,
)
from marketplace.services.access import ensure_in_care, in_scope, staff_scope
from marketplace.services.errors import Conflict, NotFound, ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.notifications import Ref
from marketplace.services.privacy import household_names, mask_name, scrub_text
from marketplace.services.regions import in_subtree, region_names
from marketplace.services.schedules import VisitIntervals

TEXT_CHARS = 1000
MODES = tuple(m.value for m in VisitMode)
KINDS = tuple(k.value for k in EventKind)
DUE_AHEAD_DAYS = 7  # the due list shows what falls due within the coming week
PAGE = 50
# Recording -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitIn:
    household_id: int
    visited_on: date
    mode: str
    note: str
    findings: str
    event_kind: str | None


def parse_visit(
    *,
    household_id: Any,
    visited_on: Any,
    mode: Any,
    note: Any = "",
    findings: Any = "",
    event_kind: Any = None,
    today: date | None = None,
) -> VisitIn:
    """Check a visit's fields; every problem at once, named by its field."""
    today = today or clock.beijing_today()
    errors: dict[str, Message | str] = {}
    hid = fields.whole_number(household_id, "household_id", errors, required=True) or 0
    day = (
        fields.day(
            visited_on, "visited_on", errors, latest=today, future_code=Message("visit.in_future")
        )
        or today
    )
    if mode in (None, ""):
        errors["mode"] = "field.required"
    elif mode not in MODES:
        errors["mode"] = "field.choice"
    note_text = fields.text(note, "note", errors, limit=TEXT_CHARS)
    findings_text = fields.text(findings, "findings", errors, limit=TEXT_CHARS)
    kind: str | None = None
    if event_kind not in (None, ""):
        if event_kind not in KINDS:
            errors["event_kind"] = "field.choice"
        else:
            kind = str(event_kind)
    if errors:
        raise ValidationFailed(errors)
    return VisitIn(hid, day, str(mode), note_text, findings_text, kind)


def is_helper_of(pairing: Pairing | None, actor: User) -> bool:
    """The actor is the pairing's helper: its member, or an account of its organisation."""
    if pairing is None:
        return False
    if actor.role == Role.MEMBER:
        return pairing.member_id == actor.id
    if actor.role == Role.ORG:
        return pairing.org_id is not None and pairing.org_id == actor.org_id
    return False


def _household_for_visitor(
    session: Session, actor: User, household_id: int
) -> tuple[Household, Pairing | None]:
    """The household and, for a helper, the pairing that lets them visit; anyone else: 404."""
    household = session.get(Household, household_id)
    if household is not None:
        if actor.role == Role.HUB_STAFF:
            if in_scope(staff_scope(session, actor), household.community_code):
                return household, None
        else:
            pairing = pairing_window.active_pairing(session, household_id)
            if is_helper_of(pairing, actor):
                return household, pairing
    raise NotFound("household.not_found")


def record_visit(
    session: Session,
    *,
    actor: User,
    household_id: Any,
    visited_on: Any,
    mode: Any,
    note: Any = "",
    findings: Any = "",
    event_kind: Any = None,
    intervals: VisitIntervals | None = None,
) -> Visit:
    """Record one visit; the household's schedule moves on from it. Bad input stores nothing."""
    data = parse_visit(
        household_id=household_id,
        visited_on=visited_on,
        mode=mode,
        note=note,
        findings=findings,
        event_kind=event_kind,
    )
    household, pairing = _household_for_visitor(session, actor, data.household_id)
    ensure_in_care(household)
    if pairing is not None and data.visited_on < pairing.start:
        raise ValidationFailed({"visited_on": "visit.before_pairing"})
    names = household_names(household)
    visit = Visit(
        household_id=household.id or 0,
        visited_on=data.visited_on,
        mode=data.mode,
        note=data.note,
        public_note=scrub_text(data.note, names=names),
        findings=data.findings,
        visitor_id=actor.id or 0,
        pairing_id=pairing.id if pairing is not None else None,
        created_at=clock.now_utc(),
    )
    session.add(visit)
    session.flush()
    if data.event_kind is not None and pairing is None:
        # (monitoring → warnings → households → claims → pairings → here: imported when used)
        from marketplace.services import monitoring

        event, _warning = monitoring.record_event(
            session,
            actor=actor,
            kind=data.event_kind,
            occurred_on=data.visited_on,
            note=data.findings or data.note,
            household_id=household.id,
        )
        visit.event_id = event.id
    elif pairing is not None and (data.findings or data.event_kind):
        _tell_street_hub(session, household, visit, data.event_kind)
    schedules.after_visit(session, household, data.visited_on, intervals or VisitIntervals())
    session.add(visit)
    session.flush()
    audit.record(
        session,
        actor,
        "visit.record",
        visit,
        after={
            "household_id": visit.household_id,
            "visited_on": visit.visited_on,
            "mode": visit.mode,
            "pairing_id": visit.pairing_id,
            "event_id": visit.event_id,
            "event_kind": data.event_kind,
        },
    )
    return visit


def _tell_street_hub(
    session: Session, household: Household, visit: Visit, event_kind: str | None
) -> None:
    """A helper's finding goes to the street hub's staff (else the nearest staffed hub up the
    chain), who check it and record an event if there is one."""
    hub = contacts.street_hub(session, household.community_code) or contacts.responsible_hub(
        session, household.community_code
    )
    staff = contacts.staff_of_hub(session, hub) if hub is not None else []
    if not staff:
        hub = contacts.responsible_hub(session, household.community_code)
        staff = contacts.staff_of_hub(session, hub) if hub is not None else []
    message = Message(
        "notice.visit_finding",
        {"household": mask_name(household.name), "kind": event_kind or "", "visit": visit.id},
    )
    for uid in staff:
        notifications.notify(
            session, uid, "visit_finding", message, Ref("household", household.id or 0)
        )


def confirm_visit(session: Session, *, actor: User, visit_id: int, hours: Any = None) -> Visit:
    """The hub confirms a paired helper's visit: it becomes the helper's contribution record
    (志愿服务记录) with the hours the hub confirms (default 1). Once only (409 after)."""
    scope = staff_scope(session, actor)
    visit = session.get(Visit, visit_id, with_for_update=True)
    household = session.get(Household, visit.household_id) if visit is not None else None
    if visit is None or household is None or not in_scope(scope, household.community_code):
        raise NotFound("visit.not_found")
    if visit.pairing_id is None:
        raise Conflict("visit.not_by_helper")
    if visit.contribution_id is not None:
        raise Conflict("visit.already_confirmed")
    confirmed = contributions.parse_hours(hours)
    record = contributions.record_visit(
        session,
        visit=visit,
        household=household,
        actor=actor,
        hours=confirmed if confirmed is not None else Decimal(1),
    )
    visit.contribution_id = record.id
    session.add(visit)
    session.flush()
    audit.record(
        session,
        actor,
        "visit.confirm",
        visit,
        after={"contribution_id": record.id, "hours": record.hours},
    )
    return visit


# Lists ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueRow:
    household_id: int
    name: str
    community: str
    community_code: str
    level: int
    due_on: date
    last_visited_on: date | None
    overdue: bool
    helper: str  # the paired helper's display name, "" when none


def visits_due(
    session: Session,
    *,
    actor: User,
    scope: str | None = None,
    overdue: bool = False,
    page: int = 1,
    per_page: int = PAGE,
    today: date | None = None,
) -> tuple[Any, list[DueRow]]:
    """Households of the staff member's subtree (or ``scope`` inside it) whose visit falls due
    within the coming week, or only those overdue; overdue first (earliest due date first)."""
    root = staff_scope(session, actor)
    if scope and in_scope(root, scope):
        root = scope
    today = today or clock.beijing_today()
    due: Any = col(VisitSchedule.due_on)  # the current level's (services/schedules.py)
    limit = today - timedelta(days=1) if overdue else today + timedelta(days=DUE_AHEAD_DAYS)
    where = [in_subtree(VisitSchedule.community_code, root), due <= limit]
    stmt = (
        sa_select(
            col(VisitSchedule.household_id),
            col(Household.name),
            col(VisitSchedule.community_code),
            col(Household.risk_score),
            due,
            col(VisitSchedule.last_visited_on),
        )
        .join(Household, col(Household.id) == VisitSchedule.household_id)
        .where(*where)
        .order_by(due, col(VisitSchedule.household_id))
    )
    # The total from the index alone: every schedule has its household.
    count = select(func.count()).select_from(VisitSchedule).where(*where)
    from marketplace.services.listings import paginate  # (listings imports households → here)

    found = paginate(session, stmt, page, per_page, count=count)
    names = region_names(session)
    ids = [int(r[0]) for r in found.rows]
    helpers = _helpers(session, ids)
    rows = [
        DueRow(
            household_id=int(hid),
            name=name,
            community=names.get(code, code),
            community_code=code,
            level=_level(score),
            due_on=_as_date(due_on),
            last_visited_on=_as_date(last) if last is not None else None,
            overdue=_as_date(due_on) < today,
            helper=helpers.get(int(hid), ""),
        )
        for hid, name, code, score, due_on, last in found.rows
    ]
    return found, rows


def _level(score: int) -> int:
    from marketplace.models import risk_level

    return risk_level(int(score))


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _helpers(session: Session, household_ids: list[int]) -> dict[int, str]:
    """The paired helpers' names of some households (member display name or organisation)."""
    if not household_ids:
        return {}
    from marketplace.models import Organisation

    out: dict[int, str] = {}
    rows = session.exec(
        select(Pairing.household_id, User.display_name, User.username, Organisation.name)
        .outerjoin(User, col(User.id) == Pairing.member_id)
        .outerjoin(Organisation, col(Organisation.id) == Pairing.org_id)
        .where(col(Pairing.household_id).in_(household_ids), col(Pairing.ended_at).is_(None))
    ).all()
    for hid, display, username, org in rows:
        out[int(hid)] = display or username or org or ""
    return out


def due_on(session: Session, household: Household) -> date | None:
    """The household's next due date at its current level (None without a schedule)."""
    schedule = session.get(VisitSchedule, household.id)
    if schedule is None or schedule.due_on is None:
        return None
    return _as_date(schedule.due_on)


def visits_of(session: Session, household_id: int, limit: int = 20) -> list[Visit]:
    return list(
        session.exec(
            select(Visit)
            .where(Visit.household_id == household_id)
            .order_by(col(Visit.visited_on).desc(), col(Visit.id).desc())
            .limit(limit)
        )
    )


def to_confirm(session: Session, *, actor: User, limit: int = 50) -> list[tuple[Visit, str, str]]:
    """Paired helpers' visits in the subtree that the hub has not confirmed yet: (visit, the
    household's name, the visitor's name), oldest first."""
    root = staff_scope(session, actor)
    rows = session.exec(
        select(Visit, Household.name, User.display_name, User.username)
        .join(Household, col(Household.id) == Visit.household_id)
        .join(User, col(User.id) == Visit.visitor_id)
        .where(
            col(Visit.pairing_id).is_not(None),
            col(Visit.contribution_id).is_(None),
            in_subtree(Household.community_code, root),
        )
        .order_by(col(Visit.id))
        .limit(limit)
    ).all()
    return [(v, name, display or username) for v, name, display, username in rows]


@dataclass(frozen=True)
class CasePanel:
    """What the case file shows of visits and pairing."""

    due_on: date | None
    overdue: bool
    visits: list[Visit]
    pairing: Pairing | None
    helper: str
    pairings: list[Pairing]


def case_panel(session: Session, *, actor: User, household_id: int) -> CasePanel:
    from marketplace.services.access import get_household_for_staff

    household = get_household_for_staff(session, household_id, actor)
    due = due_on(session, household)
    pairing = pairing_window.active_pairing(session, household_id)
    history = list(
        session.exec(
            select(Pairing)
            .where(Pairing.household_id == household_id)
            .order_by(col(Pairing.id).desc())
            .limit(20)
        )
    )
    return CasePanel(
        due_on=due,
        overdue=due is not None and due < clock.beijing_today(),
        visits=visits_of(session, household_id),
        pairing=pairing,
        helper=_helpers(session, [household_id]).get(household_id, ""),
        pairings=history,
    )


def visit_json(visit: Visit, *, staff: bool) -> dict[str, Any]:
    """A visit for the API: staff read the note and findings whole, a helper the scrubbed note."""
    out: dict[str, Any] = {
        "id": visit.id,
        "household_id": visit.household_id,
        "visited_on": visit.visited_on.isoformat(),
        "mode": visit.mode,
        "note": visit.note if staff else visit.public_note,
        "pairing_id": visit.pairing_id,
        "event_id": visit.event_id,
    }
    if staff:
        out["findings"] = visit.findings
    return out


def due_json(row: DueRow) -> dict[str, Any]:
    return {
        "household_id": row.household_id,
        "name": row.name,
        "community": row.community,
        "community_code": row.community_code,
        "level": row.level,
        "due_on": row.due_on.isoformat(),
        "last_visited_on": row.last_visited_on.isoformat() if row.last_visited_on else None,
        "overdue": row.overdue,
        "helper": row.helper,
    }
