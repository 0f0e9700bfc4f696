"""Region subtrees under another collation (issue 11, item 9).

On a PostgreSQL database created with an ICU zh-Hans-CN collation, ":" sorts before the digits, so a
subtree written as the text range [code, code + ":") came back empty: a district hub saw no
households. These tests build such a database from the migrations and check what a district hub
sees: its household list (service, page and API), its need list and its dashboard counts; and the
subtree condition itself on a column that keeps the database's collation. PostgreSQL only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import String, column, create_engine, text, values
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from marketplace.db import session_scope
from marketplace.migrations import upgrade
from marketplace.models import Household, Need, Role, User
from marketplace.services import dashboard, listings
from marketplace.services.regions import in_subtree, load_reference_data

PG_URL = os.environ.get("ZHONGFU_TEST_DATABASE_URL")
ICU_LOCALE = "zh-Hans-CN"

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (ICU collations)")

DbUnit = Callable[[], AbstractContextManager[Session]]
NewDatabase = Callable[..., tuple[str, Callable[[], None]]]


@pytest.fixture(scope="module")
def icu_template(fresh_pg_database: NewDatabase) -> Iterator[str]:
    """The migrated schema and reference data, in a database whose collation is ICU zh-Hans-CN
    (whatever ZHONGFU_TEST_PG_ICU_LOCALE says)."""
    url, drop = fresh_pg_database(PG_URL, icu_locale=ICU_LOCALE)
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    upgrade(engine)
    with session_scope(engine) as session:
        load_reference_data(session)
    engine.dispose()
    yield make_url(url).database or ""
    drop()


@pytest.fixture
def database_url(icu_template: str, fresh_pg_database: NewDatabase) -> Iterator[str]:
    """Every test of this module runs on a fresh copy of the ICU database (copies keep its
    collation); the usual fixtures (app, db, make_user…) build on it."""
    url, drop = fresh_pg_database(PG_URL, template=icu_template)
    yield url
    drop()


def test_the_database_collation_is_icu_and_sorts_colon_before_digits(db: DbUnit) -> None:
    with db() as s:
        provider, locale = s.execute(
            text(
                "SELECT datlocprovider, daticulocale FROM pg_database"
                " WHERE datname = current_database()"
            )
        ).one()
        # The trap this module guards against: in this collation the naive range is empty.
        naive = s.execute(text("SELECT '330102001051' < '330102:'")).scalar_one()
    assert (provider, locale) == ("i", ICU_LOCALE)
    assert naive is False


def test_subtree_condition_on_a_column_in_the_database_collation(db: DbUnit) -> None:
    codes = values(column("code", String), name="codes").data(
        [
            ("330102",),
            ("330102001",),
            ("330102001051",),
            ("330102003052",),
            ("330105001001",),
            ("330110",),
            ("330111001001",),
        ]
    )
    with db() as s:

        def inside(root: str) -> set[str]:
            stmt = select(codes.c.code).where(in_subtree(codes.c.code, root))
            return set(s.exec(stmt).all())

        assert inside("330102") == {"330102", "330102001", "330102001051", "330102003052"}
        assert inside("330102001") == {"330102001", "330102001051"}
        assert inside("330102001051") == {"330102001051"}
        assert inside("330110") == {"330110"}  # not 330111…: shares only leading digits


def test_region_code_columns_are_compared_bytewise(db: DbUnit) -> None:
    """Their indexes are built in "C", so they serve the subtree ranges (migration 0006)."""
    with db() as s:
        rows = s.execute(
            text(
                "SELECT table_name || '.' || column_name, collation_name"
                " FROM information_schema.columns WHERE table_schema = 'public'"
            )
        ).all()
    collations = dict(rows)
    for name in (
        "region.code",
        "region.parent_code",
        "hub.region_code",
        "household.community_code",
        "need.community_code",
        "needtally.community_code",
        "matchround.scope_code",
    ):
        assert collations[name] == "C", name


def test_a_district_hub_sees_its_households_needs_and_counts(
    app: Any,
    db: DbUnit,
    client: FlaskClient,
    make_user: Callable[..., User],
    make_household: Callable[..., Household],
    make_need: Callable[..., Need],
    login_as: Callable[[User], FlaskClient],
    api_token: Callable[[User], dict[str, str]],
) -> None:
    district = make_user(Role.HUB_STAFF, hub="330102")
    street = make_user(Role.HUB_STAFF, hub="330102003")
    west = make_user(Role.HUB_STAFF, hub="330106")
    mine = [
        make_household(district, name="钱塘生", community_code="330102001051"),
        make_household(district, name="吴山月", community_code="330102003052"),
    ]
    other = make_household(west, name="西溪雨", community_code="330106002051")
    open_needs = [make_need(district, h) for h in mine]
    pending = make_need(district, mine[0], publish=False)
    make_need(west, other)

    with app.app_context(), db() as s:
        actor = s.get(User, district.id)
        assert actor is not None
        sort = listings.Sort("id", False)
        page = listings.paginate(
            s, listings.households_query(s, actor=actor, f=listings.HouseholdFilter(), sort=sort)
        )
        assert {h.id for (h,) in page.rows} == {h.id for h in mine} and page.total == 2
        by_street = listings.households_query(
            s, actor=actor, f=listings.HouseholdFilter(area="330102003"), sort=sort
        )
        assert [h.id for (h,) in s.execute(by_street).all()] == [mine[1].id]
        needs = listings.paginate(
            s, listings.needs_query(s, actor=actor, f=listings.NeedFilter(), sort=sort)
        )
        assert {n.id for n, _h in needs.rows} == {n.id for n in [*open_needs, pending]}
        board = dashboard.build(s, actor=actor)
        assert board.status_totals == {"open": 2, "pending_review": 1}
        assert {a.code: a.total for a in board.by_area} == {"330102001": 2, "330102003": 1}
        street_actor = s.get(User, street.id)
        assert street_actor is not None
        assert dashboard.build(s, actor=street_actor).status_totals == {"open": 1}

    # What the hub reads over HTTP: its list page and the API.
    headers = api_token(district)
    found = client.get("/api/v1/households", headers=headers).get_json()
    assert {h["id"] for h in found["items"]} == {h.id for h in mine}
    page_html = login_as(district).get("/hub/households").get_data(as_text=True)
    assert "钱塘生" in page_html and "吴山月" in page_html and "西溪雨" not in page_html
