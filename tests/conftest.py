"""Shared fixtures: a fresh app and database per test (SQLite file, or a fresh PostgreSQL
database when ZHONGFU_TEST_DATABASE_URL points at a server), factories, ``login_as``, API tokens."""

from __future__ import annotations

import itertools
import os
import random
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session
from stdnum.cn import ric, uscc

from marketplace import create_app
from marketplace.cli import migrate
from marketplace.db import get_engine, session_scope
from marketplace.models import Household, Need, Offer, Organisation, Role, User
from marketplace.schemas import HouseholdIn, NeedIn, OfferIn, OrgIn
from marketplace.services import accounts, households, offers

PASSWORD = "correct-horse-battery"
PG_URL = os.environ.get("ZHONGFU_TEST_DATABASE_URL")
# CI runs the PostgreSQL suite on databases created with an ICU collation (e.g. zh-Hans-CN):
# region subtrees and sorting must not depend on the database's collation.
PG_ICU_LOCALE = os.environ.get("ZHONGFU_TEST_PG_ICU_LOCALE")


def _fresh_pg_database(
    base_url: str, template: str | None = None, icu_locale: str | None = PG_ICU_LOCALE
) -> tuple[str, Callable[[], None]]:
    url = make_url(base_url)
    name = f"zf_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    if template:
        options = f' TEMPLATE "{template}"'
    elif icu_locale:
        options = (
            f" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{icu_locale}' LOCALE 'C.UTF-8'"
        )
    else:
        options = ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{options}'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def fresh_pg_database() -> Callable[..., tuple[str, Callable[[], None]]]:
    """``(base_url, template=None, icu_locale=…) -> (url, drop)``: a new PostgreSQL database, for
    tests that need a database of their own kind (e.g. another collation)."""
    return _fresh_pg_database


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "JOBS_IMMEDIATE": True,
    "WISH_POOL_CACHE_S": 0,  # tests read their own writes at once (tests/services/test_wish_cache.py)
    "DASHBOARD_COUNTS_MAX_AGE_S": 0,  # likewise the dashboards (tests/services/test_tally.py)
}


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Schema and reference data built once; every test gets a fresh copy of it."""
    if PG_URL:
        url, drop = _fresh_pg_database(PG_URL)
    else:
        url, drop = f"sqlite:///{tmp_path_factory.mktemp('template')}/template.db", (lambda: None)
    app = create_app(TEST_CONFIG | {"DATABASE_URL": url})
    migrate(app)
    get_engine(app).dispose()
    yield url
    drop()


@pytest.fixture
def database_url(template_database: str, tmp_path: Any) -> Iterator[str]:
    if PG_URL:
        url, drop = _fresh_pg_database(PG_URL, template=make_url(template_database).database)
        yield url
        drop()
    else:
        target = tmp_path / "test.db"
        shutil.copyfile(make_url(template_database).database or "", target)
        yield f"sqlite:///{target}"


@pytest.fixture
def app(database_url: str, tmp_path: Any) -> Iterator[Flask]:
    app = create_app(TEST_CONFIG | {"DATABASE_URL": database_url})
    app.instance_path = str(tmp_path / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    yield app
    get_engine(app).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(app: Flask) -> Callable[[], AbstractContextManager[Session]]:
    """Short units of work for set-up and checks: ``with db() as s: ...`` (committed at the end).

    Never hold one open across a request: on SQLite an open transaction holds the write lock.
    """

    @contextmanager
    def unit() -> Iterator[Session]:
        with app.app_context(), session_scope(get_engine(app)) as session:
            yield session

    return unit


_counter = itertools.count(1)


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    def make(
        role: str = Role.MEMBER,
        *,
        hub: str | None = None,
        org_id: int | None = None,
        username: str | None = None,
    ) -> User:
        with app.app_context(), session_scope(get_engine(app)) as s:
            return accounts.create_user(
                s,
                actor=None,
                username=username or f"{role}{next(_counter)}",
                password=PASSWORD,
                role=role,
                hub_code=hub,
                org_id=org_id,
            )

    return make


def valid_id_number(seed: int | None = None, district: str = "330102") -> str:
    rng = random.Random(seed)
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 60 * 365))
    body = f"{district}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def valid_credit_code(n: int) -> str:
    body = f"91330100MA2{n:06d}"[:17]
    return body + uscc.calc_check_digit(body)


COMMUNITY = "330102001051"  # 上城区 清波街道 清波门社区
OTHER_DISTRICT_COMMUNITY = "330106002051"  # 西湖区 上保社区


@pytest.fixture
def make_household(app: Flask) -> Callable[..., Household]:
    def make(staff: User, **overrides: Any) -> Household:
        data = {
            "name": "张三",
            "id_number": valid_id_number(next(_counter)),
            "phone": "13812345678",
            "address": "解放路100号3幢201室",
            "community_code": COMMUNITY,
            "hardship_type": "bottom",
            "risk_score": 45,
            "members": 2,
            "tags": ["elderly"],
        } | overrides
        with app.app_context(), session_scope(get_engine(app)) as s:
            return households.create_household(
                s, actor=s.get(User, staff.id) or staff, data=HouseholdIn(**data)
            )

    return make


@pytest.fixture
def make_need(app: Flask) -> Callable[..., Need]:
    def make(staff: User, household: Household, *, publish: bool = True, **overrides: Any) -> Need:
        data = {
            "household_id": household.id,
            "kind": "wish",
            "item": "07-02",
            "title": "想要一个电饭煲",
            "description": "电饭煲坏了，电话13812345678",
            "value_yuan": Decimal(200),
            "deadline": date.today() + timedelta(days=30),
        } | overrides
        with app.app_context(), session_scope(get_engine(app)) as s:
            actor = s.get(User, staff.id)
            assert actor is not None
            need = households.create_need(s, actor=actor, data=NeedIn(**data))
            if publish:
                need = households.publish_need(s, actor=actor, need_id=need.id or 0)
            return need

    return make


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Organisation]:
    def make(*, vetted: bool = True, type: str = "ngo") -> Organisation:
        with app.app_context(), session_scope(get_engine(app)) as s:
            n = next(_counter)
            org = offers.register_org(
                s,
                actor=None,
                data=OrgIn(name=f"测试组织{n}", type=type, credit_code=valid_credit_code(n)),
            )
            if vetted:
                org.status = "vetted"
            s.flush()
            return org

    return make


@pytest.fixture
def make_offer(app: Flask) -> Callable[..., Offer]:
    def make(org_user: User, **overrides: Any) -> Offer:
        data = {
            "title": "家电焕新",
            "items": ["07-02"],
            "regions": ["330102"],
            "capacity": 5,
            "start": date.today() - timedelta(days=1),
            "end": date.today() + timedelta(days=60),
        } | overrides
        with app.app_context(), session_scope(get_engine(app)) as s:
            actor = s.get(User, org_user.id)
            assert actor is not None
            return offers.create_offer(s, actor=actor, data=OfferIn(**data))

    return make


@pytest.fixture
def api_token(client: FlaskClient) -> Callable[[User], dict[str, str]]:
    """Authorization headers for a user, obtained the way an integrator would."""

    def headers(user: User) -> dict[str, str]:
        response = client.post(
            "/api/v1/tokens", json={"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return headers


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[User], FlaskClient]:
    def login(user: User) -> FlaskClient:
        response = client.post(
            "/auth/login", data={"username": user.username, "password": PASSWORD}
        )
        assert response.status_code in (302, 303), response.data[:500]
        return client

    return login
