"""Claims: atomic under concurrency, capped per member, time-boxed, confirm/reject flow."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import col, func, select

from marketplace.db import get_engine, session_scope
from marketplace.models import (
    AuditLog,
    Claim,
    Hub,
    Need,
    Notification,
    Offer,
    Role,
    User,
    utcnow,
)
from marketplace.services import claims
from marketplace.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
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
    # four households: one household does not get the same item twice (DESIGN §12)
    wishes = [make_need(staff, make_household(staff), title=f"心愿{i}") for i in range(4)]
    member = make_user(Role.MEMBER)
    made = [_claim(app, member.id, w.id) for w in wishes[:3]]
    with pytest.raises(Conflict) as refused:
        _claim(app, member.id, wishes[3].id)
    assert refused.value.message == Message("claim.cap_reached", {"n": 3})
    with db() as s:  # the refused claim left nothing behind
        assert s.get(Need, wishes[3].id).status == "open"
        assert s.get(User, member.id).open_claims == 3
    with db() as s:
        claims.report_delivery(
            s, actor=s.get(User, member.id), claim_id=made[0].id, note="送到了，户主当面签收"
        )
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
        claims.report_delivery(
            s, actor=s.get(User, member.id), claim_id=claim.id, note="已送到，请老人当面签收"
        )
    with db() as s, pytest.raises(NotFound):
        claims.confirm_delivery(s, actor=s.get(User, other.id), need_id=wish.id)
    with db() as s:
        claims.reject_delivery(s, actor=s.get(User, staff.id), need_id=wish.id, reason="照片看不清")
    with db() as s:
        assert s.get(Need, wish.id).status == "claimed"
        assert s.get(Claim, claim.id).reject_reason == "照片看不清"
        claims.report_delivery(
            s, actor=s.get(User, member.id), claim_id=claim.id, note="重新拍了照片，已当面交给户主"
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


# Delivery reports say something (issue 12): a photo, or a note of a configurable length -----------


def _member_claim(app, make_user, make_household, make_need, **need):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff, phone="13911112222", address="清波街12号3幢401室")
    wish = make_need(staff, household, **need)
    member = make_user(Role.MEMBER)
    return staff, household, wish, member, _claim(app, member.id, wish.id)


@pytest.mark.parametrize(
    ("note", "code"),
    [("", "delivery.empty"), ("   ", "delivery.empty"), ("送到了", "delivery.note_too_short")],
)
def test_an_empty_or_too_short_report_is_refused_and_nothing_changes(
    app, make_user, make_household, make_need, db, note, code
):
    _s, _h, wish, member, claim = _member_claim(app, make_user, make_household, make_need)
    with db() as s, pytest.raises(ValidationFailed) as refused:
        claims.report_delivery(s, actor=s.get(User, member.id), claim_id=claim.id, note=note)
    assert refused.value.errors["note"].code == code
    assert refused.value.errors["note"].params["n"] == 10
    with db() as s:
        assert s.get(Claim, claim.id).status == "active"
        assert s.get(Need, wish.id).status == "claimed"
        assert s.get(User, member.id).open_claims == 1


def test_a_photo_alone_or_a_long_enough_note_is_accepted(
    app, make_user, make_household, make_need, db
):
    _s, _h, _w, member, claim = _member_claim(app, make_user, make_household, make_need)
    with db() as s:
        done = claims.report_delivery(
            s, actor=s.get(User, member.id), claim_id=claim.id, note="", photo_path="p.jpg"
        )
        assert done.status == "delivered"
    _s, _h, _w, member, claim = _member_claim(app, make_user, make_household, make_need)
    with db() as s:
        # The length is the deployment's (DELIVERY_NOTE_MIN_CHARS); spaces do not count.
        with pytest.raises(ValidationFailed):
            claims.report_delivery(
                s,
                actor=s.get(User, member.id),
                claim_id=claim.id,
                note="送 到 了",
                note_min_chars=4,
            )
        done = claims.report_delivery(
            s, actor=s.get(User, member.id), claim_id=claim.id, note="送到了哦", note_min_chars=4
        )
        assert done.status == "delivered"


def test_the_preview_checks_like_the_report_and_stores_nothing(
    app, make_user, make_household, make_need, db
):
    _s, household, _w, member, claim = _member_claim(app, make_user, make_household, make_need)
    with db() as s, pytest.raises(ValidationFailed):
        claims.preview_delivery(
            s, actor=s.get(User, member.id), claim_id=claim.id, note="", has_photo=False
        )
    note = f"已送到，户主{household.name}电话{household.phone}"
    with db() as s:
        preview = claims.preview_delivery(
            s, actor=s.get(User, member.id), claim_id=claim.id, note=note, has_photo=False
        )
        # What staff will read: scrubbed, as the report stores it.
        assert (
            household.phone not in preview.public_note and household.name not in preview.public_note
        )
        assert preview.wish.id == claim.need_id and not preview.has_photo
    with db() as s:
        assert s.get(Claim, claim.id).status == "active"
        assert s.exec(select(AuditLog).where(AuditLog.action == "claim.deliver")).first() is None


# 放弃认领 — a member gives a claim back ---------------------------------------------------------------


def test_giving_back_returns_the_wish_frees_the_slot_notifies_staff_and_is_audited(
    app, make_user, make_household, make_need, db
):
    staff, _h, wish, member, claim = _member_claim(app, make_user, make_household, make_need)
    with db() as s:
        back = claims.give_up_claim(
            s, actor=s.get(User, member.id), claim_id=claim.id, reason="临时出差，送不了"
        )
        assert back.status == "given_up" and back.give_up_reason == "临时出差，送不了"
    with db() as s:
        assert s.get(Need, wish.id).status == "open"
        assert s.get(User, member.id).open_claims == 0
        notes = s.exec(select(Notification).where(Notification.user_id == staff.id)).all()
        assert [(n.kind, n.params["reason"]) for n in notes] == [
            ("claim_given_up", "临时出差，送不了")
        ]
        entry = s.exec(select(AuditLog).where(AuditLog.action == "claim.give_up")).one()
        assert entry.actor_id == member.id and entry.after["reason"] == "临时出差，送不了"
    # The wish is in the pool again: someone else claims it.
    other = make_user(Role.MEMBER)
    assert _claim(app, other.id, wish.id).status == "active"


def test_giving_back_needs_a_reason_and_an_active_claim_of_ones_own(
    app, make_user, make_household, make_need, db
):
    _s, _h, wish, member, claim = _member_claim(app, make_user, make_household, make_need)
    with db() as s, pytest.raises(ValidationFailed) as refused:
        claims.give_up_claim(s, actor=s.get(User, member.id), claim_id=claim.id, reason="  ")
    assert refused.value.errors["reason"].code == "claim.give_up_reason_required"
    stranger = make_user(Role.MEMBER)
    with db() as s, pytest.raises(NotFound):
        claims.give_up_claim(s, actor=s.get(User, stranger.id), claim_id=claim.id, reason="不想送")
    with db() as s:
        claims.report_delivery(
            s, actor=s.get(User, member.id), claim_id=claim.id, note="已送到，户主当面签收"
        )
    with db() as s, pytest.raises(Conflict) as late:
        claims.give_up_claim(s, actor=s.get(User, member.id), claim_id=claim.id, reason="算了")
    assert late.value.message.code == "claim.not_active"
    with db() as s:
        assert s.get(Need, wish.id).status == "delivered"


def test_concurrent_give_up_and_delivery_have_one_winner(
    app, make_user, make_household, make_need, db
):
    _s, _h, wish, member, claim = _member_claim(app, make_user, make_household, make_need)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(action: str) -> None:
        barrier.wait()
        try:
            with app.app_context(), session_scope(get_engine(app)) as s:
                actor = s.get(User, member.id)
                if action == "give_up":
                    claims.give_up_claim(s, actor=actor, claim_id=claim.id, reason="送不了")
                else:
                    claims.report_delivery(
                        s, actor=actor, claim_id=claim.id, note="已送到，户主当面签收"
                    )
            outcomes.append(action)
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # SQLite may refuse the loser's write outright
            outcomes.append(f"error:{type(exc).__name__}")

    threads = [threading.Thread(target=run, args=(a,)) for a in ("give_up", "deliver")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o in ("give_up", "deliver")]
    assert len(winners) == 1, outcomes
    with db() as s:
        status = s.get(Claim, claim.id).status
        assert status == {"give_up": "given_up", "deliver": "delivered"}[winners[0]]
        assert s.get(User, member.id).open_claims == 0
        assert (
            s.get(Need, wish.id).status == {"give_up": "open", "deliver": "delivered"}[winners[0]]
        )


# Where to deliver: hub contact, instructions, the household's address for home delivery ----------


def test_delivery_info_names_the_responsible_hub_and_the_instructions(
    app, make_user, make_household, make_need, db
):
    _s, _h, _w, _member, claim = _member_claim(
        app,
        make_user,
        make_household,
        make_need,
        delivery_mode="home_delivery",
        delivery_instructions="上门，需先电话预约",
    )
    with db() as s:
        hub = s.exec(select(Hub).where(Hub.region_code == "330102")).one()
        hub.contact_name, hub.contact_phone = "王老师", "0571-87001234"
        hub.handover_address, hub.office_hours = "上城区助联体服务大厅", "周一至周五 9:00–17:00"
    with db() as s:
        info = claims.delivery_infos(s, [s.get(Claim, claim.id)])[claim.id]
        assert info.mode == "home_delivery" and info.instructions == "上门，需先电话预约"
        assert info.hub is not None and info.hub.phone == "0571-87001234" and info.can_reveal


def test_the_household_contact_goes_to_the_assigned_helper_only_while_active_and_is_audited(
    app, make_user, make_household, make_need, db
):
    _s, household, _w, member, claim = _member_claim(
        app, make_user, make_household, make_need, delivery_mode="home_service"
    )
    with db() as s:
        contact = claims.household_contact(s, actor=s.get(User, member.id), claim_id=claim.id)
        assert (contact.address, contact.phone) == (household.address, household.phone)
        assert contact.surname == household.name[0] + "*"
    with db() as s:
        views = s.exec(select(AuditLog).where(AuditLog.action == "household.contact_view")).all()
        assert [(v.actor_id, v.object_id, v.after["claim_id"]) for v in views] == [
            (member.id, str(household.id), claim.id)
        ]
    stranger = make_user(Role.MEMBER)
    with db() as s, pytest.raises(NotFound):
        claims.household_contact(s, actor=s.get(User, stranger.id), claim_id=claim.id)
    with db() as s:
        claims.report_delivery(
            s, actor=s.get(User, member.id), claim_id=claim.id, note="已上门服务，户主满意"
        )
    with db() as s, pytest.raises(Conflict) as closed:
        claims.household_contact(s, actor=s.get(User, member.id), claim_id=claim.id)
    assert closed.value.message.code == "claim.contact_closed"
    with db() as s:
        info = claims.delivery_infos(s, [s.get(Claim, claim.id)])[claim.id]
        assert not info.can_reveal


def test_a_handover_need_never_reveals_the_household(app, make_user, make_household, make_need, db):
    _s, _h, _w, member, claim = _member_claim(app, make_user, make_household, make_need)
    with db() as s:
        assert not claims.delivery_infos(s, [s.get(Claim, claim.id)])[claim.id].can_reveal
    with db() as s, pytest.raises(Forbidden):
        claims.household_contact(s, actor=s.get(User, member.id), claim_id=claim.id)
    with db() as s:
        assert (
            s.exec(select(AuditLog).where(AuditLog.action == "household.contact_view")).first()
            is None
        )


def test_an_organisation_sees_its_assignments_household_but_not_anothers(
    app, make_user, make_household, make_need, make_org, make_offer, db
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff)
    need = make_need(staff, household, delivery_mode="home_delivery")
    mine, theirs = make_org(), make_org()
    org_user = make_user(Role.ORG, org_id=mine.id)
    other_user = make_user(Role.ORG, org_id=theirs.id)
    offer = make_offer(org_user)
    with db() as s:
        s.get(Need, need.id).status = "matched"
        c = Claim(need_id=need.id, offer_id=offer.id, due_at=utcnow() + timedelta(days=7))
        s.add(c)
        s.flush()
        claim_id = c.id
    with db() as s:
        contact = claims.household_contact(s, actor=s.get(User, org_user.id), claim_id=claim_id)
        assert contact.address == household.address
    with db() as s, pytest.raises(NotFound):
        claims.household_contact(s, actor=s.get(User, other_user.id), claim_id=claim_id)
