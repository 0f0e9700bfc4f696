"""No N+1 queries: the number of SQL statements of list pages does not grow with the rows shown."""

from __future__ import annotations

import pytest

from marketplace.bench import count_statements
from marketplace.models import Role


@pytest.fixture
def wishes(make_user, make_household, make_need):
    staff = make_user(Role.HUB_STAFF, hub="330102")

    def add(n: int) -> None:
        for i in range(n):
            make_need(staff, make_household(staff), title=f"心愿{i}", publish=i % 3 != 0)

    return staff, add


def _statements(app, client, url, headers=None):
    client.get(url, headers=headers)  # warm the reference-data caches (region and item names)
    with count_statements(app) as seen:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return len(seen)


def test_wish_pool_queries_are_constant(app, client, make_user, api_token, login_as, wishes):
    _staff, add = wishes
    member = make_user(Role.MEMBER)
    headers = api_token(member)
    add(2)
    few_api = _statements(app, client, "/api/v1/wishes", headers)
    login_as(member)
    few_page = _statements(app, client, "/member/")
    add(15)
    assert _statements(app, client, "/api/v1/wishes", headers) == few_api
    assert _statements(app, client, "/member/") == few_page


def test_staff_lists_queries_are_constant(app, client, login_as, wishes):
    staff, add = wishes
    add(2)
    login_as(staff)
    urls = ("/hub/households", "/hub/review", "/hub/", "/rounds/")
    few = {u: _statements(app, client, u) for u in urls}
    add(15)
    assert {u: _statements(app, client, u) for u in urls} == few


def test_paired_households_queries_are_constant(
    app, client, db, make_user, make_org, make_household, login_as
):
    """An organisation paired with many households: one read of their schedules, one hub a
    community."""
    from datetime import timedelta

    from marketplace.models import Pairing
    from marketplace.services import clock

    staff = make_user(Role.HUB_STAFF, hub="330102")
    org = make_org()
    account = make_user(Role.ORG, org_id=org.id)

    def pair(n: int) -> None:
        with db() as s:
            for _ in range(n):
                h = make_household(staff)
                s.add(
                    Pairing(
                        household_id=h.id,
                        org_id=org.id,
                        start=clock.beijing_today(),
                        end=clock.beijing_today() + timedelta(days=90),
                    )
                )

    pair(2)
    login_as(account)
    few = _statements(app, client, "/org/paired")
    pair(12)
    assert _statements(app, client, "/org/paired") == few
