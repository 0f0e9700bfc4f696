"""Fixtures of the browser-page tests; the app, database and factories come from tests/conftest.py."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image

from marketplace.models import Role, User

STAFF_HUB = "330102"  # 上城区: the shared COMMUNITY lies in it


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
    def login(role: str) -> FlaskClient:
        client.post("/auth/logout")
        return login_as(users[role])

    return login


@pytest.fixture
def jpeg() -> Callable[[], io.BytesIO]:
    def make() -> io.BytesIO:
        out = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="JPEG")
        out.seek(0)
        return out

    return make


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))
