"""Smaller gaps (issue 11, item 10): 413 for an oversized body (the error page must not read it
again), the absolute session lifetime counted from the login, ``Cache-Control: no-store`` on every
response that may hold personal data, ``Allow`` on 405."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from marketplace.models import Role
from tests.factories import PASSWORD

ELEVEN_MB = 11 * 1024 * 1024


def _login(app: Flask, username: str) -> Any:
    client = app.test_client()
    r = client.post("/auth/login", data={"username": username, "password": PASSWORD})
    assert r.status_code == 302
    return client


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/auth/login", "application/x-www-form-urlencoded"),
        ("/auth/login", "multipart/form-data; boundary=x"),
        ("/hub/import", "multipart/form-data; boundary=x"),
        ("/member/wishes/1/claim", "application/x-www-form-urlencoded"),
        ("/api/v1/tokens", "application/x-www-form-urlencoded"),
        ("/api/v1/tokens", "application/json"),
        ("/no-such-page", "application/x-www-form-urlencoded"),
    ],
)
def test_an_oversized_body_is_answered_413(app: Flask, make_user, path: str, content_type: str):
    client = _login(app, make_user(Role.HUB_STAFF, hub="330102").username)
    app.config["WTF_CSRF_ENABLED"] = True  # the CSRF check reads the form first
    body = b"a=" + b"x" * ELEVEN_MB
    r = client.post(path, data=body, content_type=content_type)
    assert r.status_code == 413, (path, r.status_code)
    if not path.startswith("/api/"):
        assert "text/html" in r.content_type


def test_an_oversized_chunked_body_is_answered_413(app: Flask):
    """Without a Content-Length (a chunked upload) the limit is found while reading."""
    r = app.test_client().post(
        "/auth/login",
        input_stream=io.BytesIO(b"a=" + b"x" * ELEVEN_MB),
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert r.status_code == 413


def test_absolute_lifetime_counts_from_the_login_not_the_last_request(app: Flask, make_user):
    lifetime = 5
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=lifetime)
    logged_in = time.monotonic()
    client = _login(app, make_user(Role.MEMBER).username)
    used = 0
    while time.monotonic() - logged_in < lifetime - 2:  # busy all along: a sliding lifetime
        assert client.get("/member/claims").status_code == 200  # would never end
        used += 1
        time.sleep(0.5)
    assert used >= 3
    time.sleep(max(0.0, lifetime + 1.2 - (time.monotonic() - logged_in)))
    r = client.get("/member/claims")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


def test_a_session_without_a_login_time_is_not_trusted(app: Flask, make_user):
    client = _login(app, make_user(Role.MEMBER).username)
    with client.session_transaction() as sess:
        del sess["login_at"]
    r = client.get("/member/claims")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


def test_no_store_on_pages_and_api_answers_but_not_the_public_document(app: Flask, make_user):
    user = make_user(Role.MEMBER)
    client = _login(app, user.username)
    token = app.test_client().post(
        "/api/v1/tokens", json={"username": user.username, "password": PASSWORD}
    )
    assert token.headers["Cache-Control"] == "no-store"
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    answers = [
        client.get("/member/claims"),
        client.get("/auth/account"),
        client.get("/no-such-page"),
        app.test_client().get("/auth/login"),
        app.test_client().get("/api/v1/claims", headers=headers),
        app.test_client().get("/api/v1/wishes", headers=headers),
        app.test_client().get("/api/v1/claims"),  # the 401 too
        app.test_client().get("/api/v1/happiness/no-such-token"),
    ]
    for r in answers:
        assert "no-store" in r.headers.get("Cache-Control", ""), (r.request.path, r.status_code)
    document = app.test_client().get("/api/v1/openapi.json")
    assert "no-store" not in document.headers.get("Cache-Control", "")
    static = app.test_client().get("/static/css/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("put", "/auth/login", {"GET", "POST"}),
        ("delete", "/auth/logout", {"POST"}),
        ("post", "/api/v1/openapi.json", {"GET"}),
        ("put", "/api/v1/tokens", {"GET", "POST"}),
        ("patch", "/api/v1/tokens/current", {"DELETE"}),
    ],
)
def test_405_names_the_allowed_methods(app: Flask, method: str, path: str, allowed: set[str]):
    r = getattr(app.test_client(), method)(path)
    assert r.status_code == 405
    named = {m.strip() for m in r.headers.get("Allow", "").split(",")}
    assert allowed <= named and method.upper() not in named
