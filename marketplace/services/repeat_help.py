"""No double help (DESIGN §12): a household does not receive the same taxonomy item twice within
``REPEAT_HELP_DAYS`` (default 90), whichever channel it comes through.

One home for the rule. Every channel that gives a household something ends in a ``Claim`` row of
one of its needs — a member's claim of a wish, an organisation's accepted round proposal — so a
household "has received or is being given" an item when one of its needs for that item has a
claim that is active, delivered or confirmed, dated (confirmed, else delivered, else claimed)
within the window. Match rounds pass these items to the solver (``matching.RecentHelp``), which
then never builds the arcs; claims and proposal decisions ask ``refuses``, which hub staff can
lift for one need with a reason (``allow``, audited: the audit entry is the permission).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import Select, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from marketplace.models import AuditLog, Claim, ClaimStatus, Need, User
from marketplace.services import audit
from marketplace.services.access import get_need_for_staff
from marketplace.services.errors import ValidationFailed
from marketplace.services.messages import Message

__all__ = [
    "ALLOW_ACTION",
    "COUNTED_CLAIM_STATUSES",
    "allow",
    "allowed",
    "received_items",
    "received_recently",
    "refuses",
]

ALLOW_ACTION = "need.repeat_help_allow"
REASON_MAX = 500

COUNTED_CLAIM_STATUSES = (
    ClaimStatus.ACTIVE.value,
    ClaimStatus.DELIVERED.value,
    ClaimStatus.CONFIRMED.value,
)
"""Claims that mean the household got, or is getting, the item (not expired, cancelled, given up)."""

# Above this many households the query reads every recent claim and filters in Python, rather
# than sending a huge IN list.
_IN_LIST_MAX = 500


def _recent_claims(days: int, now: datetime) -> Select[int, str]:
    since = now - timedelta(days=days)
    when = func.coalesce(Claim.confirmed_at, Claim.delivered_at, Claim.claimed_at)
    return (
        sa_select(col(Need.household_id), col(Need.item_code))
        .join(Claim, col(Claim.need_id) == Need.id)
        .where(col(Claim.status).in_(COUNTED_CLAIM_STATUSES), when >= since)
    )


def received_items(
    session: Session, households: Collection[int] | None, *, days: int, now: datetime
) -> dict[int, set[str]]:
    """Per household (of ``households``; None = all): the items it received or is being given
    within ``days`` before ``now``. ``days`` <= 0 turns the rule off (nothing is recent)."""
    if days <= 0 or (households is not None and not households):
        return {}
    stmt = _recent_claims(days, now).distinct()
    if households is not None and len(households) <= _IN_LIST_MAX:
        stmt = stmt.where(col(Need.household_id).in_(list(households)))
    out: dict[int, set[str]] = {}
    for household_id, item in session.execute(stmt):
        if households is None or household_id in households:
            out.setdefault(household_id, set()).add(item)
    return out


def received_recently(
    session: Session,
    household_id: int,
    item: str,
    *,
    days: int,
    now: datetime,
    except_need: int | None = None,
) -> bool:
    """Whether the household received (or is being given) ``item`` within ``days`` — through
    any of its needs other than ``except_need`` (the need being decided on itself)."""
    if days <= 0:
        return False
    stmt = _recent_claims(days, now).where(
        col(Need.household_id) == household_id, col(Need.item_code) == item
    )
    if except_need is not None:
        stmt = stmt.where(col(Need.id) != except_need)
    return session.execute(stmt.limit(1)).first() is not None


def allowed(session: Session, need_id: int) -> bool:
    """Whether hub staff allowed this need despite the rule (``allow``)."""
    return (
        session.execute(
            sa_select(col(AuditLog.id))
            .where(
                col(AuditLog.action) == ALLOW_ACTION,
                col(AuditLog.object_type) == "need",
                col(AuditLog.object_id) == str(need_id),
            )
            .limit(1)
        ).first()
        is not None
    )


def refuses(session: Session, need: Need, *, days: int, now: datetime) -> bool:
    """The rule at claim and proposal time: the need's household received (or is being given)
    the need's item within ``days`` through another need, and staff did not allow it."""
    return received_recently(
        session, need.household_id, need.item_code, days=days, now=now, except_need=need.id
    ) and not allowed(session, need.id or 0)


def allow(session: Session, *, actor: User, need_id: int, reason: str) -> Need:
    """Hub staff of the need's area let it be claimed or matched although its household received
    the same item recently (e.g. the first one broke). A reason is required; audited."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": "reason.required"})
    if len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": Message("field.too_long", {"max": REASON_MAX})})
    need = get_need_for_staff(session, need_id, actor)
    audit.record(session, actor, ALLOW_ACTION, need, after={"reason": reason})
    return need


def refused_needs(
    session: Session, needs: Collection[Need], *, days: int, now: datetime
) -> set[int]:
    """Of these needs, those still waiting (in review or open) that a claim or an accepted proposal
    would refuse now (``refuses``): flagged on the staff pages, where staff can ``allow`` them."""
    waiting = [n for n in needs if n.status in ("pending_review", "open") and n.id is not None]
    recent = received_items(session, {n.household_id for n in waiting}, days=days, now=now)
    suspects = [n for n in waiting if n.item_code in recent.get(n.household_id, ())]
    return {n.id for n in suspects if n.id is not None and refuses(session, n, days=days, now=now)}
