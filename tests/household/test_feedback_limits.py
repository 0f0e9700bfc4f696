"""幸福码 help requests and ratings share one budget per token (issue 14 item 7): past it the page
answers 429 with a page that says to wait, and another household's code keeps its own budget."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlmodel import select

from marketplace import create_app
from marketplace.db import get_engine
from marketplace.models import Lead, Role
from tests.factories import TEST_CONFIG, delivered_claim


@pytest.fixture
def app(database_url: str, tmp_path: Any) -> Iterator[Flask]:
    """The test app with rate limiting on and three 幸福码 posts an hour per token."""
    app = create_app(
        TEST_CONFIG
        | {
            "DATABASE_URL": database_url,
            "RATELIMIT_ENABLED": True,
            "HAPPINESS_RATE_LIMIT": "3 per hour",
        }
    )
    app.instance_path = str(tmp_path / "instance")
    yield app
    get_engine(app).dispose()


def test_posts_from_one_code_are_limited_and_another_code_is_not(
    app, db, make_user, make_household
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    make_user(Role.HUB_STAFF, hub="330102001")
    member = make_user(Role.MEMBER)
    one, two = make_household(staff), make_household(staff)
    claim = delivered_claim(app, staff, member, household=one)
    key = f"claim-{claim.id}"
    client = app.test_client()
    answers = [
        client.post(f"/h/{one.token}/help", data={"text": "需要帮助一"}).status_code,
        client.post(f"/h/{one.token}/help", data={"text": ""}).status_code,  # refused: counts
        client.post(f"/h/{one.token}/rate/{key}", data={f"{key}-rating": "5"}).status_code,
    ]
    assert answers == [302, 422, 302]
    over = client.post(f"/h/{one.token}/help", data={"text": "需要帮助二"})
    assert over.status_code == 429 and over.headers.get("Retry-After")
    body = over.get_data(as_text=True)
    assert f"/h/{one.token}" in body and 'class="error-code">429' in body
    # Reading the page is not limited; another code has its own budget.
    assert client.get(f"/h/{one.token}").status_code == 200
    assert client.post(f"/h/{two.token}/help", data={"text": "需要帮助三"}).status_code == 302
    with db() as s:
        texts = sorted(lead.description for lead in s.exec(select(Lead)))
        assert texts == ["需要帮助一", "需要帮助三"]
