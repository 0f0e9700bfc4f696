"""DESIGN §12 on the database side of a round (services/rounds.py, problem building): rejected
pairs are not proposed again, held proposals stay held with their unit of capacity, a
household does not get an item it received within the repeat-help window, and the distance
limit and regional tilt reach the solver. (The solver's own tests are in tests/matching.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

import matching
from marketplace.models import Claim, Need, Proposal, Role, User, utcnow
from marketplace.services import rounds


@pytest.fixture
def world(make_user, make_household, make_need, make_org, make_offer):
    """Hub 330102; households A and B each with an open bathing service (01-01); an offer of
    two units for the district."""
    staff = make_user(Role.HUB_STAFF, hub="330102")
    org_user = make_user(Role.ORG, org_id=make_org().id)
    a = make_household(staff, name="欧阳秀兰", risk_score=30)
    b = make_household(staff, name="李四", risk_score=70)
    return {
        "staff": staff,
        "org_user": org_user,
        "a": a,
        "b": b,
        "need_a": make_need(staff, a, kind="service", item="01-01", title="助浴"),
        "need_b": make_need(staff, b, kind="service", item="01-01", title="助浴"),
        "offer": make_offer(org_user, items=["01-01"], regions=["330102"], capacity=2),
        "make_need": make_need,
        "make_offer": make_offer,
        "make_user": make_user,
    }


def _run(s, world, settings=None, now=None):
    """Load, solve and store one round of the hub; returns (round, problem, result)."""
    settings = settings or rounds.RoundSettings()
    staff = s.get(User, world["staff"].id)
    match_round = rounds.start_round(s, actor=staff)
    problem = rounds.load_problem(s, match_round, settings, now=now)
    result = matching.solve(problem)
    rounds.store_result(s, match_round.id, result, {})
    return match_round, problem, result


def _proposal(s, round_id, need_id):
    return s.exec(
        select(Proposal).where(Proposal.round_id == round_id, Proposal.need_id == need_id)
    ).one_or_none()


def test_a_rejected_pair_is_not_proposed_in_a_second_round(db, world):
    a, offer = world["need_a"].id, world["offer"].id
    with db() as s:
        first, _, _ = _run(s, world)
        proposal = _proposal(s, first.id, a)
        assert proposal is not None and proposal.offer_id == offer
        rounds.reject_proposal(
            s, actor=s.get(User, world["staff"].id), proposal_id=proposal.id, reason="太远"
        )
        second, problem, result = _run(s, world)
        (need,) = [n for n in problem.needs if n.id == a]
        assert need.excluded_offers == (offer,)
        assert _proposal(s, second.id, a) is None
        assert {u.need: u.reason for u in result.unmatched}[a] == "previously_rejected"
        assert _proposal(s, second.id, world["need_b"].id) is not None
    # another offer for the item: the need is proposed that one, never the rejected one
    other = world["make_offer"](world["org_user"], items=["01-01"], regions=["330102"])
    with db() as s:
        third, _, _ = _run(s, world)
        assert _proposal(s, third.id, a).offer_id == other.id
        pairs = s.exec(
            select(Proposal.round_id).where(Proposal.need_id == a, Proposal.offer_id == offer)
        ).all()
        assert pairs == [first.id]


def test_a_held_proposal_stays_held_with_its_unit_until_it_is_too_old(db, world):
    a, b = world["need_a"].id, world["need_b"].id
    with db() as s:
        first, _, _ = _run(s, world)
        rounds.lock_proposal(
            s,
            actor=s.get(User, world["staff"].id),
            proposal_id=_proposal(s, first.id, a).id,
            reason="等家属电话",
        )
    # a third household's need now competes for the one unit the hold leaves
    c = world["make_need"](world["staff"], world["b"], kind="service", item="01-01", title="助浴2")
    with db() as s:
        second, problem, result = _run(s, world, rounds.RoundSettings(max_per_household=2))
        assert [(h.need, h.offer) for h in problem.held] == [(a, world["offer"].id)]
        assert _proposal(s, second.id, a) is None  # not matched again
        assert result.stats["held"] == 1 and result.stats["held_units"] == 1
        assert len(result.assignments) == 1 and result.assignments[0].need in (b, c.id)
        # past the age limit the need is matched again
        later = utcnow() + timedelta(days=31)
        settings = rounds.RoundSettings(held_max_days=30)
        problem = rounds.load_problem(s, rounds.start_round(s, actor=s.get(User, world["staff"].id)), settings, now=later)  # fmt: skip
        assert problem.held == ()
        forever = rounds.RoundSettings(held_max_days=0)
        problem = rounds.load_problem(s, rounds.start_round(s, actor=s.get(User, world["staff"].id)), forever, now=later)  # fmt: skip
        assert len(problem.held) == 1


def test_an_item_received_through_a_claim_is_not_given_again_by_a_round(db, world):
    """One household, the same item through two channels: a member's claim (delivered and
    confirmed ten days ago) and then a match round — the round refuses it."""
    staff, a = world["staff"], world["a"]
    member = world["make_user"](Role.MEMBER)
    earlier = world["make_need"](staff, a, kind="wish", item="01-01", title="助浴一次")
    with db() as s:
        done = utcnow() - timedelta(days=10)
        s.add(
            Claim(
                need_id=earlier.id,
                member_id=member.id,
                status="confirmed",
                claimed_at=done - timedelta(days=2),
                due_at=done,
                delivered_at=done,
                confirmed_at=done,
            )
        )
        s.get(Need, earlier.id).status = "confirmed"
        _, problem, result = _run(s, world)
        assert [(r.household, r.items) for r in problem.recent] == [(a.id, ("01-01",))]
        reasons = {u.need: u.reason for u in result.unmatched}
        assert reasons[world["need_a"].id] == "recently_helped"
        assert world["need_b"].id in {x.need for x in result.assignments}
        # the window over, or the rule off: served again
        later = utcnow() + timedelta(days=81)
        staff_user = s.get(User, staff.id)
        problem = rounds.load_problem(s, rounds.start_round(s, actor=staff_user), rounds.RoundSettings(), now=later)  # fmt: skip
        assert problem.recent == ()
        off = rounds.RoundSettings(repeat_help_days=0)
        problem = rounds.load_problem(s, rounds.start_round(s, actor=staff_user), off)
        assert problem.recent == ()


def test_distance_limit_and_tilt_reach_the_solver(db, world):
    with db() as s:
        match_round = rounds.start_round(s, actor=s.get(User, world["staff"].id))
        params = rounds.load_problem(s, match_round, rounds.RoundSettings()).params
        assert params.max_km == 30.0
        assert params.tilt_regions == ("330122", "330127", "330182") and params.tilt_km == 10.0
        off = rounds.RoundSettings(max_km=None, tilt_km=0.0)
        params = rounds.load_problem(s, match_round, off).params
        assert params.max_km is None and params.tilt_km == 0.0
        assert rounds.load_problem(s, match_round, rounds.RoundSettings()).params.once_per_item
        no_rule = rounds.RoundSettings(repeat_help_days=0)
        assert not rounds.load_problem(s, match_round, no_rule).params.once_per_item
        ids = s.exec(select(Proposal.id).order_by(col(Proposal.id))).all()
        assert ids == []


def test_fairness_settings_from_config():
    base = {
        "MATCH_MAX_PER_HOUSEHOLD": 2,
        "UNCLAIMED_DAYS_FOR_ROUND": 14,
        "MATCH_ROUND_TIME_LIMIT_S": 300,
        "MATCH_ASSIGNMENT_DAYS": 14,
    }
    defaults = rounds.settings_from_config(base)
    assert defaults == rounds.RoundSettings()
    assert (defaults.max_km, defaults.tilt_km, defaults.repeat_help_days) == (30.0, 10.0, 90)
    custom = rounds.settings_from_config(
        base
        | {
            "MATCH_MAX_KM": "0",  # as from ZHONGFU_MATCH_MAX_KM=0: no limit
            "MATCH_TILT_DISTRICTS": " 330127, 330182001 ",
            "MATCH_TILT_KM": "0",
            "MATCH_HELD_MAX_DAYS": "7",
            "REPEAT_HELP_DAYS": "60",
        }
    )
    assert custom.max_km is None and custom.tilt_km == 0.0
    assert custom.tilt_districts == ("330127", "330182001")
    assert (custom.held_max_days, custom.repeat_help_days) == (7, 60)
    with pytest.raises(ValueError, match="MATCH_TILT_DISTRICTS"):
        rounds.settings_from_config(base | {"MATCH_TILT_DISTRICTS": "淳安"})


def test_the_app_config_carries_the_fairness_defaults(app):
    settings = rounds.settings_from_config(app.config)
    assert settings.max_km == 30.0 and settings.repeat_help_days == 90
    assert settings.tilt_districts == matching.TILT_DISTRICTS


def test_two_duplicate_needs_of_one_household_get_one_proposal(db, world):
    """ "春节想要一份慰问品" twice from one household: a round proposes only one of them."""
    again = world["make_need"](
        world["staff"], world["a"], kind="service", item="01-01", title="助浴（重复）"
    )
    with db() as s:
        match_round, _, result = _run(s, world, rounds.RoundSettings(max_per_household=3))
        household_a = {world["need_a"].id, again.id}
        proposed = {x.need for x in result.assignments}
        assert len(proposed & household_a) == 1 and world["need_b"].id in proposed
        (left,) = household_a - proposed
        assert {u.need: u.reason for u in result.unmatched}[left] == "recently_helped"
        assert _proposal(s, match_round.id, left) is None
