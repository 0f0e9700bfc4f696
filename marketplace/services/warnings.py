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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select, update

from marketplace.bulk import add_all_inserted
from marketplace.models import (
    WARNING_DUE_DAYS,
    AuditLog,
    Household,
    Hub,
    Lead,
    LeadStatus,
    MonitoringEvent,
    NeedKind,
    PolicyReferral,
    ReferralStatus,
    Region,
    RiskWarning,
    Role,
    User,
    WarningLevel,
    WarningOutcome,
    WarningStatus,
    risk_level,
)
from marketplace.schemas import NeedIn
from marketplace.services import (
    audit,
    clock,
    contacts,
    fields,
    households,
    notifications,
    priority,
    resilience,
    suggestions,
)
from marketplace.services.access import in_scope, staff_scope, viewer_scope
from marketplace.services.errors import Conflict, NotFound, ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.notifications import Ref
from marketplace.services.privacy import household_names, mask_name, scrub_text
from marketplace.services.regions import active_items, in_subtree, region_names

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


def _severe_in(model: resilience.Model, kind: str) -> bool:
    rules = model.definition.get("events") or {}
    rule = rules.get(kind) if isinstance(rules, Mapping) else None
    return bool(isinstance(rule, Mapping) and rule.get("severe"))


def is_severe(session: Session, kind: str) -> bool:
    """Whether the model in force calls this event kind severe (``events.<kind>.severe``); a
    model without event rules calls nothing severe."""
    return _severe_in(resilience.active_model(session), kind)


def level_for(
    session: Session,
    event: MonitoringEvent,
    household: Household,
    *,
    score: int | None = None,
    model: resilience.Model | None = None,
) -> WarningLevel:
    """重点预警 when the household is level 1 (after rescoring: ``score``, its score right after
    this event, by default its current one) or the event is severe. ``model``: the model in
    force, when the caller has it already (a batch of events)."""
    model = model or resilience.active_model(session)
    current = household.risk_score if score is None else score
    if risk_level(current) == 1 or _severe_in(model, event.kind):
        return WarningLevel.IMPORTANT
    return WarningLevel.GENERAL


def due_at(raised_at: datetime, level: str) -> datetime:
    """When a warning raised at ``raised_at`` becomes overdue (3 / 7 days)."""
    return raised_at + timedelta(days=WARNING_DUE_DAYS[str(level)])


def raise_for_event(
    session: Session, event: MonitoringEvent, household: Household
) -> RiskWarning | None:
    """Raise the warning of one event about a known household (``raise_for_events``)."""
    return raise_for_events(session, [(event, household, household.risk_score)])[0]


class _HubCache:
    """Where a batch's warnings go, looked up once per street (``staffed_hub`` and
    ``contacts.street_hub`` read only the street and the district of a community), and each hub's
    staff once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_street: dict[str, Hub | None] = {}
        self.fallback: dict[str, Hub | None] = {}
        self.staff: dict[int, list[int]] = {}

    def prime(self, community_codes: Iterable[str]) -> None:
        """Look up the staffed hubs of these communities' streets at once."""
        self.by_street.update(
            {k: v for k, v in staffed_hubs(self.session, community_codes).items() if v is not None}
        )
        wanted = [h.id for h in self.by_street.values() if h is not None and h.id is not None]
        self.staff.update(contacts.staff_of_hubs(self.session, wanted))

    def hub(self, community_code: str) -> Hub | None:
        street = community_code[:9]
        if street not in self.by_street:
            self.by_street[street] = staffed_hub(self.session, community_code) or (
                contacts.street_hub(self.session, community_code)
            )
        found = self.by_street[street]
        if found is None:  # no street or district hub: the nearest with contacts or staff
            if community_code not in self.fallback:
                self.fallback[community_code] = contacts.responsible_hub(
                    self.session, community_code
                )
            found = self.fallback[community_code]
        return found

    def readers(self, hub: Hub) -> list[int]:
        """The hub's staff; when nobody staffs it, the administrators."""
        key = hub.id or 0
        if key not in self.staff:
            self.staff[key] = contacts.staff_of_hub(self.session, hub)
        return self.staff[key] or _admins(self.session)


def raise_for_events(
    session: Session,
    items: Sequence[tuple[MonitoringEvent, Household, int]],
    *,
    refresh: bool = True,
    model: resilience.Model | None = None,
) -> list[RiskWarning | None]:
    """Raise the warnings of events about known households (each given with the household's
    score right after that event, the events and scores already stored), in the order given:
    each to the street hub, or when nobody staffs it to the nearest staffed hub up the chain
    (``staffed_hub``), due in 3 or 7 days, inserted together and audited together. Each hub's
    staff (the administrators when no hub of the chain is staffed) are told once per batch: of
    its one warning with a link to it, or of how many arrived (and how many important) with a
    link to the queue. None for an event whose household has no hub up its chain (a region
    without hubs). ``refresh``: recompute the priority of the needs of households given an
    important warning (the caller may do it once for everything it changed). ``model``: the
    model in force, when the caller has read it already."""
    if not items:
        return []
    model = model or resilience.active_model(session)
    hubs = _HubCache(session)
    hubs.prime({household.community_code for _, household, _ in items})
    now = clock.now_utc()
    out: list[RiskWarning | None] = []
    made: list[tuple[RiskWarning, Hub]] = []
    for event, household, score in items:
        hub = hubs.hub(household.community_code)
        if hub is None or household.id is None or event.id is None:
            out.append(None)
            continue
        level = level_for(session, event, household, score=score, model=model)
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
        out.append(warning)
        made.append((warning, hub))
    add_all_inserted(session, [w for w, _ in made])
    audit.record_many(
        session,
        None,
        "warning.raise",
        "riskwarning",
        [
            (w.id or 0, {"level": w.level, "hub_id": w.hub_id, "event_id": w.event_id})
            for w, _ in made
        ],
        actor_label="system",
    )
    by_hub: dict[int, tuple[Hub, list[RiskWarning]]] = {}
    for warning, hub in made:
        by_hub.setdefault(hub.id or 0, (hub, []))[1].append(warning)
    for hub, raised in by_hub.values():
        _notify_hub(session, hub, raised, hubs.readers(hub))
    if refresh:
        important = {w.household_id for w, _ in made if w.level == WarningLevel.IMPORTANT.value}
        priority.refresh_households(session, important)
    return out


def _notify_hub(
    session: Session, hub: Hub, raised: Sequence[RiskWarning], readers: Sequence[int]
) -> None:
    """Tell the readers of ``hub`` about the warnings it was given: one with its link, several
    in one notice (how many, how many important) that leads to the queue."""
    if len(raised) == 1:
        warning = raised[0]
        message = Message(
            "warning.raised",
            {
                "level": warning.level,
                "hub": hub.name,
                "due": clock.beijing_date(warning.due_at).isoformat(),
            },
        )
        ref: Ref | None = Ref("warning", warning.id or 0)
    else:
        important = sum(w.level == WarningLevel.IMPORTANT.value for w in raised)
        message = Message(
            "warning.raised_many",
            {"count": len(raised), "important": important, "hub": hub.name},
        )
        ref = None
    for uid in readers:
        notifications.notify(session, uid, "warning", message, ref)


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


# The hub chain: where work goes when the street is not staffed ----------------------------------

# After an escalation the new hub has this long before the warning moves up again (its due time
# stays: whether it was handled on time is measured against the first deadline).
ESCALATION_GRACE = timedelta(days=1)
QUEUE_PAGE = 50
REFERRAL_PAGE = 50
# Referral moves: 已转介 → 办理中 → 已办结 | 未通过 (办理中 may be skipped).
REFERRAL_MOVES: dict[str, frozenset[str]] = {
    ReferralStatus.REFERRED.value: frozenset(
        {ReferralStatus.IN_PROGRESS.value, ReferralStatus.DONE.value, ReferralStatus.DECLINED.value}
    ),
    ReferralStatus.IN_PROGRESS.value: frozenset(
        {ReferralStatus.DONE.value, ReferralStatus.DECLINED.value}
    ),
}


def _chain_codes(
    session: Session, community_code: str, cities: Mapping[str, str | None] | None = None
) -> list[str]:
    """street → district → city: the region codes whose hubs may take a community's warnings,
    nearest first (the city's code is the district's parent, not a prefix). ``cities``: district
    → parent, read at once for a batch (``_cities``)."""
    street, district = community_code[:9], community_code[:6]
    if cities is None:
        cities = _cities(session, [district])
    return [c for c in (street, district, cities.get(district)) if c]


def _cities(session: Session, districts: Iterable[str]) -> dict[str, str | None]:
    """District code → its parent's (the city), in one query."""
    wanted = sorted(set(districts))
    if not wanted:
        return {}
    return dict(
        session.exec(
            select(Region.code, Region.parent_code).where(col(Region.code).in_(wanted))
        ).all()
    )


def _staffed_ids(session: Session, hub_ids: Sequence[int]) -> set[int]:
    """Which of these hubs have at least one active staff account (one query)."""
    if not hub_ids:
        return set()
    rows = session.exec(
        select(User.hub_id)
        .where(
            col(User.hub_id).in_(list(hub_ids)),
            User.role == Role.HUB_STAFF.value,
            col(User.active).is_(True),
        )
        .distinct()
    ).all()
    return {int(h) for h in rows if h is not None}


def hub_chain(session: Session, community_code: str) -> list[Hub]:
    """The hubs up from a community's street (street, district, city), nearest first."""
    codes = _chain_codes(session, community_code)
    hubs = {
        h.region_code: h for h in session.exec(select(Hub).where(col(Hub.region_code).in_(codes)))
    }
    return [hubs[c] for c in codes if c in hubs]


def staffed_hub(session: Session, community_code: str, *, above: int | None = None) -> Hub | None:
    """The nearest hub of the community's chain with active staff; ``above``: only hubs above
    that one (the next step of an escalation). None when nobody up the chain is staffed."""
    chain = hub_chain(session, community_code)
    ids = [h.id for h in chain if h.id is not None]
    if above is not None and above in ids:
        chain = chain[ids.index(above) + 1 :]
    staffed = _staffed_ids(session, [h.id for h in chain if h.id is not None])
    return _nearest_staffed(chain, staffed)


def _nearest_staffed(chain: Sequence[Hub], staffed: set[int]) -> Hub | None:
    return next((h for h in chain if h.id in staffed), None)


def staffed_hubs(session: Session, community_codes: Iterable[str]) -> dict[str, Hub | None]:
    """``staffed_hub`` for many communities at once, by street (its answer depends only on the
    street and the district): the chains' hubs and who is staffed in one query each."""
    streets = {code[:9]: code for code in community_codes}
    cities = _cities(session, [code[:6] for code in streets.values()])
    chains = {street: _chain_codes(session, code, cities) for street, code in streets.items()}
    codes = {c for chain in chains.values() for c in chain}
    if not codes:
        return {}
    hubs = {
        h.region_code: h for h in session.exec(select(Hub).where(col(Hub.region_code).in_(codes)))
    }
    staffed = _staffed_ids(session, [h.id for h in hubs.values() if h.id is not None])
    return {
        street: _nearest_staffed([hubs[c] for c in chain if c in hubs], staffed)
        for street, chain in chains.items()
    }


# Reading: the queue and one warning -----------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    warning: RiskWarning
    event: MonitoringEvent | None
    household_label: str  # masked name (张*)
    community_name: str
    causes: tuple[Any, ...]  # suggestions.Cause: the likely causes (cheap: no offer search)
    items: tuple[str, ...]  # suggested taxonomy items
    overdue: bool  # open and past its due time (逾期)


@dataclass(frozen=True)
class _Paged:
    total: int
    page: int
    pages: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True)
class QueuePage(_Paged):
    rows: list[QueueRow]


def _scope(session: Session, actor: User) -> str | None:
    """Hub staff read their subtree's warnings, the administrator the city's (None)."""
    return viewer_scope(session, actor)


def queue(
    session: Session,
    *,
    actor: User,
    status: str = WarningStatus.OPEN.value,
    level: str | None = None,
    overdue: bool | None = None,
    page: int = 1,
    now: datetime | None = None,
) -> QueuePage:
    """The warnings of the actor's subtree (the administrator: all): open ones oldest due first,
    closed ones newest closed first; ``level`` and ``overdue`` filter. One query for the page,
    one for the count, one each for the page's events and households (no query per row)."""
    scope = _scope(session, actor)
    errors: dict[str, Message | str] = {}
    if status not in {s.value for s in WarningStatus}:
        errors["status"] = "field.choice"
    if level not in (None, "") and level not in {lv.value for lv in WarningLevel}:
        errors["level"] = "field.choice"
    if errors:
        raise ValidationFailed(errors)
    now = now or clock.now_utc()
    where: list[Any] = [col(RiskWarning.status) == status]
    if scope is not None:
        where.append(in_subtree(RiskWarning.community_code, scope))
    if level:
        where.append(col(RiskWarning.level) == level)
    if overdue is True:
        where += [col(RiskWarning.due_at) < now, col(RiskWarning.status) == "open"]
    elif overdue is False:
        where.append(col(RiskWarning.due_at) >= now)
    total = int(session.exec(select(func.count()).select_from(RiskWarning).where(*where)).one())
    pages = max(1, -(-total // QUEUE_PAGE))
    page = min(max(1, page), pages)
    order = (
        (col(RiskWarning.due_at), col(RiskWarning.id))
        if status == WarningStatus.OPEN.value
        else (col(RiskWarning.closed_at).desc(), col(RiskWarning.id).desc())
    )
    warnings = list(
        session.exec(
            select(RiskWarning)
            .where(*where)
            .order_by(*order)
            .offset((page - 1) * QUEUE_PAGE)
            .limit(QUEUE_PAGE)
        )
    )
    return QueuePage(total, page, pages, _rows(session, warnings, now))


def _rows(
    session: Session, warnings: Sequence[RiskWarning], now: datetime | None = None
) -> list[QueueRow]:
    """The page's events, households and community names in one query each, and each warning's
    likely causes and items from the model (pure: no offer search)."""
    event_ids = {w.event_id for w in warnings}
    household_ids = {w.household_id for w in warnings}
    events = (
        {
            e.id: e
            for e in session.exec(
                select(MonitoringEvent).where(col(MonitoringEvent.id).in_(event_ids))
            )
        }
        if event_ids
        else {}
    )
    homes = (
        {
            h.id: h
            for h in session.exec(select(Household).where(col(Household.id).in_(household_ids)))
        }
        if household_ids
        else {}
    )
    names = region_names(session)
    model = resilience.active_model(session)
    out = []
    for w in warnings:
        event = events.get(w.event_id)
        household = homes.get(w.household_id)
        fired: set[str] = set()
        if household is not None and household.profile:
            score = resilience.score_household(model, household)
            fired = {c.indicator for c in score.contributions if c.points}
        causes, items = suggestions.causes_and_items(
            model, fired, {event.kind} if event is not None else set()
        )
        out.append(
            QueueRow(
                w,
                event,
                mask_name(household.name) if household is not None else "",
                names.get(w.community_code, w.community_code),
                causes,
                items,
                is_overdue(w, now),
            )
        )
    return out


def queue_row(session: Session, warning: RiskWarning) -> QueueRow:
    """One warning as a queue row (its event, masked household, causes and items)."""
    return _rows(session, [warning])[0]


def suggestion_brief(row: QueueRow) -> dict[str, Any]:
    """A list row's suggestions as the API shows them: causes and item codes, no offers."""
    return {
        "causes": [{"code": c.code, "zh": c.zh, "en": c.en} for c in row.causes],
        "items": list(row.items),
    }


def get_for_staff(
    session: Session, *, actor: User, warning_id: int, for_update: bool = False
) -> RiskWarning:
    """One warning of the actor's subtree (the administrator: any); others are not found."""
    scope = _scope(session, actor)
    warning = session.get(RiskWarning, warning_id, with_for_update=for_update)
    if warning is None or not in_scope(scope, warning.community_code):
        raise NotFound("warning.not_found")
    return warning


def _own_warning(session: Session, actor: User, warning_id: int) -> RiskWarning:
    """A warning the actor may work on: hub staff of its subtree only (the administrator reads)."""
    scope = staff_scope(session, actor)
    warning = session.get(RiskWarning, warning_id)
    if warning is None or not in_scope(scope, warning.community_code):
        raise NotFound("warning.not_found")
    return warning


# Working a warning: the check and the close -----------------------------------------------------


def _mode(value: Any, errors: dict[str, Message | str], *, required: bool) -> str | None:
    if value in (None, ""):
        if required:
            errors["check_mode"] = "field.required"
        return None
    if value not in CHECK_MODES:
        errors["check_mode"] = "field.choice"
        return None
    return str(value)


def _open_update(session: Session, warning_id: int, values: Mapping[str, Any]) -> None:
    """One conditional UPDATE of an open warning; a closed one is a conflict."""
    done = session.execute(
        update(RiskWarning)
        .where(
            col(RiskWarning.id) == warning_id, col(RiskWarning.status) == WarningStatus.OPEN.value
        )
        .values(**values)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("warning.already_closed")


def record_check(
    session: Session, *, actor: User, warning_id: int, mode: Any, findings: Any
) -> RiskWarning:
    """核查 — how the street checked the household (phone or home visit) and what it found;
    editable while the warning is open."""
    warning = _own_warning(session, actor, warning_id)
    errors: dict[str, Message | str] = {}
    check_mode = _mode(mode, errors, required=True)
    text = fields.text(findings, "findings", errors, limit=FINDINGS_CHARS)
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(warning, "check_mode", "findings")
    _open_update(session, warning_id, {"check_mode": check_mode, "findings": text})
    session.refresh(warning)
    audit.record(
        session,
        actor,
        "warning.check",
        warning,
        before=before,
        after=audit.snapshot(warning, "check_mode", "findings"),
    )
    return warning


@dataclass(frozen=True)
class Closed:
    warning: RiskWarning
    referral_ids: list[int]
    need_ids: list[int]


def _codes(value: Any, name: str, errors: dict[str, Message | str]) -> list[str]:
    """A list of codes (a JSON list, or one code), each once, in the given order."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors[name] = "field.not_list"
        return []
    out = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(out) > MAX_ITEMS:
        errors[name] = Message("field.too_many", {"max": MAX_ITEMS})
    return out


def close(
    session: Session,
    *,
    actor: User,
    warning_id: int,
    outcome: Any,
    policy_items: Any = (),
    need_items: Any = (),
    note: Any = "",
    check_mode: Any = None,
    findings: Any = None,
) -> Closed:
    """Close an open warning with its outcome (one conditional UPDATE: a second close is a
    conflict). Everything is checked before anything is written: ``refer_policy`` needs known
    policy items (one ``PolicyReferral`` each), ``refer_hub`` taxonomy items (a need each, through
    ``households.create_need``: pending review, then published like any other), ``no_action`` a
    note saying why. ``check_mode``/``findings`` record the check in the same step."""
    warning = _own_warning(session, actor, warning_id)
    if warning.status != WarningStatus.OPEN.value:
        raise Conflict("warning.already_closed")
    errors: dict[str, Message | str] = {}
    if outcome not in {o.value for o in WarningOutcome}:
        errors["outcome"] = "field.required" if outcome in (None, "") else "field.choice"
    text = fields.text(note, "note", errors, limit=NOTE_CHARS)
    mode = _mode(check_mode, errors, required=False)
    found = (
        fields.text(findings, "findings", errors, limit=FINDINGS_CHARS)
        if findings is not None
        else None
    )
    policies = _codes(policy_items, "policy_items", errors)
    needs = _codes(need_items, "need_items", errors)
    if outcome == WarningOutcome.REFER_POLICY.value and "policy_items" not in errors:
        known = {
            i.code for c in policy_categories() for i in c.items
        }  # (the argument shadows policy_items())
        unknown = [c for c in policies if c not in known]
        if not policies:
            errors["policy_items"] = "warning.policy_items_required"
        elif unknown:
            errors["policy_items"] = Message("warning.policy_item_unknown", {"code": unknown[0]})
    if outcome == WarningOutcome.REFER_HUB.value and "need_items" not in errors:
        active = {i.code: i for i in active_items(session)}
        unknown = [c for c in needs if c not in active]
        if not needs:
            errors["need_items"] = "warning.need_items_required"
        elif unknown:
            errors["need_items"] = Message("warning.need_item_unknown", {"code": unknown[0]})
    if outcome == WarningOutcome.NO_ACTION.value and not text and "note" not in errors:
        errors["note"] = "warning.reason_required"
    if errors:
        raise ValidationFailed(errors)
    household = session.get(Household, warning.household_id)
    now = clock.now_utc()
    values: dict[str, Any] = {
        "status": WarningStatus.CLOSED.value,
        "outcome": outcome,
        "outcome_note": scrub_text(text, names=household_names(household)),
        "closed_at": now,
        "closed_by": actor.id,
        "on_time": now <= _aware(warning.due_at),
    }
    if mode is not None:
        values["check_mode"] = mode
    if found is not None:
        values["findings"] = found
    _open_update(session, warning_id, values)
    session.refresh(warning)
    referral_ids: list[int] = []
    need_ids: list[int] = []
    if outcome == WarningOutcome.REFER_POLICY.value:
        for code in policies:
            referral = PolicyReferral(
                household_id=warning.household_id,
                warning_id=warning.id,
                item_code=code,
                created_by=actor.id,
                updated_by=actor.id,
                created_at=now,
                updated_at=now,
            )
            session.add(referral)
            session.flush()
            referral_ids.append(int(referral.id or 0))
            audit.record(
                session,
                actor,
                "referral.create",
                referral,
                after={"warning_id": warning.id, "item": code, "status": referral.status},
            )
    elif outcome == WarningOutcome.REFER_HUB.value:
        items = {i.code: i for i in active_items(session)}
        for code in needs:
            need = households.create_need(
                session,
                actor=actor,
                data=NeedIn(
                    household_id=warning.household_id,
                    kind=NeedKind.SERVICE,
                    item=code,
                    title=items[code].name_zh[:100],
                ),
            )
            need_ids.append(int(need.id or 0))
    audit.record(
        session,
        actor,
        "warning.close",
        warning,
        before={"status": WarningStatus.OPEN.value},
        after={
            "status": warning.status,
            "outcome": warning.outcome,
            "on_time": warning.on_time,
            "referrals": referral_ids,
            "needs": need_ids,
        },
    )
    # An open important warning raised the household's priority one step: no longer.
    priority.refresh_households(session, [warning.household_id])
    return Closed(warning, referral_ids, need_ids)


def outcome_of(session: Session, warning: RiskWarning) -> tuple[list[PolicyReferral], list[int]]:
    """What a closed warning led to: its referrals, and the needs created with it (from the
    close's audit entry)."""
    referrals = list(
        session.exec(
            select(PolicyReferral)
            .where(PolicyReferral.warning_id == warning.id)
            .order_by(col(PolicyReferral.id))
        )
    )
    entry = session.exec(
        select(AuditLog.after).where(
            AuditLog.action == "warning.close",
            AuditLog.object_type == "riskwarning",
            AuditLog.object_id == str(warning.id),
        )
    ).first()
    needs = [int(n) for n in (entry or {}).get("needs", []) if isinstance(n, int)]
    return referrals, needs


# Referrals (政策救助转介) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralRow:
    referral: PolicyReferral
    household_label: str


@dataclass(frozen=True)
class ReferralPage(_Paged):
    rows: list[ReferralRow]


def referrals(
    session: Session,
    *,
    actor: User,
    status: str | None = None,
    household_id: int | None = None,
    page: int = 1,
) -> ReferralPage:
    """The referrals of the actor's subtree (hub staff), newest first; ``status`` and
    ``household_id`` filter (a household's referrals)."""
    scope = staff_scope(session, actor)
    if status not in (None, "") and status not in {s.value for s in ReferralStatus}:
        raise ValidationFailed({"status": "field.choice"})
    where: list[Any] = [in_subtree(Household.community_code, scope)]
    if status:
        where.append(col(PolicyReferral.status) == status)
    if household_id is not None:
        where.append(col(PolicyReferral.household_id) == household_id)
    base = select(PolicyReferral, Household.name).join(
        Household, col(Household.id) == PolicyReferral.household_id
    )
    total = int(
        session.exec(
            select(func.count())
            .select_from(PolicyReferral)
            .join(Household, col(Household.id) == PolicyReferral.household_id)
            .where(*where)
        ).one()
    )
    pages = max(1, -(-total // REFERRAL_PAGE))
    page = min(max(1, page), pages)
    rows = session.exec(
        base.where(*where)
        .order_by(col(PolicyReferral.id).desc())
        .offset((page - 1) * REFERRAL_PAGE)
        .limit(REFERRAL_PAGE)
    ).all()
    return ReferralPage(total, page, pages, [ReferralRow(r, mask_name(name)) for r, name in rows])


def _amount(value: Any, errors: dict[str, Message | str]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors["amount_yuan"] = "field.not_number"
        return None
    if not amount.is_finite() or amount < 0 or amount > 1_000_000:
        errors["amount_yuan"] = Message("field.between", {"min": 0, "max": 1_000_000})
        return None
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        errors["amount_yuan"] = Message("field.decimal_places", {"n": 2})
        return None
    return amount


def _since(value: Any, errors: dict[str, Message | str]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors["since"] = "field.not_date"
        return None


def update_referral(
    session: Session,
    *,
    actor: User,
    referral_id: int,
    status: Any,
    note: Any = "",
    since: Any = None,
    amount_yuan: Any = None,
    service: Any = "",
) -> PolicyReferral:
    """Move a referral on: 已转介 → 办理中 → 已办结 | 未通过 (one conditional UPDATE from the status
    read, so two staff cannot both move it); a granted one (done) may say since when, how much or
    which service. Hub staff of the household's subtree; others: not found."""
    scope = staff_scope(session, actor)
    referral = session.get(PolicyReferral, referral_id)
    household = session.get(Household, referral.household_id) if referral is not None else None
    if referral is None or household is None or not in_scope(scope, household.community_code):
        raise NotFound("referral.not_found")
    errors: dict[str, Message | str] = {}
    if status not in {s.value for s in ReferralStatus}:
        errors["status"] = "field.required" if status in (None, "") else "field.choice"
    text = fields.text(note, "note", errors, limit=NOTE_CHARS)
    what = fields.text(service, "service", errors, limit=200)
    start = _since(since, errors)
    amount = _amount(amount_yuan, errors)
    if errors:
        raise ValidationFailed(errors)
    current = referral.status
    if status not in REFERRAL_MOVES.get(current, frozenset()):
        raise Conflict(Message("referral.bad_move", {"referral_status": current}))
    now = clock.now_utc()
    values: dict[str, Any] = {
        "status": status,
        "updated_at": now,
        "updated_by": actor.id,
    }
    if text:
        values["note"] = scrub_text(text, names=household_names(household))
    if status == ReferralStatus.DONE.value:
        values |= {"done_at": now, "since": start, "amount_yuan": amount, "service": what}
    elif status == ReferralStatus.DECLINED.value:
        values["done_at"] = now
    done = session.execute(
        update(PolicyReferral)
        .where(col(PolicyReferral.id) == referral_id, col(PolicyReferral.status) == current)
        .values(**values)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(Message("referral.bad_move", {"referral_status": current}))
    session.refresh(referral)
    audit.record(
        session,
        actor,
        "referral.update",
        referral,
        before={"status": current},
        after={k: v for k, v in values.items() if k not in ("updated_at", "updated_by")},
    )
    return referral


def referral_dict(referral: PolicyReferral) -> dict[str, Any]:
    item = policy_items().get(referral.item_code)
    return {
        "id": referral.id,
        "household_id": referral.household_id,
        "warning_id": referral.warning_id,
        "item": referral.item_code,
        "item_name": {"zh": item.name_zh, "en": item.name_en} if item else None,
        "status": referral.status,
        "note": referral.note,
        "since": _iso(referral.since),
        "amount_yuan": str(referral.amount_yuan) if referral.amount_yuan is not None else None,
        "service": referral.service,
        "created_at": _iso(referral.created_at),
        "updated_at": _iso(referral.updated_at),
        "done_at": _iso(referral.done_at),
    }


# Escalation (housekeeping) -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    row_id: int
    old_hub: int
    community_code: str


def _next_hubs(session: Session, steps: Sequence[_Step]) -> dict[int, Hub]:
    """Row id → the nearest staffed hub above its current one (rows with none left out). A few
    queries whatever the number of rows: the chains' hubs, then who is staffed."""
    codes: set[str] = set()
    chains: dict[str, list[str]] = {}
    for step in steps:
        street = step.community_code[:9]
        if street not in chains:
            chains[street] = _chain_codes(session, step.community_code)
            codes.update(chains[street])
    hubs = {
        h.region_code: h for h in session.exec(select(Hub).where(col(Hub.region_code).in_(codes)))
    }
    staffed = _staffed_ids(session, [h.id for h in hubs.values() if h.id is not None])
    out: dict[int, Hub] = {}
    for step in steps:
        chain = [hubs[c] for c in chains[step.community_code[:9]] if c in hubs]
        ids = [h.id for h in chain]
        rest = chain[ids.index(step.old_hub) + 1 :] if step.old_hub in ids else chain
        target = next((h for h in rest if h.id in staffed and h.id != step.old_hub), None)
        if target is not None:
            out[step.row_id] = target
    return out


def escalate_overdue(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Move overdue open warnings and leads up to the nearest staffed hub above the one that has
    them, and tell that hub's staff. Idempotent per step: a warning moves again only when
    ``ESCALATION_GRACE`` (1 day) has passed since its last move (its ``due_at`` stays, so "on time"
    keeps meaning the first deadline); a lead gets a fresh due time of the same grace. Work whose
    chain has no staffed hub above stays where it is (it was already given to the nearest one)."""
    now = now or clock.now_utc()
    warnings = session.exec(
        select(RiskWarning.id, RiskWarning.hub_id, RiskWarning.community_code).where(
            col(RiskWarning.status) == WarningStatus.OPEN.value,
            col(RiskWarning.due_at) < now,
            or_(
                col(RiskWarning.escalated_at).is_(None),
                col(RiskWarning.escalated_at) < now - ESCALATION_GRACE,
            ),
        )
    ).all()
    w_steps = [_Step(int(i or 0), h, c) for i, h, c in warnings]
    leads = session.exec(
        select(Lead.id, Lead.hub_id, Lead.community_code).where(
            col(Lead.status) == LeadStatus.OPEN.value, col(Lead.due_at) < now
        )
    ).all()
    l_steps = [_Step(int(i or 0), h, c) for i, h, c in leads]
    moved_w = _escalate(session, RiskWarning, w_steps, now)
    moved_l = _escalate(session, Lead, l_steps, now)
    return {"warnings_escalated": moved_w, "leads_escalated": moved_l}


def _escalate(
    session: Session, model: type[RiskWarning] | type[Lead], steps: Sequence[_Step], now: datetime
) -> int:
    if not steps:
        return 0
    targets = _next_hubs(session, steps)
    groups: dict[tuple[int, int], list[int]] = {}
    for step in steps:
        hub = targets.get(step.row_id)
        if hub is not None and hub.id is not None:
            groups.setdefault((step.old_hub, hub.id), []).append(step.row_id)
    hubs = {h.id: h for h in targets.values()}
    kind = "warning" if model is RiskWarning else "lead"
    values: dict[str, Any] = {"escalations": col(model.escalations) + 1}
    if model is RiskWarning:
        values["escalated_at"] = now
    else:
        values["due_at"] = now + ESCALATION_GRACE
    moved = 0
    by_new_hub: dict[int, list[int]] = {}
    for (old, new), ids in groups.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            # Conditional on the hub read: a row closed or moved meanwhile is left alone.
            done = session.execute(
                update(model)
                .where(
                    col(model.id).in_(chunk),
                    col(model.status) == "open",
                    col(model.hub_id) == old,
                )
                .values(hub_id=new, **values)
                .execution_options(synchronize_session=False)
            )
            moved += int(done.rowcount or 0)  # type: ignore[attr-defined]
        by_new_hub.setdefault(new, []).extend(ids)
        for row_id in ids:
            session.add(
                AuditLog(
                    actor="system",
                    action=f"{kind}.escalate",
                    object_type="riskwarning" if kind == "warning" else "lead",
                    object_id=str(row_id),
                    before={"hub_id": old},
                    after={"hub_id": new},
                )
            )
    for hub_id, ids in by_new_hub.items():
        hub = hubs[hub_id]
        staff = contacts.staff_of_hub(session, hub) or _admins(session)
        message = _escalation_message(kind, hub.name, len(ids))
        ref = Ref(kind, ids[0]) if len(ids) == 1 else None
        for uid in staff:
            notifications.notify(session, uid, kind, message, ref)
    session.expire_all()
    return moved


def _escalation_message(kind: str, hub: str, count: int) -> Message:
    """What the staff of the hub that received escalated work read: one warning (or lead) with
    its link, or how many arrived at once."""
    if kind == "warning":
        if count == 1:
            return Message("warning.escalated", {"hub": hub})
        return Message("warning.escalated_many", {"hub": hub, "count": count})
    if count == 1:
        return Message("lead.escalated", {"hub": hub})
    return Message("lead.escalated_many", {"hub": hub, "count": count})
