"""The member-facing wish pool (services/wishes.py): filters checked, open wishes by priority
then waiting time (oldest first) in pages, by item and area or near a point, masked; a wish's detail; the home page's counts; the
micro-cache (same filters within the window → the same page; then fresh)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from marketplace.models import Household, Need, Role, User, utcnow
from marketplace.services import claims, priority, wishes
from marketplace.services.errors import NotFound, ValidationFailed
from marketplace.services.messages import Message
from tests.factories import OTHER_DISTRICT_COMMUNITY


def test_pages_are_reused_briefly_and_near_me_never(app, db, make_user, make_household, make_need):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    first = make_need(staff, make_household(staff), title="第一个心愿")
    f = wishes.WishFilter(region="330102")
    with db() as s:
        page = wishes.browse_page(s, f, max_age_s=0.5)
    assert [v.id for v in page[0]] == [first.id]
    second = make_need(staff, make_household(staff), title="第二个心愿")
    with db() as s:
        assert wishes.browse_page(s, f, max_age_s=0.5) is page  # within the window: reused
        near = wishes.browse_page(
            s, wishes.WishFilter(lat=30.25, lon=120.17, radius_km=50), max_age_s=0.5
        )
        assert {v.id for v in near[0]} == {first.id, second.id}  # near me: always fresh
    time.sleep(0.6)
    with db() as s:
        assert [v.id for v in wishes.browse_page(s, f, max_age_s=0.5)[0]] == [first.id, second.id]


@pytest.mark.parametrize(
    ("args", "errors"),
    [
        ({"lat": "x", "lon": "120"}, {"lat": Message("field.not_number")}),
        ({"lat": "91", "lon": "120"}, {"lat": Message("field.between", {"min": -90, "max": 90})}),
        ({"lat": "30.2"}, {"lat": Message("geo.lat_lon_both")}),
        ({"radius_km": "0"}, {"radius_km": Message("field.between", {"min": 0.1, "max": 100})}),
        ({"region": "33010"}, {"region": Message("region.code_invalid")}),
        ({"region": "33010a"}, {"region": Message("region.code_invalid")}),
        ({"item": "0702"}, {"item": Message("item.code_invalid")}),
    ],
)
def test_filters_are_checked(args, errors):
    with pytest.raises(ValidationFailed) as caught:
        wishes.parse_filter(args)
    assert caught.value.errors == errors


def test_good_filters_are_parsed_and_empty_ones_ignored():
    assert wishes.parse_filter({}) == wishes.WishFilter()
    assert wishes.parse_filter({"item": "", "region": "", "lat": ""}) == wishes.WishFilter()
    parsed = wishes.parse_filter(
        {"item": "07-02", "region": "330102001", "lat": "30.25", "lon": "120.17", "radius_km": "3"}
    )
    assert parsed == wishes.WishFilter("07-02", "330102001", 30.25, 120.17, 3.0)


@pytest.fixture
def pool(make_user, make_household, make_need):
    """Three open wishes in 330102 (one of item 01-01), one in 330106, a service need and a wish
    pending review (neither in the pool)."""
    staff = make_user(Role.HUB_STAFF, hub="330102")
    other = make_user(Role.HUB_STAFF, hub="330106")
    home = make_household(staff, name="欧阳秀兰")
    made = [make_need(staff, home, title=f"心愿{i}") for i in range(2)]
    made.append(make_need(staff, home, item="01-01", title="欧阳秀兰要助浴"))
    made.append(make_need(other, make_household(other, community_code=OTHER_DISTRICT_COMMUNITY)))
    make_need(staff, home, kind="service", item="01-01", title="服务")
    pending = make_need(staff, home, publish=False)
    return staff, made, pending


def test_browse_pages_oldest_first_with_a_cursor(db, pool):
    _staff, made, _pending = pool
    ids = [n.id for n in made]  # one priority: the longest waiting first
    with db() as s:
        first, cursor = wishes.browse(s, wishes.WishFilter(), limit=3)
        assert [v.id for v in first] == ids[:3] and cursor == ids[2]
        rest, end = wishes.browse(s, wishes.WishFilter(), after_id=cursor, limit=3)
        assert [v.id for v in rest] == ids[3:] and end is None


def _wait(s, need_id, days):
    need = s.get(Need, need_id)
    need.published_at = utcnow() - timedelta(days=days)
    s.add(need)


def test_pool_lists_by_priority_then_waiting_time(db, make_user, make_household, make_need):
    """Level 1 before level 2 before level 3, whatever their age; 急难型 raises a wish one step,
    waiting does not (DESIGN §5); within a priority the longest waiting first; the cursor pages
    through the same order. The order reads the stored ``Need.priority``."""
    staff = make_user(Role.HUB_STAFF, hub="330102")

    def wish(score, days, **household):
        need = make_need(staff, make_household(staff, risk_score=score, **household))
        with db() as s:
            _wait(s, need.id, days)
            s.commit()
        return need.id

    level3_new = wish(95, 0)
    level2_old = wish(70, 5)
    level1_new = wish(40, 0)
    level2_long = wish(75, 30)  # past 7 days: still priority 2
    level3_emergency = wish(92, 1, hardship_type="emergency")  # priority 2
    level1_old = wish(30, 2)
    level2_new = wish(65, 0)
    expected = [
        level1_old,  # priority 1, waiting 2 days
        level1_new,
        level2_long,  # priority 2, waiting 30 days
        level2_old,
        level3_emergency,
        level2_new,
        level3_new,
    ]
    with db() as s:
        views, _ = wishes.browse(s, wishes.WishFilter(), limit=20)
        assert [v.id for v in views] == expected
        paged, cursor = [], None
        while True:
            page, cursor = wishes.browse(s, wishes.WishFilter(), after_id=cursor, limit=2)
            paged += [v.id for v in page]
            if cursor is None:
                break
        assert paged == expected
        for need_id in expected:
            need = s.get(Need, need_id)
            household = s.get(Household, need.household_id)
            assert need.priority == priority.of(household.risk_score, household.hardship_type)


def test_near_me_sorts_by_distance_within_priority(db, make_user, make_household, make_need):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    here = (30.2500, 120.1700)

    def wish(score, dlat):
        need = make_need(staff, make_household(staff, risk_score=score))
        with db() as s:
            row = s.get(Need, need.id)
            row.lat, row.lon = here[0] + dlat, here[1]
            s.add(row)
            s.commit()
        return need.id

    far_level1 = wish(40, 0.02)  # ~2.2 km
    near_level2 = wish(70, 0.001)
    near_level1 = wish(40, 0.005)
    mid_level2 = wish(70, 0.01)
    with db() as s:
        f = wishes.WishFilter(lat=here[0], lon=here[1], radius_km=5)
        views, _ = wishes.browse(s, f)
        assert [v.id for v in views] == [near_level1, far_level1, near_level2, mid_level2]
        first, cursor = wishes.browse(s, f, limit=3)
        rest, end = wishes.browse(s, f, after_id=cursor, limit=3)
        assert [v.id for v in first + rest] == [v.id for v in views] and end is None


def test_browse_filters_by_item_and_area(db, pool):
    _staff, made, _pending = pool
    with db() as s:

        def ids(**f):
            return {v.id for v in wishes.browse(s, wishes.WishFilter(**f))[0]}

        assert ids(item="01-01") == {made[2].id}
        assert ids(region="330106") == {made[3].id}
        assert ids(region="330102") == ids(region="330102001") == {n.id for n in made[:3]}
        assert ids(region="330102001051") == {n.id for n in made[:3]}
        assert ids(region="330102003") == set()


def test_near_me_keeps_the_radius_and_sorts_by_distance(db, pool):
    _staff, made, _pending = pool
    with db() as s:
        centre = s.get(Need, made[0].id)
        near, _ = wishes.browse(s, wishes.WishFilter(lat=centre.lat, lon=centre.lon, radius_km=1))
        assert {v.id for v in near} == {n.id for n in made[:3]}
        assert all(v.distance_km is not None and v.distance_km <= 1 for v in near)
        # Nowhere near Hangzhou: nothing, and no query of the pool.
        assert wishes.browse(s, wishes.WishFilter(lat=39.9, lon=116.4)) == ([], None)


def test_views_are_masked_and_scrubbed(db, pool):
    _staff, made, pending = pool
    with db() as s:
        view = wishes.wish_detail(s, made[2].id)
        assert view.household == "欧*" and view.title == "***要助浴"
        assert (view.community, view.street, view.district) == ("清波门社区", "清波街道", "上城区")
        assert view.as_json()["value_yuan"] == "200.00" and "lat" not in view.as_json()
        assert "欧阳秀兰" not in str(view.as_json())
        with pytest.raises(NotFound):
            wishes.wish_detail(s, pending.id)
        with pytest.raises(NotFound):
            wishes.wish_detail(s, 999_999)
        assert set(wishes.views_of(s, [made[0].id, made[3].id])) == {made[0].id, made[3].id}
        assert wishes.views_of(s, []) == {}


def test_public_counts(db, pool, make_user, make_org, make_offer):
    staff, made, _pending = pool
    make_offer(make_user(Role.ORG, org_id=make_org().id))
    member = make_user(Role.MEMBER)
    with db() as s:
        before = wishes.public_counts(s)
        assert before == wishes.PublicCounts(open_wishes=4, live_offers=1, confirmed=0)
        actor = s.get(User, member.id)
        claim = claims.claim_wish(s, member=actor, wish_id=made[0].id, policy=claims.ClaimPolicy())
        claims.report_delivery(s, actor=actor, claim_id=claim.id, note="delivered to the door")
        claims.confirm_delivery(s, actor=s.get(User, staff.id), need_id=made[0].id)
        assert wishes.public_counts(s) == wishes.PublicCounts(3, 1, 1)


def test_haversine():
    assert wishes.haversine_km(30.0, 120.0, 30.0, 120.0) == 0
    one_degree = wishes.haversine_km(30.0, 120.0, 31.0, 120.0)
    assert 111.0 < one_degree < 111.4
    assert wishes.haversine_km(30.0, 120.0, 30.0, 121.0) == pytest.approx(
        one_degree * 0.866, rel=0.01
    )
