"""Access checks (services/access.py): the administrator check, hub staff scope, the scope test and
the loaders that answer "not found" outside the scope."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlmodel import Session

from marketplace.models import Household, Need, Role, User
from marketplace.services import access
from marketplace.services.errors import Forbidden, NotFound

DbUnit = Callable[[], AbstractContextManager[Session]]


def _loaded(s: Session, user: User) -> User:
    found = s.get(User, user.id)
    assert found is not None
    return found


def _user(role: str, **fields: Any) -> User:
    return User(username=f"u-{role}", password_hash="x", role=role, **fields)


def test_require_admin_refuses_every_other_role() -> None:
    access.require_admin(_user(Role.ADMIN))
    for role in (Role.HUB_STAFF, Role.MEMBER, Role.ORG):
        with pytest.raises(Forbidden):
            access.require_admin(_user(role))


@pytest.mark.parametrize(
    ("scope", "code", "inside"),
    [
        (None, "330106002051", True),  # the administrator: the whole city
        ("330102", "330102", True),
        ("330102", "330102001051", True),
        ("330102001", "330102001051", True),
        ("330102001051", "330102001051", True),
        ("330102", "330106002051", False),
        ("330110", "330111001001", False),  # shares leading digits only
        ("330102001", "330102003052", False),  # the neighbouring street
        ("330102001", "330102", False),  # the parent is outside its child's scope
    ],
)
def test_in_scope(scope: str | None, code: str, inside: bool) -> None:
    assert access.in_scope(scope, code) is inside


def test_scopes_of_each_role(
    app: Any, db: DbUnit, make_user: Callable[..., User], make_org: Callable[..., Any]
) -> None:
    users = {
        "admin": make_user(Role.ADMIN),
        "district": make_user(Role.HUB_STAFF, hub="330102"),
        "community": make_user(Role.HUB_STAFF, hub="330102001051"),
        "member": make_user(Role.MEMBER),
        "org": make_user(Role.ORG, org_id=make_org().id),
    }
    with app.app_context(), db() as s:
        get = {name: _loaded(s, u) for name, u in users.items()}
        assert access.staff_scope(s, get["district"]) == "330102"
        assert access.staff_scope(s, get["community"]) == "330102001051"
        assert access.viewer_scope(s, get["admin"]) is None
        assert access.viewer_scope(s, get["district"]) == "330102"
        for name in ("admin", "member", "org"):
            with pytest.raises(Forbidden):
                access.staff_scope(s, get[name])
        for name in ("member", "org"):
            with pytest.raises(Forbidden):
                access.viewer_scope(s, get[name])


def test_loaders_answer_not_found_outside_the_scope(
    app: Any,
    db: DbUnit,
    make_user: Callable[..., User],
    make_household: Callable[..., Household],
    make_need: Callable[..., Need],
) -> None:
    district = make_user(Role.HUB_STAFF, hub="330102")
    street = make_user(Role.HUB_STAFF, hub="330102001")
    neighbour = make_user(Role.HUB_STAFF, hub="330102003")
    west = make_user(Role.HUB_STAFF, hub="330106")
    household = make_household(street)  # 330102001051
    need = make_need(street, household)
    with app.app_context(), db() as s:
        for viewer in (district, street):
            actor = _loaded(s, viewer)
            assert access.get_household_for_staff(s, household.id or 0, actor).id == household.id
            assert access.get_need_for_staff(s, need.id or 0, actor).id == need.id
        for viewer in (neighbour, west):
            actor = _loaded(s, viewer)
            with pytest.raises(NotFound):
                access.get_household_for_staff(s, household.id or 0, actor)
            with pytest.raises(NotFound):
                access.get_need_for_staff(s, need.id or 0, actor)
        with pytest.raises(NotFound):  # an id that does not exist reads the same
            access.get_household_for_staff(s, 10**9, _loaded(s, district))


def test_get_org_for_admin(
    app: Any, db: DbUnit, make_user: Callable[..., User], make_org: Callable[..., Any]
) -> None:
    org = make_org(vetted=False)
    admin = make_user(Role.ADMIN)
    staff = make_user(Role.HUB_STAFF, hub="330102")
    with app.app_context(), db() as s:
        assert access.get_org_for_admin(s, org.id, _loaded(s, admin)).id == org.id
        with pytest.raises(Forbidden):
            access.get_org_for_admin(s, org.id, _loaded(s, staff))
        with pytest.raises(NotFound):
            access.get_org_for_admin(s, 10**9, _loaded(s, admin))
