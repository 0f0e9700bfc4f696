"""Acting on stale or invisible objects (issue 11, item 8).

- Accepting a proposal takes one unit of the offer's capacity in one conditional update that also
  requires the offer to be live: open, of a vetted organisation, within its dates as counted in
  Beijing. A proposal whose offer was closed, expired, not started or whose organisation lost its
  vetting is answered 409 and nothing changes (no capacity taken, no claim, the need still open,
  the proposal still undecided).
- Every decision on a proposal (accept, reject, hold) applies the round's visibility: hub staff
  cannot decide on a proposal of a round they cannot see, even for a need in their own area: 404.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert
from sqlmodel import col, func, select, update

from marketplace.db import get_engine, session_scope
from marketplace.models import (
    Claim,
    MatchRound,
    Need,
    Offer,
    Organisation,
    Proposal,
    RoundStatus,
    User,
)
from marketplace.services import rounds
from marketplace.services.clock import beijing_today
from marketplace.services.errors import Conflict, NotFound
from tests.world import World


def snapshot(app: Flask, world: World, proposal_id: int) -> dict[str, Any]:
    with session_scope(get_engine(app)) as s:
        proposal = s.get(Proposal, proposal_id)
        assert proposal is not None
        return {
            "remaining": s.get(Offer, world.offer_id).remaining,  # type: ignore[union-attr]
            "need": s.get(Need, proposal.need_id).status,  # type: ignore[union-attr]
            "proposal": (proposal.status, proposal.decided_by, proposal.decision_reason),
            "claims": s.exec(
                select(func.count()).select_from(Claim).where(Claim.need_id == proposal.need_id)
            ).one(),
        }


def accept(app: Flask, world: World, proposal_id: int, who: str = "hub_owner") -> Any:
    return app.test_client().post(
        f"/api/v1/proposals/{proposal_id}/accept", headers=world.tokens[who]
    )


def change_offer(app: Flask, world: World, **values: Any) -> None:
    with session_scope(get_engine(app)) as s:
        s.exec(update(Offer).where(col(Offer.id) == world.offer_id).values(**values))


STALE: dict[str, dict[str, Any]] = {
    "closed": {"status": "closed"},
    "expired": {"end": date.today() - timedelta(days=2)},
    "not_started": {"start": date.today() + timedelta(days=2)},
}


@pytest.mark.parametrize("case", sorted(STALE))
def test_accept_on_a_stale_offer_changes_nothing(app: Flask, world: World, case: str):
    change_offer(app, world, **STALE[case])
    before = snapshot(app, world, world.proposal_id)
    r = accept(app, world, world.proposal_id)
    assert r.status_code == 409, r.get_json()
    assert r.get_json()["code"] == "proposal.offer_not_live"
    assert snapshot(app, world, world.proposal_id) == before


@pytest.mark.parametrize("org_status", ["pending", "rejected"])
def test_accept_when_the_organisation_is_no_longer_vetted(
    app: Flask, world: World, org_status: str
):
    with session_scope(get_engine(app)) as s:
        s.exec(
            update(Organisation)
            .where(col(Organisation.id) == world.org_owner_id)
            .values(status=org_status)
        )
    before = snapshot(app, world, world.proposal_id)
    r = accept(app, world, world.proposal_id)
    assert r.status_code == 409
    assert snapshot(app, world, world.proposal_id) == before


def test_accept_on_a_used_up_offer_says_so(app: Flask, world: World):
    change_offer(app, world, remaining=0)
    before = snapshot(app, world, world.proposal_id)
    r = accept(app, world, world.proposal_id)
    assert r.status_code == 409 and r.get_json()["code"] == "proposal.offer_full"
    assert snapshot(app, world, world.proposal_id) == before


def test_the_date_window_is_counted_in_beijing(app: Flask, world: World):
    """At 23:30 UTC it is already the next day in Beijing: an offer that ended "today" by the
    server's UTC calendar has ended there."""
    late = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    assert beijing_today(late) == date(2026, 3, 11)
    change_offer(app, world, start=date(2026, 3, 1), end=date(2026, 3, 10))
    staff_id = world.users["hub_owner"].id
    settings = rounds.RoundSettings()
    with session_scope(get_engine(app)) as s:
        with pytest.raises(Conflict):
            rounds.accept_proposal(
                s,
                actor=s.get(User, staff_id),  # type: ignore[arg-type]
                proposal_id=world.proposal_id,
                settings=settings,
                today=beijing_today(late),
            )
        s.rollback()
    with session_scope(get_engine(app)) as s:
        claim = rounds.accept_proposal(
            s,
            actor=s.get(User, staff_id),  # type: ignore[arg-type]
            proposal_id=world.proposal_id,
            settings=settings,
            today=date(2026, 3, 10),
        )
        assert claim.offer_id == world.offer_id


def test_accept_on_a_live_offer_still_works(app: Flask, world: World):
    before = snapshot(app, world, world.proposal_id)
    r = accept(app, world, world.proposal_id)
    assert r.status_code == 200, r.get_json()
    after = snapshot(app, world, world.proposal_id)
    assert after["remaining"] == before["remaining"] - 1
    assert after["need"] == "matched" and after["claims"] == before["claims"] + 1


# Visibility of the round ---------------------------------------------------------------------


@pytest.fixture
def city_proposal(app: Flask, world: World) -> int:
    """A proposal of a city-wide round (started by the administrator) on a need inside
    ``hub_owner``'s district: the district's staff cannot see that round."""
    with session_scope(get_engine(app)) as s:
        city = MatchRound(
            scope_code=None, started_by=world.users["admin"].id, status=RoundStatus.DONE.value
        )
        s.add(city)
        s.flush()
        s.execute(
            insert(Proposal),
            [
                {
                    "round_id": city.id,
                    "need_id": world.wish_open,
                    "offer_id": world.offer_id,
                    "distance_km": 1.0,
                    "reasons": ["item"],
                    "status": "proposed",
                }
            ],
        )
        return s.exec(select(Proposal.id).where(Proposal.round_id == city.id)).one()  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("action", "body"),
    [("accept", None), ("reject", {"reason": "家属已婉拒"}), ("lock", {"reason": "等家属回复"})],
)
def test_decisions_on_an_invisible_round_are_not_found(
    app: Flask, world: World, city_proposal: int, action: str, body: dict[str, str] | None
):
    before = snapshot(app, world, city_proposal)
    client = app.test_client()
    r = client.post(
        f"/api/v1/proposals/{city_proposal}/{action}",
        json=body,
        headers=world.tokens["hub_owner"],
    )
    assert r.status_code == 404, (action, r.get_json())
    assert snapshot(app, world, city_proposal) == before
    # The same through the rounds page's form.
    from tests.factories import PASSWORD

    web = app.test_client()
    web.post(
        "/auth/login",
        data={"username": world.users["hub_owner"].username, "password": PASSWORD},
    )
    r = web.post(f"/rounds/proposals/{city_proposal}/{action}", data=body or {})
    assert r.status_code == 404
    assert snapshot(app, world, city_proposal) == before


def test_the_service_applies_the_round_scope_to_every_decision(
    app: Flask, world: World, city_proposal: int
):
    staff_id = world.users["hub_owner"].id
    decisions = [
        lambda s, a: rounds.accept_proposal(
            s, actor=a, proposal_id=city_proposal, settings=rounds.RoundSettings()
        ),
        lambda s, a: rounds.reject_proposal(s, actor=a, proposal_id=city_proposal, reason="x"),
        lambda s, a: rounds.lock_proposal(s, actor=a, proposal_id=city_proposal, reason="x"),
    ]
    for decide in decisions:
        with session_scope(get_engine(app)) as s:
            with pytest.raises(NotFound):
                decide(s, s.get(User, staff_id))
            s.rollback()
    # The administrator sees the city round and may decide.
    r = app.test_client().post(
        f"/api/v1/proposals/{city_proposal}/lock",
        json={"reason": "等家属回复"},
        headers=world.tokens["admin"],
    )
    assert r.status_code == 200, r.get_json()
