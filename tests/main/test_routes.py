"""Public pages, language and text-size switches, notifications (main/routes.py)."""

from __future__ import annotations

from tests.factories import text


def test_notifications_mark_all_read(as_role, users, db):
    from marketplace.services.messages import Message
    from marketplace.services.notifications import Ref, notify

    with db() as s:
        message = Message("notice.delivery_confirmed", {"title": "电饭煲"})
        notify(s, users["member"].id, "delivery_confirmed", message, Ref("claim", 1))
    client = as_role("member")
    page = text(client.get("/notifications"))
    assert "送达已确认：电饭煲" in page and 'class="badge">1<' in page
    client.post("/notifications/read")
    assert 'class="badge"' not in text(client.get("/notifications"))


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
