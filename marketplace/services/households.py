"""Households (困难家庭) and their needs (需求): intake by hub staff, review, publication."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pypinyin import Style, lazy_pinyin
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select, update

from marketplace.bulk import insert_returning_ids
from marketplace.models import (
    Claim,
    Household,
    Need,
    NeedKind,
    NeedStatus,
    Region,
    TaxonomyItem,
    User,
    utcnow,
)
from marketplace.schemas import HouseholdIn, NeedIn
from marketplace.services import (
    audit,
    campaigns,
    pairing_window,
    priority,
    resilience,
    schedules,
)
from marketplace.services.access import (
    ensure_in_care,
    get_household_for_staff,
    get_need_for_staff,
    staff_scope,
)
from marketplace.services.claims import latest_claims, release_active_claim
from marketplace.services.clock import beijing_today
from marketplace.services.errors import Conflict, Forbidden, ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.privacy import (
    household_names,
    mask_id_number,
    mask_name,
    mask_phone,
    scrub_text,
)
from marketplace.services.regions import in_subtree, is_within, region_names
from matching.text import find_duplicates
from matching.text import suggest_items as text_suggest


def name_initials(name: str) -> str:
    """Pinyin initials for search: 张三丰 → zsf."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()[:32]


def _masked(h: Mapping[str, Any]) -> dict[str, object]:
    """What the audit log keeps of a new household (its column values)."""
    return {
        "name": mask_name(h["name"]),
        "id_number": mask_id_number(h["id_number"]),
        "phone": mask_phone(h["phone"]),
        "community_code": h["community_code"],
        "hardship_type": h["hardship_type"],
        "risk_score": h["risk_score"],
    }


def create_household(session: Session, *, actor: User, data: HouseholdIn) -> Household:
    check_household(session, actor=actor, data=data)
    return session.get_one(Household, add_households(session, actor=actor, rows=[data])[0])


def check_household(
    session: Session, *, actor: User, data: HouseholdIn, household_id: int | None = None
) -> None:
    """What registration checks beyond the fields themselves (``HouseholdIn``): a community of
    the staff member's subtree, a resident ID number no other household has. ``household_id``:
    the household being edited (its own number is no duplicate)."""
    scope = staff_scope(session, actor)
    community = session.get(Region, data.community_code)
    if community is None or community.level != "community":
        raise ValidationFailed({"community_code": "community.unknown"})
    if not is_within(community.code, scope):
        raise Forbidden("community.out_of_scope", {"community_code": "field.out_of_scope"})
    same = select(Household.id).where(Household.id_number == data.id_number)
    if household_id is not None:
        same = same.where(col(Household.id) != household_id)
    if session.exec(same).first() is not None:
        raise Conflict("household.duplicate", {"id_number": "household.duplicate"})


def add_households(session: Session, *, actor: User, rows: Sequence[HouseholdIn]) -> list[int]:
    """Store households whose community, scope and unique ID number the caller has checked (one
    by ``create_household``, a batch by the Excel import) in one statement, with one audit entry
    each; their ids, in the order of ``rows``."""
    now = utcnow()
    version, scores = resilience.initial_scores(session, [(d.profile, d.members) for d in rows])
    values = [
        {
            "name": data.name,
            "id_number": data.id_number,
            "phone": data.phone,
            "address": data.address,
            "community_code": data.community_code,
            "hardship_type": data.hardship_type.value,
            "risk_score": score.score,  # computed from the profile, never typed
            "source": data.profile.source,
            "profile": data.profile.stored(),
            "members": data.members,
            "tags": list(data.tags),
            "name_initials": name_initials(data.name),
            "id_tail": data.id_number[-4:],
            "token": secrets.token_urlsafe(24),
            "created_by": actor.id,
            "created_at": now,
        }
        for data, score in zip(rows, scores, strict=True)
    ]
    ids = insert_returning_ids(session, Household, values)
    resilience.record_scores(
        session,
        list(zip(ids, scores, strict=True)),
        model_version=version,
        reason="create",
        actor=actor,
        at=now,
    )
    schedules.schedule_new(
        session, [(i, str(v["community_code"])) for i, v in zip(ids, values, strict=True)]
    )
    audit.record_many(
        session,
        actor,
        "household.create",
        "household",
        ((i, _masked(v)) for i, v in zip(ids, values, strict=True)),
    )
    return ids


def view_household(session: Session, *, actor: User, household_id: int) -> Household:
    """Load a household with its full personal data; the view is audited."""
    household = get_household_for_staff(session, household_id, actor)
    audit.record(session, actor, "household.view", household)
    return household


def search_conditions(q: str) -> list[ColumnElement[bool]]:
    """What a staff search box means: pinyin initials (letters), the tail of the ID number
    (digits, X; its last four through the indexed ``id_tail``) or part of the name."""
    q = q.strip()
    if not q:
        return []
    if q.isascii() and q.isalpha():
        return [col(Household.name_initials).startswith(q.lower())]
    if q.upper().rstrip("X").isdigit():
        tail = q.upper()
        conditions = [col(Household.id_number).endswith(tail)]
        if len(tail) >= 4:
            conditions.append(col(Household.id_tail) == tail[-4:])
        return conditions
    return [col(Household.name).contains(q)]


def search_households(
    session: Session, *, actor: User, q: str = "", after_id: int | None = None, limit: int = 20
) -> list[Household]:
    """Staff search by name, pinyin initials or the tail of the ID number; keyset pagination."""
    scope = staff_scope(session, actor)
    stmt = select(Household).where(
        in_subtree(Household.community_code, scope), *search_conditions(q)
    )
    if after_id is not None:
        stmt = stmt.where(col(Household.id) < after_id)
    return list(session.exec(stmt.order_by(col(Household.id).desc()).limit(limit)))


def create_need(session: Session, *, actor: User, data: NeedIn, today: date | None = None) -> Need:
    household = get_household_for_staff(session, data.household_id, actor)
    ensure_in_care(household)
    item = session.get(TaxonomyItem, data.item)
    if item is None or not item.active:
        raise ValidationFailed({"item": "item.unknown"})
    if data.deadline is not None and data.deadline < (today or beijing_today()):
        raise ValidationFailed({"deadline": "need.deadline_past"})
    if data.campaign_id is not None:  # 专项活动: running, targeting the community, a theme item
        campaigns.check_for_need(
            session,
            data.campaign_id,
            community_code=household.community_code,
            item_code=data.item,
            today=today,
        )
    community = session.get(Region, household.community_code)
    return session.get_one(
        Need, add_needs(session, actor=actor, rows=[(data, household, community)])[0]
    )


def add_needs(
    session: Session, *, actor: User, rows: Sequence[tuple[NeedIn, Household, Region | None]]
) -> list[int]:
    """Store needs (each with its household and the household's community) whose household scope,
    item and deadline the caller has checked (one by ``create_need``, a batch by the Excel import)
    in one statement, with one audit entry each; their ids, in the order of ``rows``."""
    now = utcnow()
    priorities = priority.for_households(session, (h.id or 0 for _d, h, _c in rows))
    values = [
        {
            "household_id": household.id or 0,
            "priority": priorities.get(household.id or 0, 3),
            "kind": data.kind.value,
            "item_code": data.item,
            "title": data.title,
            "description": data.description,
            # What members and organisations will read; staff may correct it in review.
            "public_title": scrub_text(data.title, names=household_names(household)),
            "public_text": scrub_text(data.description, names=household_names(household)),
            "value_yuan": data.value_yuan,
            "deadline": data.deadline,
            # For the helper: how it reaches the household, and the staff's instructions
            # (scrubbed: the address and phone are given only through the audited reveal).
            "delivery_mode": data.delivery_mode.value,
            "delivery_instructions": scrub_text(
                data.delivery_instructions, names=household_names(household)
            ),
            "status": NeedStatus.PENDING_REVIEW.value,
            "community_code": household.community_code,
            "lat": community.lat if community else None,
            "lon": community.lon if community else None,
            "created_by": actor.id,
            "created_at": now,
            "campaign_id": data.campaign_id,
        }
        for data, household, community in rows
    ]
    ids = insert_returning_ids(session, Need, values)
    audit.record_many(
        session,
        actor,
        "need.create",
        "need",
        (
            (
                i,
                {
                    "household_id": v["household_id"],
                    "kind": v["kind"],
                    "item": v["item_code"],
                    "status": v["status"],
                },
            )
            for i, v in zip(ids, values, strict=True)
        ),
    )
    return ids


def _transition(session: Session, need: Need, allowed: tuple[str, ...], to: str) -> bool:
    """Conditional status update: only one concurrent request can move a need out of a state."""
    result = session.exec(
        update(Need).where(col(Need.id) == need.id, col(Need.status).in_(allowed)).values(status=to)
    )
    if result.rowcount != 1:
        return False
    session.refresh(need)
    return True


def publish_need(
    session: Session,
    *,
    actor: User,
    need_id: int,
    pairing_window_hours: int = 48,
    claim_window_minutes: int = 0,
) -> Need:
    """审核发布 — a reviewed need becomes visible (wishes to members, all needs to match rounds);
    a paired household's wish goes to its paired member first (``pairing_window.open_window``). A wish
    published with ``claim_window_minutes`` > 0 (``CLAIM_WINDOW_MINUTES``) first collects
    expressions of interest for that long, then one member is drawn (services/draws.py)."""
    need = get_need_for_staff(session, need_id, actor)
    before = need.status
    if not _transition(session, need, (NeedStatus.PENDING_REVIEW.value,), NeedStatus.OPEN.value):
        raise Conflict(Message("need.not_publishable", {"need_status": need.status}))
    need.published_at = utcnow()
    session.flush()
    pairing_window.open_window(session, need, window_hours=pairing_window_hours)
    # A wish its paired member has first (``pool_from``) keeps first come after that window.
    if need.kind == NeedKind.WISH.value and claim_window_minutes > 0 and need.pool_from is None:
        need.window_closes_at = need.published_at + timedelta(minutes=claim_window_minutes)
        session.flush()
    audit.record(
        session,
        actor,
        "need.publish",
        need,
        before={"status": before},
        after={"status": need.status, "window_closes_at": need.window_closes_at},
    )
    return need


def edit_public_version(
    session: Session, *, actor: User, need_id: int, title: str, text: str
) -> Need:
    """Staff correct what members and organisations will read of a need (its public title and
    description); the original title and description stay as they are, for staff."""
    need = get_need_for_staff(session, need_id, actor)
    title, text = title.strip(), text.strip()
    errors: dict[str, Message | str] = {}
    if not title:
        errors["public_title"] = "field.required"
    elif len(title) > 100:
        errors["public_title"] = Message("field.too_long", {"max": 100})
    if len(text) > 2000:
        errors["public_text"] = Message("field.too_long", {"max": 2000})
    if errors:
        raise ValidationFailed(errors)
    if need.status not in (NeedStatus.PENDING_REVIEW.value, NeedStatus.OPEN.value):
        raise Conflict(Message("need.not_editable", {"need_status": need.status}))
    before = {"public_title": need.public_title, "public_text": need.public_text}
    need.public_title, need.public_text = title, text
    session.flush()
    audit.record(
        session,
        actor,
        "need.edit_public",
        need,
        before=before,
        after={"public_title": title, "public_text": text},
    )
    return need


def cancel_need(session: Session, *, actor: User, need_id: int, reason: str) -> Need:
    need = get_need_for_staff(session, need_id, actor)
    if not reason.strip():
        raise ValidationFailed({"reason": "reason.required"})
    if not _cancel(session, need, reason, actor=actor):
        raise Conflict(Message("need.not_cancellable", {"need_status": need.status}))
    return need


CANCELLABLE = (
    NeedStatus.PENDING_REVIEW.value,
    NeedStatus.OPEN.value,
    NeedStatus.CLAIMED.value,
    NeedStatus.MATCHED.value,
)


def _cancel(session: Session, need: Need, reason: str, *, actor: User | None) -> bool:
    """Cancel a need that is still open (its active claim released), audited; False when it was
    no longer cancellable (the conditional update lost)."""
    before = need.status
    if not _transition(session, need, CANCELLABLE, NeedStatus.CANCELLED.value):
        return False
    release_active_claim(session, need, "cancelled")
    need.closed_at, need.close_reason = utcnow(), reason.strip()
    session.flush()
    audit.record(
        session,
        actor,
        "need.cancel",
        need,
        before={"status": before},
        after={"status": need.status, "reason": reason},
    )
    return True


def cancel_open_needs(
    session: Session, *, household_id: int, reason: str, actor: User | None
) -> int:
    """Cancel every open need of a household (it exits, DESIGN §10) with ``reason``; how many."""
    ids = session.exec(
        select(Need.id).where(Need.household_id == household_id, col(Need.status).in_(CANCELLABLE))
    ).all()
    return sum(
        _cancel(session, session.get_one(Need, need_id), reason, actor=actor) for need_id in ids
    )


def expire_needs(session: Session, *, today: date | None = None) -> int:
    """Needs still open past their deadline expire (过期)."""
    today = today or beijing_today()
    ids = list(
        session.exec(
            select(Need.id).where(
                col(Need.status).in_((NeedStatus.OPEN.value, NeedStatus.PENDING_REVIEW.value)),
                col(Need.deadline) < today,
            )
        )
    )
    count = 0
    for need_id in ids:
        need = session.get(Need, need_id)
        if need is not None and _transition(
            session,
            need,
            (NeedStatus.OPEN.value, NeedStatus.PENDING_REVIEW.value),
            NeedStatus.EXPIRED.value,
        ):
            need.closed_at, need.close_reason = utcnow(), "deadline passed"
            audit.record(
                session,
                None,
                "need.expire",
                need,
                after={"status": need.status},
                actor_label="system",
            )
            count += 1
    session.flush()
    return count


def needs_of_household(session: Session, household_id: int) -> list[Need]:
    return list(
        session.exec(
            select(Need).where(Need.household_id == household_id).order_by(col(Need.id).desc())
        )
    )


@dataclass(frozen=True)
class HouseholdRecord:
    """A household as its hub sees it: full personal data, its needs (newest first), the latest
    claim of each need, the community's name."""

    household: Household
    needs: list[Need]
    claims: dict[int, Claim]
    community: str


def household_record(session: Session, *, actor: User, household_id: int) -> HouseholdRecord:
    household = view_household(session, actor=actor, household_id=household_id)
    needs = needs_of_household(session, household.id or 0)
    return HouseholdRecord(
        household,
        needs,
        latest_claims(session, actor=actor, need_ids=[n.id or 0 for n in needs]),
        region_names(session).get(household.community_code, ""),
    )


def is_wish(need: Need) -> bool:
    return need.kind == NeedKind.WISH.value


OPEN_STATUSES = (
    NeedStatus.PENDING_REVIEW.value,
    NeedStatus.OPEN.value,
    NeedStatus.CLAIMED.value,
    NeedStatus.MATCHED.value,
)


@dataclass(frozen=True)
class _TextNeed:
    id: int
    household: int
    item: str
    text: str


def possible_duplicates(session: Session, need_ids: list[int]) -> dict[int, list[int]]:
    """For each given need, the other open needs of its household that look like the same need
    (same item, or a similar text): flagged for the reviewer, never dropped silently."""
    if not need_ids:
        return {}
    households_of = select(Need.household_id).where(col(Need.id).in_(need_ids))
    rows = session.exec(
        select(Need).where(
            col(Need.household_id).in_(households_of), col(Need.status).in_(OPEN_STATUSES)
        )
    ).all()
    pairs = find_duplicates(
        _TextNeed(n.id or 0, n.household_id, n.item_code, f"{n.title} {n.description}")
        for n in rows
    )
    wanted = set(need_ids)
    out: dict[int, list[int]] = {}
    for d in pairs:
        first, second = int(d.first), int(d.second)  # type: ignore[call-overload]
        if first in wanted:
            out.setdefault(first, []).append(second)
        if second in wanted:
            out.setdefault(second, []).append(first)
    return {k: sorted(v) for k, v in out.items()}


def suggest_items(session: Session, text: str, k: int = 3) -> list[dict[str, object]]:
    """The taxonomy items a free-text wish most likely belongs to (fuzzy matching)."""
    names = {
        i.code: (i.name_zh, i.name_en)
        for i in session.exec(select(TaxonomyItem).where(TaxonomyItem.active))
    }
    return [
        {
            "item": code,
            "name_zh": names[code][0],
            "name_en": names[code][1],
            "score": round(score, 1),
        }
        for code, score in text_suggest(text[:500], k=k)
        if code in names
    ]
