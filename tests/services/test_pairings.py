"""结对帮扶 (services/pairings.py): one active pairing per household, ending it, the helper's
list, and the pairing window: a paired household's new wish is hidden from the pool and
claimable only by the paired member until ``pool_from``, then in the pool as usual."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from marketplace.models import AuditLog, Need, Notification, Pairing, Role, User, utcnow
from marketplace.services import claims, clock, households, pairings, wishes
from marketplace.services.errors import Conflict, NotFound, ValidationFailed


@pytest.fixture
def people(make_user):
    return {
        "staff": make_user(Role.HUB_STAFF, hub="330102"),
        "other": make_user(Role.HUB_STAFF, hub="330106"),
        "member": make_user(Role.MEMBER),
        "rival": make_user(Role.MEMBER),
    }


def _end():
    return (clock.beijing_today() + timedelta(days=180)).isoformat()


def _actor(s, user):
    return s.get(User, user.id)


def test_pair_notifies_the_helper_and_allows_one_active_pairing(db, people, make_household):
    h = make_household(people["staff"])
    with db() as s:
        p = pairings.pair(
            s,
            actor=_actor(s, people["staff"]),
            household_id=h.id,
            member_id=people["member"].id,
            end=_end(),
        )
        assert p.start == clock.beijing_today()
    with db() as s:
        notes = s.exec(
            select(Notification).where(Notification.user_id == people["member"].id)
        ).all()
        assert [n.code for n in notes] == ["notice.paired"]
        assert s.exec(select(AuditLog).where(AuditLog.action == "pairing.create")).one()
        with pytest.raises(Conflict) as exc:
            pairings.pair(
                s,
                actor=_actor(s, people["staff"]),
                household_id=h.id,
                member_id=people["rival"].id,
                end=_end(),
            )
        assert exc.value.message.code == "pairing.exists"
    with db() as s:  # the partial unique index is the backstop
        s.add(
            Pairing(
                household_id=h.id,
                member_id=people["rival"].id,
                start=clock.beijing_today(),
                end=clock.beijing_today(),
            )
        )
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()


def test_pair_checks_fields_and_scope(db, people, make_household, make_org):
    h = make_household(people["staff"])
    org = make_org()
    with db() as s:
        with pytest.raises(ValidationFailed) as exc:
            pairings.pair(
                s,
                actor=_actor(s, people["staff"]),
                household_id=h.id,
                member_id=people["member"].id,
                org_id=org.id,
                start="2026-13-01",
                end="",
            )
        assert set(exc.value.errors) == {"member_id", "start", "end"}
        with pytest.raises(ValidationFailed) as exc:
            pairings.pair(
                s,
                actor=_actor(s, people["staff"]),
                household_id=h.id,
                member_id=people["staff"].id,
                end=_end(),
            )
        assert exc.value.errors["member_id"].code == "pairing.member_unknown"
        with pytest.raises(NotFound):
            pairings.pair(
                s,
                actor=_actor(s, people["other"]),
                household_id=h.id,
                member_id=people["member"].id,
                end=_end(),
            )
        assert s.exec(select(Pairing)).first() is None
        p = pairings.pair(
            s, actor=_actor(s, people["staff"]), household_id=h.id, org_id=org.id, end=_end()
        )
        assert p.org_id == org.id and p.member_id is None


def test_end_pairing_once_then_pair_again(db, people, make_household):
    h = make_household(people["staff"])
    with db() as s:
        pid = pairings.pair(
            s,
            actor=_actor(s, people["staff"]),
            household_id=h.id,
            member_id=people["member"].id,
            end=_end(),
        ).id
    with db() as s:
        with pytest.raises(NotFound):
            pairings.end_pairing(s, actor=_actor(s, people["other"]), pairing_id=pid)
        p = pairings.end_pairing(s, actor=_actor(s, people["staff"]), pairing_id=pid, reason="搬家")
        assert p.ended_at is not None and p.reason == "搬家"
        with pytest.raises(Conflict):
            pairings.end_pairing(s, actor=_actor(s, people["staff"]), pairing_id=pid)
        assert pairings.my_pairings(s, actor=_actor(s, people["member"])) == []
        pairings.pair(
            s,
            actor=_actor(s, people["staff"]),
            household_id=h.id,
            member_id=people["rival"].id,
            end=_end(),
        )


def test_my_pairings_is_masked_with_the_hub_and_due_date(db, people, make_household):
    h = make_household(people["staff"], name="欧阳秀兰")
    with db() as s:
        pairings.pair(
            s,
            actor=_actor(s, people["staff"]),
            household_id=h.id,
            member_id=people["member"].id,
            end=_end(),
        )
    with db() as s:
        [row] = pairings.my_pairings(s, actor=_actor(s, people["member"]))
        assert row.household == "欧*"
        assert row.due_on == clock.beijing_today() + timedelta(days=30)
        assert row.hub is not None
        data = row.as_json()
        assert "欧阳秀兰" not in str(data)
        assert pairings.my_pairings(s, actor=_actor(s, people["rival"])) == []


def test_the_pairing_window_keeps_a_new_wish_for_the_paired_member(
    db, people, make_household, make_need
):
    h = make_household(people["staff"])
    with db() as s:
        pairings.pair(
            s,
            actor=_actor(s, people["staff"]),
            household_id=h.id,
            member_id=people["member"].id,
            end=_end(),
        )
    first = make_need(people["staff"], h, publish=False)
    second = make_need(people["staff"], h, publish=False)
    with db() as s:
        for n in (first, second):
            households.publish_need(
                s, actor=_actor(s, people["staff"]), need_id=n.id, pairing_window_hours=48
            )
    with db() as s:
        need = s.get(Need, first.id)
        assert need.pool_from is not None
        pool_from = (
            need.pool_from
            if need.pool_from.tzinfo
            else need.pool_from.replace(tzinfo=utcnow().tzinfo)
        )
        published = (
            need.published_at
            if need.published_at.tzinfo
            else need.published_at.replace(tzinfo=utcnow().tzinfo)
        )
        assert pool_from - published == timedelta(hours=48)
        codes = [
            n.code
            for n in s.exec(select(Notification).where(Notification.user_id == people["member"].id))
        ]
        assert codes.count("notice.paired_wish") == 2
        # Hidden from the pool before pool_from, in it after.
        shown, _ = wishes.browse(s, wishes.WishFilter())
        assert first.id not in [w.id for w in shown]
        later, _ = wishes.browse(s, wishes.WishFilter(), now=pool_from + timedelta(seconds=1))
        assert first.id in [w.id for w in later]
        # Only the paired member may claim it during the window.
        policy = claims.ClaimPolicy()
        with pytest.raises(Conflict) as exc:
            claims.claim_wish(s, member=_actor(s, people["rival"]), wish_id=first.id, policy=policy)
        assert exc.value.message.code == "wish.paired_first"
    with db() as s:
        claim = claims.claim_wish(
            s, member=_actor(s, people["member"]), wish_id=first.id, policy=claims.ClaimPolicy()
        )
        assert claim.member_id == people["member"].id
    with db() as s:  # after the window anyone may claim
        claim = claims.claim_wish(
            s,
            member=_actor(s, people["rival"]),
            wish_id=second.id,
            policy=claims.ClaimPolicy(repeat_help_days=0),
            now=utcnow() + timedelta(hours=49),
        )
        assert claim.member_id == people["rival"].id


def test_no_window_without_a_member_pairing_or_when_off(db, people, make_household, make_need):
    h = make_household(people["staff"])
    n = make_need(people["staff"], h, publish=False)
    with db() as s:
        households.publish_need(s, actor=_actor(s, people["staff"]), need_id=n.id)
        assert s.get(Need, n.id).pool_from is None
    with db() as s:
        pairings.pair(
            s,
            actor=_actor(s, people["staff"]),
            household_id=h.id,
            member_id=people["member"].id,
            end=_end(),
        )
    m = make_need(people["staff"], h, publish=False)
    with db() as s:
        households.publish_need(
            s, actor=_actor(s, people["staff"]), need_id=m.id, pairing_window_hours=0
        )
        assert s.get(Need, m.id).pool_from is None


def test_expired_pairings_end(db, people, make_household):
    h = make_household(people["staff"])
    with db() as s:
        s.add(
            Pairing(
                household_id=h.id,
                member_id=people["member"].id,
                start=clock.beijing_today() - timedelta(days=10),
                end=clock.beijing_today() - timedelta(days=1),
            )
        )
    with db() as s:
        assert pairings.end_expired(s) == 1
        assert s.exec(select(Pairing)).one().reason == "expired"
