"""爱心积分 totals and leaderboards (issue 16 item 4): sums by member, branch and organisation over
the confirmed records, by period; branch and organisation boards; members by name only if they
opted in (else 张*)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from sqlmodel import select

from marketplace.models import AuditLog, Contribution, Role, User
from marketplace.services import branches, leaderboards
from marketplace.services.errors import ValidationFailed
from tests.factories import COMMUNITY, confirm, delivered_claim

TODAY = date(2026, 6, 15)  # Beijing
_n = count(1)


def _at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


def _record(s, *, points: int, hours: str, ended: date, member=None, branch=None, org=None):
    n = next(_n)
    s.add(
        Contribution(
            record_no=f"T-{n}",
            member_id=member,
            branch_id=branch,
            org_id=org,
            volunteer_name="志愿者",
            item_code="07-02",
            content="电饭煲",
            community_code=COMMUNITY,
            household_label="张*",
            started_at=_at(ended) - timedelta(hours=1),
            ended_at=_at(ended),
            hours=Decimal(hours),
            recording_unit="清波街道助联体",
            points=points,
        )
    )
    s.flush()


@pytest.fixture
def scene(db, make_org, make_user):
    """Party organisation P with branches 一支部 (members 王小明, 李四) and 二支部 (赵六); an NGO N.
    Records (points, hours, ended):
      王小明: 30/2h this month, 20/1h in March, 100/5h last year
      李四:   40/3h this month
      赵六:   25/1h this month, 60/4h in January
      N (its own assignment): 50/2h this month, 200/8h last year."""
    party_org = make_org(type="party_org")
    ngo = make_org()
    party = make_user(Role.ORG, org_id=party_org.id)
    with db() as s:
        actor = s.get(User, party.id)
        b1 = branches.create_branch(s, actor=actor, name="一支部")
        b2 = branches.create_branch(s, actor=actor, name="二支部")
        wang, _p = branches.add_member(
            s, actor=actor, branch_id=b1.id, username="dy-wang", display_name="王小明"
        )
        li, _p = branches.add_member(
            s, actor=actor, branch_id=b1.id, username="dy-li", display_name="李四"
        )
        zhao, _p = branches.add_member(
            s, actor=actor, branch_id=b2.id, username="dy-zhao", display_name="赵六"
        )
        li.show_name_on_boards = True
        this_month, march, january = TODAY.replace(day=3), date(2026, 3, 9), date(2026, 1, 20)
        last_year = date(2025, 12, 30)
        for member, branch, pts, h, ended in (
            (wang, b1, 30, "2", this_month),
            (wang, b1, 20, "1", march),
            (wang, b1, 100, "5", last_year),
            (li, b1, 40, "3", this_month),
            (zhao, b2, 25, "1", this_month),
            (zhao, b2, 60, "4", january),
        ):
            _record(s, points=pts, hours=h, ended=ended, member=member.id, branch=branch.id)
        _record(s, points=50, hours="2", ended=this_month, org=ngo.id)
        _record(s, points=200, hours="8", ended=last_year, org=ngo.id)
        ids = {
            "wang": wang.id,
            "li": li.id,
            "zhao": zhao.id,
            "b1": b1.id,
            "b2": b2.id,
            "party": party_org.id,
            "ngo": ngo.id,
        }
    return ids


def test_totals_by_member_branch_and_organisation(db, scene):
    with db() as s:

        def t(period: str, **who: int) -> tuple[int, Decimal, int]:
            r = leaderboards.totals(s, period=period, today=TODAY, **who)
            return r.records, r.hours, r.points

        assert t("month", member_id=scene["wang"]) == (1, Decimal("2"), 30)
        assert t("year", member_id=scene["wang"]) == (2, Decimal("3"), 50)
        assert t("all", member_id=scene["wang"]) == (3, Decimal("8"), 150)
        assert t("month", branch_id=scene["b1"]) == (2, Decimal("5"), 70)
        assert t("year", branch_id=scene["b2"]) == (2, Decimal("5"), 85)
        # the Party organisation: its branches' members' records
        assert t("year", org_id=scene["party"]) == (5, Decimal("11"), 175)
        assert t("all", org_id=scene["party"]) == (6, Decimal("16"), 275)
        assert t("month", org_id=scene["ngo"]) == (1, Decimal("2"), 50)
        assert t("all", org_id=scene["ngo"]) == (2, Decimal("10"), 250)


def test_branch_and_organisation_boards_by_period(db, scene):
    with db() as s:
        month = leaderboards.branch_board(s, period="month", today=TODAY)
        assert [(r.rank, r.name, r.points) for r in month] == [(1, "一支部", 70), (2, "二支部", 25)]
        year = leaderboards.branch_board(s, period="year", today=TODAY)
        assert [(r.name, r.points) for r in year] == [("一支部", 90), ("二支部", 85)]
        orgs = leaderboards.org_board(s, period="all", today=TODAY, mine={scene["ngo"]})
        assert [(r.id, r.points, r.me) for r in orgs] == [
            (scene["party"], 275, False),
            (scene["ngo"], 250, True),
        ]
        orgs_month = leaderboards.org_board(s, period="month", today=TODAY)
        assert [(r.id, r.points) for r in orgs_month] == [(scene["party"], 95), (scene["ngo"], 50)]
        assert leaderboards.branch_board(s, period="all", today=TODAY, limit=1)[0].name == "一支部"


def test_members_show_by_name_only_if_they_opt_in(db, scene):
    with db() as s:
        rows = leaderboards.member_board(s, period="month", today=TODAY, viewer_id=scene["wang"])
        # 李四 opted in; 王小明 and 赵六 did not
        assert [(r.name, r.points, r.me) for r in rows] == [
            ("李四", 40, False),
            ("王*", 30, True),
            ("赵*", 25, False),
        ]
        wang = s.get(User, scene["wang"])
        leaderboards.set_show_name(s, actor=wang, show=True)
    with db() as s:
        rows = leaderboards.member_board(s, period="all", today=TODAY, branch_id=scene["b1"])
        assert [(r.name, r.points) for r in rows] == [("王小明", 150), ("李四", 40)]
        entry = s.exec(select(AuditLog).where(AuditLog.action == "user.show_name_on_boards")).one()
        assert entry.after == {"show_name_on_boards": True}
        by_org = leaderboards.member_board(s, period="all", today=TODAY, org_id=scene["party"])
        assert {r.id for r in by_org} == {scene["wang"], scene["li"], scene["zhao"]}


def test_equal_points_share_a_rank(db, scene):
    with db() as s:
        _record(s, points=45, hours="1", ended=TODAY, member=scene["zhao"], branch=scene["b2"])
        rows = leaderboards.branch_board(s, period="month", today=TODAY)
        assert [(r.rank, r.points) for r in rows] == [(1, 70), (1, 70)]


def test_confirmed_delivery_points_reach_the_boards(app, db, users, make_org, make_user):
    """A real confirmation: 07-02, 2 hours, a level-1 household → 10 + 2×5 + 10 = 30 points."""
    party = make_user(Role.ORG, org_id=make_org(type="party_org").id)
    with db() as s:
        b = branches.create_branch(s, actor=s.get(User, party.id), name="三支部")
        member, _p = branches.add_member(
            s, actor=s.get(User, party.id), branch_id=b.id, username="dy-m3"
        )
    staff = make_user(Role.HUB_STAFF, hub="330102")
    claim = delivered_claim(app, staff, member, hours="2")
    confirm(app, staff, claim.need_id)
    with db() as s:
        assert leaderboards.totals(s, member_id=member.id, period="month").points == 30
        assert leaderboards.totals(s, branch_id=b.id, period="all").points == 30
        assert leaderboards.branch_board(s, period="month")[0].points == 30


def test_bad_period_or_limit_names_the_field():
    assert leaderboards.parse_period(None) == "month"
    with pytest.raises(ValidationFailed) as exc:
        leaderboards.parse_period("week")
    assert "period" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        leaderboards.parse_limit("1000")
    assert "limit" in exc.value.errors


def test_a_cached_board_is_reused_but_names_stay_fresh(db, scene):
    with db() as s:
        first = leaderboards.member_board(s, period="month", today=TODAY, max_age_s=60)
        _record(s, points=500, hours="1", ended=TODAY, member=scene["zhao"], branch=scene["b2"])
        s.get(User, scene["wang"]).show_name_on_boards = True
        s.flush()
        cached = leaderboards.member_board(s, period="month", today=TODAY, max_age_s=60)
        assert [(r.id, r.points) for r in cached] == [(r.id, r.points) for r in first]
        assert [r.name for r in cached] == ["李四", "王小明", "赵*"]  # the opt-in at once
        fresh = leaderboards.member_board(s, period="month", today=TODAY)
        assert (fresh[0].id, fresh[0].points) == (scene["zhao"], 525)
