"""Sign-in pages (auth/signin.py): logging in and out, the role's home, organisation registration."""

from __future__ import annotations

from sqlmodel import select

from marketplace.models import User
from tests.factories import text, valid_credit_code


def test_org_registration_with_bad_credit_code(client, db):
    response = client.post(
        "/auth/register-org",
        data={
            "name": "某组织",
            "type": "ngo",
            "credit_code": valid_credit_code(5)[:-1] + "0",
            "username": "mou",
            "password": "a-long-password-1",
            "confirm": "a-long-password-1",
        },
    )
    assert response.status_code == 422
    assert "统一社会信用代码" in text(response)
    with db() as s:
        assert s.exec(select(User).where(User.username == "mou")).first() is None


def test_login_failure_shows_message_and_counts(client, users, db):
    from marketplace.services import throttle

    response = client.post(
        "/auth/login", data={"username": users["member"].username, "password": "wrong-password!"}
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in text(response)
    # Counted for the progressive delay, outside the database (tests/security/test_login_throttle.py).
    store = client.application.extensions["zhongfu_login_counters"]
    assert throttle.failures(store, throttle.subject(users["member"].username)) == 1


def test_login_redirects_to_role_home_and_logout_revokes(client, login_as, users, db):
    from marketplace.models import User

    response = client.post(
        "/auth/login",
        data={"username": users["hub_staff"].username, "password": "correct-horse-battery"},
    )
    assert response.headers["Location"].endswith("/hub/")
    with db() as s:
        token_before = s.get(User, users["hub_staff"].id).session_token
    assert client.post("/auth/logout").status_code == 302
    with db() as s:
        assert s.get(User, users["hub_staff"].id).session_token != token_before
    assert client.get("/hub/").status_code == 302


def test_login_ignores_offsite_next(client, users):
    response = client.post(
        "/auth/login",
        data={
            "username": users["member"].username,
            "password": "correct-horse-battery",
            "next": "//evil.example/",
        },
    )
    assert response.headers["Location"].endswith("/member/")
