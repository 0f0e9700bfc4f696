"""Claims (认领), delivery (送达) and confirmation (确认完成) — race-safe by conditional updates.

Every contested step is a single ``UPDATE … WHERE <expected state>``: of N concurrent requests
exactly one sees rowcount 1. Database constraints are the backstop: a partial unique index allows
one active claim per need, and ``user.open_claims >= 0`` / ``offer.remaining >= 0`` CHECKs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from marketplace.config import Defaults
from marketplace.models import (
    ACTIVE_CLAIM_STATUSES,
    HOME_DELIVERY_MODES,
    Claim,
    ClaimStatus,
    Household,
    Hub,
    Need,
    NeedKind,
    NeedStatus,
    Offer,
    Role,
    User,
    utcnow,
)
from marketplace.services import audit, contacts, contributions, pairing_window
from marketplace.services.access import get_claim_for_deliverer, get_need_for_staff, staff_scope
from marketplace.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.notifications import Ref, notify, notify_org
from marketplace.services.offers import live_conditions, org_of
from marketplace.services.privacy import mask_name
from marketplace.services.repeat_help import refuses as refused_as_repeat_help
from marketplace.services.wishes import WishView, public_title_of, scrub_about, views_of


@dataclass(frozen=True)
class ClaimPolicy:
    max_open: int = 3
    days: int = 7
    repeat_help_days: int = 90  # REPEAT_HELP_DAYS: no item twice to a household (0: off)


def claim_wish(
    session: Session,
    *,
    member: User,
    wish_id: int,
    policy: ClaimPolicy,
    now: datetime | None = None,
) -> Claim:
    """A member claims an open micro-wish: exactly one of N concurrent claimers wins."""
    if member.role != Role.MEMBER:
        raise Forbidden("access.member_only")
    now = now or utcnow()
    # Rule: a wish can be claimed only while open — the conditional update is the race arbiter.
    won = session.exec(
        update(Need)
        .where(
            col(Need.id) == wish_id,
            col(Need.kind) == NeedKind.WISH.value,
            col(Need.status) == NeedStatus.OPEN.value,
            pairing_window.claimable_by(member.id, now),  # 结对帮扶: the paired member's window
            # 认领意向登记 (DESIGN §12): while a claim window is open, or closed and awaiting its
            # draw, members register interest instead (services/draws.py clears it, then claims).
            col(Need.window_closes_at).is_(None),
        )
        .values(status=NeedStatus.CLAIMED.value)
    ).rowcount
    if won != 1:
        need = session.get(Need, wish_id)
        if (
            need is None
            or need.kind != NeedKind.WISH.value
            or need.status in (NeedStatus.PENDING_REVIEW.value,)
        ):
            raise NotFound("wish.not_found")
        if need.status == NeedStatus.OPEN.value and need.window_closes_at is not None:
            opened = need.window_closes_at > now
            raise Conflict("claim.window_open" if opened else "claim.draw_pending")
        if need.status == NeedStatus.OPEN.value:
            raise Conflict("wish.paired_first")
        raise Conflict("wish.taken")
    # Rule (DESIGN §12): no double help. The household's row is locked, so claims of two needs
    # of one household are judged one after the other; a refusal rolls the claim back.
    need = session.get(Need, wish_id)
    if need is not None and policy.repeat_help_days > 0:
        session.exec(
            select(Household.id).where(col(Household.id) == need.household_id).with_for_update()
        ).first()
        if refused_as_repeat_help(session, need, days=policy.repeat_help_days, now=now):
            raise Conflict(Message("claim.recently_helped", {"days": policy.repeat_help_days}))
    # Rule: at most ``max_open`` open claims per member, also under concurrent claims.
    capped = session.exec(
        update(User)
        .where(col(User.id) == member.id, col(User.open_claims) < policy.max_open)
        .values(open_claims=User.open_claims + 1)
    ).rowcount
    if capped != 1:
        raise Conflict(Message("claim.cap_reached", {"n": policy.max_open}))
    claim = Claim(
        need_id=wish_id,
        member_id=member.id,
        claimed_at=now,
        due_at=now + timedelta(days=policy.days),
    )
    session.add(claim)
    try:
        session.flush()
    except IntegrityError:  # the unique index backstop: never two active claims
        raise Conflict("wish.taken") from None
    session.refresh(member)
    audit.record(
        session, member, "claim.create", claim, after={"need_id": wish_id, "due_at": claim.due_at}
    )
    return claim


def check_report(note: str, *, has_photo: bool, note_min_chars: int) -> None:
    """A delivery report says something: a photo, or a note of at least ``note_min_chars``
    characters (``DELIVERY_NOTE_MIN_CHARS``). An empty report is refused."""
    if has_photo:
        return
    length = len("".join(note.split()))  # spaces do not count
    if length == 0:
        raise ValidationFailed({"note": Message("delivery.empty", {"n": note_min_chars})})
    if length < note_min_chars:
        raise ValidationFailed(
            {"note": Message("delivery.note_too_short", {"n": note_min_chars, "got": length})}
        )


@dataclass(frozen=True)
class DeliveryPreview:
    """What a delivery report will send, shown to the deliverer before they confirm it: the need
    it is about, the note as hub staff will read it (scrubbed), whether a photo goes with it."""

    claim: Claim
    wish: WishView
    note: str
    public_note: str
    has_photo: bool
    hours: Decimal | None = None


def preview_delivery(
    session: Session,
    *,
    actor: User,
    claim_id: int,
    note: str,
    has_photo: bool,
    note_min_chars: int = Defaults.DELIVERY_NOTE_MIN_CHARS,
    hours: Decimal | str | None = None,
) -> DeliveryPreview:
    """Check a report as ``report_delivery`` will, without storing anything."""
    claim, wish = claim_with_wish(session, actor=actor, claim_id=claim_id)
    if claim.status != ClaimStatus.ACTIVE.value:
        raise Conflict(Message("claim.not_active", {"claim_status": claim.status}))
    check_report(note, has_photo=has_photo, note_min_chars=note_min_chars)
    declared = contributions.parse_hours(hours)
    return DeliveryPreview(
        claim=claim,
        wish=wish,
        note=note.strip(),
        public_note=scrub_about(session, claim.need_id, note.strip()),
        has_photo=has_photo,
        hours=declared,
    )


def report_delivery(
    session: Session,
    *,
    actor: User,
    claim_id: int,
    note: str,
    photo_path: str | None = None,
    save_photo: Callable[[], str] | None = None,
    note_min_chars: int = Defaults.DELIVERY_NOTE_MIN_CHARS,
    hours: Decimal | str | None = None,
) -> Claim:
    """The member (or the organisation, for an assigned offer) reports that help was delivered.
    ``hours``: the service time the deliverer declares (checked by ``contributions.parse_hours``).

    A report needs a photo or a note of at least ``note_min_chars`` characters. ``save_photo``
    (the web layer's: it checks, re-encodes and writes an uploaded photo and returns its file
    name) is called only once the claim has moved to delivered: a report that is refused costs
    no decoding and leaves no file."""
    claim = get_claim_for_deliverer(session, claim_id, actor)
    check_report(
        note,
        has_photo=save_photo is not None or bool(photo_path),
        note_min_chars=note_min_chars,
    )
    declared = contributions.parse_hours(hours)
    moved = session.exec(
        update(Claim)
        .where(col(Claim.id) == claim.id, col(Claim.status) == ClaimStatus.ACTIVE.value)
        .values(
            status=ClaimStatus.DELIVERED.value,
            delivered_at=utcnow(),
            # Read by hub staff and shown next to the household in exports: scrubbed like any
            # text one party writes for another (DESIGN §6).
            delivery_note=scrub_about(session, claim.need_id, note.strip()) or None,
            photo_path=photo_path,
            declared_hours=declared,
        )
    ).rowcount
    if moved != 1:
        session.refresh(claim)
        raise Conflict(Message("claim.not_active", {"claim_status": claim.status}))
    if save_photo is not None:
        photo_path = save_photo()
        session.exec(update(Claim).where(col(Claim.id) == claim.id).values(photo_path=photo_path))
    session.exec(
        update(Need)
        .where(
            col(Need.id) == claim.need_id,
            col(Need.status).in_((NeedStatus.CLAIMED.value, NeedStatus.MATCHED.value)),
        )
        .values(status=NeedStatus.DELIVERED.value)
    )
    if claim.member_id is not None:
        _release_member_slot(session, claim.member_id)
    session.refresh(claim)
    audit.record(
        session,
        actor,
        "claim.deliver",
        claim,
        before={"status": "active"},
        after={"status": claim.status, "photo": bool(photo_path)},
    )
    return claim


def active_claim(session: Session, need_id: int) -> Claim | None:
    return session.exec(
        select(Claim).where(Claim.need_id == need_id, col(Claim.status).in_(ACTIVE_CLAIM_STATUSES))
    ).first()


def confirm_delivery(
    session: Session, *, actor: User, need_id: int, hours: Decimal | str | None = None
) -> Claim:
    """确认完成 — hub staff of the household's subtree confirm a reported delivery; its service
    record (志愿服务记录) is written with ``hours`` (the hub's figure; None keeps the declared)."""
    confirmed_hours = contributions.parse_hours(hours)
    need = get_need_for_staff(session, need_id, actor)
    claim = active_claim(session, need.id or 0)
    if claim is None or claim.status != ClaimStatus.DELIVERED.value:
        raise Conflict("delivery.none_to_confirm")
    moved = session.exec(
        update(Claim)
        .where(col(Claim.id) == claim.id, col(Claim.status) == ClaimStatus.DELIVERED.value)
        .values(status=ClaimStatus.CONFIRMED.value, confirmed_at=utcnow(), confirmed_by=actor.id)
    ).rowcount
    if moved != 1:
        raise Conflict("delivery.decided_elsewhere")
    session.exec(
        update(Need)
        .where(col(Need.id) == need.id)
        .values(status=NeedStatus.CONFIRMED.value, closed_at=utcnow())
    )
    session.refresh(claim)
    session.refresh(need)
    record = contributions.record_delivery(
        session, claim=claim, need=need, actor=actor, hours=confirmed_hours
    )
    _notify_deliverer(
        session,
        claim,
        "delivery_confirmed",
        Message("notice.delivery_confirmed", {"title": public_title_of(session, need)}),
    )
    audit.record(
        session,
        actor,
        "need.confirm",
        need,
        before={"status": "delivered"},
        after={
            "status": need.status,
            "claim_id": claim.id,
            "record_no": record.record_no,
            "hours": str(record.hours),
        },
    )
    return claim


def reject_delivery(session: Session, *, actor: User, need_id: int, reason: str) -> Claim:
    """Hub staff reject a reported delivery with a reason; the claim goes back to active."""
    if not reason.strip():
        raise ValidationFailed({"reason": "delivery.reason_required"})
    need = get_need_for_staff(session, need_id, actor)
    claim = active_claim(session, need.id or 0)
    if claim is None or claim.status != ClaimStatus.DELIVERED.value:
        raise Conflict("delivery.none_to_reject")
    # The deliverer reads the reason (claims page, API, notification): scrubbed; the audit entry
    # keeps what staff wrote.
    public_reason = scrub_about(session, need.id or 0, reason.strip())
    moved = session.exec(
        update(Claim)
        .where(col(Claim.id) == claim.id, col(Claim.status) == ClaimStatus.DELIVERED.value)
        .values(status=ClaimStatus.ACTIVE.value, reject_reason=public_reason, delivered_at=None)
    ).rowcount
    if moved != 1:
        raise Conflict("delivery.decided_elsewhere")
    back = NeedStatus.CLAIMED.value if claim.member_id is not None else NeedStatus.MATCHED.value
    session.exec(update(Need).where(col(Need.id) == need.id).values(status=back))
    if claim.member_id is not None:
        # Re-opened work counts again, even if that briefly puts the member over the cap.
        session.exec(
            update(User)
            .where(col(User.id) == claim.member_id)
            .values(open_claims=User.open_claims + 1)
        )
    session.refresh(claim)
    session.refresh(need)
    _notify_deliverer(
        session,
        claim,
        "delivery_rejected",
        Message(
            "notice.delivery_rejected",
            {"title": public_title_of(session, need), "reason": public_reason},
        ),
    )
    audit.record(
        session,
        actor,
        "need.reject_delivery",
        need,
        before={"status": "delivered"},
        after={"status": need.status, "reason": reason},
    )
    return claim


def acknowledge(session: Session, *, household: Household, claim_id: int) -> Claim:
    """The household acknowledges receipt on its 幸福码 page."""
    claim = session.get(Claim, claim_id)
    need = session.get(Need, claim.need_id) if claim else None
    if claim is None or need is None or need.household_id != household.id:
        raise NotFound()
    if claim.status not in (ClaimStatus.DELIVERED.value, ClaimStatus.CONFIRMED.value):
        raise Conflict("claim.nothing_delivered")
    if claim.acknowledged_at is None:
        claim.acknowledged_at = utcnow()
        session.flush()
        audit.record(
            session,
            None,
            "claim.acknowledge",
            claim,
            after={"acknowledged": True},
            actor_label="household",
        )
    return claim


def expire_claims(session: Session, *, now: datetime | None = None) -> int:
    """Active claims past their due date expire and their wishes return to the pool."""
    now = now or utcnow()
    ids = list(
        session.exec(
            select(Claim.id).where(
                Claim.status == ClaimStatus.ACTIVE.value, col(Claim.due_at) < now
            )
        )
    )
    count = 0
    for claim_id in ids:
        moved = session.exec(
            update(Claim)
            .where(
                col(Claim.id) == claim_id,
                col(Claim.status) == ClaimStatus.ACTIVE.value,
                col(Claim.due_at) < now,
            )
            .values(status=ClaimStatus.EXPIRED.value)
        ).rowcount
        if moved != 1:
            continue
        claim = session.get(Claim, claim_id)
        assert claim is not None
        session.refresh(claim)
        back = NeedStatus.OPEN.value
        session.exec(
            update(Need)
            .where(
                col(Need.id) == claim.need_id,
                col(Need.status).in_((NeedStatus.CLAIMED.value, NeedStatus.MATCHED.value)),
            )
            .values(status=back)
        )
        if claim.member_id is not None:
            _release_member_slot(session, claim.member_id)
            notify(
                session,
                claim.member_id,
                "claim_expired",
                Message("notice.claim_expired"),
                Ref("claim", claim.id or 0),
            )
        if claim.offer_id is not None:
            _return_capacity(session, claim.offer_id)
        audit.record(
            session,
            None,
            "claim.expire",
            claim,
            before={"status": "active"},
            after={"status": "expired"},
            actor_label="system",
        )
        count += 1
    session.flush()
    return count


def give_up_claim(
    session: Session, *, actor: User, claim_id: int, reason: str, now: datetime | None = None
) -> Claim:
    """放弃认领 — a member gives an active claim back, with a reason: the wish returns to the pool,
    the member's open-claims slot is released and the responsible hub's staff are told.

    Race-safe like the rest: the claim moves out of active by one conditional update, so a
    give-up racing a delivery report (or an expiry) has exactly one winner."""
    if actor.role != Role.MEMBER:
        raise Forbidden("access.member_only")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": "claim.give_up_reason_required"})
    claim = get_claim_for_deliverer(session, claim_id, actor)
    now = now or utcnow()
    # Staff read the reason: scrubbed like any text one party writes for another (DESIGN §6).
    public_reason = scrub_about(session, claim.need_id, reason)
    moved = session.exec(
        update(Claim)
        .where(
            col(Claim.id) == claim.id,
            col(Claim.member_id) == actor.id,
            col(Claim.status) == ClaimStatus.ACTIVE.value,
        )
        .values(status=ClaimStatus.GIVEN_UP.value, given_up_at=now, give_up_reason=public_reason)
    ).rowcount
    if moved != 1:
        session.refresh(claim)
        raise Conflict(Message("claim.not_active", {"claim_status": claim.status}))
    session.exec(
        update(Need)
        .where(col(Need.id) == claim.need_id, col(Need.status) == NeedStatus.CLAIMED.value)
        .values(status=NeedStatus.OPEN.value)
    )
    _release_member_slot(session, actor.id or 0)
    session.refresh(claim)
    session.refresh(actor)
    need = session.get_one(Need, claim.need_id)
    hub = contacts.responsible_hub(session, need.community_code)
    if hub is not None:
        message = Message(
            "notice.claim_given_up",
            {"title": need.title, "reason": public_reason, "household": need.household_id},
        )
        for uid in contacts.staff_of_hub(session, hub):
            notify(session, uid, "claim_given_up", message, Ref("claim", claim.id or 0))
    audit.record(
        session,
        actor,
        "claim.give_up",
        claim,
        before={"status": "active"},
        after={"status": claim.status, "need_id": claim.need_id, "reason": reason},
    )
    return claim


def release_active_claim(session: Session, need: Need, status: str) -> None:
    """A cancelled need frees its claimer's slot (and its offer's capacity)."""
    claim = active_claim(session, need.id or 0)
    if claim is None:
        return
    was_active = claim.status == ClaimStatus.ACTIVE.value
    claim.status = status
    if claim.member_id is not None and was_active:
        _release_member_slot(session, claim.member_id)
    if claim.offer_id is not None:
        _return_capacity(session, claim.offer_id)
    session.flush()


def consume_capacity(session: Session, offer_id: int, *, today: date | None = None) -> bool:
    """Take one unit of a live offer's capacity; False when none is left (never below 0) or the
    offer is not live (closed, of an organisation no longer vetted, outside its Beijing dates):
    one conditional update checks both, so a stale read can never take capacity."""
    return (
        session.exec(
            update(Offer)
            .where(col(Offer.id) == offer_id, *live_conditions(today))
            .values(remaining=Offer.remaining - 1)
        ).rowcount
        == 1
    )


def _return_capacity(session: Session, offer_id: int) -> None:
    session.exec(
        update(Offer)
        .where(col(Offer.id) == offer_id, col(Offer.remaining) < Offer.capacity)
        .values(remaining=Offer.remaining + 1)
    )


def _release_member_slot(session: Session, member_id: int) -> None:
    session.exec(
        update(User)
        .where(col(User.id) == member_id, col(User.open_claims) > 0)
        .values(open_claims=User.open_claims - 1)
    )


def _notify_deliverer(session: Session, claim: Claim, kind: str, message: Message) -> None:
    ref = Ref("claim", claim.id or 0)
    if claim.member_id is not None:
        notify(session, claim.member_id, kind, message, ref)
    elif claim.offer_id is not None:
        offer = session.get(Offer, claim.offer_id)
        if offer is not None:
            notify_org(session, offer.org_id, kind, message, ref)


def claims_of_member(session: Session, member: User, *, limit: int = 100) -> list[Claim]:
    return list(
        session.exec(
            select(Claim)
            .where(Claim.member_id == member.id)
            .order_by(col(Claim.id).desc())
            .limit(limit)
        )
    )


def latest_claims(session: Session, *, actor: User, need_ids: list[int]) -> dict[int, Claim]:
    """The latest claim of each need (staff pages); the needs were loaded in scope by the caller."""
    staff_scope(session, actor)
    if not need_ids:
        return {}
    found = session.exec(
        select(Claim).where(col(Claim.need_id).in_(need_ids)).order_by(col(Claim.id))
    ).all()
    return {c.need_id: c for c in found}


# What deliverers see: their claims with the masked wish each is about ------------------------------


def claims_with_wishes(
    session: Session, *, actor: User, limit: int = 100
) -> list[tuple[Claim, WishView]]:
    """The member's own claims with the masked wish each is about, newest first."""
    if actor.role != Role.MEMBER:
        raise Forbidden("access.member_only")
    rows = claims_of_member(session, actor, limit=limit)
    views = views_of(session, [c.need_id for c in rows])
    return [(c, views[c.need_id]) for c in rows if c.need_id in views]


def assignments_of_org(
    session: Session, *, actor: User, limit: int = 200
) -> list[tuple[Claim, Offer, WishView]]:
    """Needs assigned to the organisation's offers (claims with an ``offer_id``), masked."""
    org = org_of(session, actor)
    rows = session.exec(
        select(Claim, Offer)
        .join(Offer, col(Offer.id) == Claim.offer_id)
        .where(Offer.org_id == org.id)
        .order_by(col(Claim.id).desc())
        .limit(limit)
    ).all()
    views = views_of(session, [c.need_id for c, _ in rows])
    return [(c, o, views[c.need_id]) for c, o in rows if c.need_id in views]


def claim_with_wish(session: Session, *, actor: User, claim_id: int) -> tuple[Claim, WishView]:
    """A claim the actor delivers (own claim or own organisation's assignment) and its masked wish."""
    claim = get_claim_for_deliverer(session, claim_id, actor)
    views = views_of(session, [claim.need_id])
    if claim.need_id not in views:
        raise NotFound("claim.not_found")
    return claim, views[claim.need_id]


# Where to deliver: the responsible hub's contact, the staff's instructions, and — for home
# delivery or home service, to the assigned helper, while the claim is active — the household's
# address and phone ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubContact:
    """The contact of the hub responsible for a need, as helpers see it."""

    name: str
    contact_name: str
    phone: str
    address: str
    office_hours: str

    @property
    def complete(self) -> bool:
        return bool(self.phone or self.address)


@dataclass(frozen=True)
class DeliveryInfo:
    """What a deliverer needs to know about one claim: how (mode), the instructions, whom to call.
    ``can_reveal``: the household's address and phone may be asked for (and the view audited)."""

    mode: str
    instructions: str
    hub: HubContact | None
    can_reveal: bool


def _hub_contact(hub: Hub | None) -> HubContact | None:
    if hub is None:
        return None
    return HubContact(
        hub.name, hub.contact_name, hub.contact_phone, hub.handover_address, hub.office_hours
    )


def delivery_infos(session: Session, rows: list[Claim]) -> dict[int, DeliveryInfo]:
    """By claim id: the delivery information of claims the caller has loaded for their deliverer
    (``claims_with_wishes``, ``assignments_of_org``). No personal data of the household."""
    need_ids = list({c.need_id for c in rows})
    if not need_ids:
        return {}
    needs = {n.id: n for n in session.exec(select(Need).where(col(Need.id).in_(need_ids)))}
    hubs_by_community: dict[str, HubContact | None] = {}
    out: dict[int, DeliveryInfo] = {}
    for claim in rows:
        need = needs.get(claim.need_id)
        if need is None:
            continue
        code = need.community_code
        if code not in hubs_by_community:
            hubs_by_community[code] = _hub_contact(contacts.responsible_hub(session, code))
        out[claim.id or 0] = DeliveryInfo(
            mode=need.delivery_mode,
            instructions=need.delivery_instructions,
            hub=hubs_by_community[code],
            can_reveal=_may_reveal(claim, need),
        )
    return out


def wish_delivery_info(session: Session, need_id: int) -> DeliveryInfo | None:
    """How a wish will be delivered, for the wish page before it is claimed: the mode, the
    instructions and the responsible hub; nothing about the household."""
    need = session.get(Need, need_id)
    if need is None:
        return None
    return DeliveryInfo(
        mode=need.delivery_mode,
        instructions=need.delivery_instructions,
        hub=_hub_contact(contacts.responsible_hub(session, need.community_code)),
        can_reveal=False,
    )


def _may_reveal(claim: Claim, need: Need) -> bool:
    return claim.status == ClaimStatus.ACTIVE.value and need.delivery_mode in HOME_DELIVERY_MODES


@dataclass(frozen=True)
class HouseholdContact:
    """Where a home delivery or home service goes: shown to the assigned helper only."""

    claim: Claim
    wish: WishView
    surname: str
    address: str
    phone: str
    info: DeliveryInfo


def household_contact(session: Session, *, actor: User, claim_id: int) -> HouseholdContact:
    """The household's address and phone for the helper of an active claim or assignment of a
    home-delivery or home-service need; every view is audited. Nobody else — other members or
    organisations, or the helper once the claim is delivered, expired or given up — gets them."""
    claim, wish = claim_with_wish(session, actor=actor, claim_id=claim_id)
    need = session.get_one(Need, claim.need_id)
    if need.delivery_mode not in HOME_DELIVERY_MODES:
        raise Forbidden("claim.contact_not_home")
    if claim.status != ClaimStatus.ACTIVE.value:
        raise Conflict(Message("claim.contact_closed", {"claim_status": claim.status}))
    household = session.get_one(Household, need.household_id)
    audit.record(
        session,
        actor,
        "household.contact_view",
        household,
        after={"claim_id": claim.id, "need_id": need.id, "fields": ["address", "phone"]},
    )
    return HouseholdContact(
        claim=claim,
        wish=wish,
        surname=mask_name(household.name),
        address=household.address,
        phone=household.phone,
        info=delivery_infos(session, [claim])[claim.id or 0],
    )
