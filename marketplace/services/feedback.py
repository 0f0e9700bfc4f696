"""幸福码, both ways: the household asks for help and rates the help it received (DESIGN §10, §11).

Items of the 幸福清单 are named by a key ``<kind>-<id>``: ``claim-12`` (marketplace help: a
member's claim or a round's assignment), ``visit-3`` (探访关爱), ``benefit-5``
(a granted policy referral). Every item is delivered and acknowledged:

- delivered: a claim once the helper reported it (delivered, confirmed), a visit once recorded, a
  benefit once staff recorded it as granted (referral ``done``);
- acknowledged: the household's "I received it" (a claim's ``acknowledged_at``, a
  ``ListAcknowledgement`` row for the others); rating an item acknowledges it too.

Help requests (``request_help``) are leads (``Lead``, source ``happiness``) for the street hub of the
household's community, due like a warning (3 days for a level-1 household, else 7:
``warnings.due_at``); the hub's staff are notified.

Ratings and thanks (``rate``): 1–5 and optional words, one per delivered item and not editable (a
second rating is a conflict: the first one may already have reached the helper). The words are
scrubbed before they are stored (the household's own name too). Every rating waits for hub staff of
the household's subtree (``moderate``): shown, the helper (member, or the organisation's accounts)
is notified and sees the words on their service record, with the household masked; held, it never
reaches the helper. Whether the helper also sees the rating (1–5) is the household's street hub's
choice (``Hub.share_ratings``, off by default, set by that hub's staff on the feedback page).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from marketplace import models
from marketplace.models import (
    Claim,
    ClaimStatus,
    Contribution,
    EventSource,
    Feedback,
    FeedbackStatus,
    Household,
    Hub,
    Lead,
    ListAcknowledgement,
    ListItemKind,
    Need,
    Offer,
    PolicyReferral,
    ReferralStatus,
    User,
    Visit,
    WarningLevel,
)
from marketplace.services import audit, claims, contacts, notifications
from marketplace.services.access import in_scope, staff_scope
from marketplace.services.clock import beijing_date, now_utc
from marketplace.services.errors import Conflict, NotFound, ValidationFailed
from marketplace.services.messages import Message
from marketplace.services.notifications import Ref
from marketplace.services.privacy import household_names, mask_name, scrub_text
from marketplace.services.regions import in_subtree

ITEM_KEY = re.compile(r"^(claim|visit|benefit)-([1-9][0-9]{0,9})$")
HELP_MIN, HELP_MAX = 2, 500  # characters of a help request
CONTACT_MAX = 100
WORDS_MAX = 300
DELIVERED_CLAIMS = (ClaimStatus.DELIVERED.value, ClaimStatus.CONFIRMED.value)


def item_key(kind: str, item_id: int) -> str:
    return f"{kind}-{item_id}"


@dataclass(frozen=True)
class ListItem:
    """One item of a household's 幸福清单, as far as rating and acknowledging need it."""

    kind: str
    id: int
    household_id: int
    delivered: bool
    acknowledged: bool
    member_id: int | None = None  # the helper, when a person
    org_id: int | None = None  # the helper, when an organisation

    @property
    def key(self) -> str:
        return item_key(self.kind, self.id)


def parse_item(key: str) -> tuple[str, int]:
    """``claim-12`` → ("claim", 12); anything else is not found."""
    match = ITEM_KEY.match(key or "")
    if match is None:
        raise NotFound()
    return match.group(1), int(match.group(2))


def _acknowledged(session: Session, kind: str, item_id: int) -> bool:
    return (
        session.exec(
            select(ListAcknowledgement.id).where(
                ListAcknowledgement.item_kind == kind, ListAcknowledgement.item_id == item_id
            )
        ).first()
        is not None
    )


def find_item(session: Session, household: Household, key: str) -> ListItem:
    """The item ``key`` of this household's list; another household's item is not found."""
    kind, item_id = parse_item(key)
    if kind == ListItemKind.CLAIM:
        claim = session.get(Claim, item_id)
        need = session.get(Need, claim.need_id) if claim is not None else None
        if claim is None or need is None or need.household_id != household.id:
            raise NotFound()
        org_id = None
        if claim.member_id is None and claim.offer_id is not None:
            offer = session.get(Offer, claim.offer_id)
            org_id = offer.org_id if offer is not None else None
        return ListItem(
            kind,
            item_id,
            household.id or 0,
            claim.status in DELIVERED_CLAIMS,
            claim.acknowledged_at is not None,
            member_id=claim.member_id,
            org_id=org_id,
        )
    if kind == ListItemKind.BENEFIT:
        referral = session.get(PolicyReferral, item_id)
        if referral is None or referral.household_id != household.id:
            raise NotFound()
        if referral.status != ReferralStatus.DONE.value:
            raise NotFound()  # not on the list until granted
        return ListItem(
            kind, item_id, household.id or 0, True, _acknowledged(session, kind, item_id)
        )
    visit = session.get(Visit, item_id)
    if visit is None or visit.household_id != household.id:
        raise NotFound()
    member_id, org_id = _visit_helper(session, visit)
    return ListItem(
        kind,
        item_id,
        household.id or 0,
        True,
        _acknowledged(session, kind, item_id),
        member_id=member_id,
        org_id=org_id,
    )


def _visit_helper(session: Session, visit: Visit) -> tuple[int | None, int | None]:
    """The paired helper who made a visit (member, or organisation account); staff's own visits
    have no helper to thank (the hub reads the rating)."""
    if visit.pairing_id is None:
        return None, None
    user = session.get(User, visit.visitor_id)
    if user is None:
        return None, None
    if user.role == models.Role.ORG and user.org_id is not None:
        return None, user.org_id
    return user.id, None


def acknowledge_item(session: Session, *, household: Household, key: str) -> ListItem:
    """The household's "I received it" for any item of its list (idempotent, audited once)."""
    item = find_item(session, household, key)
    if not item.delivered:
        raise Conflict("claim.nothing_delivered")
    if item.acknowledged:
        return item
    if item.kind == ListItemKind.CLAIM:
        claims.acknowledge(session, household=household, claim_id=item.id)
    else:
        row = ListAcknowledgement(
            household_id=household.id or 0, item_kind=item.kind, item_id=item.id
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # acknowledged at the same moment by another request
            return item
        audit.record(
            session, None, "listitem.acknowledge", row, after={"item": key}, actor_label="household"
        )
    return ListItem(item.kind, item.id, item.household_id, True, True, item.member_id, item.org_id)


# -- ratings and thanks -------------------------------------------------------------------------


def _parse_rating(value: Any) -> int:
    try:
        rating = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed({"rating": "feedback.rating_range"}) from None
    if not 1 <= rating <= 5:
        raise ValidationFailed({"rating": "feedback.rating_range"})
    return rating


def rate(
    session: Session, *, household: Household, key: str, rating: Any, words: str | None = None
) -> Feedback:
    """The household rates a delivered item of its list (1–5, optional words): stored scrubbed,
    pending for the hub, the item acknowledged. One rating per item (409 for a second)."""
    item = find_item(session, household, key)
    value = _parse_rating(rating)
    text = (words or "").strip()
    if len(text) > WORDS_MAX:
        raise ValidationFailed({"words": Message("field.too_long", {"max": WORDS_MAX})})
    if not item.delivered:
        raise Conflict("feedback.not_delivered")
    feedback = Feedback(
        household_id=household.id or 0,
        community_code=household.community_code,
        item_kind=item.kind,
        item_id=item.id,
        rating=value,
        words=scrub_text(text, names=household_names(household))[:WORDS_MAX],
        member_id=item.member_id,
        org_id=item.org_id,
        created_at=now_utc(),
    )
    try:
        with session.begin_nested():
            session.add(feedback)
            session.flush()
    except IntegrityError:
        raise Conflict("feedback.already_rated") from None
    audit.record(
        session,
        None,
        "feedback.create",
        feedback,
        after={"item": key, "rating": value, "words": bool(feedback.words)},
        actor_label="household",
    )
    acknowledge_item(session, household=household, key=key)
    hub = contacts.street_hub(session, household.community_code)
    if hub is not None:
        for uid in contacts.staff_of_hub(session, hub):
            notifications.notify(
                session,
                uid,
                "feedback",
                Message("notice.feedback_pending", {"rating": value}),
                Ref("feedback", feedback.id or 0),
            )
    return feedback


def ratings_of_household(session: Session, household_id: int) -> dict[str, Feedback]:
    """The household's own ratings by item key (its page shows what it gave)."""
    rows = session.exec(select(Feedback).where(Feedback.household_id == household_id))
    return {item_key(f.item_kind, f.item_id): f for f in rows}


@dataclass(frozen=True)
class FeedbackRow:
    """A rating in the hub's moderation list."""

    feedback: Feedback
    household_label: str
    title: str
    helper: str


def queue(
    session: Session, *, actor: User, status: str = FeedbackStatus.PENDING.value, limit: int = 200
) -> list[FeedbackRow]:
    """Ratings of the households in the staff member's subtree, newest first, by status."""
    scope = staff_scope(session, actor)
    if status not in {s.value for s in FeedbackStatus}:
        status = FeedbackStatus.PENDING.value
    rows = list(
        session.exec(
            select(Feedback)
            .where(Feedback.status == status, in_subtree(Feedback.community_code, scope))
            .order_by(col(Feedback.id).desc())
            .limit(limit)
        )
    )
    households = {
        h.id: h
        for h in session.exec(
            select(Household).where(col(Household.id).in_({f.household_id for f in rows}))
        )
    }
    titles = _item_titles(session, rows)
    helpers = _helper_names(session, rows)
    return [
        FeedbackRow(
            f,
            households[f.household_id].name if f.household_id in households else "",
            titles.get(item_key(f.item_kind, f.item_id), ""),
            helpers.get(f.id or 0, ""),
        )
        for f in rows
    ]


def _item_titles(session: Session, rows: Iterable[Feedback]) -> dict[str, str]:
    """What each rated item was (the need's public title, or the benefit's policy item code)."""
    from marketplace.services.wishes import public_title_of

    out: dict[str, str] = {}
    claim_ids = [f.item_id for f in rows if f.item_kind == ListItemKind.CLAIM]
    if claim_ids:
        for claim, need in session.exec(
            select(Claim, Need)
            .join(Need, col(Need.id) == Claim.need_id)
            .where(col(Claim.id).in_(claim_ids))
        ):
            out[item_key("claim", claim.id or 0)] = public_title_of(session, need)
    benefit_ids = [f.item_id for f in rows if f.item_kind == ListItemKind.BENEFIT]
    if benefit_ids:
        for r in session.exec(
            select(PolicyReferral).where(col(PolicyReferral.id).in_(benefit_ids))
        ):
            out[item_key("benefit", r.id or 0)] = r.item_code
    return out


def _helper_names(session: Session, rows: Iterable[Feedback]) -> dict[int, str]:
    out: dict[int, str] = {}
    for f in rows:
        if f.member_id is not None:
            user = session.get(User, f.member_id)
            out[f.id or 0] = (user.display_name or user.username) if user else ""
        elif f.org_id is not None:
            org = session.get(models.Organisation, f.org_id)
            out[f.id or 0] = org.name if org else ""
    return out


# Moves a hub may make: a pending rating is shown or held; a held one may still be shown. A shown
# one stays shown (its helper has been told).
MOVES: dict[str, tuple[str, ...]] = {
    FeedbackStatus.SHOWN.value: (FeedbackStatus.PENDING.value, FeedbackStatus.HELD.value),
    FeedbackStatus.HELD.value: (FeedbackStatus.PENDING.value,),
}


def moderate(session: Session, *, actor: User, feedback_id: int, status: str) -> Feedback:
    """Hub staff of the household's subtree show a rating to its helper or hold it back, in one
    conditional UPDATE (a move already made is a conflict). Shown: the helper is notified."""
    scope = staff_scope(session, actor)
    if status not in MOVES:
        raise ValidationFailed({"status": "feedback.bad_status"})
    feedback = session.get(Feedback, feedback_id)
    if feedback is None or not in_scope(scope, feedback.community_code):
        raise NotFound()
    before = feedback.status
    now = now_utc()
    moved = session.exec(
        update(Feedback)
        .where(col(Feedback.id) == feedback_id, col(Feedback.status).in_(MOVES[status]))
        .values(status=status, moderated_by=actor.id, moderated_at=now)
    ).rowcount
    if not moved:
        raise Conflict("feedback.already_moderated")
    session.refresh(feedback)
    audit.record(
        session,
        actor,
        "feedback.moderate",
        feedback,
        before={"status": before},
        after={"status": status},
    )
    if status == FeedbackStatus.SHOWN.value:
        _tell_the_helper(session, feedback)
    return feedback


def _tell_the_helper(session: Session, feedback: Feedback) -> None:
    share = share_ratings(session, feedback.community_code)
    household = session.get(Household, feedback.household_id)
    params: dict[str, Any] = {
        "household": mask_name(household.name if household else ""),
        "words": feedback.words,
    }
    if share:
        message = Message("notice.thanks_rated", params | {"rating": feedback.rating})
    else:
        message = Message("notice.thanks", params)
    ref = Ref(feedback.item_kind, feedback.item_id)
    if feedback.member_id is not None:
        notifications.notify(session, feedback.member_id, "thanks", message, ref)
    elif feedback.org_id is not None:
        notifications.notify_org(session, feedback.org_id, "thanks", message, ref)


def share_ratings(session: Session, community_code: str) -> bool:
    """Whether the helpers of this community's households see the ratings: the street hub's
    choice (the district's when the street has no hub)."""
    hub = contacts.street_hub(session, community_code)
    return bool(hub is not None and hub.share_ratings)


def set_share_ratings(session: Session, *, actor: User, value: bool) -> Hub:
    """Hub staff set their own hub's choice; audited."""
    hub = contacts.own_hub(session, actor=actor)
    before = hub.share_ratings
    hub.share_ratings = bool(value)
    session.add(hub)
    session.flush()
    audit.record(
        session,
        actor,
        "hub.share_ratings",
        hub,
        before={"share_ratings": before},
        after={"share_ratings": hub.share_ratings},
    )
    return hub


@dataclass(frozen=True)
class Thanks:
    """A shown thank-you as its helper reads it: the household masked, the words (scrubbed), the
    rating only if the hub shares ratings."""

    household: str
    words: str
    rating: int | None
    at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "household": self.household,
            "words": self.words,
            "rating": self.rating,
            "at": self.at.isoformat(),
        }


def thanks_for_claims(session: Session, claim_ids: Iterable[int]) -> dict[int, Thanks]:
    """Shown thanks by claim id (held and pending ones never)."""
    ids = sorted(set(claim_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(Feedback, Household)
        .join(Household, col(Household.id) == Feedback.household_id)
        .where(
            Feedback.item_kind == ListItemKind.CLAIM.value,
            col(Feedback.item_id).in_(ids),
            Feedback.status == FeedbackStatus.SHOWN.value,
        )
    )
    shares: dict[str, bool] = {}
    out: dict[int, Thanks] = {}
    for f, h in rows:
        if f.community_code not in shares:
            shares[f.community_code] = share_ratings(session, f.community_code)
        out[f.item_id] = Thanks(
            mask_name(h.name),
            f.words,
            f.rating if shares[f.community_code] else None,
            f.moderated_at or f.created_at,
        )
    return out


def thanks_for_records(session: Session, records: Iterable[Contribution]) -> dict[int, Thanks]:
    """Shown thanks by contribution record id (the records page, the records API)."""
    by_claim = {r.claim_id: r.id for r in records if r.claim_id is not None and r.id is not None}
    return {
        by_claim[claim_id]: thanks
        for claim_id, thanks in thanks_for_claims(session, by_claim).items()
    }


# -- help requests --------------------------------------------------------------------------------


def request_help(session: Session, *, household: Household, text: str, contact: str = "") -> Lead:
    """The household asks for help from its 幸福码: a lead for the street hub of its community,
    due like a warning (important for a level-1 household), the hub's staff notified."""
    body = (text or "").strip()
    reach = (contact or "").strip()
    errors: dict[str, Message | str] = {}
    if len(body) < HELP_MIN:
        errors["text"] = "field.required"
    elif len(body) > HELP_MAX:
        errors["text"] = Message("field.too_long", {"max": HELP_MAX})
    if len(reach) > CONTACT_MAX:
        errors["contact"] = Message("field.too_long", {"max": CONTACT_MAX})
    if errors:
        raise ValidationFailed(errors)
    hub = contacts.street_hub(session, household.community_code) or contacts.responsible_hub(
        session, household.community_code
    )
    if hub is None:
        raise Conflict("help.no_hub")
    # Due like a warning: the warnings' one rule (services/warnings.py).
    from marketplace.services.warnings import due_at

    level = WarningLevel.IMPORTANT if household.risk_level == 1 else WarningLevel.GENERAL
    now = now_utc()
    lead = Lead(
        community_code=household.community_code,
        hub_id=hub.id or 0,
        source=EventSource.HAPPINESS.value,
        description=body,
        contact=reach,
        due_at=due_at(now, level.value),
        household_id=household.id,
        created_at=now,
    )
    session.add(lead)
    session.flush()
    audit.record(
        session,
        None,
        "lead.help_request",
        lead,
        after={"household_id": household.id, "hub_id": hub.id, "level": level.value},
        actor_label="household",
    )
    for uid in contacts.staff_of_hub(session, hub):
        notifications.notify(
            session,
            uid,
            "help_request",
            Message(
                "notice.help_request",
                {"household": household.id, "due": beijing_date(lead.due_at).isoformat()},
            ),
            Ref("lead", lead.id or 0),
        )
    return lead


def open_help_requests(session: Session, household_id: int) -> int:
    """How many of the household's help requests the hub has not closed yet (its page says so)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Lead)
            .where(
                Lead.household_id == household_id,
                Lead.source == EventSource.HAPPINESS.value,
                Lead.status == models.LeadStatus.OPEN.value,
            )
        ).one()
    )


def acknowledged_keys(session: Session, household_id: int) -> set[str]:
    """The keys of the household's acknowledged visits and benefits."""
    rows = session.exec(
        select(ListAcknowledgement.item_kind, ListAcknowledgement.item_id).where(
            ListAcknowledgement.household_id == household_id
        )
    )
    return {item_key(kind, item_id) for kind, item_id in rows}


@dataclass(frozen=True)
class HelpRequestRow:
    """An open help request from a 幸福码, for the hub staff it went to (or who oversee it)."""

    lead: Lead
    household_id: int | None
    household_name: str


def open_help_requests_for_staff(
    session: Session, *, actor: User, limit: int = 100
) -> list[HelpRequestRow]:
    """Open 幸福码 help requests of the households in the staff member's subtree, due first."""
    scope = staff_scope(session, actor)
    rows = session.exec(
        select(Lead, Household)
        .outerjoin(Household, col(Household.id) == Lead.household_id)
        .where(
            Lead.source == EventSource.HAPPINESS.value,
            Lead.status == models.LeadStatus.OPEN.value,
            in_subtree(Lead.community_code, scope),
        )
        .order_by(col(Lead.due_at), col(Lead.id))
        .limit(limit)
    )
    return [HelpRequestRow(lead, lead.household_id, h.name if h else "") for lead, h in rows]
