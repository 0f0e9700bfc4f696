"""Claims: atomic under concurrency, capped per member, time-boxed, confirm/reject flow."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import col, func, select

from marketplace.db import get_engine, session_scope
from marketplace.models import Claim, Need, Offer, Role, User, utcnow
from marketplace.services import claims
from marketplace.services.errors import Conflict, NotFound
from marketplace.services.messages import Message

POLICY = claims.ClaimPolicy(max_open=3, days=7)


def _claim(app, member_id: int, wish_id: int, policy=POLICY):
    with app.app_context(), session_scope(get_engine(app)) as s:
        member = s.get(User, member_id)
        return claims.claim_wish(s, member=member, wish_id=wish_id, policy=policy)


def test_concurrent_claims_have_exactly_one_winner(app, make_user, make_household, make_need, db):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    wish = make_need(staff, make_household(staff))
    members = [make_user(Role.MEMBER) for _ in range(12)]
    barrier = threading.Barrier(len(members))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(member: User) -> None:
        barrier.wait()
        try:
            _claim(app, member.id, wish.id)
            result = "won"
        except Conflict:
            result = "conflict"
        except Exception as exc:  # any other outcome is a failure of the test
            result = f"error: {exc!r}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 11 + ["won"]
    with db() as s:
        assert (
            s.exec(select(func.count()).select_from(Claim).where(Claim.need_id == wish.id)).one()
            == 1
        )
        assert s.get(Need, wish.id).status == "claimed"
        assert sum(s.get(User, m.id).open_claims for m in members) == 1


def test_member_cap_and_release_on_delivery(app, make_user, make_household, make_need, db):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff)
    wishes = [make_need(staff, household, title=f"心愿{i}") for i in range(4)]
    member = make_user(Role.MEMBER)
    made = [_claim(app, member.id, w.id) for w in wishes[:3]]
    with pytest.raises(Conflict) as refused:
        _claim(app, member.id, wishes[3].id)
    assert refused.value.message == Message("claim.cap_reached", {"n": 3})
    with db() as s:  # the refused claim left nothing behind
        assert s.get(Need, wishes[3].id).status == "open"
        assert s.get(User, member.id).open_claims == 3
    with db() as s:
        claims.report_delivery(s, actor=s.get(User, member.id), claim_id=made[0].id, note="送到了")
    _claim(app, member.id, wishes[3].id)


def test_only_open_published_wishes_can_be_claimed(app, make_user, make_household, make_need):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff)
    draft = make_need(staff, household, publish=False)
    service = make_need(staff, household, kind="service", item="01-01")
    member = make_user(Role.MEMBER)
    with pytest.raises(NotFound):
        _claim(app, member.id, draft.id)
    with pytest.raises(NotFound):
        _claim(app, member.id, service.id)
    with pytest.raises(NotFound):
        _claim(app, member.id, 999999)


def test_expired_claim_returns_wish_to_pool(app, make_user, make_household, make_need, db):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    wish = make_need(staff, make_household(staff))
    member = make_user(Role.MEMBER)
    claim = _claim(app, member.id, wish.id)
    with db() as s:
        assert claims.expire_claims(s, now=utcnow() + timedelta(days=6)) == 0
    with db() as s:
        assert claims.expire_claims(s, now=claim.due_at + timedelta(seconds=1)) == 1
    with db() as s:
        assert s.get(Claim, claim.id).status == "expired"
        assert s.get(Need, wish.id).status == "open"
        assert s.get(User, member.id).open_claims == 0
    _claim(app, make_user(Role.MEMBER).id, wish.id)


def test_reject_then_confirm(app, make_user, make_household, make_need, db):
    staff = make_user(Role.HUB_STAFF, hub="330102003")  # street-level hub (湖滨街道)
    district_staff = make_user(Role.HUB_STAFF, hub="330102")
    other = make_user(Role.HUB_STAFF, hub="330106")
    household = make_household(district_staff, community_code="330102003050")  # 涌金门社区
    wish = make_need(district_staff, household)
    member = make_user(Role.MEMBER)
    claim = _claim(app, member.id, wish.id)
    with db() as s:
        claims.report_delivery(s, actor=s.get(User, member.id), claim_id=claim.id, note="")
    with db() as s, pytest.raises(NotFound):
        claims.confirm_delivery(s, actor=s.get(User, other.id), need_id=wish.id)
    with db() as s:
        claims.reject_delivery(s, actor=s.get(User, staff.id), need_id=wish.id, reason="照片看不清")
    with db() as s:
        assert s.get(Need, wish.id).status == "claimed"
        assert s.get(Claim, claim.id).reject_reason == "照片看不清"
        claims.report_delivery(
            s, actor=s.get(User, member.id), claim_id=claim.id, note="重新拍了照片"
        )
    with db() as s:
        claims.confirm_delivery(s, actor=s.get(User, staff.id), need_id=wish.id)
    with db() as s:
        assert s.get(Need, wish.id).status == "confirmed"
        assert s.get(User, member.id).open_claims == 0


def test_capacity_never_below_zero_under_concurrency(app, make_user, make_org, make_offer, db):
    org = make_org()
    offer = make_offer(make_user(Role.ORG, org_id=org.id), capacity=5)
    barrier = threading.Barrier(20)
    wins: list[bool] = []

    def take() -> None:
        barrier.wait()
        with app.app_context(), session_scope(get_engine(app)) as s:
            wins.append(claims.consume_capacity(s, offer.id))

    threads = [threading.Thread(target=take) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins.count(True) == 5
    with db() as s:
        assert s.get(Offer, offer.id).remaining == 0
        assert (
            s.exec(select(func.count()).select_from(Offer).where(col(Offer.remaining) < 0)).one()
            == 0
        )
