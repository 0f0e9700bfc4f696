"""The wish-pool micro-cache: same filters within the window → the same page; then fresh."""

from __future__ import annotations

import time

from marketplace.models import Role
from marketplace.services import wishes


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
        assert [v.id for v in wishes.browse_page(s, f, max_age_s=0.5)[0]] == [second.id, first.id]
