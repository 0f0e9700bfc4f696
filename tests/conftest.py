"""Shared fixtures: a fresh app and database per test (SQLite file, or a fresh PostgreSQL
database when ZHONGFU_TEST_DATABASE_URL points at a server), the factories of tests/factories.py
bound to it, ``login_as``/``as_role``, API tokens, and the ``world`` of tests/world.py."""

from __future__ import annotations

import io
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from marketplace import create_app
from marketplace.cli import migrate
from marketplace.db import get_engine, session_scope
from marketplace.models import Household, Need, Offer, Organisation, Role, User
from tests import factories
from tests.factories import (
    OTHER_DISTRICT_COMMUNITY,
    PASSWORD,
    PG_ICU_LOCALE,
    PG_URL,
    REDIS_URL,
    STAFF_HUB,
    TEST_CONFIG,
    jpeg_bytes,
)

pytest_plugins = ["tests.world"]  # the ``world`` fixture


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "world(scenario): the scenario the world fixture builds (tests/world.py)"
    )


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


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """``make_user(role=member, *, hub=None, org_id=None, username=None)``"""
    return partial(factories.make_user, app)


@pytest.fixture
def make_household(app: Flask) -> Callable[..., Household]:
    """``make_household(staff, **overrides)``: a household in COMMUNITY unless overridden."""
    return partial(factories.make_household, app)


@pytest.fixture
def make_need(app: Flask) -> Callable[..., Need]:
    """``make_need(staff, household, *, publish=True, **overrides)``: a published wish."""
    return partial(factories.make_need, app)


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Organisation]:
    """``make_org(*, vetted=True, type="ngo")``"""
    return partial(factories.make_org, app)


@pytest.fixture
def make_offer(app: Flask) -> Callable[..., Offer]:
    """``make_offer(org_user, **overrides)``: an open offer of 5 rice cookers in 330102."""
    return partial(factories.make_offer, app)


@pytest.fixture
def make_campaign(app: Flask) -> Callable[..., Any]:
    """``make_campaign(actor, **overrides)``: a running campaign (07-02 in district 330102)."""
    return partial(factories.make_campaign, app)


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


@pytest.fixture
def users(make_user: Callable[..., User], make_org: Callable[..., Any]) -> dict[str, User]:
    """One account per role (the organisation account belongs to a vetted organisation)."""
    org = make_org(vetted=True)
    return {
        "admin": make_user(Role.ADMIN),
        "hub_staff": make_user(Role.HUB_STAFF, hub=STAFF_HUB),
        "member": make_user(Role.MEMBER),
        "org": make_user(Role.ORG, org_id=org.id),
    }


@pytest.fixture
def as_role(
    client: FlaskClient, login_as: Callable[[User], FlaskClient], users: dict[str, User]
) -> Callable[[str], FlaskClient]:
    """``as_role("hub_staff")``: the client, logged out and logged in as that role of ``users``."""

    def login(role: str) -> FlaskClient:
        client.post("/auth/logout")
        return login_as(users[role])

    return login


@pytest.fixture
def jpeg() -> Callable[[], io.BytesIO]:
    """A small JPEG as a fresh file object, for multipart uploads."""
    return lambda: io.BytesIO(jpeg_bytes())


@pytest.fixture
def two_areas(
    users: dict[str, User],
    make_user: Callable[..., User],
    make_household: Callable[..., Household],
    make_need: Callable[..., Need],
) -> tuple[list[Household], Household]:
    """Households in the staff's district (赵一 95, 钱二 30, 孙三 70; a need pending review on 赵一,
    an open one on 钱二) and, registered by another hub, one in another district (外区户)."""
    other = make_user(Role.HUB_STAFF, hub="330106")
    mine = [
        make_household(users["hub_staff"], name=n, risk_score=s)
        for n, s in (("赵一", 95), ("钱二", 30), ("孙三", 70))
    ]
    theirs = make_household(other, name="外区户", community_code=OTHER_DISTRICT_COMMUNITY)
    make_need(users["hub_staff"], mine[0], publish=False)
    make_need(users["hub_staff"], mine[1])
    make_need(other, theirs)
    return mine, theirs


@pytest.fixture
def import_file(app: Flask, tmp_path: Any) -> Callable[..., Any]:
    """``import_file(geojson, *args)``: ``zhongfu regions import-boundaries`` on that content."""

    def run(data: Any, *args: str) -> Any:
        path = tmp_path / "boundaries.geojson"
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return app.test_cli_runner().invoke(args=["regions", "import-boundaries", str(path), *args])

    return run


@pytest.fixture
def redis_url() -> str:
    """A Redis database of the tests' own (15), emptied; the test is skipped without Redis."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
    client.flushdb()  # database 15 is the tests' own
    return REDIS_URL
