"""In-product notifications (站内通知)."""

from __future__ import annotations

from sqlmodel import Session, col, func, select, update

from marketplace.models import Notification, Role, User, utcnow
from marketplace.services.privacy import scrub_text


def notify(session: Session, user_id: int, kind: str, text: str, link: str | None = None) -> None:
    # Titles and reasons are typed by staff and may carry a phone or ID number (DESIGN §6);
    # the column holds 500 characters (PostgreSQL refuses longer text).
    session.add(Notification(user_id=user_id, kind=kind, text=scrub_text(text)[:500], link=link))


def notify_org(
    session: Session, org_id: int, kind: str, text: str, link: str | None = None
) -> None:
    for uid in session.exec(select(User.id).where(User.org_id == org_id, User.role == Role.ORG)):
        if uid is not None:
            notify(session, uid, kind, text, link)


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


def already_sent(session: Session, user_id: int, kind: str, link: str) -> bool:
    """Whether this user already has a notification of this kind about this link (one event)."""
    return (
        session.exec(
            select(Notification.id).where(
                Notification.user_id == user_id,
                Notification.kind == kind,
                Notification.link == link,
            )
        ).first()
        is not None
    )


def notify_once(session: Session, user_id: int, kind: str, text: str, link: str) -> bool:
    """``notify`` unless the same (user, kind, link) was already notified; True when sent."""
    if already_sent(session, user_id, kind, link):
        return False
    notify(session, user_id, kind, text, link)
    return True
