"""Notifications (站内通知) are stored as data: a kind, a message code with parameters (personal
data scrubbed) and the object they are about; ``notify_once`` never repeats an event."""

from __future__ import annotations

from sqlmodel import select

from marketplace.models import Notification, Role
from marketplace.services import notifications
from marketplace.services.messages import Message
from marketplace.services.notifications import Ref, notify, notify_once, notify_org


def _of(s, user_id):
    return list(s.exec(select(Notification).where(Notification.user_id == user_id)))


def test_notify_stores_code_parameters_and_reference(db, make_user):
    member = make_user(Role.MEMBER)
    with db() as s:
        message = Message("notice.delivery_rejected", {"title": "电饭煲", "reason": "照片不清楚"})
        notify(s, member.id, "delivery_rejected", message, Ref("claim", 12))
    with db() as s:
        (n,) = _of(s, member.id)
        assert (n.kind, n.code, n.params) == (
            "delivery_rejected",
            "notice.delivery_rejected",
            {"title": "电饭煲", "reason": "照片不清楚"},
        )
        assert (n.ref_type, n.ref_id, n.read_at) == ("claim", 12, None)


def test_typed_parameters_are_scrubbed_and_bounded(db, make_user):
    member = make_user(Role.MEMBER)
    with db() as s:
        reason = "请联系 13812345678 再送一次" + "很" * 500
        notify(
            s,
            member.id,
            "delivery_rejected",
            Message("notice.delivery_rejected", {"title": "轮椅", "reason": reason}),
        )
    with db() as s:
        (n,) = _of(s, member.id)
        assert "13812345678" not in n.params["reason"]
        assert len(n.params["reason"]) == notifications.PARAM_CHARS
        assert (n.ref_type, n.ref_id) == (None, None)


def test_notify_once_is_once_per_code_and_object(db, make_user):
    member = make_user(Role.MEMBER)
    due = Message("notice.claim_expiring", {"title": "大米"})
    with db() as s:
        assert notify_once(s, member.id, "claim_expiring", due, Ref("claim", 1))
    with db() as s:
        assert not notify_once(s, member.id, "claim_expiring", due, Ref("claim", 1))
        # Another object, or another message about the same object, is another event.
        assert notify_once(s, member.id, "claim_expiring", due, Ref("claim", 2))
        assert notify_once(s, member.id, "claim_expiring", due, Ref("offer", 1))
        other = Message("notice.delivery_confirmed", {"title": "大米"})
        assert notify_once(s, member.id, "delivery_confirmed", other, Ref("claim", 1))
    with db() as s:
        assert len(_of(s, member.id)) == 4
        assert notifications.unread_count(s, member.id) == 4


def test_notify_org_reaches_every_account_of_the_organisation(db, make_user, make_org):
    org = make_org(vetted=True)
    first, second = make_user(Role.ORG, org_id=org.id), make_user(Role.ORG, org_id=org.id)
    outsider = make_user(Role.ORG, org_id=make_org(vetted=True).id)
    with db() as s:
        message = Message("notice.assignment", {"offer": "助餐", "title": "午饭"})
        notify_org(s, org.id, "assignment", message, Ref("claim", 3))
    with db() as s:
        assert [n.code for n in _of(s, first.id)] == ["notice.assignment"]
        assert [n.code for n in _of(s, second.id)] == ["notice.assignment"]
        assert _of(s, outsider.id) == []


def test_mark_all_read(db, make_user):
    member = make_user(Role.MEMBER)
    with db() as s:
        notify(s, member.id, "claim_expired", Message("notice.claim_expired"), Ref("claim", 1))
        notify(s, member.id, "claim_expired", Message("notice.claim_expired"), Ref("claim", 2))
    with db() as s:
        notifications.mark_all_read(s, member.id)
    with db() as s:
        assert notifications.unread_count(s, member.id) == 0
        assert [n.id for n in notifications.recent(s, member.id)] == sorted(
            (n.id for n in _of(s, member.id)), reverse=True
        )
