"""The claim window (认领意向登记) and its recorded draw (DESIGN §12, issue 15 item 2): interest
instead of first-click-wins, one weighted draw at the close, reproducible from its record."""

from __future__ import annotations

import math
import random
import threading
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import col, func, select

from marketplace.db import get_engine, session_scope
from marketplace.models import (
    AuditLog,
    Claim,
    ClaimDraw,
    ClaimInterest,
    Need,
    NeedStatus,
    Notification,
    Role,
    User,
    utcnow,
)
from marketplace.schemas import NeedIn
from marketplace.services import claims, draws, households
from marketplace.services.errors import Conflict, NotFound
from tests.factories import COMMUNITY

POLICY = claims.ClaimPolicy(max_open=3, days=7)
SAME_STREET = COMMUNITY[:9] + "052"  # another community of 清波街道
SAME_DISTRICT = "330102002001"  # 上城区, another street
ELSEWHERE = "330106002051"  # 西湖区


# -- the pure draw ---------------------------------------------------------------------------------


def test_band_and_weight():
    assert draws.band_of(COMMUNITY, COMMUNITY) == "community"
    assert draws.band_of(SAME_STREET, COMMUNITY) == "street"
    assert draws.band_of(SAME_DISTRICT, COMMUNITY) == "district"
    assert draws.band_of(ELSEWHERE, COMMUNITY) == "elsewhere"
    assert draws.band_of(None, COMMUNITY) == "elsewhere"
    assert draws.weight_of("community", 0) == 240
    assert draws.weight_of("elsewhere", 0) == 60
    assert draws.weight_of("community", 1) == 120  # one recent claim halves it
    assert draws.weight_of("street", 2) == 60
    # Nearer always weighs more at equal recent claims; more recent claims always less.
    for n in range(6):
        weights = [draws.weight_of(b, n) for b in draws.BANDS]
        assert weights == sorted(weights, reverse=True) and len(set(weights)) == 4
        assert draws.weight_of("community", n) > draws.weight_of("community", n + 1)


def test_seed_depends_on_the_wish_and_the_close_only():
    at = utcnow().replace(microsecond=0)
    seed = draws.seed_of(7, at)
    assert len(seed) == 64 and int(seed, 16) >= 0
    assert draws.seed_of(7, at) == seed
    assert draws.seed_of(8, at) != seed
    assert draws.seed_of(7, at + timedelta(seconds=1)) != seed
    # The same instant written in another time zone is the same close.
    assert draws.seed_of(7, at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))) == seed


def test_pick_is_deterministic_and_ignores_the_order_given():
    candidates = [(5, 60), (2, 240), (9, 120)]
    seed = draws.seed_of(1, utcnow())
    winner = draws.pick(seed, candidates)
    assert winner in {2, 5, 9}
    assert draws.pick(seed, list(reversed(candidates))) == winner
    assert draws.pick(seed, candidates) == winner
    assert draws.pick(seed, []) is None
    assert draws.pick(seed, [(3, 0)]) is None
    assert draws.pick(seed, [(3, 0), (4, 10)]) == 4


@settings(max_examples=25, deadline=None)
@given(
    weights=st.lists(st.integers(min_value=1, max_value=240), min_size=1, max_size=8),
    salt=st.integers(min_value=0, max_value=10**6),
)
def test_frequencies_follow_the_weights(weights, salt):
    """10,000 draws (as many wishes, each its own seed) with the same candidates: every member
    wins in proportion to its weight, within 5 standard deviations."""
    n = 10_000
    candidates = [(100 + i, w) for i, w in enumerate(weights)]
    total = sum(weights)
    base = utcnow().replace(microsecond=0)
    wins: dict[int, int] = {}
    for i in range(n):
        winner = draws.pick(draws.seed_of(salt + i, base), candidates)
        assert winner is not None
        wins[winner] = wins.get(winner, 0) + 1
    for member, weight in candidates:
        p = weight / total
        tolerance = 5 * math.sqrt(p * (1 - p) / n) + 1e-9
        assert abs(wins.get(member, 0) / n - p) <= tolerance, (member, weight, total)


# -- the window in the database -------------------------------------------------------------------


def _publish_with_window(app, staff, household, minutes=30, **overrides):
    data = {
        "household_id": household.id,
        "kind": "wish",
        "item": "07-02",
        "title": "想要一个电饭煲",
        "description": "电饭煲坏了",
        "value_yuan": 200,
    } | overrides
    with app.app_context(), session_scope(get_engine(app)) as s:
        actor = s.get(User, staff.id)
        need = households.create_need(s, actor=actor, data=NeedIn(**data))
        return households.publish_need(
            s, actor=actor, need_id=need.id or 0, claim_window_minutes=minutes
        )


def _member(make_user, db, community=None) -> User:
    member = make_user(Role.MEMBER)
    if community:
        with db() as s:
            row = s.get(User, member.id)
            row.community_code = community
    return member


def _interest(db, member, wish_id, *, now=None, policy=POLICY):
    with db() as s:
        return draws.claim_or_interest(
            s, member=s.get(User, member.id), wish_id=wish_id, policy=policy, now=now
        )


def _close(db, now, policy=POLICY):
    with db() as s:
        return draws.close_due_windows(s, policy=policy, now=now)


@pytest.fixture
def staff(make_user):
    return make_user(Role.HUB_STAFF, hub="330102")


def test_publishing_opens_a_window_and_claims_become_interest(
    app, db, staff, make_user, make_household
):
    wish = _publish_with_window(app, staff, make_household(staff))
    assert wish.window_closes_at is not None
    assert (
        timedelta(minutes=29) < wish.window_closes_at - wish.published_at <= timedelta(minutes=30)
    )
    member = _member(make_user, db)
    first = _interest(db, member, wish.id)
    assert isinstance(first, draws.Interest) and first.created
    message = first.message()
    assert message.code == "claim.interest_recorded" and message.params["minutes"] == 30
    again = _interest(db, member, wish.id)  # idempotent
    assert isinstance(again, draws.Interest) and not again.created
    with db() as s:
        assert s.exec(select(func.count()).select_from(ClaimInterest)).one() == 1
        assert s.get(Need, wish.id).status == NeedStatus.OPEN.value
        # A direct claim is refused while the window is open: no first-click race.
        with pytest.raises(Conflict) as refused:
            claims.claim_wish(s, member=s.get(User, member.id), wish_id=wish.id, policy=POLICY)
        assert refused.value.message.code == "claim.window_open"
        state = draws.window_state(s, member=s.get(User, member.id), wish_id=wish.id)
        assert state is not None and state.registered and state.interested == 1
        assert state.minutes_left == 30


def test_interest_has_the_checks_of_a_claim(app, db, staff, make_user, make_household):
    wish = _publish_with_window(app, staff, make_household(staff))
    member = _member(make_user, db)
    with db() as s:
        s.get(User, member.id).open_claims = 3
    with pytest.raises(Conflict) as capped:
        _interest(db, member, wish.id)
    assert capped.value.message.code == "claim.cap_reached"
    org_staff = make_user(Role.HUB_STAFF, hub="330102")
    with db() as s, pytest.raises(Exception) as not_member:
        draws.express_interest(s, member=s.get(User, org_staff.id), wish_id=wish.id, policy=POLICY)
    assert getattr(not_member.value, "status", None) == 403
    pending = households.create_need  # an unpublished wish is not found
    with db() as s:
        need = pending(
            s,
            actor=s.get(User, staff.id),
            data=NeedIn(
                household_id=wish.household_id, kind="wish", item="07-01", title="x", value_yuan=1
            ),
        )
        pending_id = need.id
    with pytest.raises(NotFound):
        _interest(db, _member(make_user, db), pending_id)
    with db() as s:
        assert s.exec(select(func.count()).select_from(ClaimInterest)).one() == 0


def test_the_close_draws_one_winner_notifies_everyone_and_verifies(
    app, db, staff, make_user, make_household
):
    wish = _publish_with_window(app, staff, make_household(staff))
    near = _member(make_user, db, COMMUNITY)
    mid = _member(make_user, db, SAME_DISTRICT)
    far = _member(make_user, db)
    for m in (far, near, mid):
        _interest(db, m, wish.id)
    before_close = wish.window_closes_at - timedelta(seconds=1)
    assert _close(db, before_close).windows_closed == 0  # not due yet
    summary = _close(db, wish.window_closes_at + timedelta(seconds=5))
    assert summary.as_json() == {"windows_closed": 1, "draws": 1, "fallbacks": 0}
    assert _close(db, wish.window_closes_at + timedelta(minutes=5)).windows_closed == 0
    with db() as s:
        draw = s.exec(select(ClaimDraw)).one()
        active = s.exec(select(Claim).where(Claim.need_id == wish.id)).all()
        assert len(active) == 1 and active[0].member_id == draw.winner_id
        assert draw.claim_id == active[0].id
        assert s.get(Need, wish.id).status == NeedStatus.CLAIMED.value
        assert s.get(Need, wish.id).window_closes_at is None
        assert s.get(User, draw.winner_id).open_claims == 1
        assert [c["member_id"] for c in draw.candidates] == sorted([near.id, mid.id, far.id])
        by_member = {c["member_id"]: c for c in draw.candidates}
        assert by_member[near.id]["weight"] == 240 and by_member[near.id]["band"] == "community"
        assert by_member[mid.id]["weight"] == 120 and by_member[mid.id]["band"] == "district"
        assert by_member[far.id]["weight"] == 60 and by_member[far.id]["band"] == "elsewhere"
        assert draw.seed == draws.seed_of(wish.id, wish.window_closes_at)
        assert draw.winner_id == draws.pick(
            draw.seed, [(c["member_id"], c["weight"]) for c in draw.candidates]
        )
        notes = {
            n.user_id: n
            for n in s.exec(select(Notification).where(col(Notification.kind).like("draw_%")))
        }
        assert set(notes) == {near.id, mid.id, far.id}
        assert notes[draw.winner_id].kind == "draw_won"
        assert notes[draw.winner_id].ref_type == "claim"
        assert sum(n.kind == "draw_lost" for n in notes.values()) == 2
        assert (
            s.exec(select(AuditLog).where(AuditLog.action == "claim.draw")).one().after["winner_id"]
            == draw.winner_id
        )
        result = draws.verify(s, wish.id)
        assert result.ok and result.recomputed_winner == draw.winner_id
        # What each member reads on their claims page.
        mine = {
            m.id: draws.draws_of_member(s, member=s.get(User, m.id))[0] for m in (near, mid, far)
        }
        assert mine[draw.winner_id].outcome == "won" and mine[draw.winner_id].claim_id
        assert sorted(d.outcome for d in mine.values()) == ["not_won", "not_won", "won"]
        assert mine[near.id].total_weight == 420 and mine[near.id].weight == 240


def test_verify_detects_a_tampered_record(app, db, staff, make_user, make_household):
    wish = _publish_with_window(app, staff, make_household(staff))
    members = [_member(make_user, db) for _ in range(2)]
    for m in members:
        _interest(db, m, wish.id)
    _close(db, wish.window_closes_at)
    with db() as s:
        draw = s.exec(select(ClaimDraw)).one()
        loser = next(c for c in draw.candidates if c["member_id"] != draw.winner_id)
        # Give the loser all the weight: the record no longer yields its winner.
        draw.candidates = [c | {"weight": 1000 if c is loser else 0} for c in draw.candidates]
        s.add(draw)
    with db() as s:
        result = draws.verify(s, wish.id)
        assert not result.ok and result.recomputed_winner == loser["member_id"]
    with db() as s, pytest.raises(NotFound):
        draws.verify(s, wish.id + 1000)


def test_cli_draw_verify(app, db, staff, make_user, make_household):
    wish = _publish_with_window(app, staff, make_household(staff))
    member = _member(make_user, db, COMMUNITY)
    _interest(db, member, wish.id)
    _close(db, wish.window_closes_at)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["draw", "verify", str(wish.id)])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output.splitlines()[-1]
    with db() as s:
        seed = s.exec(select(ClaimDraw.seed)).one()
    assert seed in ok.output and f"member {member.id}: weight 240" in ok.output
    assert f"recomputed winner: {member.id}" in ok.output
    with db() as s:
        draw = s.exec(select(ClaimDraw)).one()
        draw.winner_id = None  # a record that claims nobody won
        s.add(draw)
    bad = runner.invoke(args=["draw", "verify", str(wish.id)])
    assert bad.exit_code == 1 and "MISMATCH" in bad.output
    missing = runner.invoke(args=["draw", "verify", "999999"])
    assert missing.exit_code != 0 and "no recorded draw" in missing.output


def test_no_interest_falls_back_to_first_come(app, db, staff, make_user, make_household):
    wish = _publish_with_window(app, staff, make_household(staff))
    summary = _close(db, wish.window_closes_at)
    assert summary.as_json() == {"windows_closed": 1, "draws": 0, "fallbacks": 1}
    member = _member(make_user, db)
    claim = _interest(db, member, wish.id)
    assert isinstance(claim, Claim) and claim.member_id == member.id
    with db() as s:
        assert s.get(Need, wish.id).window_closes_at is None
        assert s.exec(select(ClaimDraw)).one().winner_id is None


def test_a_closed_window_awaiting_its_draw_refuses_claims(
    app, db, staff, make_user, make_household
):
    wish = _publish_with_window(app, staff, make_household(staff))
    member = _member(make_user, db)
    with pytest.raises(Conflict) as refused:
        _interest(db, member, wish.id, now=wish.window_closes_at + timedelta(seconds=1))
    assert refused.value.message.code == "claim.draw_pending"


def test_withdrawn_interest_is_not_drawn(app, db, staff, make_user, make_household):
    wish = _publish_with_window(app, staff, make_household(staff))
    stays, leaves = _member(make_user, db), _member(make_user, db)
    _interest(db, stays, wish.id)
    _interest(db, leaves, wish.id)
    with db() as s:
        draws.withdraw_interest(s, member=s.get(User, leaves.id), wish_id=wish.id)
    with db() as s, pytest.raises(NotFound):
        draws.withdraw_interest(s, member=s.get(User, leaves.id), wish_id=wish.id)
    _close(db, wish.window_closes_at)
    with db() as s:
        draw = s.exec(select(ClaimDraw)).one()
        assert draw.winner_id == stays.id
        assert [c["member_id"] for c in draw.candidates] == [stays.id]
        with pytest.raises(Conflict):  # too late to withdraw
            draws.withdraw_interest(s, member=s.get(User, stays.id), wish_id=wish.id)


def test_the_cap_counts_won_draws(app, db, staff, make_user, make_household):
    """A member under a cap of 1 registers for two wishes: they win the first (the only one
    interested), are excluded from the second, and nobody is over the cap."""
    policy = claims.ClaimPolicy(max_open=1, days=7, repeat_help_days=0)
    household = make_household(staff)
    first = _publish_with_window(app, staff, household, minutes=10)
    second = _publish_with_window(app, staff, household, minutes=20, item="07-01")
    greedy, other = _member(make_user, db), _member(make_user, db)
    _interest(db, greedy, first.id, policy=policy)
    _interest(db, greedy, second.id, policy=policy)
    _interest(db, other, second.id, policy=policy)
    _close(db, second.window_closes_at, policy=policy)  # both due: closed in close-time order
    with db() as s:
        by_need = {d.need_id: d for d in s.exec(select(ClaimDraw))}
        assert by_need[first.id].winner_id == greedy.id
        assert by_need[second.id].winner_id == other.id
        assert by_need[second.id].excluded == [
            {"member_id": greedy.id, "reason": "cap_reached", "band": "elsewhere"}
        ]
        assert max(u.open_claims for u in s.exec(select(User))) <= 1


def test_recent_claims_lower_the_weight(app, db, staff, make_user, make_household):
    policy = claims.ClaimPolicy(max_open=5, days=7, repeat_help_days=0)
    busy, fresh = _member(make_user, db, COMMUNITY), _member(make_user, db, COMMUNITY)
    with db() as s:  # two claims in the last 90 days, one older
        for days in (5, 80, 120):
            s.add(
                Claim(
                    need_id=_publish_with_window(app, staff, make_household(staff), 0).id,
                    member_id=busy.id,
                    claimed_at=utcnow() - timedelta(days=days),
                    due_at=utcnow(),
                    status="expired",
                )
            )
    wish = _publish_with_window(app, staff, make_household(staff))
    _interest(db, busy, wish.id, policy=policy)
    _interest(db, fresh, wish.id, policy=policy)
    _close(db, wish.window_closes_at, policy=policy)
    with db() as s:
        weights = {
            c["member_id"]: (c["weight"], c["recent_claims"])
            for c in s.exec(select(ClaimDraw)).one().candidates
        }
    assert weights == {busy.id: (80, 2), fresh.id: (240, 0)}


def test_speed_of_registering_makes_no_difference(app, db, staff, make_user, make_household):
    """Many wishes, the same members registering in a random order at random moments of the
    window: the recorded weights do not depend on the order, and each member's wins match the
    sum of their chances (weight / total per draw), fast and slow registrants alike."""
    policy = claims.ClaimPolicy(max_open=10_000, days=7, repeat_help_days=0)
    members = [
        _member(make_user, db, COMMUNITY),
        _member(make_user, db, SAME_DISTRICT),
        _member(make_user, db, SAME_DISTRICT),
        _member(make_user, db),
    ]
    household = make_household(staff)
    rng = random.Random(15)
    n_wishes = 160
    first_registrant: dict[int, int] = {}
    with db() as s:
        actor = s.get(User, staff.id)
        wish_ids = []
        for i in range(n_wishes):
            need = households.create_need(
                s,
                actor=actor,
                data=NeedIn(
                    household_id=household.id,
                    kind="wish",
                    item="07-02",
                    title=f"心愿{i}",
                    value_yuan=10,
                ),
            )
            published = households.publish_need(
                s, actor=actor, need_id=need.id or 0, claim_window_minutes=30
            )
            wish_ids.append(published.id)
            order = members[:]
            rng.shuffle(order)
            start = published.published_at
            # Fast clickers register within a second, slow ones up to 29 minutes later.
            moments = sorted(rng.uniform(0.1, 29 * 60) for _ in order)
            for m, seconds in zip(order, moments, strict=True):
                draws.express_interest(
                    s,
                    member=s.get(User, m.id),
                    wish_id=published.id,
                    policy=policy,
                    now=start + timedelta(seconds=seconds),
                )
            first_registrant[published.id] = order[0].id
        closes = published.window_closes_at
    with db() as s:
        # Weights are computed from the state at each close, so close each draw as if alone.
        summary = draws.close_due_windows(s, policy=policy, now=closes, limit=n_wishes)
    assert summary.draws == n_wishes
    with db() as s:
        rows = s.exec(select(ClaimDraw).where(col(ClaimDraw.need_id).in_(wish_ids))).all()
    assert len(rows) == n_wishes and all(d.winner_id is not None for d in rows)
    expected: dict[int, float] = {}
    won: dict[int, int] = {}
    first_expected = first_won = 0.0
    var = 0.0
    for d in rows:
        total = sum(c["weight"] for c in d.candidates)
        assert [c["member_id"] for c in d.candidates] == sorted(m.id for m in members)
        for c in d.candidates:
            p = c["weight"] / total
            expected[c["member_id"]] = expected.get(c["member_id"], 0.0) + p
            if c["member_id"] == first_registrant[d.need_id]:
                first_expected += p
                var += p * (1 - p)
        won[d.winner_id] = won.get(d.winner_id, 0) + 1
        first_won += d.winner_id == first_registrant[d.need_id]
    for m in members:  # each member's wins against the sum of their chances, within 4 sigma
        assert abs(won.get(m.id, 0) - expected[m.id]) <= 4 * math.sqrt(n_wishes / 4) + 1
    # Being first to register gives nothing beyond one's weight.
    assert abs(first_won - first_expected) <= 4 * math.sqrt(var) + 1


def test_concurrent_closes_make_one_draw(app, db, staff, make_user, make_household):
    wish = _publish_with_window(app, staff, make_household(staff))
    for _ in range(4):
        _interest(db, _member(make_user, db), wish.id)
    engine = get_engine(app)
    barrier = threading.Barrier(2)
    results: list[object] = []
    lock = threading.Lock()

    def close() -> None:
        barrier.wait()
        try:
            with app.app_context(), session_scope(engine) as s:
                out: object = draws.close_due_windows(
                    s, policy=POLICY, now=wish.window_closes_at
                ).windows_closed
        except Exception as exc:  # any error is a failure of the test
            out = exc
        with lock:
            results.append(out)

    threads = [threading.Thread(target=close) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [0, 1], results  # type: ignore[type-var]
    with db() as s:
        assert s.exec(select(func.count()).select_from(ClaimDraw)).one() == 1
        assert s.exec(select(func.count()).select_from(Claim)).one() == 1
        assert sum(u.open_claims for u in s.exec(select(User))) == 1


def test_concurrent_interest_and_close(app, db, staff, make_user, make_household):
    """Members registering while the close runs: every registration is either in the draw or
    refused — none is recorded and ignored."""
    wish = _publish_with_window(app, staff, make_household(staff))
    members = [_member(make_user, db) for _ in range(8)]
    engine = get_engine(app)
    barrier = threading.Barrier(len(members) + 1)
    at = wish.window_closes_at - timedelta(microseconds=1)

    def register(m: User) -> None:
        barrier.wait()
        try:
            with app.app_context(), session_scope(engine) as s:
                draws.express_interest(
                    s, member=s.get(User, m.id), wish_id=wish.id, policy=POLICY, now=at
                )
        except Conflict:
            pass

    def close() -> None:
        barrier.wait()
        with app.app_context(), session_scope(engine) as s:
            draws.close_due_windows(s, policy=POLICY, now=wish.window_closes_at)

    threads = [threading.Thread(target=register, args=(m,)) for m in members]
    threads.append(threading.Thread(target=close))
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    _close(db, wish.window_closes_at)  # in case the close ran before any registration
    with db() as s:
        registered = set(s.exec(select(ClaimInterest.member_id)))
        draw = s.exec(select(ClaimDraw)).one()
        assert {c["member_id"] for c in draw.candidates} == registered


def test_the_fairness_report_shows_draws_by_distance_band(
    app, db, client, login_as, staff, make_user, make_household
):
    from marketplace.services import fairness

    wish = _publish_with_window(app, staff, make_household(staff))
    empty = _publish_with_window(app, staff, make_household(staff), item="07-01")
    near = _member(make_user, db, COMMUNITY)
    far = _member(make_user, db)
    capped = _member(make_user, db, SAME_STREET)
    for m in (near, far, capped):
        _interest(db, m, wish.id)
    with db() as s:
        s.get(User, capped.id).open_claims = 3  # over the cap at the close: excluded
    _close(db, empty.window_closes_at)  # both windows
    month = wish.window_closes_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    with db() as s:
        report = fairness.month_report(
            s, actor=s.get(User, staff.id), month=month.strftime("%Y-%m")
        )
        winner = s.exec(select(ClaimDraw).where(ClaimDraw.need_id == wish.id)).one().winner_id
    assert empty.id and (report.draws_held, report.draws_fallback) == (1, 1)
    bands = {b.band: b for b in report.draw_bands}
    assert (bands["community"].interested, bands["community"].eligible) == (1, 1)
    assert (bands["street"].interested, bands["street"].eligible) == (1, 0)
    assert (bands["elsewhere"].interested, bands["elsewhere"].eligible) == (1, 1)
    assert bands["community"].expected_wins == pytest.approx(240 / 300)
    assert bands["elsewhere"].expected_wins == pytest.approx(60 / 300)
    assert sum(b.won for b in report.draw_bands) == 1
    assert bands["community" if winner == near.id else "elsewhere"].won == 1
    login_as(staff)
    page = client.get(f"/rounds/fairness?month={month:%Y-%m}&lang=en")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Claim-window draws" in body and "Same community" in body
    api = client.get(f"/rounds/fairness.xlsx?month={month:%Y-%m}&lang=en")
    assert api.status_code == 200
