"""No double help (DESIGN §12): a household does not receive the same taxonomy item twice within
``REPEAT_HELP_DAYS`` (default 90), whichever channel it comes through.

One home for the rule. Every channel that gives a household something ends in a ``Claim`` row of
one of its needs — a member's claim of a wish, an organisation's accepted round proposal — so a
household "has received or is being given" an item when one of its needs for that item has a
claim that is active, delivered or confirmed, dated (confirmed, else delivered, else claimed)
within the window. Match rounds pass these items to the solver (``matching.RecentHelp``), which
then never builds the arcs; claims and proposal decisions can ask ``received_recently``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import Select, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from marketplace.models import Claim, ClaimStatus, Need

__all__ = ["COUNTED_CLAIM_STATUSES", "received_items", "received_recently"]

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
