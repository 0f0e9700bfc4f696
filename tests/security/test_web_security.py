"""Web security (DESIGN §6): CSRF on every form, cookie flags, server-side session revocation,
login rate limits and delay, argon2id at ASVS L2, security headers and a CSP without inline
script or style on every page, staff idle and absolute session timeouts."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlmodel import select

from marketplace import create_app
from marketplace.db import get_engine, session_scope
from marketplace.models import User
from marketplace.services import accounts, passwords
from tests.factories import PASSWORD, TEST_CONFIG
from tests.security.test_access_matrix import ROLES, classify, state, url_values
from tests.world import World

OWNER_OF = {
    "hub_staff": "hub_owner",
    "member": "member_owner",
    "org": "org_owner",
    "admin": "admin",
}


def login(app: Flask, user: User) -> Any:
    client = app.test_client()
    r = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 302, r.status_code
    return client


def csrf_token(client: Any, path: str = "/auth/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, "no csrf_token field on " + path
    return match.group(1)


# CSRF -------------------------------------------------------------------------------------------


def test_every_html_post_refuses_a_missing_csrf_token(app: Flask, world: World):
    clients = {role: login(app, world.users[owner]) for role, owner in OWNER_OF.items()}
    clients["anonymous"] = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = True
    before = state(app)
    checked = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("api.", "static")) or "POST" not in (rule.methods or set()):
            continue
        policy = classify(rule.endpoint, rule.rule, set(rule.arguments))
        # The role that would be allowed: a refusal is then the CSRF check, not access control.
        role = next(
            (r for r in ("hub_staff", "member", "org", "admin") if r in policy.allowed), "anonymous"
        )
        for values in url_values(world, rule.endpoint, set(rule.arguments)):
            if "token" in values:
                values["token"] = world.household_tokens[2]
            path = rule.build(values, append_unknown=False)[1]
            data = {
                "reason": "x",
                "note": "x",
                "active": "0",
                "username": "u",
                "password": "p" * 12,
            }
            r = clients[role].post(path, data=data)
            checked.append(path)
            assert r.status_code == 400, (role, path, r.status_code)
            assert state(app) == before, path
    assert len(checked) >= 15
    # Control: with the token, the same kind of request goes through.
    member = clients["member"]
    token = csrf_token(member, f"/member/wishes/{world.wish_open}")
    r = member.post(f"/member/wishes/{world.wish_open}/claim", data={"csrf_token": token})
    assert r.status_code == 302


def test_api_is_token_only_and_ignores_cookies(app: Flask, world: World):
    """The API is CSRF-exempt because it never authenticates by cookie."""
    client = login(app, world.users["member_owner"])
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/api/v1/wishes/{world.wish_open}/claim").status_code == 401
    assert client.get("/api/v1/claims").status_code == 401


# Cookies and sessions -----------------------------------------------------------------------------


def test_session_cookie_flags(app: Flask, world: World):
    app.config["SESSION_COOKIE_SECURE"] = True
    client = app.test_client()
    r = client.post(
        "/auth/login",
        data={"username": world.users["member"].username, "password": PASSWORD},
        base_url="https://localhost",
    )
    cookie = next(h for h in r.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    app.config["SESSION_COOKIE_SECURE"] = False


def _cookie(client: Any) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return str(cookie.value)


def _with_cookie(app: Flask, value: str, path: str) -> Any:
    other = app.test_client()
    other.set_cookie("session", value)
    return other.get(path)


def test_logout_revokes_copied_session(app: Flask, world: World):
    client = login(app, world.users["member"])
    stolen = _cookie(client)
    assert _with_cookie(app, stolen, "/member/claims").status_code == 200
    r = client.post("/auth/logout")
    assert r.status_code == 302
    r = _with_cookie(app, stolen, "/member/claims")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


def test_disabling_revokes_sessions_and_tokens(app: Flask, world: World):
    user = world.users["org"]
    client = login(app, user)
    stolen = _cookie(client)
    headers = world.tokens["org"]
    assert app.test_client().get("/api/v1/offers", headers=headers).status_code == 200
    with session_scope(get_engine(app)) as s:
        accounts.set_active(
            s, actor=s.get(User, world.users["admin"].id), user_id=user.id, active=False
        )  # type: ignore[arg-type]
    r = _with_cookie(app, stolen, "/org/")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    assert app.test_client().get("/api/v1/offers", headers=headers).status_code == 401
    # Re-enabling does not resurrect the old session or token.
    with session_scope(get_engine(app)) as s:
        accounts.set_active(
            s, actor=s.get(User, world.users["admin"].id), user_id=user.id, active=True
        )  # type: ignore[arg-type]
    assert _with_cookie(app, stolen, "/org/").status_code == 302
    assert app.test_client().get("/api/v1/offers", headers=headers).status_code == 401
    # A disabled account cannot log in or get a token either.
    with session_scope(get_engine(app)) as s:
        accounts.set_active(
            s, actor=s.get(User, world.users["admin"].id), user_id=user.id, active=False
        )  # type: ignore[arg-type]
    r = app.test_client().post(
        "/api/v1/tokens", json={"username": user.username, "password": PASSWORD}
    )
    assert r.status_code == 401


def test_staff_idle_timeout(app: Flask, world: World):
    client = login(app, world.users["hub_owner"])
    assert client.get("/hub/").status_code == 200
    with client.session_transaction() as sess:
        sess["seen"] = int(time.time()) - (app.config["SESSION_IDLE_MINUTES"] * 60 + 5)
    r = client.get("/hub/")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    # Members are not subject to the staff idle timeout.
    member = login(app, world.users["member"])
    with member.session_transaction() as sess:
        sess["seen"] = 0
    assert member.get("/member/claims").status_code == 200


def test_absolute_session_lifetime(app: Flask, world: World):
    assert app.config["PERMANENT_SESSION_LIFETIME"] <= timedelta(hours=12)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=1)
    client = login(app, world.users["member"])
    assert client.get("/member/claims").status_code == 200
    time.sleep(2.2)
    r = client.get("/member/claims")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


# Login throttling and lockout -----------------------------------------------------------------


def test_login_rate_limits(database_url: str, tmp_path: Any, make_user):
    app = create_app(
        TEST_CONFIG
        | {
            "DATABASE_URL": database_url,
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "5 per minute",
        }
    )
    app.instance_path = str(tmp_path / "rl")
    try:
        client = app.test_client()
        html = [
            client.post(
                "/auth/login", data={"username": "nobody", "password": "x" * 12}
            ).status_code
            for _ in range(7)
        ]
        assert html[:5] == [401] * 5 and html[5:] == [429, 429], html
        # The API shares the form's bucket: the same client is refused there too, with any name.
        api = [
            client.post(
                "/api/v1/tokens", json={"username": f"other{i}", "password": "x" * 12}
            ).status_code
            for i in range(3)
        ]
        assert api == [429] * 3, api
        assert client.get("/auth/login").status_code == 200  # only POST is limited
    finally:
        get_engine(app).dispose()


def test_repeated_failures_delay_instead_of_locking(app: Flask, world: World):
    """No hard lockout (anyone could lock a known account out): failures slow the name down;
    once the wait is over, the right password still works. tests/security/test_login_throttle.py
    covers the delay in detail."""
    user = world.users["member"]
    failures = app.config["LOGIN_DELAY_AFTER_FAILURES"]
    client = app.test_client()
    for _ in range(failures):
        r = client.post(
            "/api/v1/tokens", json={"username": user.username, "password": "wrong-password!"}
        )
        assert r.status_code == 401
    r = client.post("/api/v1/tokens", json={"username": user.username, "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    r = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 429
    time.sleep(int(r.headers["Retry-After"]) + 0.2)
    r = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 302
    with session_scope(get_engine(app)) as s:
        assert s.exec(select(User.locked_until).where(User.id == user.id)).one() is None


def test_argon2id_at_asvs_l2(database_url: str, tmp_path: Any):
    app = create_app(TEST_CONFIG | {"DATABASE_URL": database_url, "STRONG_PASSWORD_HASH": True})
    try:
        with app.app_context(), session_scope(get_engine(app)) as s:
            user = accounts.create_user(
                s, actor=None, username="strong1", password=PASSWORD, role="member"
            )
            stored = user.password_hash
        match = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+", stored)
        assert match, stored
        memory, iterations, lanes = map(int, match.groups())
        # OWASP / ASVS L2 minimum for argon2id: 19 MiB with t=2, p=1 (or stronger).
        assert memory >= 19 * 1024 and iterations >= 2 and lanes >= 1
        assert passwords.verify_password(stored, PASSWORD)
        assert PASSWORD not in stored
    finally:
        get_engine(app).dispose()
        passwords.configure(time_cost=1, memory_cost_kib=8)


# Headers and CSP ---------------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_ATTR = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_TAG = re.compile(r"<style[\s>]", re.I)


def test_security_headers_and_no_inline_code_on_every_page(app: Flask, world: World):
    clients = {role: login(app, world.users[owner]) for role, owner in OWNER_OF.items()}
    clients["anonymous"] = app.test_client()
    pages = 0
    problems: list[str] = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("api.", "static")) or "GET" not in (rule.methods or set()):
            continue
        policy = classify(rule.endpoint, rule.rule, set(rule.arguments))
        for role in ROLES:
            if role not in policy.allowed or role not in clients:  # dept: API only, no pages
                continue
            values = next(url_values(world, rule.endpoint, set(rule.arguments)))
            if "token" in values:
                values["token"] = world.household_tokens[0]
            if "claim_id" in values and role == "org":
                values["claim_id"] = world.claim_org
            path = rule.build(values, append_unknown=False)[1]
            r = clients[role].get(path)
            r.close()
            if r.mimetype != "text/html":
                continue
            pages += 1
            problems += _page_problems(path, r)
    # Error pages too.
    for path in ("/no-such-page", "/hub/", f"/member/wishes/{10**6}"):
        r = clients["member"].get(path)
        problems += _page_problems(path, r)
    assert pages >= 20
    assert not problems, "\n".join(problems)


def _page_problems(path: str, r: Any) -> list[str]:
    out = []
    csp = r.headers.get("Content-Security-Policy", "")
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
    ):
        if directive not in csp:
            out.append(f"{path}: CSP lacks {directive}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        out.append(f"{path}: CSP allows unsafe-inline/eval")
    for name, value in (
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
    ):
        if r.headers.get(name) != value:
            out.append(f"{path}: {name} missing")
    if "no-store" not in r.headers.get("Cache-Control", ""):
        out.append(f"{path}: Cache-Control lacks no-store")
    body = r.get_data(as_text=True)
    for label, pattern in (
        ("inline <script>", INLINE_SCRIPT),
        ("on* attribute", EVENT_ATTR),
        ("style= attribute", STYLE_ATTR),
        ("<style> element", STYLE_TAG),
    ):
        found = pattern.search(body)
        if found:
            out.append(f"{path}: {label}: {found.group(0)[:80]}")
    return out
