"""结对帮扶's first look — a paired household's new micro-wish goes to its paired member first, for
``PAIRING_WINDOW_HOURS`` (default 48), then to the pool (DESIGN §10). ``Need.pool_from`` holds the
moment it reaches the pool.

A module of its own, below the services that use it (households when a wish is published, claims
when a member claims, visits and pairings for a household's active pairing), so that none of them
imports another's use cases.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, or_
from sqlmodel import Session, col, select

from marketplace.models import Need, NeedKind, Pairing, utcnow
from marketplace.services import notifications
from marketplace.services.messages import Message
from marketplace.services.notifications import Ref


def active_pairing(session: Session, household_id: int) -> Pairing | None:
    """The household's pairing that has not ended (one at most: a partial unique index)."""
    return session.exec(
        select(Pairing).where(Pairing.household_id == household_id, col(Pairing.ended_at).is_(None))
    ).first()


def open_window(
    session: Session, need: Need, *, window_hours: int, now: datetime | None = None
) -> None:
    """A wish just published: when its household has an active member pairing, the member has
    it first for ``window_hours`` (``Need.pool_from``) and is notified. 0 turns it off."""
    if window_hours <= 0 or need.kind != NeedKind.WISH.value:
        return
    pairing = active_pairing(session, need.household_id)
    if pairing is None or pairing.member_id is None:
        return
    start = need.published_at or now or utcnow()
    need.pool_from = start + timedelta(hours=window_hours)
    session.add(need)
    session.flush()
    notifications.notify(
        session,
        pairing.member_id,
        "paired_wish",
        Message("notice.paired_wish", {"hours": window_hours}),
        Ref("need", need.id or 0),
    )


def in_pool(now: datetime) -> ColumnElement[bool]:
    """SQL: the wish has reached the pool (no pairing window, or the window has passed)."""
    return or_(col(Need.pool_from).is_(None), col(Need.pool_from) <= now)


def claimable_by(member_id: int | None, now: datetime) -> ColumnElement[bool]:
    """SQL: the member may claim the wish now: it is in the pool, or the member is the
    household's paired member during the window."""
    paired = exists().where(
        col(Pairing.household_id) == Need.household_id,
        col(Pairing.member_id) == member_id,
        col(Pairing.ended_at).is_(None),
    )
    return or_(in_pool(now), paired)
