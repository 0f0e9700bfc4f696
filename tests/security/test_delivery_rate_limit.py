"""Delivery reports are rate-limited per account (issue 11, item 5): one bucket shared by the
delivery form and the API, answered 429; another account keeps its own bucket."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from marketplace import create_app
from marketplace.db import get_engine
from tests.factories import PASSWORD, TEST_CONFIG, jpeg_bytes
from tests.world import World


@pytest.fixture
def app(database_url: str, tmp_path: Any) -> Iterator[Flask]:
    """The test app with rate limiting on and three delivery reports an hour per account."""
    app = create_app(
        TEST_CONFIG
        | {
            "DATABASE_URL": database_url,
            "RATELIMIT_ENABLED": True,
            "DELIVERY_RATE_LIMIT": "3 per hour",
        }
    )
    app.instance_path = str(tmp_path / "instance")
    yield app
    get_engine(app).dispose()


def api_report(app: Flask, headers: dict[str, str], claim_id: int) -> int:
    return (
        app.test_client()
        .post(
            f"/api/v1/claims/{claim_id}/deliver",
            data={"note": "送到了", "photo": (io.BytesIO(jpeg_bytes()), "p.jpg", "image/jpeg")},
            headers=headers,
            content_type="multipart/form-data",
        )
        .status_code
    )


def test_delivery_reports_are_limited_per_account(app: Flask, world: World):
    member = world.users["member_owner"]
    web = app.test_client()
    assert (
        web.post(
            "/auth/login", data={"username": member.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    # Refused reports count too: each one may carry a photo to check.
    answers = [
        api_report(app, world.tokens["member_owner"], world.claim_delivered),
        web.post(
            f"/member/claims/{world.claim_delivered}/deliver",
            data={"note": "x"},
            content_type="multipart/form-data",
        ).status_code,
        api_report(app, world.tokens["member_owner"], world.claim_active),
    ]
    assert answers == [409, 409, 200]
    over_api = app.test_client().post(
        f"/api/v1/claims/{world.claim_active}/deliver",
        json={"note": "again"},
        headers=world.tokens["member_owner"],
    )
    assert over_api.status_code == 429
    assert over_api.headers.get("Retry-After")
    over_web = web.post(
        f"/member/claims/{world.claim_active}/deliver",
        data={"note": "x"},
        content_type="multipart/form-data",
    )
    assert over_web.status_code == 429
    # The form page itself (GET) is not limited, and another account has its own bucket.
    assert web.get(f"/member/claims/{world.claim_active}/deliver").status_code in (200, 409)
    assert api_report(app, world.tokens["org_owner"], world.claim_org) == 200
