"""The test data: constants, valid identity and credit codes, and one factory per kind of row.

A plain module, imported by test modules and conftests alike (no test imports a conftest). The
fixtures ``make_user``, ``make_household``, ``make_need``, ``make_org`` and ``make_offer`` of the
root ``conftest.py`` are these functions bound to the test's app; ``world.py`` builds its
scenarios from the same functions.
"""

from __future__ import annotations

import io
import itertools
import os
import random
import threading
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from openpyxl import load_workbook
from PIL import Image
from stdnum.cn import ric, uscc
from werkzeug.serving import make_server

from marketplace.db import get_engine, session_scope
from marketplace.models import Claim, Household, Need, Offer, Organisation, Role, User
from marketplace.schemas import HouseholdIn, NeedIn, OfferIn, OrgIn
from marketplace.services import (
    accounts,
    households,
    imports,
    offers,
    priority,
    resilience,
    schedules,
)

PASSWORD = "correct-horse-battery"
PG_URL = os.environ.get("ZHONGFU_TEST_DATABASE_URL")
# CI runs the PostgreSQL suite on databases created with an ICU collation (e.g. zh-Hans-CN):
# region subtrees and sorting must not depend on the database's collation.
PG_ICU_LOCALE = os.environ.get("ZHONGFU_TEST_PG_ICU_LOCALE")
REDIS_URL = "redis://127.0.0.1:6379/15"  # database 15 is the tests' own (fixture redis_url)

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "JOBS_IMMEDIATE": True,
    "LEADERBOARD_CACHE_S": 0,  # likewise the leaderboards (tests/services/test_leaderboards.py)
    "WISH_POOL_CACHE_S": 0,  # tests read their own writes at once (the cache itself: tests/services/test_wishes.py)
    "CLAIM_WINDOW_MINUTES": 0,  # claims are immediate; tests/services/test_draws.py opens windows
    "DASHBOARD_COUNTS_MAX_AGE_S": 0,  # likewise the dashboards (tests/services/test_tally.py)
}

COMMUNITY = "330102001051"  # 上城区 清波街道 清波门社区
OTHER_DISTRICT_COMMUNITY = "330106002051"  # 西湖区 上保社区
STAFF_HUB = "330102"  # 上城区: the shared COMMUNITY lies in it

_counter = itertools.count(1)


def valid_id_number(seed: int | None = None, district: str = "330102") -> str:
    rng = random.Random(seed)
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 60 * 365))
    body = f"{district}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def valid_credit_code(n: int) -> str:
    body = f"91330100MA2{n:06d}"[:17]
    return body + uscc.calc_check_digit(body)


def text(response: Any) -> str:
    """A test client response's body as text."""
    return str(response.get_data(as_text=True))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    """The rows of the first sheet of a workbook download (checked to be one)."""
    assert response.status_code == 200 and response.mimetype == XLSX
    return list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))


def jpeg_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


# -- rows ------------------------------------------------------------------------------------------


def make_user(
    app: Flask,
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


def make_household(app: Flask, staff: User, **overrides: Any) -> Household:
    """A household registered by ``staff``. Its score is computed from ``profile`` when one is
    given; otherwise (and whenever ``risk_score`` is given) the test's score is set over it, as
    a scored history row of model version ``test_score`` (default 45: level 1)."""
    risk_score = overrides.pop("risk_score", None if "profile" in overrides else 45)
    data = {
        "name": "张三",
        "id_number": valid_id_number(next(_counter)),
        "phone": "13812345678",
        "address": "解放路100号3幢201室",
        "community_code": COMMUNITY,
        "hardship_type": "bottom",
        "members": 2,
        "tags": ["elderly"],
    } | overrides
    with app.app_context(), session_scope(get_engine(app)) as s:
        household = households.create_household(
            s, actor=s.get(User, staff.id) or staff, data=HouseholdIn(**data)
        )
        if risk_score is not None:
            set_test_score(s, household, risk_score)
        return household


def set_test_score(s: Any, household: Household, score: int) -> None:
    """Give a household a fixed score (tests of lists, rounds and deadlines by risk level), kept
    as the household's current score with an explanation that adds up to it."""
    household.risk_score = score
    s.add(household)
    s.flush()
    resilience.record_scores(
        s,
        [
            (
                household.id or 0,
                resilience.Score(
                    score, (resilience.Contribution("test_score", score, "测试设定的评分"),)
                ),
            )
        ],
        model_version="test_score",
        reason="test_score",
        compact=False,
    )
    priority.refresh_households(s, [household.id or 0])  # its needs' stored priority
    schedules.relevel(s, [household.id or 0])  # its visit due by the level


def make_need(
    app: Flask, staff: User, household: Household, *, publish: bool = True, **overrides: Any
) -> Need:
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


def make_org(app: Flask, *, vetted: bool = True, type: str = "ngo") -> Organisation:
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


def make_offer(app: Flask, org_user: User, **overrides: Any) -> Offer:
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


# -- import workbooks ------------------------------------------------------------------------------


def fill(template: bytes, households: list[list[Any]], needs: list[list[Any]]) -> bytes:
    """The import template with these rows appended to its household and need sheets."""
    wb = load_workbook(io.BytesIO(template))
    for row in households:
        wb[imports.HOUSEHOLD_SHEET].append(row)
    for row in needs:
        wb[imports.NEED_SHEET].append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def household_row(
    id_number: str, community: str = "330102001051 清波门社区", **kw: Any
) -> list[Any]:
    """A row of the template's household sheet, in its column order (``kw`` by field name of
    ``imports.HOUSEHOLD_COLUMNS``; ``community``/``hardship`` for short; profile cells blank
    but the source)."""
    row = {
        "name": "王小明",
        "id_number": id_number,
        "phone": "13912345678",
        "address": "清波街1号",
        "district": "330102 上城区",
        "street": "",
        "community_code": community,
        "hardship_type": kw.pop("hardship", "兜底型"),
        "members": 3,
        "tags": "老年人，独居",
        "source": "低保",
    } | kw
    return [row.get(f, "") for f, _h, _x in imports.HOUSEHOLD_COLUMNS]


# -- region outlines (GeoJSON) ---------------------------------------------------------------------


def geo_square(lon: float, lat: float, half: float) -> dict[str, Any]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def geo_feature(props: dict[str, Any], geometry: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def synthetic_boundaries() -> dict[str, Any]:
    """Two districts and two streets, matched four ways, plus what must be reported. Synthetic
    squares around real region codes: real boundary files never enter the repository (DESIGN §8)."""
    return {
        "type": "FeatureCollection",
        "features": [
            # DataV's shape: an integer adcode, the city as parent.
            geo_feature(
                {"adcode": 330102, "name": "上城区", "parent": {"adcode": 330100}},
                geo_square(120.17, 30.27, 0.06),
            ),
            # No code: matched by name.
            geo_feature({"name": "拱墅区"}, geo_square(120.15, 30.36, 0.04)),
            # A 12-digit NBS code of a street (its trailing 000 is the community level).
            geo_feature(
                {"code": "330102003000", "name": "湖滨街道"}, geo_square(120.165, 30.26, 0.01)
            ),
            # A street by name under a district given as its parent.
            geo_feature(
                {"name": "小营街道", "parent_code": "330102"}, geo_square(120.18, 30.27, 0.01)
            ),
            geo_feature({"adcode": 339999, "name": "不存在区"}, geo_square(121.0, 30.0, 0.01)),
            geo_feature({"name": "没有这个街道"}, geo_square(121.0, 30.0, 0.01)),
        ],
    }


# -- a real HTTP server ----------------------------------------------------------------------------


def has_cjk_font() -> bool:
    """Whether the certificate (志愿服务记录证明) finds a Chinese font on this machine."""
    from marketplace.services import certificates

    try:
        certificates.find_font("")
    except certificates.FontMissing:
        return False
    return True


def delivered_claim(
    app: Flask,
    staff: User,
    member: User,
    *,
    hours: str | None = None,
    household: Household | None = None,
    **need_overrides: Any,
) -> Claim:
    """A published wish of ``household`` (a new one by default), claimed by ``member`` and
    reported delivered with ``hours`` declared."""
    from marketplace.services import claims

    household = household or make_household(app, staff)
    need = make_need(app, staff, household, **need_overrides)
    with app.app_context(), session_scope(get_engine(app)) as s:
        actor = s.get(User, member.id)
        assert actor is not None
        claim = claims.claim_wish(
            s, member=actor, wish_id=need.id or 0, policy=claims.ClaimPolicy(100, 7)
        )
        return claims.report_delivery(
            s, actor=actor, claim_id=claim.id or 0, note="送到了，老人家很满意。", hours=hours
        )


def confirm(app: Flask, staff: User, need_id: int, hours: str | None = None) -> Claim:
    from marketplace.services import claims

    with app.app_context(), session_scope(get_engine(app)) as s:
        actor = s.get(User, staff.id)
        assert actor is not None
        return claims.confirm_delivery(s, actor=actor, need_id=need_id, hours=hours)


def make_campaign(app: Flask, actor: User, **overrides: Any) -> Any:
    """A running campaign (专项活动) of ``actor`` (the administrator or district hub staff): rice
    cookers (07-02) in district 330102, from today for 30 days."""
    from marketplace.services import campaigns

    data = {
        "name": "春风行动",
        "theme": "新春送温暖",
        "start": date.today(),
        "end": date.today() + timedelta(days=30),
        "items": ["07-02"],
        "regions": [STAFF_HUB],
    } | overrides
    with app.app_context(), session_scope(get_engine(app)) as s:
        return campaigns.create_campaign(s, actor=s.get(User, actor.id) or actor, data=data)


class LiveServer:
    """The app served on 127.0.0.1 by a thread (for tests that need real concurrent requests)."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
