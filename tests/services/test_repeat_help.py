"""No double help (services/repeat_help.py): which claims make an item "recently received" by a
household, for how long, and through which channel (a member's claim, an accepted proposal); a
claim and a proposal's acceptance refused with recently_helped, and staff allowing one need with
a reason (audited)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace.models import AuditLog, Claim, Need, Proposal, Role, User, utcnow
from marketplace.services import claims, repeat_help, rounds
from marketplace.services.errors import Conflict, NotFound, ValidationFailed
from marketplace.services.messages import Message


@pytest.fixture
def home(make_user, make_household, make_need, make_org, make_offer):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff)
    neighbour = make_household(staff)
    org_user = make_user(Role.ORG, org_id=make_org().id)
    return {
        "household": household,
        "neighbour": neighbour,
        "member": make_user(Role.MEMBER),
        "offer": make_offer(org_user, items=["01-01"]),
        "wish": make_need(staff, household, item="07-02"),
        "service": make_need(staff, household, kind="service", item="01-01", title="助浴"),
        "again": make_need(staff, household, item="07-02", title="又一个电饭煲"),
        "other": make_need(staff, neighbour, item="07-02"),
    }


def _claim(s, need, *, status, days_ago, member=None, offer=None):
    at = utcnow() - timedelta(days=days_ago)
    s.add(
        Claim(
            need_id=need.id,
            member_id=member.id if member else None,
            offer_id=offer.id if offer else None,
            status=status,
            claimed_at=at,
            due_at=at + timedelta(days=7),
            delivered_at=at if status in ("delivered", "confirmed") else None,
            confirmed_at=at if status == "confirmed" else None,
        )
    )
    s.get(Need, need.id).status = "claimed"
    s.flush()


@pytest.mark.parametrize(
    ("status", "days_ago", "recent"),
    [
        ("active", 1, True),  # being given
        ("delivered", 30, True),
        ("confirmed", 89, True),
        ("confirmed", 91, False),  # the window is over
        ("expired", 5, False),
        ("cancelled", 5, False),
        ("given_up", 5, False),  # handed back: nothing was received
    ],
)
def test_which_claims_count(db, home, status, days_ago, recent):
    now = utcnow()
    with db() as s:
        _claim(s, home["wish"], status=status, days_ago=days_ago, member=home["member"])
        household = home["household"].id
        got = repeat_help.received_recently(s, household, "07-02", days=90, now=now)
        assert got is recent
        items = repeat_help.received_items(s, {household}, days=90, now=now)
        assert items == ({household: {"07-02"}} if recent else {})


def test_both_channels_count_and_only_for_the_household_and_item(db, home):
    now = utcnow()
    household, neighbour = home["household"].id, home["neighbour"].id
    with db() as s:
        _claim(s, home["wish"], status="confirmed", days_ago=10, member=home["member"])
        _claim(s, home["service"], status="active", days_ago=2, offer=home["offer"])  # a round's
        assert repeat_help.received_recently(s, household, "01-01", days=90, now=now)
        assert not repeat_help.received_recently(s, household, "03-01", days=90, now=now)
        assert not repeat_help.received_recently(s, neighbour, "07-02", days=90, now=now)
        # the need being decided on does not count against itself
        assert not repeat_help.received_recently(
            s, household, "01-01", days=90, now=now, except_need=home["service"].id
        )
        assert repeat_help.received_items(s, None, days=90, now=now) == {
            household: {"07-02", "01-01"}
        }
        assert repeat_help.received_items(s, {neighbour}, days=90, now=now) == {}
        # a large set of households is filtered in Python, with the same answer
        many = {household, *range(10_000, 11_000)}
        assert repeat_help.received_items(s, many, days=90, now=now) == {
            household: {"07-02", "01-01"}
        }


def test_zero_days_turns_the_rule_off(db, home):
    with db() as s:
        _claim(s, home["wish"], status="active", days_ago=0, member=home["member"])
        household = home["household"].id
        assert not repeat_help.received_recently(s, household, "07-02", days=0, now=utcnow())
        assert repeat_help.received_items(s, None, days=0, now=utcnow()) == {}


# At claim and proposal time (DESIGN §12): refused with recently_helped, whichever channel gave the
# item first; hub staff allow one need with a reason (audited); the staff pages flag the need.


def _staff(s, home):
    need = s.get(Need, home["wish"].id)
    return s.exec(select(User).where(User.role == Role.HUB_STAFF, User.id == need.created_by)).one()


def test_a_claim_is_refused_when_a_round_gave_the_item(db, home):
    """The household's other 07-02 wish was matched to an offer (a round's channel): claiming
    ``again`` is refused with the reason, and nothing is written; allowed by staff, it succeeds."""
    policy = claims.ClaimPolicy()
    with db() as s:
        _claim(s, home["wish"], status="active", days_ago=3, offer=home["offer"])
    with db() as s:
        member = s.get(User, home["member"].id)
        with pytest.raises(Conflict) as refused:
            claims.claim_wish(s, member=member, wish_id=home["again"].id, policy=policy)
        assert refused.value.message == Message("claim.recently_helped", {"days": 90})
        s.rollback()
    with db() as s:
        assert s.get(Need, home["again"].id).status == "open"
        assert s.get(User, home["member"].id).open_claims == 0
        assert repeat_help.refused_needs(
            s, [s.get(Need, home["again"].id)], days=90, now=utcnow()
        ) == {home["again"].id}
        # the neighbour's wish for the same item is not affected
        member = s.get(User, home["member"].id)
        claims.claim_wish(s, member=member, wish_id=home["other"].id, policy=policy)
    with db() as s:
        staff = _staff(s, home)
        with pytest.raises(ValidationFailed):
            repeat_help.allow(s, actor=staff, need_id=home["again"].id, reason="  ")
        repeat_help.allow(s, actor=staff, need_id=home["again"].id, reason="第一个电饭煲坏了")
    with db() as s:
        entry = s.exec(select(AuditLog).where(AuditLog.action == repeat_help.ALLOW_ACTION)).one()
        assert entry.object_id == str(home["again"].id)
        assert entry.after == {"reason": "第一个电饭煲坏了"}
        assert (
            repeat_help.refused_needs(s, [s.get(Need, home["again"].id)], days=90, now=utcnow())
            == set()
        )
        member = s.get(User, home["member"].id)
        claim = claims.claim_wish(s, member=member, wish_id=home["again"].id, policy=policy)
        assert claim.need_id == home["again"].id


def test_a_claim_passes_when_the_rule_is_off_or_the_help_is_old(db, home):
    with db() as s:
        _claim(s, home["wish"], status="confirmed", days_ago=40, member=home["member"])
    with db() as s:
        member = s.get(User, home["member"].id)
        policy = claims.ClaimPolicy(repeat_help_days=30)
        assert claims.claim_wish(s, member=member, wish_id=home["again"].id, policy=policy)


def test_staff_of_another_area_cannot_allow(db, home, make_user):
    stranger = make_user(Role.HUB_STAFF, hub="330106")
    with db() as s, pytest.raises(NotFound):
        repeat_help.allow(s, actor=stranger, need_id=home["again"].id, reason="理由")


def test_accepting_a_proposal_is_refused_when_a_claim_gave_the_item(db, home, make_need):
    """A member's claim gave the household 01-01; the round's proposal for its second 01-01
    need is refused at acceptance — until staff allow it."""
    settings = rounds.RoundSettings()
    with db() as s:
        staff = _staff(s, home)
    second = make_need(staff, home["household"], kind="service", item="01-01", title="再助浴")
    with db() as s:
        staff = _staff(s, home)
        _claim(s, home["service"], status="confirmed", days_ago=5, member=home["member"])
        match_round = rounds.start_round(s, actor=staff)
        proposal = Proposal(
            round_id=match_round.id, need_id=second.id, offer_id=home["offer"].id, distance_km=1.0
        )
        s.add(proposal)
        s.flush()
        proposal_id = proposal.id
    with db() as s:
        staff = _staff(s, home)
        with pytest.raises(Conflict) as refused:
            rounds.accept_proposal(s, actor=staff, proposal_id=proposal_id, settings=settings)
        assert refused.value.message == Message("proposal.recently_helped", {"days": 90})
        s.rollback()
    with db() as s:
        assert s.get(Proposal, proposal_id).status == "proposed"
        assert s.get(Need, second.id).status == "open"
        repeat_help.allow(s, actor=_staff(s, home), need_id=second.id, reason="家属申请")
    with db() as s:
        claim = rounds.accept_proposal(
            s, actor=_staff(s, home), proposal_id=proposal_id, settings=settings
        )
        assert claim.offer_id == home["offer"].id
