"""The wish pool and wish details (issue 11): members, staff and *vetted* organisations read them;
an organisation waiting for vetting, or refused, gets 403 and no wish."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from marketplace.db import get_engine, session_scope
from marketplace.models import Organisation, User
from tests.world import World


def _org_user(
    app: Flask, make_org: Callable[..., Organisation], make_user: Callable[..., User], status: str
) -> User:
    org = make_org(vetted=status == "vetted")
    if status == "rejected":
        with session_scope(get_engine(app)) as s:
            row = s.get(Organisation, org.id)
            assert row is not None
            row.status = "rejected"
    return make_user("org", org_id=org.id)


@pytest.mark.parametrize(
    ("status", "expected"), [("pending", 403), ("rejected", 403), ("vetted", 200)]
)
def test_only_vetted_organisations_read_the_wish_pool(
    app: Flask,
    world: World,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    api_token: Callable[[User], dict[str, str]],
    status: str,
    expected: int,
) -> None:
    headers = api_token(_org_user(app, make_org, make_user, status))
    client = app.test_client()
    for url in (
        "/api/v1/wishes",
        "/api/v1/wishes?limit=100&region=330102",
        f"/api/v1/wishes/{world.wish_open}",
        f"/api/v1/wishes/{world.wish_leaky}",
    ):
        r = client.get(url, headers=headers)
        assert r.status_code == expected, (url, r.status_code)
        if expected == 403:
            assert "items" not in (r.get_json() or {}) and "title" not in (r.get_json() or {})
    for who in ("member", "hub_owner", "admin"):
        assert client.get("/api/v1/wishes", headers=world.tokens[who]).status_code == 200
