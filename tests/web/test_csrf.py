"""Forms are CSRF-protected when the app is configured so (the tests switch it off otherwise)."""

from __future__ import annotations

import re

from marketplace import create_app
from marketplace.db import get_engine
from tests.factories import TEST_CONFIG, text


def test_post_without_csrf_token_is_refused(database_url, tmp_path, make_user):
    app = create_app(TEST_CONFIG | {"DATABASE_URL": database_url, "WTF_CSRF_ENABLED": True})
    app.instance_path = str(tmp_path / "csrf-instance")
    try:
        client = app.test_client()
        user = make_user("member")
        response = client.post(
            "/auth/login", data={"username": user.username, "password": "correct-horse-battery"}
        )
        assert response.status_code == 400
        # With the token from the page, the same login works.
        page = text(client.get("/auth/login"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token
        response = client.post(
            "/auth/login",
            data={
                "username": user.username,
                "password": "correct-horse-battery",
                "csrf_token": token.group(1),
            },
        )
        assert response.status_code == 302
    finally:
        get_engine(app).dispose()
