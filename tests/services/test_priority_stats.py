"""Figures by need priority (services/priority_stats.py): a round's needs, served needs and
median wait by priority; the dashboard's open needs and needs served in 30 days; both pages show
them (templates/staff/_priority.html)."""

from __future__ import annotations

from datetime import timedelta

from marketplace.models import Claim, MatchRound, Need, Proposal, Role, UnmatchedNeed, utcnow
from marketplace.services import priority_stats


def _published(s, need_id, at):
    row = s.get(Need, need_id)
    row.published_at = at
    s.add(row)


def test_round_rows_count_served_and_median_wait_by_priority(
    db, make_user, make_household, make_need, make_org, make_offer
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    org = make_org()
    offer = make_offer(make_user(Role.ORG, org_id=org.id))
    p1 = [make_need(staff, make_household(staff, risk_score=30)) for _ in range(3)]
    p2 = make_need(staff, make_household(staff, risk_score=70))
    p3 = make_need(staff, make_household(staff, risk_score=95))
    with db() as s:
        r = MatchRound(started_by=staff.id, status="done")
        s.add(r)
        s.flush()
        start = r.created_at
        for need, days in zip(p1, (1, 2, 6), strict=True):
            _published(s, need.id, start - timedelta(days=days))
        _published(s, p2.id, start - timedelta(days=4))
        for need in (p1[0], p1[1], p1[2], p2):
            s.add(Proposal(round_id=r.id, need_id=need.id, offer_id=offer.id, distance_km=1.0))
        s.add(UnmatchedNeed(round_id=r.id, need_id=p3.id, reason="capacity_exhausted"))
        s.commit()
        rows = priority_stats.round_rows(s, s.get(MatchRound, r.id))
    assert [(x.priority, x.needs, x.served, x.median_wait_days) for x in rows] == [
        (1, 3, 3, 2.0),
        (2, 1, 1, 4.0),
        (3, 1, 0, None),
    ]


def test_dashboard_rows_in_the_viewers_area(db, make_user, make_household, make_need, client):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    member = make_user(Role.MEMBER)
    open_p1 = make_need(staff, make_household(staff, risk_score=30))
    served_p2 = make_need(staff, make_household(staff, risk_score=70))
    old_p3 = make_need(staff, make_household(staff, risk_score=95))
    other = make_user(Role.HUB_STAFF, hub="330106")
    now = utcnow()
    with db() as s:
        _published(s, served_p2.id, now - timedelta(days=10))
        _published(s, old_p3.id, now - timedelta(days=100))
        for need, claimed, status in (
            (served_p2, now - timedelta(days=7), "claimed"),
            (old_p3, now - timedelta(days=60), "confirmed"),  # served before the 30 days
        ):
            s.add(
                Claim(
                    need_id=need.id,
                    member_id=member.id,
                    status="active" if status == "claimed" else "confirmed",
                    claimed_at=claimed,
                    due_at=claimed + timedelta(days=7),
                )
            )
            row = s.get(Need, need.id)
            row.status = status
            s.add(row)
        s.commit()
        rows = priority_stats.dashboard_rows(s, actor=s.get(type(staff), staff.id), now=now)
        elsewhere = priority_stats.dashboard_rows(s, actor=s.get(type(other), other.id), now=now)
    assert [(x.needs, x.served, x.median_wait_days) for x in rows] == [
        (1, 0, None),
        (0, 1, 3.0),
        (0, 0, None),
    ]
    assert open_p1.id
    assert all(x.needs == 0 and x.served == 0 for x in elsewhere)


def test_dashboard_page_shows_the_priority_table(make_user, make_household, make_need, login_as):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    make_need(staff, make_household(staff, risk_score=30))
    page = login_as(staff).get("/staff/dashboard").get_data(as_text=True)
    assert 'id="by-priority"' in page
