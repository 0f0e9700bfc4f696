"""Staff lists (services/listings.py): the risk-level filter at the band edges, the area filter
kept inside the hub's subtree, the administrator's lists refused to others."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlmodel import Session

from marketplace.models import Household, Role, User
from marketplace.services import listings
from marketplace.services.errors import Forbidden

DbUnit = Callable[[], AbstractContextManager[Session]]
SORT = listings.Sort("id", False)


def _ids(s: Session, actor: User, f: listings.HouseholdFilter) -> list[int | None]:
    stmt = listings.households_query(s, actor=actor, f=f, sort=SORT)
    return [h.id for (h,) in s.execute(stmt).all()]


def test_level_filter_at_the_band_edges(
    app: Any, db: DbUnit, make_user: Callable[..., User], make_household: Callable[..., Household]
) -> None:
    staff = make_user(Role.HUB_STAFF, hub="330102")
    by_score = {score: make_household(staff, risk_score=score).id for score in (59, 60, 89, 90)}
    with app.app_context(), db() as s:
        actor = s.get(User, staff.id)
        assert actor is not None
        assert _ids(s, actor, listings.HouseholdFilter(level=1)) == [by_score[59]]
        assert _ids(s, actor, listings.HouseholdFilter(level=2)) == [by_score[60], by_score[89]]
        assert _ids(s, actor, listings.HouseholdFilter(level=3)) == [by_score[90]]
        everyone = sorted(by_score.values(), key=lambda i: i or 0)
        assert _ids(s, actor, listings.HouseholdFilter(level=None)) == everyone
        assert _ids(s, actor, listings.HouseholdFilter(level=4)) == everyone  # no such level


def test_area_filter_stays_inside_the_scope(
    app: Any, db: DbUnit, make_user: Callable[..., User], make_household: Callable[..., Household]
) -> None:
    street = make_user(Role.HUB_STAFF, hub="330102001")
    west = make_user(Role.HUB_STAFF, hub="330106")
    mine = make_household(street)  # 330102001051
    make_household(west, community_code="330106002051")
    with app.app_context(), db() as s:
        actor = s.get(User, street.id)
        assert actor is not None
        assert _ids(s, actor, listings.HouseholdFilter(area="330102001051")) == [mine.id]
        # An area outside the hub's subtree (another district, or the hub's own parent) is
        # ignored: the list stays the hub's.
        assert _ids(s, actor, listings.HouseholdFilter(area="330106")) == [mine.id]
        assert _ids(s, actor, listings.HouseholdFilter(area="330102")) == [mine.id]


@pytest.mark.parametrize("role", [Role.HUB_STAFF, Role.MEMBER, Role.ORG])
def test_administrator_lists_refuse_everyone_else(
    app: Any, db: DbUnit, make_user: Callable[..., User], make_org: Callable[..., Any], role: str
) -> None:
    extra: dict[str, Any] = {"hub": "330102"} if role == Role.HUB_STAFF else {}
    if role == Role.ORG:
        extra["org_id"] = make_org().id
    user = make_user(role, **extra)
    admin = make_user(Role.ADMIN)
    with app.app_context(), db() as s:
        actor = s.get(User, user.id)
        assert actor is not None
        with pytest.raises(Forbidden):
            listings.users_query(s, actor=actor, sort=listings.Sort("id", False))
        with pytest.raises(Forbidden):
            listings.audit_query(
                s, actor=actor, f=listings.AuditFilter(), sort=listings.Sort("at", True)
            )
        boss = s.get(User, admin.id)
        assert boss is not None
        assert s.execute(listings.users_query(s, actor=boss, sort=SORT)).all()
