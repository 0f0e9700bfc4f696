"""一户一档 — a household's case file (DESIGN §10): edits of households, needs and offers with their
history, the lifecycle (监测对象 → 在册 → 渐退期 → 退出, with re-entry), attachments, and the
anonymisation of exited households after the retention period.

Personal values (name, resident ID number, phone, address) are kept masked in the audit log: the
log is append-only and outlives the anonymisation, so it never holds them whole. Free texts that
go into it are scrubbed for the same reason.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_
from sqlmodel import Session, col, select, update

from marketplace import profiles
from marketplace.models import (
    AuditLog,
    Claim,
    Feedback,
    Household,
    HouseholdAttachment,
    HouseholdStage,
    Lead,
    MonitoringEvent,
    Need,
    NeedStatus,
    Offer,
    OfferStatus,
    Pairing,
    PolicyReferral,
    Proposal,
    ProposalStatus,
    RiskWarning,
    TaxonomyItem,
    User,
    Visit,
    VisitSchedule,
    utcnow,
)
from marketplace.schemas import HouseholdIn, NeedIn, OfferIn
from marketplace.services import (
    audit,
    households,
    offers,
    pairings,
    priority,
    resilience,
    schedules,
)
from marketplace.services.access import (
    get_household_for_staff,
    get_need_for_staff,
    get_offer_for_org,
)
from marketplace.services.clock import beijing_today
from marketplace.services.errors import Conflict, NotFound, ValidationFailed, parse
from marketplace.services.messages import Message
from marketplace.services.privacy import (
    household_names,
    mask_address,
    mask_id_number,
    mask_name,
    mask_phone,
    scrub_text,
)
from matching import taxonomy

# -- households -------------------------------------------------------------------------------------

HOUSEHOLD_FIELDS = (
    "name",
    "id_number",
    "phone",
    "address",
    "community_code",
    "hardship_type",
    "members",
    "tags",
)
MASKS: dict[str, Callable[[str], str]] = {
    "name": mask_name,
    "id_number": mask_id_number,
    "phone": mask_phone,
    "address": mask_address,
}


def masked(field: str, value: Any) -> Any:
    """A value as the audit log and the history keep it: personal ones masked (a value masked
    already is left as it is)."""
    mask = MASKS.get(field)
    if mask is None or not isinstance(value, str) or "*" in value:
        return value
    return mask(value)


def _unknown(changes: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationFailed({name: "field.not_editable" for name in unknown})


def _live(household: Household) -> None:
    if household.anonymised_at is not None:
        raise Conflict("household.anonymised")


def edit_household(
    session: Session, *, actor: User, household_id: int, changes: Mapping[str, Any]
) -> Household:
    """Hub staff of the subtree correct a household: the fields registration checks, checked the
    same way (a corrected resident ID number again: checksum, not another household's). Every
    changed field is audited (``household.edit``) with its value before and after; a new size goes
    through the profile (kept, rescored). An edit that changes nothing stores nothing."""
    household = get_household_for_staff(session, household_id, actor)
    _live(household)
    _unknown(changes, HOUSEHOLD_FIELDS)
    profile = profiles.load(household.profile, source=household.source)
    current = {f: getattr(household, f) for f in HOUSEHOLD_FIELDS}
    data = parse(HouseholdIn, current | dict(changes) | {"profile": profile.model_dump()})
    households.check_household(session, actor=actor, data=data, household_id=household.id)
    new = {
        "name": data.name,
        "id_number": data.id_number,
        "phone": data.phone,
        "address": data.address,
        "community_code": data.community_code,
        "hardship_type": data.hardship_type.value,
        "tags": list(data.tags),
    }
    changed = {f: (getattr(household, f), v) for f, v in new.items() if getattr(household, f) != v}
    if changed:
        for field, (_old, value) in changed.items():
            setattr(household, field, value)
        household.name_initials = households.name_initials(household.name)
        household.id_tail = household.id_number[-4:]
        session.add(household)
        session.flush()
        if "community_code" in changed:
            _follow_community(session, household)
        audit.record(
            session,
            actor,
            "household.edit",
            household,
            before={f: masked(f, old) for f, (old, _new) in changed.items()},
            after={f: masked(f, value) for f, (_old, value) in changed.items()},
        )
        if "hardship_type" in changed:
            # 急难型 raises its needs' priority (services/priority.py)
            priority.refresh_households(session, [household.id or 0])
    if data.members != household.members:
        resilience.update_profile(
            session, actor=actor, household_id=household_id, profile=profile, members=data.members
        )
    return household


def _follow_community(session: Session, household: Household) -> None:
    """The rows that carry the household's community for scoping follow it to its new one."""
    code = household.community_code
    tables: tuple[Any, ...] = (Need, Feedback, RiskWarning, VisitSchedule)
    for table in tables:
        session.exec(
            update(table).where(table.household_id == household.id).values(community_code=code)
        )


# -- needs --------------------------------------------------------------------------------------

NEED_FIELDS = (
    "kind",
    "item",
    "title",
    "description",
    "value_yuan",
    "deadline",
    "delivery_mode",
    "delivery_instructions",
    "public_title",
    "public_text",
)
# Once a need is claimed or proposed, what was agreed stays: its kind, item, value, deadline and
# how it reaches the household. Only the wording may change (DESIGN §10).
NEED_DEAL = ("kind", "item", "value_yuan", "deadline", "delivery_mode")
NEED_FREE = (NeedStatus.PENDING_REVIEW.value, NeedStatus.OPEN.value)
NEED_CLOSED = (NeedStatus.CANCELLED.value, NeedStatus.EXPIRED.value)
NEED_TEXTS = ("title", "description", "public_title", "public_text", "delivery_instructions")


def _need_values(need: Need) -> dict[str, Any]:
    return {
        "kind": need.kind,
        "item": need.item_code,
        "title": need.title,
        "description": need.description,
        "value_yuan": need.value_yuan,
        "deadline": need.deadline,
        "delivery_mode": need.delivery_mode,
        "delivery_instructions": need.delivery_instructions,
        "public_title": need.public_title or need.title,
        "public_text": need.public_text,
    }


def is_proposed(session: Session, need_id: int) -> bool:
    """A match round proposed (or holds) an offer for the need."""
    return (
        session.exec(
            select(Proposal.id).where(
                Proposal.need_id == need_id,
                col(Proposal.status).in_(
                    (ProposalStatus.PROPOSED.value, ProposalStatus.LOCKED.value)
                ),
            )
        ).first()
        is not None
    )


def need_is_committed(session: Session, need: Need) -> bool:
    """Claimed, matched, delivered… or proposed: only its wording may change."""
    return need.status not in NEED_FREE or is_proposed(session, need.id or 0)


def edit_need(
    session: Session,
    *,
    actor: User,
    need_id: int,
    changes: Mapping[str, Any],
    today: date | None = None,
) -> Need:
    """Hub staff edit a need: anything while it waits for review or a helper; once claimed or
    proposed, its wording only (409 ``need.locked`` naming the fields of the deal). The row is
    locked while it is edited, so a claim cannot slip in between the check and the write."""
    need = get_need_for_staff(session, need_id, actor, for_update=True)
    _unknown(changes, NEED_FIELDS)
    if need.status in NEED_CLOSED:
        raise Conflict(Message("need.closed", {"need_status": need.status}))
    household = session.get_one(Household, need.household_id)
    current = _need_values(need)
    merged = current | dict(changes)
    data = parse(NeedIn, merged | {"household_id": need.household_id})
    errors: dict[str, Message | str] = {}
    public_title = str(merged["public_title"] or "").strip()
    public_text = str(merged["public_text"] or "").strip()
    if not public_title:
        errors["public_title"] = "field.required"
    elif len(public_title) > 100:
        errors["public_title"] = Message("field.too_long", {"max": 100})
    if len(public_text) > 2000:
        errors["public_text"] = Message("field.too_long", {"max": 2000})
    if errors:
        raise ValidationFailed(errors)
    names = household_names(household)
    new: dict[str, Any] = {
        "kind": data.kind.value,
        "item": data.item,
        "title": data.title,
        "description": data.description,
        "value_yuan": data.value_yuan,
        "deadline": data.deadline,
        "delivery_mode": data.delivery_mode.value,
        "delivery_instructions": scrub_text(data.delivery_instructions, names=names),
        "public_title": public_title,
        "public_text": public_text,
    }
    # A new title or description gives a new public version unless staff wrote one with it.
    if new["title"] != current["title"] and "public_title" not in changes:
        new["public_title"] = scrub_text(new["title"], names=names)
    if new["description"] != current["description"] and "public_text" not in changes:
        new["public_text"] = scrub_text(new["description"], names=names)
    changed = {f: (current[f], v) for f, v in new.items() if current[f] != v}
    if not changed:
        return need
    if need_is_committed(session, need):
        locked = [f for f in changed if f in NEED_DEAL]
        if locked:
            raise Conflict(
                Message("need.locked", {"need_status": need.status}),
                {f: "need.locked" for f in locked},
            )
    if "item" in changed:
        item = session.get(TaxonomyItem, new["item"])
        if item is None or not item.active:
            raise ValidationFailed({"item": "item.unknown"})
    deadline = new["deadline"]
    if "deadline" in changed and deadline is not None and deadline < (today or beijing_today()):
        raise ValidationFailed({"deadline": "need.deadline_past"})
    columns = {"item": "item_code"}
    for field, (_old, value) in changed.items():
        setattr(need, columns.get(field, field), value)
    session.add(need)
    session.flush()

    def kept(field: str, value: Any) -> Any:
        return scrub_text(value, names=names) if field in NEED_TEXTS and value else value

    audit.record(
        session,
        actor,
        "need.edit",
        need,
        before={f: kept(f, old) for f, (old, _new) in changed.items()},
        after={f: kept(f, value) for f, (_old, value) in changed.items()},
    )
    return need


# -- offers -------------------------------------------------------------------------------------

OFFER_FIELDS = (
    "title",
    "description",
    "items",
    "regions",
    "lat",
    "lon",
    "radius_km",
    "capacity",
    "unit",
    "start",
    "end",
    "hardship",
)


def edit_offer(
    session: Session, *, actor: User, offer_id: int, changes: Mapping[str, Any]
) -> Offer:
    """An organisation edits its offer, checked like a new one. Capacity never drops below what is
    taken (422 ``offer.capacity_below_taken`` on ``capacity``): one conditional update checks it
    against the row as it is, so a claim taking capacity at the same time cannot be lost."""
    offer = get_offer_for_org(session, offer_id, actor)
    _unknown(changes, OFFER_FIELDS)
    if offer.status == OfferStatus.CLOSED.value:
        raise Conflict("offer.closed")
    current: dict[str, Any] = {f: getattr(offer, f) for f in OFFER_FIELDS}
    data = parse(OfferIn, current | dict(changes) | {"project_id": offer.project_id})
    offers.check_offer(session, data)
    new: dict[str, Any] = {
        "title": data.title,
        "description": data.description,
        "items": list(data.items),
        "regions": offers.covering(data.regions),
        "lat": data.lat,
        "lon": data.lon,
        "radius_km": data.radius_km,
        "capacity": data.capacity,
        "unit": data.unit or taxonomy.default_unit(data.items),
        "start": data.start,
        "end": data.end,
        "hardship": [h.value for h in data.hardship],
    }
    changed = {f: (current[f], v) for f, v in new.items() if current[f] != v}
    if not changed:
        return offer
    if "capacity" in changed:
        taken = offer.capacity - offer.remaining
        capacity = int(new["capacity"])
        result = session.exec(
            update(Offer)
            .where(
                col(Offer.id) == offer.id, col(Offer.capacity) - col(Offer.remaining) <= capacity
            )
            .values(capacity=capacity, remaining=Offer.remaining + (capacity - Offer.capacity))
        )
        if result.rowcount != 1:
            session.refresh(offer)
            taken = offer.capacity - offer.remaining
            raise ValidationFailed(
                {"capacity": Message("offer.capacity_below_taken", {"taken": taken})}
            )
        session.refresh(offer)
    for field, (_old, value) in changed.items():
        if field != "capacity":
            setattr(offer, field, value)
    session.add(offer)
    session.flush()
    audit.record(
        session,
        actor,
        "offer.edit",
        offer,
        before={f: old for f, (old, _new) in changed.items()},
        after={f: value for f, (_old, value) in changed.items()},
    )
    return offer


# -- history ------------------------------------------------------------------------------------

# Views are audited too, but they are no change: the history leaves them out.
NOT_CHANGES = ("household.view", "attachment.view", "household.reveal", "need.view")


@dataclass(frozen=True)
class HistoryRow:
    """One changed field of one audited change: who, when, what, from what to what."""

    id: int  # the audit entry's
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    field: str
    before: Any
    after: Any

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "object": self.object_type,
            "object_id": int(self.object_id) if self.object_id.isdigit() else self.object_id,
            "field": self.field,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class HistoryPage:
    rows: list[HistoryRow]
    next_cursor: int | None  # the last entry's id, when there are older ones


def _rows(entry: AuditLog) -> list[HistoryRow]:
    before, after = entry.before or {}, entry.after or {}
    pairs: dict[str, tuple[Any, Any]] = {}
    changes = after.get("changes") if entry.action == "household.profile" else None
    if isinstance(changes, dict):  # 家庭画像: {field: [before, after]}
        for field, value in changes.items():
            old, new = value if isinstance(value, list) and len(value) == 2 else (None, value)
            pairs[field] = (old, new)
    else:
        for field in [*before, *(f for f in after if f not in before)]:
            pairs[field] = (before.get(field), after.get(field))
    if not pairs:
        pairs[""] = (None, None)
    return [
        HistoryRow(
            entry.id or 0,
            entry.at,
            entry.actor,
            entry.action,
            entry.object_type,
            entry.object_id,
            field,
            masked(field, old),
            masked(field, new),
        )
        for field, (old, new) in pairs.items()
    ]


def history(
    session: Session,
    *,
    actor: User,
    household_id: int,
    cursor: int | None = None,
    limit: int = 50,
) -> HistoryPage:
    """变更记录 — the changes of a household and of its needs (edits, profile, lifecycle,
    attachments, publication, claims' outcomes on the need…), newest first, ``limit`` audit
    entries a page (keyset on the entry id: ``cursor`` is the last one of the page before).
    Personal values are masked. Read through ``ix_auditlog_object``."""
    household = get_household_for_staff(session, household_id, actor)
    limit = max(1, min(limit, 200))
    need_ids = [
        str(i) for i in session.exec(select(Need.id).where(Need.household_id == household.id))
    ]
    # One indexed read per kind of object (ix_auditlog_object), merged here: with an OR of the
    # two, PostgreSQL walks the whole log backwards by time instead.
    conditions = [
        and_(
            col(AuditLog.object_type) == "household",
            col(AuditLog.object_id) == str(household.id),
        )
    ]
    if need_ids:
        conditions.append(
            and_(col(AuditLog.object_type) == "need", col(AuditLog.object_id).in_(need_ids))
        )
    older: list[Any] = []
    if cursor is not None:
        anchor = session.get(AuditLog, cursor)
        if anchor is None:
            raise ValidationFailed({"cursor": "field.invalid"})
        older.append(
            or_(
                col(AuditLog.at) < anchor.at,
                and_(col(AuditLog.at) == anchor.at, col(AuditLog.id) < anchor.id),
            )
        )
    newest_first = (col(AuditLog.at).desc(), col(AuditLog.id).desc())
    entries = sorted(
        (
            entry
            for condition in conditions
            for entry in session.exec(
                select(AuditLog)
                .where(condition, col(AuditLog.action).not_in(NOT_CHANGES), *older)
                .order_by(*newest_first)
                .limit(limit + 1)
            )
        ),
        key=lambda e: (e.at, e.id or 0),
        reverse=True,
    )[: limit + 1]
    more = len(entries) > limit
    entries = entries[:limit]
    rows = [row for entry in entries for row in _rows(entry)]
    return HistoryPage(rows, (entries[-1].id if more and entries else None))


# -- lifecycle ----------------------------------------------------------------------------------

# The allowed moves, the one home of the rule: forwards through the stages, straight out from any,
# and back in (re-entry) from gradual exit or exit.
MOVES: dict[str, frozenset[str]] = {
    HouseholdStage.MONITORED.value: frozenset({"registered", "exited"}),
    HouseholdStage.REGISTERED.value: frozenset({"monitored", "gradual_exit", "exited"}),
    HouseholdStage.GRADUAL_EXIT.value: frozenset({"registered", "exited"}),
    HouseholdStage.EXITED.value: frozenset({"monitored", "registered"}),
}
STAGES = tuple(s.value for s in HouseholdStage)
GRADUAL_EXIT_ENDED = "gradual exit period ended"


def move_stage(
    session: Session,
    *,
    actor: User,
    household_id: int,
    stage: Any,
    reason: Any,
    gradual_exit_days: int = 365,
    today: date | None = None,
) -> Household:
    """Move a household along its lifecycle with a reason (audited ``household.stage``). Into
    gradual exit: it ends ``gradual_exit_days`` later (housekeeping then exits it). Exiting
    cancels its open needs and its 幸福码 stops answering; re-entry is possible."""
    household = get_household_for_staff(session, household_id, actor)
    errors: dict[str, Message | str] = {}
    if not isinstance(stage, str) or stage not in STAGES:
        errors["stage"] = Message("household.stage_unknown", {"stages": list(STAGES)})
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        errors["reason"] = "reason.required"
    elif len(text) > 500:
        errors["reason"] = Message("field.too_long", {"max": 500})
    if errors:
        raise ValidationFailed(errors)
    _live(household)
    until = (today or beijing_today()) + timedelta(days=gradual_exit_days)
    _move(session, household, str(stage), text, actor=actor, until=until)
    return household


def _move(
    session: Session,
    household: Household,
    stage: str,
    reason: str,
    *,
    actor: User | None,
    until: date | None,
) -> None:
    before = household.stage
    if stage not in MOVES.get(before, frozenset()):
        raise Conflict(
            Message("household.stage_move", {"from_stage": before, "to_stage": stage}),
            {"stage": Message("household.stage_move", {"from_stage": before, "to_stage": stage})},
        )
    until = until if stage == HouseholdStage.GRADUAL_EXIT.value else None
    # Conditional: of two concurrent moves from the same stage only one happens.
    result = session.exec(
        update(Household)
        .where(col(Household.id) == household.id, col(Household.stage) == before)
        .values(stage=stage, stage_changed_at=utcnow(), gradual_exit_until=until)
    )
    if result.rowcount != 1:
        raise Conflict("household.stage_changed")
    session.refresh(household)
    after: dict[str, Any] = {"stage": stage, "reason": scrub_text(reason)}
    if until is not None:
        after["gradual_exit_until"] = until.isoformat()
    if stage == HouseholdStage.EXITED.value:  # out of care: no needs, visits nor helper
        after["needs_cancelled"] = households.cancel_open_needs(
            session, household_id=household.id or 0, reason=reason, actor=actor
        )
        after["pairings_ended"] = pairings.end_for_household(session, household, actor=actor)
        schedules.stop(session, household.id or 0)
    elif before == HouseholdStage.EXITED.value:  # re-entry: due one interval from now
        schedules.resume(session, household)
    audit.record(
        session,
        actor,
        "household.stage",
        household,
        before={"stage": before},
        after=after,
        actor_label="system",
    )


def finish_gradual_exits(session: Session, *, today: date | None = None) -> int:
    """Households whose gradual exit (渐退期) has ended are exited (housekeeping)."""
    today = today or beijing_today()
    ids = session.exec(
        select(Household.id).where(
            Household.stage == HouseholdStage.GRADUAL_EXIT.value,
            col(Household.gradual_exit_until) < today,
        )
    ).all()
    count = 0
    for household_id in ids:
        household = session.get_one(Household, household_id)
        try:
            _move(
                session,
                household,
                HouseholdStage.EXITED.value,
                GRADUAL_EXIT_ENDED,
                actor=None,
                until=None,
            )
        except Conflict:
            continue  # moved by staff meanwhile
        count += 1
    return count


# -- anonymisation ------------------------------------------------------------------------------

ANONYMOUS = "***"


def anonymise_household(session: Session, household: Household) -> tuple[list[str], list[str]]:
    """Remove a household's personal data for good: its name, ID number, phone and address, the
    free texts of its needs, claims, visits, ratings, events, leads, warnings, referrals and
    pairings; its attachments; its 幸福码 (a new random token nobody holds). The records
    themselves stay, so every count is unchanged. The stored attachments' and delivery photos'
    file names, to delete once the unit of work commits."""
    hid = household.id or 0
    household.name = ANONYMOUS
    household.id_number = f"ANON{hid:014d}"[-18:]
    household.phone = ""
    household.address = ""
    household.name_initials = ""
    household.id_tail = ""
    household.token = secrets.token_urlsafe(24)
    household.anonymised_at = utcnow()
    session.add(household)
    need_ids = select(Need.id).where(Need.household_id == hid)
    session.exec(
        update(Need)
        .where(col(Need.household_id) == hid)
        .values(
            title=ANONYMOUS,
            description="",
            public_title=ANONYMOUS,
            public_text="",
            delivery_instructions="",
            close_reason=None,
        )
    )
    photos = [
        p
        for p in session.exec(
            select(Claim.photo_path).where(
                col(Claim.need_id).in_(need_ids), col(Claim.photo_path).is_not(None)
            )
        )
        if p
    ]
    session.exec(
        update(Claim)
        .where(col(Claim.need_id).in_(need_ids))
        .values(delivery_note=None, reject_reason=None, give_up_reason=None, photo_path=None)
    )
    blanks: list[tuple[Any, dict[str, Any]]] = [
        (Visit, {"note": "", "public_note": "", "findings": ""}),
        (Feedback, {"words": ""}),
        (MonitoringEvent, {"note": ""}),
        (Lead, {"description": "", "contact": "", "id_number": "", "close_note": ""}),
        (RiskWarning, {"findings": "", "outcome_note": ""}),
        (PolicyReferral, {"note": ""}),
        (Pairing, {"reason": ""}),
    ]
    for table, values in blanks:
        session.exec(update(table).where(table.household_id == hid).values(**values))
    files = list(
        session.exec(
            select(HouseholdAttachment.stored_name).where(HouseholdAttachment.household_id == hid)
        )
    )
    session.exec(delete(HouseholdAttachment).where(col(HouseholdAttachment.household_id) == hid))
    session.flush()
    audit.record(
        session,
        None,
        "household.anonymise",
        household,
        after={"attachments": len(files), "photos": len(photos)},
        actor_label="system",
    )
    return files, photos


def anonymise_expired(
    session: Session, *, retention_days: int, now: datetime | None = None
) -> tuple[int, list[str], list[str]]:
    """Anonymise the households exited more than ``retention_days`` ago (housekeeping): how
    many, and the stored attachments and delivery photos to delete after the commit."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    rows = session.exec(
        select(Household).where(
            Household.stage == HouseholdStage.EXITED.value,
            col(Household.stage_changed_at) < cutoff,
            col(Household.anonymised_at).is_(None),
        )
    ).all()
    attachments: list[str] = []
    photos: list[str] = []
    for household in rows:
        files, pictures = anonymise_household(session, household)
        attachments += files
        photos += pictures
    return len(rows), attachments, photos


# -- attachments --------------------------------------------------------------------------------


def clean_filename(name: str) -> str:
    """The uploaded file's name for display: no path, no control or markup characters, at most
    100 characters (the stored file has a random name of its own)."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f<>\"'`&;]", "", name).strip(" .")
    return name[-100:] or "file"


def add_attachment(
    session: Session,
    *,
    actor: User,
    household_id: int,
    filename: str,
    save: Callable[[], tuple[str, str, int]] | None,
) -> HouseholdAttachment:
    """Attach a document or photo to a household of the subtree. ``save`` checks and writes the
    file (``uploads.attachment_saver``) and is called only after the scope check."""
    household = get_household_for_staff(session, household_id, actor)
    _live(household)
    if save is None:
        raise ValidationFailed({"file": "field.required"})
    stored, content_type, size = save()
    row = HouseholdAttachment(
        household_id=household.id or 0,
        stored_name=stored,
        filename=clean_filename(filename),
        content_type=content_type,
        size=size,
        uploaded_by=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "household.attach",
        household,
        after={"attachment": row.id, "content_type": content_type, "size": size},
    )
    return row


def attachments(session: Session, *, actor: User, household_id: int) -> list[HouseholdAttachment]:
    household = get_household_for_staff(session, household_id, actor)
    return list(
        session.exec(
            select(HouseholdAttachment)
            .where(HouseholdAttachment.household_id == household.id)
            .order_by(col(HouseholdAttachment.id).desc())
        )
    )


def view_attachment(
    session: Session, *, actor: User, household_id: int, attachment_id: int
) -> HouseholdAttachment:
    """An attachment for hub staff of the household's subtree; every view audited."""
    household = get_household_for_staff(session, household_id, actor)
    row = session.get(HouseholdAttachment, attachment_id)
    if row is None or row.household_id != household.id:
        raise NotFound("attachment.not_found")
    audit.record(session, actor, "attachment.view", row, after={"household": household.id})
    return row
