"""Every page renders for its role and is refused to the others (issue: browser UI)."""

from __future__ import annotations

import pytest

from tests.factories import text

ROLE_PAGES = {
    "hub_staff": [
        "/hub/",
        "/hub/households",
        "/hub/households/new",
        "/hub/review",
        "/hub/deliveries",
    ],
    "member": ["/member/", "/member/claims"],
    "org": ["/org/", "/org/offers/new", "/org/assignments"],
    "admin": ["/admin/", "/admin/users", "/admin/audit"],
}


def test_public_pages(client):
    home = client.get("/")
    assert home.status_code == 200
    assert "众扶" in text(home)
    assert "Content-Security-Policy" in home.headers
    assert client.get("/auth/login").status_code == 200
    assert client.get("/auth/register-org").status_code == 200
    css = client.get("/static/css/app.css")
    assert css.status_code == 200
    css.close()


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_pages_render_for_their_role(as_role, role):
    client = as_role(role)
    for url in ROLE_PAGES[role]:
        response = client.get(url)
        assert response.status_code == 200, (url, text(response)[:300])
        assert 'style="' not in text(response) and "<script>" not in text(response)
    assert client.get("/notifications").status_code == 200


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_other_roles_are_refused(as_role, role):
    client = as_role(role)
    for other, urls in ROLE_PAGES.items():
        if other == role:
            continue
        for url in urls:
            assert client.get(url).status_code == 403, (role, url)


def test_anonymous_is_sent_to_login(client):
    for urls in ROLE_PAGES.values():
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302
            assert "/auth/login" in response.headers["Location"]
    assert client.get("/notifications").status_code == 302


def test_chinese_by_default_and_english_switch(client):
    assert "登录" in text(client.get("/auth/login"))
    client.get("/lang/en")
    page = text(client.get("/auth/login"))
    assert "Log in" in page and "登录" not in page
    assert client.get("/lang/xx").status_code == 404


def test_large_text_toggle(client):
    assert 'class="large-text' not in text(client.get("/"))
    response = client.post("/large-text", data={"next": "/auth/login"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert 'class="large-text' in text(client.get("/"))


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


def test_unknown_happiness_token_is_404(client):
    response = client.get("/h/not-a-token")
    assert response.status_code == 404
    assert "找不到" in text(response)
