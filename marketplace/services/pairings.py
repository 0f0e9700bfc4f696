"""结对帮扶 — a household paired with a Party member or an organisation for a period (DESIGN §10).

Hub staff of the household's subtree pair it and end the pairing; one active pairing per household
(the partial unique index ``uq_pairing_household_active`` is the backstop: two concurrent pairings
give one 409 ``pairing.exists``). The helper sees the household masked, its community, the hub to
call and the next visit due (``my_pairings``).

The pairing window (``PAIRING_WINDOW_HOURS``, default 48): a paired household's micro-wish, when
published, goes to its paired member first. ``Need.pool_from`` = publication + window; until then
the wish is not in the pool (pages and API) and only the paired member may claim it; after, it is
in the pool like any other. Only member pairings have a window (an organisation serves through its
offers and match rounds, not by claiming wishes). A claim window with a draw (if configured) should
start when the wish reaches the pool, ``pool_from``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.models import (
    Household,
    Hub,
    Organisation,
    OrgStatus,
    Pairing,
    Role,
    User,
    VisitSchedule,
    utcnow,
)
from marketplace.services import (
    audit,
    clock,
    contacts,
    fields,
    notifications,
    pairing_window,
)
from marketplace.services.access import (
    ensure_in_care,
    get_household_for_staff,
    in_scope,
    staff_scope,
)
from marketplace.services.errors import Conflict, NotFound, ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.notifications import Ref
from marketplace.services.privacy import mask_name
from marketplace.services.regions import region_names

REASON_CHARS = 500
EXIT_REASON = "household exited"  # a pairing ended by the household's exit (退出)
MAX_YEARS = 5


# Input ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairingIn:
    household_id: int
    member_id: int | None
    org_id: int | None
    start: date
    end: date


def parse_pairing(
    session: Session, *, household_id: Any, member_id: Any, org_id: Any, start: Any, end: Any
) -> PairingIn:
    """Check a pairing's fields (every problem at once, by field): exactly one helper, an
    active member account or a vetted organisation, and a period of at most five years."""
    errors: dict[str, Message | str] = {}
    hid = fields.whole_number(household_id, "household_id", errors)
    if hid is None and "household_id" not in errors:
        errors["household_id"] = "field.required"
    mid = fields.whole_number(member_id, "member_id", errors)
    oid = fields.whole_number(org_id, "org_id", errors)
    if "member_id" not in errors and "org_id" not in errors:
        if (mid is None) == (oid is None):
            errors["member_id"] = "pairing.one_helper"
        elif mid is not None:
            member = session.get(User, mid)
            if member is None or member.role != Role.MEMBER or not member.active:
                errors["member_id"] = "pairing.member_unknown"
        elif oid is not None:
            org = session.get(Organisation, oid)
            if org is None or org.status != OrgStatus.VETTED.value:
                errors["org_id"] = "pairing.org_unknown"
    first = fields.day(start, "start", errors, required=False)
    if first is None and "start" not in errors:
        first = clock.beijing_today()  # left out: from today
    last = fields.day(end, "end", errors)
    if first is not None and last is not None:
        if last < first:
            errors["end"] = "pairing.end_before_start"
        elif last > first + timedelta(days=366 * MAX_YEARS):
            errors["end"] = Message("pairing.too_long", {"years": MAX_YEARS})
        elif last < clock.beijing_today():
            errors["end"] = "pairing.end_past"
    if errors:
        raise ValidationFailed(errors)
    assert hid is not None and first is not None and last is not None
    return PairingIn(hid, mid, oid, first, last)


# Pair and end --------------------------------------------------------------------------------------


def pair(
    session: Session,
    *,
    actor: User,
    household_id: Any,
    member_id: Any = None,
    org_id: Any = None,
    start: Any = None,
    end: Any = None,
) -> Pairing:
    """Hub staff pair a household of their subtree with a helper; the helper is notified.
    A household outside the subtree is not found, whatever else the request says."""
    staff_scope(session, actor)
    errors: dict[str, Message | str] = {}
    hid = fields.whole_number(household_id, "household_id", errors)
    if hid is not None:
        get_household_for_staff(session, hid, actor)
    data = parse_pairing(
        session,
        household_id=household_id,
        member_id=member_id,
        org_id=org_id,
        start=start if start not in (None, "") else clock.beijing_today().isoformat(),
        end=end,
    )
    household = get_household_for_staff(session, data.household_id, actor)
    ensure_in_care(household)
    if pairing_window.active_pairing(session, data.household_id) is not None:
        raise Conflict("pairing.exists")
    pairing = Pairing(
        household_id=data.household_id,
        member_id=data.member_id,
        org_id=data.org_id,
        start=data.start,
        end=data.end,
        created_by=actor.id,
        created_at=clock.now_utc(),
    )
    try:
        with session.begin_nested():  # the partial unique index: one active pairing
            session.add(pairing)
            session.flush()
    except IntegrityError:
        raise Conflict("pairing.exists") from None
    community = region_names(session).get(household.community_code, household.community_code)
    message = Message(
        "notice.paired",
        {
            "household": mask_name(household.name),
            "community": community,
            "end": data.end.isoformat(),
        },
    )
    for uid in _helper_accounts(session, pairing):
        notifications.notify(session, uid, "pairing", message, Ref("pairing", pairing.id or 0))
    audit.record(
        session,
        actor,
        "pairing.create",
        pairing,
        after={
            "household_id": pairing.household_id,
            "member_id": pairing.member_id,
            "org_id": pairing.org_id,
            "start": pairing.start,
            "end": pairing.end,
        },
    )
    return pairing


def _helper_accounts(session: Session, pairing: Pairing) -> list[int]:
    if pairing.member_id is not None:
        return [pairing.member_id]
    rows = session.exec(
        select(User.id).where(
            User.org_id == pairing.org_id, User.role == Role.ORG.value, col(User.active).is_(True)
        )
    ).all()
    return [int(u) for u in rows if u is not None]


def _pairing_for_staff(session: Session, actor: User, pairing_id: int) -> Pairing:
    scope = staff_scope(session, actor)
    pairing = session.get(Pairing, pairing_id)
    household = session.get(Household, pairing.household_id) if pairing is not None else None
    if pairing is None or household is None or not in_scope(scope, household.community_code):
        raise NotFound("pairing.not_found")
    return pairing


def end_pairing(session: Session, *, actor: User, pairing_id: int, reason: Any = "") -> Pairing:
    """End an active pairing early (hub staff of the subtree), with a reason; once only (409)."""
    pairing = _pairing_for_staff(session, actor, pairing_id)
    if reason is not None and not isinstance(reason, str):
        raise ValidationFailed({"reason": "field.not_text"})
    text = (reason or "").strip()
    if len(text) > REASON_CHARS:
        raise ValidationFailed({"reason": Message("field.too_long", {"max": REASON_CHARS})})
    now = clock.now_utc()
    ended = session.exec(
        update(Pairing)
        .where(col(Pairing.id) == pairing_id, col(Pairing.ended_at).is_(None))
        .values(ended_at=now, ended_by=actor.id, reason=text)
    ).rowcount
    if ended != 1:
        raise Conflict("pairing.ended")
    session.refresh(pairing)
    _ended(session, pairing, actor=actor, reason=text)
    return pairing


def end_for_household(session: Session, household: Household, *, actor: User | None) -> int:
    """An exited household's (退出) active pairing ends with the household's exit; the helper is
    told. Returns the pairings ended."""
    ended = 0
    for pairing in session.exec(
        select(Pairing).where(Pairing.household_id == household.id, col(Pairing.ended_at).is_(None))
    ).all():
        pairing.ended_at = clock.now_utc()
        pairing.ended_by = actor.id if actor is not None else None
        pairing.reason = EXIT_REASON
        session.add(pairing)
        session.flush()
        _ended(session, pairing, actor=actor, reason=EXIT_REASON)
        ended += 1
    return ended


def _ended(session: Session, pairing: Pairing, *, actor: User | None, reason: str) -> None:
    household = session.get_one(Household, pairing.household_id)
    message = Message("notice.pairing_ended", {"household": mask_name(household.name)})
    for uid in _helper_accounts(session, pairing):
        notifications.notify(session, uid, "pairing", message, Ref("pairing", pairing.id or 0))
    audit.record(
        session,
        actor,
        "pairing.end",
        pairing,
        before={"ended_at": None},
        after={"reason": reason},
    )


def end_expired(session: Session, *, today: date | None = None) -> int:
    """Pairings past their end date end (housekeeping): the household may be paired again."""
    today = today or clock.beijing_today()
    ended = session.exec(
        update(Pairing)
        .where(col(Pairing.ended_at).is_(None), col(Pairing.end) < today)
        .values(ended_at=utcnow(), reason="expired")
    ).rowcount
    return int(ended or 0)


# The helper's view ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedHousehold:
    """What a helper sees of a paired household: masked, its place, the hub to call, visits."""

    pairing_id: int
    household_id: int
    household: str  # 张*
    community: str
    start: date
    end: date
    level: int
    due_on: date | None
    overdue: bool
    last_visited_on: date | None
    hub: Hub | None

    def as_json(self) -> dict[str, Any]:
        hub = self.hub
        return {
            "pairing_id": self.pairing_id,
            "household_id": self.household_id,
            "household": self.household,
            "community": self.community,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "overdue": self.overdue,
            "last_visited_on": self.last_visited_on.isoformat() if self.last_visited_on else None,
            "hub": {
                "name": hub.name,
                "contact_name": hub.contact_name,
                "contact_phone": hub.contact_phone,
                "address": hub.handover_address,
                "office_hours": hub.office_hours,
            }
            if hub is not None
            else None,
        }


def my_pairings(session: Session, *, actor: User) -> list[PairedHousehold]:
    """The helper's active pairings (a member's own, an organisation account's organisation's)."""
    if actor.role == Role.MEMBER:
        who = col(Pairing.member_id) == actor.id
    elif actor.role == Role.ORG and actor.org_id is not None:
        who = col(Pairing.org_id) == actor.org_id
    else:
        raise NotFound("pairing.not_found")
    rows = session.exec(
        select(Pairing, Household)
        .join(Household, col(Household.id) == Pairing.household_id)
        .where(who, col(Pairing.ended_at).is_(None))
        .order_by(col(Pairing.id))
    ).all()
    names = region_names(session)
    today = clock.beijing_today()
    # One read of the schedules and one hub per community, whatever the number of households.
    ids = [household.id for _pairing, household in rows]
    schedules = {
        schedule.household_id: schedule
        for start in range(0, len(ids), 5000)
        for schedule in session.exec(
            select(VisitSchedule).where(
                col(VisitSchedule.household_id).in_(ids[start : start + 5000])
            )
        )
    }
    hubs: dict[str, Hub | None] = {}
    out = []
    for pairing, household in rows:
        code = household.community_code
        if code not in hubs:
            hubs[code] = contacts.responsible_hub(session, code)
        schedule = schedules.get(household.id or 0)
        due = schedule.due_on if schedule is not None else None
        out.append(
            PairedHousehold(
                pairing_id=pairing.id or 0,
                household_id=household.id or 0,
                household=mask_name(household.name),
                community=names.get(household.community_code, household.community_code),
                start=pairing.start,
                end=pairing.end,
                level=household.risk_level,
                due_on=due,
                overdue=due is not None and due < today,
                last_visited_on=schedule.last_visited_on if schedule is not None else None,
                hub=hubs[code],
            )
        )
    return out


def paired_household(session: Session, *, actor: User, household_id: int) -> PairedHousehold:
    """One of the helper's paired households (anyone else's: 404)."""
    for row in my_pairings(session, actor=actor):
        if row.household_id == household_id:
            return row
    raise NotFound("household.not_found")


# The pairing window --------------------------------------------------------------------------------
