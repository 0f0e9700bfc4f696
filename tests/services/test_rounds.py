"""Match rounds (services/rounds.py), the adapter between rows and the ``matching`` library: the
settings, who sees which round, the problem a round loads, its progress and result, and the
staff's decisions on proposals. The job that runs a round is tested in tests/jobs/test_rounds.py,
the API in tests/api/test_rounds.py, stale decisions in tests/security/test_stale_decisions.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

import matching
from marketplace.models import (
    AuditLog,
    Claim,
    Need,
    Notification,
    Offer,
    Proposal,
    Role,
    User,
    utcnow,
)
from marketplace.services import priority, rounds
from marketplace.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.services.messages import Message
from tests.factories import OTHER_DISTRICT_COMMUNITY


def test_priority_rules():
    """DESIGN §5 (services/priority.py): the risk level, raised one step for 急难型; waiting does
    not raise it any more."""
    assert priority.of(59, "bottom") == 1
    assert priority.of(60, "bottom") == 2
    assert priority.of(90, "care") == 3
    assert priority.of(90, "emergency") == 2  # 急难型 raised one step
    assert priority.of(75, "care", warned=True) == 1  # an open important warning
    assert priority.of(40, "emergency", warned=True) == 1  # never above 1


def test_settings_from_config():
    config = {
        "MATCH_MAX_PER_HOUSEHOLD": "3",
        "UNCLAIMED_DAYS_FOR_ROUND": 7,
        "MATCH_ROUND_TIME_LIMIT_S": "60",
        "MATCH_ASSIGNMENT_DAYS": 10,
    }
    assert rounds.settings_from_config(config) == rounds.RoundSettings(3, 7, 60.0, 10)


@pytest.fixture
def area(make_user, make_household, make_need, make_org, make_offer):
    """Hub 330102 with two open services (one nobody offers), a wish unclaimed for 20 days and a
    fresh one, a service pending review and one of 330106; a live region offer and a closed one."""
    staff = make_user(Role.HUB_STAFF, hub="330102")
    other = make_user(Role.HUB_STAFF, hub="330106")
    org_user = make_user(Role.ORG, org_id=make_org().id)
    home = make_household(staff, name="欧阳秀兰", risk_score=30)
    made = {
        "service": make_need(staff, home, kind="service", item="01-01", title="欧阳秀兰要助浴"),
        "lawyer": make_need(
            staff, make_household(staff), kind="service", item="08-01", title="法律"
        ),
        "old_wish": make_need(staff, home),
        "new_wish": make_need(staff, home),
        "pending": make_need(staff, home, kind="service", item="01-01", publish=False),
        "far": make_need(
            other,
            make_household(other, community_code=OTHER_DISTRICT_COMMUNITY),
            kind="service",
            item="01-01",
        ),
    }
    offer = make_offer(org_user, items=["01-01", "07-02"], regions=["330102"], capacity=3)
    closed = make_offer(org_user, items=["01-01"], regions=["330102"])
    return {
        "staff": staff,
        "other": other,
        "admin": make_user(Role.ADMIN),
        "org_user": org_user,
        "needs": made,
        "offer": offer,
        "closed": closed,
    }


@pytest.fixture
def aged(db, area):
    """The old wish published 20 days ago; the closed offer closed."""
    with db() as s:
        s.get(Need, area["needs"]["old_wish"].id).published_at = utcnow() - timedelta(days=20)
        s.get(Offer, area["closed"].id).status = "closed"
    return area


def _user(s, area, name):
    return s.get(User, area[name].id)


def test_a_round_covers_its_starters_area_and_is_seen_there(db, area):
    with db() as s:
        local = rounds.start_round(s, actor=_user(s, area, "staff"))
        city = rounds.start_round(s, actor=_user(s, area, "admin"))
        assert (local.scope_code, city.scope_code) == ("330102", None)
        assert rounds.get_round(s, actor=_user(s, area, "admin"), round_id=local.id) is local
        with pytest.raises(NotFound):
            rounds.get_round(s, actor=_user(s, area, "other"), round_id=local.id)
        with pytest.raises(NotFound):  # a city-wide round is the administrator's
            rounds.get_round(s, actor=_user(s, area, "staff"), round_id=city.id)
        assert [r.id for r in rounds.rounds_in_scope(s, actor=_user(s, area, "staff"))] == [
            local.id
        ]
        assert [r.id for r in rounds.rounds_in_scope(s, actor=_user(s, area, "admin"))] == [
            city.id,
            local.id,
        ]


def test_the_problem_holds_open_services_long_unclaimed_wishes_and_live_offers(db, aged):
    needs = aged["needs"]
    with db() as s:
        match_round = rounds.start_round(s, actor=_user(s, aged, "staff"))
        settings = rounds.RoundSettings(max_per_household=1, unclaimed_days=14, time_limit_s=5)
        problem = rounds.load_problem(s, match_round, settings)
        assert {n.id for n in problem.needs} == {
            needs["service"].id,
            needs["lawyer"].id,
            needs["old_wish"].id,
        }
        service = next(n for n in problem.needs if n.id == needs["service"].id)
        assert service.priority == 1 and service.region.startswith("330102")
        (offer,) = problem.offers
        assert offer.id == aged["offer"].id and offer.capacity == 3
        assert (offer.lat, offer.lon) != (0.0, 0.0)  # placed at its region's centre
        assert problem.params.max_per_household == 1 and problem.params.time_limit_s == 5
        city = rounds.start_round(s, actor=_user(s, aged, "admin"))
        assert needs["far"].id in {n.id for n in rounds.load_problem(s, city, settings).needs}


def test_progress_result_and_failure_are_stored(db, aged):
    with db() as s:
        match_round = rounds.start_round(s, actor=_user(s, aged, "staff"))
        rounds.set_progress(s, match_round.id, 0.5, "solve")  # not running yet: ignored
        s.refresh(match_round)
        assert match_round.progress != 0.5
        rounds.mark_running(s, match_round.id)
        rounds.set_progress(s, match_round.id, 1.7, "solve")
        s.refresh(match_round)
        assert (match_round.progress, match_round.message) == (1.0, "round.solve")
        rounds.set_progress(s, match_round.id, 0.2, "something else")
        s.refresh(match_round)
        assert match_round.message == "round.running"
        result = matching.solve(rounds.load_problem(s, match_round, rounds.RoundSettings()))
        done = rounds.store_result(s, match_round.id, result, {"loaded": 1})
        assert done.status == "done" and done.message == "round.done"
        assert done.stats["proposals"] == len(result.assignments) >= 1
        assert done.stats["unmatched"] == len(result.unmatched) >= 1 and done.stats["loaded"] == 1
        summary = rounds.unmatched_summary(s, actor=_user(s, aged, "staff"), round_id=done.id)
        assert sum(summary.values()) == len(result.unmatched)
        failed = rounds.start_round(s, actor=_user(s, aged, "staff"))
        rounds.mark_failed(s, failed.id, Message("round.failed", {"ref": "abc123"}))
        assert (failed.status, failed.message) == ("failed", "round.failed")
        assert failed.stats["message_params"] == {"ref": "abc123"}
        rounds.mark_failed(s, 999_999, Message("round.failed"))  # gone: nothing to do
        with pytest.raises(NotFound):
            rounds.mark_running(s, 999_999)


@pytest.fixture
def proposed(db, aged):
    """A finished round of hub 330102 with its proposals."""
    with db() as s:
        match_round = rounds.start_round(s, actor=_user(s, aged, "staff"))
        result = matching.solve(rounds.load_problem(s, match_round, rounds.RoundSettings()))
        rounds.store_result(s, match_round.id, result, {})
        ids = list(
            s.exec(
                select(Proposal.id)
                .where(Proposal.round_id == match_round.id)
                .order_by(col(Proposal.id))
            )
        )
    return aged, match_round.id, ids


def test_accepting_assigns_the_offer_and_tells_the_organisation(db, proposed):
    area, _round_id, (first, *_rest) = proposed
    with db() as s:
        staff = _user(s, area, "staff")
        with pytest.raises(NotFound):
            rounds.accept_proposal(
                s, actor=_user(s, area, "other"), proposal_id=first, settings=rounds.RoundSettings()
            )
        claim = rounds.accept_proposal(
            s, actor=staff, proposal_id=first, settings=rounds.RoundSettings(assignment_days=9)
        )
        proposal = s.get(Proposal, first)
        assert proposal.status == "accepted" and proposal.decided_by == staff.id
        assert s.get(Need, proposal.need_id).status == "matched"
        assert claim.offer_id == area["offer"].id and claim.member_id is None
        assert timedelta(days=8) < claim.due_at - claim.claimed_at <= timedelta(days=9)
        assert s.get(Offer, area["offer"].id).remaining == 2
        kinds = s.exec(
            select(Notification.kind).where(Notification.user_id == area["org_user"].id)
        ).all()
        assert "assignment" in kinds
        with pytest.raises(Conflict) as caught:
            rounds.accept_proposal(
                s, actor=staff, proposal_id=first, settings=rounds.RoundSettings()
            )
        assert caught.value.message == Message(
            "proposal.already_decided", {"proposal_status": "accepted"}
        )
        assert s.exec(select(Claim).where(Claim.offer_id == area["offer"].id)).one() == claim


def test_rejecting_or_holding_needs_a_reason_kept_scrubbed(db, proposed):
    area, _round_id, (first, *_rest) = proposed
    with db() as s:
        staff = _user(s, area, "staff")
        with pytest.raises(ValidationFailed):
            rounds.lock_proposal(s, actor=staff, proposal_id=first, reason=" ")
        held = rounds.lock_proposal(
            s, actor=staff, proposal_id=first, reason="等家属电话13812345678"
        )
        assert held.status == "locked" and held.decision_reason == "等家属电话***"
        with pytest.raises(Conflict):  # a held proposal cannot be held again…
            rounds.lock_proposal(s, actor=staff, proposal_id=first, reason="again")
        rejected = rounds.reject_proposal(
            s, actor=staff, proposal_id=first, reason="欧阳秀兰已搬走"
        )
        assert rejected.status == "rejected" and rejected.decision_reason == "***已搬走"
        audited = s.exec(select(AuditLog.after).where(AuditLog.action == "proposal.reject")).one()
        assert audited["reason"] == "欧阳秀兰已搬走"  # the audit keeps the original


def test_proposal_rows_show_staff_the_title_and_the_administrator_the_public_one(db, proposed):
    area, round_id, ids = proposed
    with db() as s:
        staff_rows = rounds.proposal_rows(s, actor=_user(s, area, "staff"), round_id=round_id)
        admin_rows = rounds.proposal_rows(s, actor=_user(s, area, "admin"), round_id=round_id)
        assert [r.proposal.id for r in staff_rows] == ids
        service = area["needs"]["service"].id
        mine = next(r for r in staff_rows if r.proposal.need_id == service)
        theirs = next(r for r in admin_rows if r.proposal.need_id == service)
        assert mine.need_title == "欧阳秀兰要助浴" and theirs.need_title == "***要助浴"
        assert mine.household == theirs.household == "欧*"
        assert mine.offer_remaining == 3 and mine.community.endswith(" 清波门社区")  # street first
        assert rounds.proposal_rows(s, actor=_user(s, area, "staff"), round_id=round_id, limit=1)
        assert (
            rounds.proposal_rows(
                s, actor=_user(s, area, "staff"), round_id=round_id, status="accepted"
            )
            == []
        )
        assert [
            p.id for p in rounds.proposals_of(s, actor=_user(s, area, "staff"), round_id=round_id)
        ] == ids
        with pytest.raises(NotFound):
            rounds.proposal_rows(s, actor=_user(s, area, "other"), round_id=round_id)


def test_the_preview_counts_what_the_round_takes_in_by_the_same_rule(db, aged):
    """Before a round: the needs and live offers it would load, counted (not loaded) with the
    conditions ``load_problem`` uses — for the hub's area and for the whole city."""
    settings = rounds.RoundSettings(unclaimed_days=14)
    with db() as s:
        for who in ("staff", "admin"):
            actor = _user(s, aged, who)
            preview = rounds.preview(s, actor=actor, settings=settings)
            problem = rounds.load_problem(s, rounds.start_round(s, actor=actor), settings)
            assert preview.needs == len(problem.needs)
            assert preview.offers == len(problem.offers) == 1  # the closed offer is not live
            assert preview.capacity == sum(o.capacity for o in problem.offers) == 3
            assert preview.settings is settings
        staff = rounds.preview(s, actor=_user(s, aged, "staff"), settings=settings)
        assert (staff.service_needs, staff.waiting_wishes) == (2, 1)
        assert (staff.scope_code, staff.scope_name) == ("330102", "上城区")
        city = rounds.preview(s, actor=_user(s, aged, "admin"), settings=settings)
        assert (city.service_needs, city.scope_code, city.scope_name) == (3, None, None)
        # Wishes join after fewer days if the setting says so: the fresh one too.
        sooner = rounds.preview(
            s, actor=_user(s, aged, "staff"), settings=rounds.RoundSettings(unclaimed_days=0)
        )
        assert sooner.waiting_wishes == 2
        with pytest.raises(Forbidden):  # an organisation has no area to match
            rounds.preview(s, actor=s.get(User, aged["org_user"].id), settings=settings)


def test_proposal_reasons_name_the_item_offer_household_and_place(db, proposed):
    area, round_id, _ids = proposed
    with db() as s:
        rows = rounds.proposal_rows(s, actor=_user(s, area, "staff"), round_id=round_id)
        row = next(r for r in rows if r.proposal.need_id == area["needs"]["service"].id)
        offer = s.get(Offer, area["offer"].id)
        codes = [m.code for m in row.reasons]
        assert codes == [
            "round.why.item",
            "round.why.priority",
            "round.why.distance",
            "round.why.nearest",
        ]
        item, priority, distance, nearest = row.reasons
        assert item.params["offer"] == offer.title and item.params["org"]
        assert item.params["item"] == {"zh": "助餐", "en": "Meals"}
        assert priority.params == {"priority": 1, "household": "欧*", "level": 1}
        assert distance.params["place"] == row.community
        assert distance.params["km"] == round(row.proposal.distance_km, 1)
        assert nearest.params["item"] == {"zh": "助餐", "en": "Meals"}
        # No code of the solver reaches the page as it is.
        assert not any(m.code == "raw" for r in rows for m in r.reasons)


def test_pair_reasons_say_why_a_priority_was_raised():
    common = {
        "item": {"zh": "助餐", "en": "Meals"},
        "offer_title": "阳光助餐",
        "org_name": "阳光助老服务中心",
        "household": "王*",
        "place": "湖滨街道 东坡路社区",
    }
    level_two = 70  # risk level 2
    raised = rounds.pair_reasons(
        ["priority:1", "nearer_offers_full"], risk_score=level_two, hardship="emergency", **common
    )
    assert [m.code for m in raised] == ["round.why.priority_emergency", "round.why.nearer_full"]
    assert raised[0].params == {"priority": 1, "household": "王*", "level": 2}
    warned = rounds.pair_reasons(["priority:1"], risk_score=level_two, hardship="care", **common)
    assert warned[0].code == "round.why.priority_warning"
    unknown = rounds.pair_reasons(["something_new"], risk_score=10, hardship="care", **common)
    assert unknown == (Message("raw", {"text": "something_new"}),)


def test_unmatched_needs_say_why_in_words(db, proposed):
    area, round_id, _ids = proposed
    settings = rounds.RoundSettings(max_per_household=2)
    with db() as s:
        rows = rounds.unmatched_rows(
            s, actor=_user(s, area, "staff"), round_id=round_id, settings=settings
        )
        lawyer = next(r for r in rows if r.need_id == area["needs"]["lawyer"].id)
        assert lawyer.reason == "no_offer_for_item"
        assert lawyer.message.code == "round.unmatched.no_offer_for_item"
        assert lawyer.message.params["item"] == {"zh": "法律咨询", "en": "Legal advice"}
        assert lawyer.message.params["max"] == 2 and lawyer.need_title == "法律"
        assert set(rounds.UNMATCHED_MESSAGES) == set(matching.REASON_CODES)
        admin_rows = rounds.unmatched_rows(
            s, actor=_user(s, area, "admin"), round_id=round_id, settings=settings
        )
        assert [r.need_id for r in admin_rows] == [r.need_id for r in rows]
        with pytest.raises(NotFound):
            rounds.unmatched_rows(
                s, actor=_user(s, area, "other"), round_id=round_id, settings=settings
            )


def test_a_round_may_cover_a_region_inside_the_starters_area_only(db, aged):
    settings = rounds.RoundSettings()
    with db() as s:
        admin, staff = _user(s, aged, "admin"), _user(s, aged, "staff")
        districts = dict(rounds.scope_choices(s, admin))
        assert districts["330102"] == "上城区" and len(districts) == 13
        streets = rounds.scope_choices(s, staff)
        assert streets and all(code.startswith("330102") and len(code) == 9 for code, _ in streets)
        chosen = rounds.start_round(s, actor=admin, scope_code="330102")
        assert chosen.scope_code == "330102"
        city = rounds.preview(s, actor=admin, settings=settings)
        district = rounds.preview(s, actor=admin, settings=settings, scope_code="330102")
        assert (district.scope_name, district.needs) == ("上城区", 3) and city.needs == 4
        assert district.needs == len(rounds.load_problem(s, chosen, settings).needs)
        assert rounds.start_round(s, actor=staff, scope_code="330102").scope_code == "330102"
        for outside in ("330106", "999999", "330102999999"):
            with pytest.raises(ValidationFailed) as caught:
                rounds.start_round(s, actor=staff, scope_code=outside)
            assert caught.value.errors["scope"] == Message("round.scope_outside")
        with pytest.raises(ValidationFailed):
            rounds.preview(s, actor=staff, settings=settings, scope_code="330106")
