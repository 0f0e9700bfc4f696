"""Match rounds (匹配轮次): the adapter between database rows and the ``matching`` library, and the
staff decisions on proposals (accept, reject, lock).

A round is run by a background job (``marketplace.jobs.rounds``) in three units of work: load the
problem, solve without touching the database, store every proposal at once. A round that fails or
times out stores nothing but its status.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select, update

import matching
from marketplace.bulk import bulk_insert
from marketplace.models import (
    Claim,
    Household,
    MatchRound,
    Need,
    NeedKind,
    NeedStatus,
    Offer,
    Organisation,
    Proposal,
    ProposalStatus,
    Region,
    Role,
    RoundStatus,
    TaxonomyItem,
    UnmatchedNeed,
    User,
    risk_level,
    utcnow,
)
from marketplace.services import audit, repeat_help
from marketplace.services.access import in_scope, viewer_scope
from marketplace.services.claims import consume_capacity
from marketplace.services.clock import beijing_today
from marketplace.services.errors import Conflict, NotFound, ValidationFailed
from marketplace.services.messages import RAW, Message
from marketplace.services.notifications import Ref, notify_org
from marketplace.services.offers import live_conditions
from marketplace.services.privacy import mask_name
from marketplace.services.regions import in_subtree
from marketplace.services.wishes import public_title, public_title_of, scrub_about


@dataclass(frozen=True)
class RoundSettings:
    max_per_household: int = 2
    unclaimed_days: int = 14  # wishes unclaimed this long join the round
    time_limit_s: float = 300.0
    assignment_days: int = 14  # an accepted proposal must be delivered within this
    # Fairness (DESIGN §12; the solver's side is in matching/README.md)
    max_km: float | None = 30.0  # radius of offers that give none (None: no limit)
    tilt_districts: tuple[str, ...] = matching.TILT_DISTRICTS  # regional tilt: 桐庐, 淳安, 建德
    tilt_km: float = 10.0  # a served need there counts as this many km saved (0: off)
    held_max_days: int = 30  # a held proposal stays held this long (0: until released)
    repeat_help_days: int = 90  # no household gets the same item twice within this (0: off)


_DEFAULT = RoundSettings()


def settings_from_config(config: Mapping[str, Any]) -> RoundSettings:
    """The round settings from the app's configuration (``MATCH_*``, ``UNCLAIMED_DAYS_FOR_ROUND``)."""
    return RoundSettings(
        max_per_household=int(config["MATCH_MAX_PER_HOUSEHOLD"]),
        unclaimed_days=int(config["UNCLAIMED_DAYS_FOR_ROUND"]),
        time_limit_s=float(config["MATCH_ROUND_TIME_LIMIT_S"]),
        assignment_days=int(config["MATCH_ASSIGNMENT_DAYS"]),
        # 0 km turns the distance limit off
        max_km=float(config.get("MATCH_MAX_KM", _DEFAULT.max_km)) or None,
        tilt_districts=_district_codes(config.get("MATCH_TILT_DISTRICTS", _DEFAULT.tilt_districts)),
        tilt_km=float(config.get("MATCH_TILT_KM", _DEFAULT.tilt_km)),
        held_max_days=int(config.get("MATCH_HELD_MAX_DAYS", _DEFAULT.held_max_days)),
        repeat_help_days=int(config.get("REPEAT_HELP_DAYS", _DEFAULT.repeat_help_days)),
    )


def _district_codes(value: object) -> tuple[str, ...]:
    """``MATCH_TILT_DISTRICTS``: NBS codes as "330122,330127" (environment) or a list."""
    parts = value.split(",") if isinstance(value, str) else value
    if not isinstance(parts, list | tuple):
        raise ValueError(f"MATCH_TILT_DISTRICTS: {value!r} is not a list of NBS codes")
    codes = tuple(str(p).strip() for p in parts if str(p).strip())
    for code in codes:
        if not code.isdigit() or len(code) not in (6, 9, 12):
            raise ValueError(f"MATCH_TILT_DISTRICTS: {code!r} is not a 6, 9 or 12-digit NBS code")
    return codes


def round_scope(session: Session, actor: User, requested: str | None = None) -> str | None:
    """The area a round covers: the actor's own (hub staff → their subtree, admin → the whole
    city, None) or, if they choose one, a region inside it. A region outside it, or no region at
    all, is refused — nothing is guessed."""
    own = viewer_scope(session, actor)
    if not requested or requested == own:
        return own
    if session.get(Region, requested) is None or not in_scope(own, requested):
        raise ValidationFailed({"scope": "round.scope_outside"})
    return requested


def scope_choices(session: Session, actor: User) -> list[tuple[str, str]]:
    """The areas a round can be started for, below the actor's own: the districts for the
    administrator, the streets of a district hub, the communities of a street hub."""
    own = viewer_scope(session, actor)
    stmt = (
        select(Region.code, Region.name).where(Region.level == "district")
        if own is None
        else select(Region.code, Region.name).where(Region.parent_code == own)
    )
    return [(code, name) for code, name in session.exec(stmt.order_by(Region.code))]


def start_round(session: Session, *, actor: User, scope_code: str | None = None) -> MatchRound:
    """Queue a round for the actor's area (hub staff → their subtree, admin → the whole city), or
    for a region inside it (``round_scope``)."""
    scope = round_scope(session, actor, scope_code)
    match_round = MatchRound(scope_code=scope, started_by=actor.id or 0)
    session.add(match_round)
    session.flush()
    audit.record(session, actor, "round.start", match_round, after={"scope": scope})
    return match_round


def get_round(session: Session, *, actor: User, round_id: int) -> MatchRound:
    scope = viewer_scope(session, actor)
    match_round = session.get(MatchRound, round_id)
    if match_round is None or not _covers(scope, match_round.scope_code):
        raise NotFound("round.not_found")
    return match_round


def _covers(scope: str | None, round_scope_code: str | None) -> bool:
    """A viewer sees rounds inside their area (admin sees all, a city-wide round only admin)."""
    if round_scope_code is None:
        return scope is None
    return in_scope(scope, round_scope_code)


def need_conditions(
    scope_code: str | None, settings: RoundSettings, now: datetime
) -> list[ColumnElement[bool]]:
    """Which needs a round takes in, as SQL conditions on ``Need`` — the one home of the rule, used
    by the round (``load_problem``) and by the count shown before it starts (``preview``): open
    (published, under no active claim), a service need or a micro-wish nobody has claimed for
    ``unclaimed_days``, placed on the map, in the round's area (None: the whole city)."""
    stale = now - timedelta(days=settings.unclaimed_days)
    conditions = [
        col(Need.status) == NeedStatus.OPEN.value,
        (col(Need.kind) == NeedKind.SERVICE.value) | (col(Need.published_at) < stale),
        col(Need.lat).is_not(None),
        col(Need.lon).is_not(None),
    ]
    if scope_code:
        conditions.append(in_subtree(Need.community_code, scope_code))
    return conditions


@dataclass(frozen=True)
class RoundPreview:
    """What a round started now would take in: counted, not loaded (city scale in milliseconds)."""

    scope_code: str | None  # None: the whole city
    scope_name: str | None
    service_needs: int
    waiting_wishes: int  # micro-wishes unclaimed for ``settings.unclaimed_days`` or more
    offers: int  # live offers with capacity left (any of them may serve the area)
    capacity: int  # their units left, together
    settings: RoundSettings
    tilt_names: tuple[str, ...] = ()  # the regions of the regional tilt, by name

    @property
    def needs(self) -> int:
        return self.service_needs + self.waiting_wishes


def preview(
    session: Session,
    *,
    actor: User,
    settings: RoundSettings,
    scope_code: str | None = None,
    now: datetime | None = None,
) -> RoundPreview:
    """Before a round starts: how many needs and live offers it would take in — for the actor's
    area or the region chosen in it — by the very conditions the round uses (``need_conditions``,
    ``live_conditions``)."""
    now = now or utcnow()
    scope = round_scope(session, actor, scope_code)
    by_kind = dict(
        session.execute(
            sa_select(col(Need.kind), func.count())
            .where(*need_conditions(scope, settings, now))
            .group_by(col(Need.kind))
        ).all()
    )
    offers, capacity = session.execute(
        sa_select(func.count(), func.coalesce(func.sum(col(Offer.remaining)), 0)).where(
            *live_conditions(beijing_today(now))
        )
    ).one()
    region = session.get(Region, scope) if scope else None
    tilt: tuple[str, ...] = tuple(getattr(settings, "tilt_districts", ()))
    tilt_names = dict(
        session.exec(select(Region.code, Region.name).where(col(Region.code).in_(tilt))).all()
    )
    return RoundPreview(
        scope_code=scope,
        scope_name=region.name if region else None,
        service_needs=int(by_kind.get(NeedKind.SERVICE.value, 0)),
        waiting_wishes=int(by_kind.get(NeedKind.WISH.value, 0)),
        offers=int(offers),
        capacity=int(capacity),
        settings=settings,
        tilt_names=tuple(tilt_names.get(code, code) for code in tilt),
    )


def load_problem(
    session: Session,
    match_round: MatchRound,
    settings: RoundSettings,
    *,
    now: datetime | None = None,
) -> matching.Problem:
    """Open needs not under an active claim (services, and wishes unclaimed for long) in the
    round's area, and live offers with remaining capacity."""
    now = now or utcnow()
    stmt = (
        sa_select(
            col(Need.id),
            col(Need.household_id),
            col(Need.item_code),
            col(Need.lat),
            col(Need.lon),
            col(Need.community_code),
            col(Need.published_at),
            col(Need.priority),
            col(Household.hardship_type),
        )
        .join(Household, col(Household.id) == Need.household_id)
        .where(*need_conditions(match_round.scope_code, settings, now))
    )
    needs = [
        matching.Need(
            id=row[0],
            household=row[1],
            item=row[2],
            lat=row[3] or 0.0,
            lon=row[4] or 0.0,
            region=row[5],
            priority=row[7],  # stored (services/priority.py, DESIGN §5)
            posted=row[6],
            hardship=row[8],
        )
        for row in session.execute(stmt)
    ]
    centres = {
        code: (lat, lon)
        for code, lat, lon in session.exec(select(Region.code, Region.lat, Region.lon))
    }
    offers = []
    for offer in session.exec(select(Offer).where(*live_conditions(beijing_today(now)))):
        lat, lon = offer.lat, offer.lon
        if lat is None or lon is None:
            # A region-only offer: distances are measured from the centre of its first region.
            lat, lon = (
                centres.get(offer.regions[0], (None, None)) if offer.regions else (None, None)
            )
        if lat is None or lon is None:
            continue
        offers.append(
            matching.Offer(
                id=offer.id or 0,
                items=tuple(offer.items),
                lat=lat,
                lon=lon,
                capacity=offer.remaining,
                radius_km=offer.radius_km,
                regions=tuple(offer.regions),
                hardship=tuple(offer.hardship),
                start=offer.start,
                end=offer.end,
            )
        )
    # DESIGN §12, enforced in the solver's input: rejected pairs, held proposals, recent help.
    rejected = _rejected_offers(session, {n.id for n in needs})
    if rejected:
        needs = [
            replace(n, excluded_offers=rejected[int(n.id)]) if n.id in rejected else n
            for n in needs
        ]
    params = matching.Params(
        max_per_household=settings.max_per_household,
        round_date=beijing_today(now),
        time_limit_s=settings.time_limit_s,
        max_km=settings.max_km,
        tilt_regions=settings.tilt_districts,
        tilt_km=settings.tilt_km,
        # no double help within the round either (two duplicate needs of one household)
        once_per_item=settings.repeat_help_days > 0,
    )
    return matching.Problem(
        tuple(needs),
        tuple(offers),
        params,
        recent=_recent_items(session, {n.household for n in needs}, settings, now),
        held=_held_proposals(session, settings, now),
    )


def _rejected_offers(session: Session, need_ids: set[Any]) -> dict[int, tuple[int, ...]]:
    """Per need of the round: the offers staff rejected for it — never proposed again."""
    out: dict[int, list[int]] = {}
    stmt = select(Proposal.need_id, Proposal.offer_id).where(
        col(Proposal.status) == ProposalStatus.REJECTED.value
    )
    for need_id, offer_id in session.exec(stmt):
        if need_id in need_ids:
            out.setdefault(need_id, []).append(offer_id)
    return {k: tuple(sorted(set(v))) for k, v in out.items()}


def _held_proposals(
    session: Session, settings: RoundSettings, now: datetime
) -> tuple[matching.Held, ...]:
    """Held (暂缓) proposals younger than ``held_max_days`` whose need is still open: the need is
    not matched again and the offer keeps a unit for it (one per need, the latest)."""
    stmt = (
        select(Proposal.need_id, Proposal.offer_id)
        .join(Need, col(Need.id) == Proposal.need_id)
        .where(
            col(Proposal.status) == ProposalStatus.LOCKED.value,
            col(Need.status) == NeedStatus.OPEN.value,
        )
        .order_by(col(Proposal.decided_at).desc(), col(Proposal.id).desc())
    )
    if settings.held_max_days > 0:
        stmt = stmt.where(col(Proposal.decided_at) >= now - timedelta(days=settings.held_max_days))
    held: dict[int, int] = {}
    for need_id, offer_id in session.exec(stmt):
        held.setdefault(need_id, offer_id)
    return tuple(matching.Held(n, o) for n, o in held.items())


def _recent_items(
    session: Session, households: set[Any], settings: RoundSettings, now: datetime
) -> tuple[matching.RecentHelp, ...]:
    """Items the round's households received — or are being given — within the repeat-help
    window, through any channel (the rule: ``services.repeat_help``)."""
    items = repeat_help.received_items(session, households, days=settings.repeat_help_days, now=now)
    return tuple(matching.RecentHelp(h, tuple(sorted(i))) for h, i in sorted(items.items()))


# What a running round is doing (``MatchRound.message``): a message code for each phase the solver
# reports; a finished or failed round holds the code of its outcome.
PHASES = {
    "candidates": "round.candidates",
    "model": "round.model",
    "solve": "round.solve",
    "result": "round.result",
    "done": "round.storing",
}


def mark_running(session: Session, round_id: int) -> MatchRound:
    match_round = session.get(MatchRound, round_id)
    if match_round is None:
        raise NotFound("round.not_found")
    match_round.status, match_round.progress, match_round.message = (
        RoundStatus.RUNNING.value,
        0.0,
        "round.loading",
    )
    session.flush()
    return match_round


def set_progress(session: Session, round_id: int, fraction: float, phase: str) -> None:
    session.exec(
        update(MatchRound)
        .where(col(MatchRound.id) == round_id, col(MatchRound.status) == RoundStatus.RUNNING.value)
        .values(
            progress=round(min(max(fraction, 0.0), 1.0), 3),
            message=PHASES.get(phase, "round.running"),
        )
    )


def store_result(
    session: Session, round_id: int, result: matching.Result, extra_stats: dict[str, Any]
) -> MatchRound:
    """Write every proposal and unmatched reason of a finished solve, then mark the round done."""
    match_round = session.get(MatchRound, round_id)
    if match_round is None:
        raise NotFound("round.not_found")
    proposals = bulk_insert(
        session,
        "proposal",
        ("round_id", "need_id", "offer_id", "distance_km", "reasons", "status"),
        (
            (
                round_id,
                int(a.need),
                int(a.offer),
                a.distance_km,
                json.dumps(list(a.reasons), ensure_ascii=False),
                ProposalStatus.PROPOSED.value,
            )
            for a in result.assignments
        ),
    )
    unmatched = bulk_insert(
        session,
        "unmatchedneed",
        ("round_id", "need_id", "reason"),
        ((round_id, int(u.need), u.reason) for u in result.unmatched),
    )
    match_round.status = RoundStatus.DONE.value
    match_round.progress = 1.0
    match_round.message = "round.done"
    match_round.stats = (
        dict(result.stats) | extra_stats | {"proposals": proposals, "unmatched": unmatched}
    )
    match_round.finished_at = utcnow()
    session.flush()
    audit.record(
        session,
        None,
        "round.finish",
        match_round,
        after={"proposals": proposals},
        actor_label="matching",
    )
    return match_round


def mark_failed(session: Session, round_id: int, message: Message) -> None:
    """The round failed: its message code says why; the parameters (an error reference) are kept
    with the statistics, as ``message_params``."""
    match_round = session.get(MatchRound, round_id)
    if match_round is None:
        return
    match_round.status, match_round.message, match_round.finished_at = (
        RoundStatus.FAILED.value,
        message.code,
        utcnow(),
    )
    if message.params:
        match_round.stats = dict(match_round.stats) | {"message_params": dict(message.params)}
    session.flush()
    audit.record(
        session,
        None,
        "round.fail",
        match_round,
        after={"message": message.code, **message.params},
        actor_label="matching",
    )


def proposals_of(
    session: Session, *, actor: User, round_id: int, after_id: int | None = None, limit: int = 50
) -> list[Proposal]:
    get_round(session, actor=actor, round_id=round_id)
    stmt = select(Proposal).where(Proposal.round_id == round_id)
    if after_id is not None:
        stmt = stmt.where(col(Proposal.id) > after_id)
    return list(session.exec(stmt.order_by(col(Proposal.id)).limit(limit)))


def unmatched_summary(session: Session, *, actor: User, round_id: int) -> dict[str, int]:
    get_round(session, actor=actor, round_id=round_id)
    counts: dict[str, int] = {}
    for reason in session.exec(
        select(UnmatchedNeed.reason).where(UnmatchedNeed.round_id == round_id)
    ):
        counts[reason] = counts.get(reason, 0) + 1
    return counts


def _proposal_in_scope(session: Session, actor: User, proposal_id: int) -> tuple[Proposal, Need]:
    """A proposal the actor may decide on (accept, reject, hold): its round is one they can see
    (the rule of ``get_round``) and its need lies in their area. Anything else is not found."""
    scope = viewer_scope(session, actor)
    proposal = session.get(Proposal, proposal_id)
    match_round = session.get(MatchRound, proposal.round_id) if proposal else None
    need = session.get(Need, proposal.need_id) if proposal else None
    if (
        proposal is None
        or match_round is None
        or not _covers(scope, match_round.scope_code)
        or need is None
        or not in_scope(scope, need.community_code)
    ):
        raise NotFound("proposal.not_found")
    return proposal, need


def _move(
    session: Session,
    proposal: Proposal,
    allowed: tuple[str, ...],
    to: str,
    actor: User,
    reason: str,
) -> None:
    moved = session.exec(
        update(Proposal)
        .where(col(Proposal.id) == proposal.id, col(Proposal.status).in_(allowed))
        .values(status=to, decided_by=actor.id, decided_at=utcnow(), decision_reason=reason or None)
    ).rowcount
    if moved != 1:
        session.refresh(proposal)
        raise Conflict(Message("proposal.already_decided", {"proposal_status": proposal.status}))
    session.refresh(proposal)


def accept_proposal(
    session: Session,
    *,
    actor: User,
    proposal_id: int,
    settings: RoundSettings,
    today: date | None = None,
) -> Claim:
    """Accept: the need becomes matched, one unit of the offer's capacity is taken atomically
    (never below 0) while the offer is still live, and the organisation is notified. Any step
    that fails raises ``Conflict`` and the unit of work rolls back: nothing changes."""
    proposal, need = _proposal_in_scope(session, actor, proposal_id)
    _move(
        session,
        proposal,
        (ProposalStatus.PROPOSED.value, ProposalStatus.LOCKED.value),
        ProposalStatus.ACCEPTED.value,
        actor,
        "",
    )
    taken = session.exec(
        update(Need)
        .where(col(Need.id) == need.id, col(Need.status) == NeedStatus.OPEN.value)
        .values(status=NeedStatus.MATCHED.value)
    ).rowcount
    if taken != 1:
        raise Conflict("proposal.need_taken")
    # Rule (DESIGN §12): no double help, whichever channel gave the item first (the household's
    # row locked, as a claim does); staff can allow the need with a reason (repeat_help.allow).
    if settings.repeat_help_days > 0:
        session.exec(
            select(Household.id).where(col(Household.id) == need.household_id).with_for_update()
        ).first()
        if repeat_help.refuses(session, need, days=settings.repeat_help_days, now=utcnow()):
            raise Conflict(Message("proposal.recently_helped", {"days": settings.repeat_help_days}))
    # Rule: capacity is taken only from a live offer (open, of a vetted organisation, within its
    # dates in Beijing) — checked in the same conditional update, not read before it.
    if not consume_capacity(session, proposal.offer_id, today=today):
        offer = session.get(Offer, proposal.offer_id)
        used_up = offer is not None and offer.remaining <= 0
        raise Conflict("proposal.offer_full" if used_up else "proposal.offer_not_live")
    now = utcnow()
    claim = Claim(
        need_id=need.id or 0,
        offer_id=proposal.offer_id,
        claimed_at=now,
        due_at=now + timedelta(days=settings.assignment_days),
    )
    session.add(claim)
    session.flush()
    offer = session.get(Offer, proposal.offer_id)
    if offer is not None:
        session.refresh(offer)
        notify_org(
            session,
            offer.org_id,
            "assignment",
            Message(
                "notice.assignment", {"offer": offer.title, "title": public_title_of(session, need)}
            ),
            Ref("claim", claim.id or 0),
        )
    audit.record(
        session,
        actor,
        "proposal.accept",
        proposal,
        before={"status": "proposed"},
        after={"status": "accepted", "claim_id": claim.id},
    )
    return claim


def reject_proposal(session: Session, *, actor: User, proposal_id: int, reason: str) -> Proposal:
    allowed = (ProposalStatus.PROPOSED.value, ProposalStatus.LOCKED.value)
    return _decide_with_reason(
        session, actor, proposal_id, reason, allowed, ProposalStatus.REJECTED.value
    )


def lock_proposal(session: Session, *, actor: User, proposal_id: int, reason: str) -> Proposal:
    """Hold a proposal for a decision later (e.g. waiting for the family); it can still be accepted."""
    allowed = (ProposalStatus.PROPOSED.value,)
    return _decide_with_reason(
        session, actor, proposal_id, reason, allowed, ProposalStatus.LOCKED.value
    )


def _decide_with_reason(
    session: Session, actor: User, proposal_id: int, reason: str, allowed: tuple[str, ...], to: str
) -> Proposal:
    """Reject or hold: both need a reason, and both are audited with it."""
    if not reason.strip():
        raise ValidationFailed({"reason": "reason.required"})
    proposal, _ = _proposal_in_scope(session, actor, proposal_id)
    # Staff of other areas and the administrator read it: scrubbed (the audit keeps the original).
    public_reason = scrub_about(session, proposal.need_id, reason.strip())
    _move(session, proposal, allowed, to, actor, public_reason)
    action = "proposal.reject" if to == ProposalStatus.REJECTED.value else "proposal.lock"
    audit.record(session, actor, action, proposal, after={"status": to, "reason": reason})
    return proposal


@dataclass(frozen=True)
class ProposalRow:
    """A proposal as staff review it: the need, the offer and why they were paired."""

    proposal: Proposal
    need_title: str
    household: str  # masked (privacy.mask_name)
    household_id: int
    item: str
    community: str
    offer_title: str
    org_name: str
    offer_remaining: int
    reasons: tuple[Message, ...] = ()  # why they were paired, with names (``pair_reasons``)


def _item_param(items: Mapping[str, tuple[str, str]], code: str) -> dict[str, str]:
    """An item's names as a message parameter: the web layer shows the reader's language."""
    zh, en = items.get(code, (code, code))
    return {"zh": zh, "en": en}


def pair_reasons(
    codes: list[str],
    *,
    item: dict[str, str],
    offer_title: str,
    org_name: str,
    household: str,
    risk_score: int,
    hardship: str,
    place: str,
) -> tuple[Message, ...]:
    """The solver's reason codes of a pair (``item:…``, ``priority:…``, ``distance_km:…``,
    ``nearest_eligible_offer`` / ``nearer_offers_full``) as messages with the names they are about:
    the item, the offer and its organisation, the (masked) household and its risk level, the
    community. A code it does not know is kept as it is."""
    out: list[Message] = []
    level = risk_level(risk_score)
    for code in codes:
        key, _sep, value = code.partition(":")
        if key == "item":
            out.append(
                Message("round.why.item", {"org": org_name, "offer": offer_title, "item": item})
            )
        elif key == "priority":
            priority = int(value) if value.isdigit() else level
            params = {"priority": priority, "household": household, "level": level}
            if priority >= level:
                out.append(Message("round.why.priority", params))
            elif hardship == "emergency":
                out.append(Message("round.why.priority_emergency", params))
            else:
                out.append(Message("round.why.priority_warning", params))
        elif key == "distance_km":
            km = round(float(value), 1) if value else 0.0
            out.append(Message("round.why.distance", {"km": km, "place": place}))
        elif code == "nearest_eligible_offer":
            out.append(Message("round.why.nearest", {"item": item}))
        elif code == "nearer_offers_full":
            out.append(Message("round.why.nearer_full", {"item": item}))
        else:
            out.append(Message(RAW, {"text": code}))
    return tuple(out)


# Why a need was left out, as a message about it (``matching.REASON_CODES``).
UNMATCHED_MESSAGES = {
    "no_offer_for_item": "round.unmatched.no_offer_for_item",
    "out_of_area": "round.unmatched.out_of_area",
    "not_eligible": "round.unmatched.not_eligible",
    "recently_helped": "round.unmatched.recently_helped",
    "previously_rejected": "round.unmatched.previously_rejected",
    "capacity_exhausted": "round.unmatched.capacity_exhausted",
    "household_cap": "round.unmatched.household_cap",
}


@dataclass(frozen=True)
class UnmatchedRow:
    """A need the round left unserved, and why, in words about it."""

    need_id: int
    need_title: str
    household: str  # masked
    household_id: int
    community: str
    reason: str  # the code (``matching.REASON_CODES``)
    message: Message
    item: str = ""  # the item's code
    district: str = ""  # the district's name
    hardship: str = ""  # the household's hardship type (code)
    level: int = 0  # the household's risk level


@dataclass(frozen=True)
class UnmatchedFilter:
    """The unserved needs of a round by reason code, district (6-digit code) and item code."""

    reason: str = ""
    district: str = ""
    item: str = ""


def _unmatched_conditions(round_id: int, f: UnmatchedFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(UnmatchedNeed.round_id) == round_id]
    if f.reason:
        conditions.append(col(UnmatchedNeed.reason) == f.reason)
    if f.district:
        conditions.append(in_subtree(Need.community_code, f.district))
    if f.item:
        conditions.append(col(Need.item_code) == f.item)
    return conditions


def unmatched_count(
    session: Session, *, actor: User, round_id: int, f: UnmatchedFilter | None = None
) -> int:
    """How many unserved needs of the round pass the filter."""
    get_round(session, actor=actor, round_id=round_id)
    stmt = (
        sa_select(func.count())
        .select_from(UnmatchedNeed)
        .join(Need, col(Need.id) == UnmatchedNeed.need_id)
        .where(*_unmatched_conditions(round_id, f or UnmatchedFilter()))
    )
    return int(session.execute(stmt).scalar_one())


@dataclass(frozen=True)
class UnmatchedChoices:
    """What the unserved needs of a round can be filtered by: only values that occur."""

    reasons: list[str]
    districts: list[tuple[str, str]]  # (code, name)
    items: list[str]


def unmatched_choices(session: Session, *, actor: User, round_id: int) -> UnmatchedChoices:
    get_round(session, actor=actor, round_id=round_id)
    rows = session.execute(
        sa_select(
            col(UnmatchedNeed.reason),
            func.substr(col(Need.community_code), 1, 6),
            col(Need.item_code),
        )
        .join(Need, col(Need.id) == UnmatchedNeed.need_id)
        .where(col(UnmatchedNeed.round_id) == round_id)
        .distinct()
    ).all()
    districts = {row[1] for row in rows}
    names = dict(
        session.exec(select(Region.code, Region.name).where(col(Region.code).in_(districts))).all()
    )
    return UnmatchedChoices(
        reasons=sorted({row[0] for row in rows}),
        districts=sorted((code, names.get(code, code)) for code in districts),
        items=sorted({row[2] for row in rows}),
    )


def rounds_in_scope(session: Session, *, actor: User, limit: int = 50) -> list[MatchRound]:
    scope = viewer_scope(session, actor)
    stmt = select(MatchRound)
    if scope is not None:
        stmt = stmt.where(in_subtree(MatchRound.scope_code, scope))
    return list(session.exec(stmt.order_by(col(MatchRound.id).desc()).limit(limit)))


def scope_names(session: Session, match_rounds: list[MatchRound]) -> dict[str, str]:
    """The names of the areas of some rounds (region code → name), for the pages."""
    codes = {r.scope_code for r in match_rounds if r.scope_code}
    if not codes:
        return {}
    return dict(
        session.exec(select(Region.code, Region.name).where(col(Region.code).in_(codes))).all()
    )


def proposal_rows(
    session: Session,
    *,
    actor: User,
    round_id: int,
    status: str | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[ProposalRow]:
    """One page of a round's proposals with what staff need to decide, in four queries."""
    get_round(session, actor=actor, round_id=round_id)
    stmt = select(Proposal).where(Proposal.round_id == round_id)
    if status:
        stmt = stmt.where(Proposal.status == status)
    if after_id is not None:
        stmt = stmt.where(col(Proposal.id) > after_id)
    proposals = list(session.exec(stmt.order_by(col(Proposal.id)).limit(limit)))
    need_ids = [p.need_id for p in proposals]
    offer_ids = {p.offer_id for p in proposals}
    needs = {
        n.id: (n, h)
        for n, h in session.exec(
            select(Need, Household)
            .join(Household, col(Household.id) == Need.household_id)
            .where(col(Need.id).in_(need_ids))
        )
    }
    offers = {
        o.id: (o, org)
        for o, org in session.exec(
            select(Offer, Organisation)
            .join(Organisation, col(Organisation.id) == Offer.org_id)
            .where(col(Offer.id).in_(offer_ids))
        )
    }
    names = _place_names(session, {n.community_code for n, _ in needs.values()})
    items = _item_names(session)
    own_area = actor.role == Role.HUB_STAFF
    rows = []
    for p in proposals:
        need, household = needs[p.need_id]
        offer, org = offers[p.offer_id]
        place = names.get(need.community_code, need.community_code)
        rows.append(
            ProposalRow(
                proposal=p,
                # Hub staff of the area see the title; the administrator the public one.
                need_title=need.title if own_area else public_title(need, household.name),
                household=mask_name(household.name),
                household_id=household.id or 0,
                item=items.get(need.item_code, (need.item_code, ""))[0],
                community=place,
                offer_title=offer.title,
                org_name=org.name,
                offer_remaining=offer.remaining,
                reasons=pair_reasons(
                    list(p.reasons),
                    item=_item_param(items, need.item_code),
                    offer_title=offer.title,
                    org_name=org.name,
                    household=mask_name(household.name),
                    risk_score=household.risk_score,
                    hardship=household.hardship_type,
                    place=place,
                ),
            )
        )
    return rows


def _item_names(session: Session) -> dict[str, tuple[str, str]]:
    return {
        code: (zh, en)
        for code, zh, en in session.exec(
            select(TaxonomyItem.code, TaxonomyItem.name_zh, TaxonomyItem.name_en)
        )
    }


def _place_names(session: Session, community_codes: set[str]) -> dict[str, str]:
    """Community code → "street community" (e.g. 湖滨街道 东坡路社区), in two queries."""
    communities = {
        code: (name, parent)
        for code, name, parent in session.exec(
            select(Region.code, Region.name, Region.parent_code).where(
                col(Region.code).in_(community_codes)
            )
        )
    }
    parents = {p for _, p in communities.values() if p}
    streets = dict(
        session.exec(select(Region.code, Region.name).where(col(Region.code).in_(parents))).all()
    )
    return {
        code: f"{streets[parent]} {name}" if parent in streets else name
        for code, (name, parent) in communities.items()
    }


def unmatched_rows(
    session: Session,
    *,
    actor: User,
    round_id: int,
    settings: RoundSettings,
    limit: int = 50,
    f: UnmatchedFilter | None = None,
) -> list[UnmatchedRow]:
    """The needs a round left unserved (the first ``limit`` passing the filter), each with its
    reason in words: the item, the community, the household's limit. Staff of the area see
    titles, others the public ones — as for proposals."""
    get_round(session, actor=actor, round_id=round_id)
    rows = session.exec(
        select(UnmatchedNeed, Need, Household)
        .join(Need, col(Need.id) == UnmatchedNeed.need_id)
        .join(Household, col(Household.id) == Need.household_id)
        .where(*_unmatched_conditions(round_id, f or UnmatchedFilter()))
        .order_by(col(UnmatchedNeed.id))
        .limit(limit)
    ).all()
    names = _place_names(session, {n.community_code for _, n, _ in rows})
    district_codes = {n.community_code[:6] for _, n, _ in rows}
    districts = dict(
        session.exec(
            select(Region.code, Region.name).where(col(Region.code).in_(district_codes))
        ).all()
    )
    items = _item_names(session)
    own_area = actor.role == Role.HUB_STAFF
    out = []
    for u, need, household in rows:
        place = names.get(need.community_code, need.community_code)
        masked = mask_name(household.name)
        params = {
            "item": _item_param(items, need.item_code),
            "place": place,
            "household": masked,
            "hardship": household.hardship_type,
            "max": settings.max_per_household,
        }
        code = UNMATCHED_MESSAGES.get(u.reason)
        out.append(
            UnmatchedRow(
                need_id=need.id or 0,
                need_title=need.title if own_area else public_title(need, household.name),
                household=masked,
                household_id=household.id or 0,
                community=place,
                reason=u.reason,
                message=Message(code, params) if code else Message(RAW, {"text": u.reason}),
                item=need.item_code,
                district=districts.get(need.community_code[:6], ""),
                hardship=household.hardship_type,
                level=risk_level(household.risk_score),
            )
        )
    return out
