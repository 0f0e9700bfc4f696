"""In-product notifications (站内通知), stored as data.

A notification is what happened (``kind``), a message with parameters (``Message``) and the object
it is about (``Ref``). The web layer renders the text and the link in the reader's language when
the page is read, so a notification written for one language reads well in the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select, update

from marketplace.models import Notification, Role, User, utcnow
from marketplace.services.messages import Message
from marketplace.services.privacy import scrub_text

# A parameter typed by people (a title, a reason) is kept to this many characters.
PARAM_CHARS = 200


@dataclass(frozen=True)
class Ref:
    """The object a notification is about: ``type`` is ``need``, ``claim``, ``offer``, ``round``
    or ``proposal``."""

    type: str
    id: int


def _stored(params: dict[str, Any]) -> dict[str, Any]:
    # Titles and reasons are typed by staff and may carry a phone or ID number (DESIGN §6).
    return {
        name: scrub_text(value)[:PARAM_CHARS] if isinstance(value, str) else value
        for name, value in params.items()
    }


def notify(
    session: Session, user_id: int, kind: str, message: Message, ref: Ref | None = None
) -> None:
    session.add(
        Notification(
            user_id=user_id,
            kind=kind,
            code=message.code,
            params=_stored(dict(message.params)),
            ref_type=ref.type if ref else None,
            ref_id=ref.id if ref else None,
        )
    )


def notify_org(
    session: Session, org_id: int, kind: str, message: Message, ref: Ref | None = None
) -> None:
    for uid in session.exec(select(User.id).where(User.org_id == org_id, User.role == Role.ORG)):
        if uid is not None:
            notify(session, uid, kind, message, ref)


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
        ).one()
    )


def recent(session: Session, user_id: int, limit: int = 50) -> list[Notification]:
    return list(
        session.exec(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(col(Notification.id).desc())
            .limit(limit)
        )
    )


def mark_all_read(session: Session, user_id: int) -> None:
    session.exec(
        update(Notification)
        .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )


def already_sent(session: Session, user_id: int, code: str, ref: Ref) -> bool:
    """Whether this user already has a notification with this code about this object."""
    return (
        session.exec(
            select(Notification.id).where(
                Notification.user_id == user_id,
                Notification.code == code,
                Notification.ref_type == ref.type,
                Notification.ref_id == ref.id,
            )
        ).first()
        is not None
    )


def notify_once(session: Session, user_id: int, kind: str, message: Message, ref: Ref) -> bool:
    """``notify`` unless the user was already told the same (code, object); True when sent."""
    if already_sent(session, user_id, message.code, ref):
        return False
    notify(session, user_id, kind, message, ref)
    return True
