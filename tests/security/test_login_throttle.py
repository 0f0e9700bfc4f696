"""Password guessing (issue 11, item 6): limits keyed on the real client address (X-Forwarded-For is
trusted only from the configured number of proxies) and on the login name, one bucket shared by the
login form and ``POST /api/v1/tokens``; one answer, in the same time, for a wrong password, an
unknown name and a disabled account; a progressive delay per name instead of a lockout."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from limits.storage import MemoryStorage
from sqlmodel import select

from marketplace import create_app
from marketplace.db import get_engine, session_scope
from marketplace.models import Role, User
from marketplace.services import accounts, passwords, throttle
from tests.factories import PASSWORD, TEST_CONFIG

WRONG = "not-the-password"


@pytest.fixture
def limited_app(database_url: str, tmp_path: Any) -> Iterator[Any]:
    """A factory of apps with the rate limits on (each its own counters)."""
    apps: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = create_app(
            TEST_CONFIG | {"DATABASE_URL": database_url, "RATELIMIT_ENABLED": True} | config
        )
        app.instance_path = str(tmp_path / f"i{len(apps)}")
        apps.append(app)
        return app

    yield make
    for app in apps:
        get_engine(app).dispose()


def _user(app: Flask, username: str, *, active: bool = True) -> None:
    with app.app_context(), session_scope(get_engine(app)) as s:
        user = accounts.create_user(
            s, actor=None, username=username, password=PASSWORD, role=Role.MEMBER
        )
        user.active = active


def _form(client: Any, username: str, password: str = WRONG, **headers: str) -> Any:
    return client.post(
        "/auth/login", data={"username": username, "password": password}, headers=headers
    )


def _api(client: Any, username: str, password: str = WRONG, **headers: str) -> Any:
    return client.post(
        "/api/v1/tokens", json={"username": username, "password": password}, headers=headers
    )


# By address, behind ProxyFix ---------------------------------------------------------------------


def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(limited_app):
    """Without a configured proxy, a client cannot escape its address's bucket by sending a
    different X-Forwarded-For each time."""
    app = limited_app(LOGIN_RATE_LIMIT="3 per minute", PROXY_HOPS=0)
    client = app.test_client()
    codes = [
        _form(client, f"name{i}", **{"X-Forwarded-For": f"203.0.113.{i}"}).status_code
        for i in range(5)
    ]
    assert codes == [401, 401, 401, 429, 429], codes


def test_behind_the_proxy_each_client_has_its_own_bucket(limited_app):
    """With one trusted proxy, the client address is the one the proxy appended: one client
    exhausting its bucket does not block another's login (the old socket-keyed limit let one
    client block everybody behind nginx), and prepending a fake address changes nothing."""
    app = limited_app(LOGIN_RATE_LIMIT="3 per minute", PROXY_HOPS=1)
    _user(app, "victim1")
    client = app.test_client()  # every request comes from the proxy's one socket address
    attacker = [
        _form(client, f"guess{i}", **{"X-Forwarded-For": f"10.9.9.{i}, 198.51.100.7"}).status_code
        for i in range(5)
    ]
    assert attacker == [401, 401, 401, 429, 429], attacker
    r = _form(client, "victim1", PASSWORD, **{"X-Forwarded-For": "198.51.100.8"})
    assert r.status_code == 302, r.status_code
    r = _api(client, "someone", **{"X-Forwarded-For": "198.51.100.7"})
    assert r.status_code == 429  # the API shares the attacker's exhausted bucket


def test_one_name_is_limited_across_addresses_form_and_api(limited_app):
    """Spreading guesses over many addresses does not help: the name has its own bucket, shared by
    the form and the API; another name is not affected."""
    app = limited_app(
        LOGIN_RATE_LIMIT="100 per minute",
        LOGIN_NAME_RATE_LIMIT="3 per minute",
        LOGIN_DELAY_AFTER_FAILURES=0,
        PROXY_HOPS=1,
    )
    _user(app, "target1")
    _user(app, "bystander1")
    client = app.test_client()
    codes = [
        _form(client, "target1", **{"X-Forwarded-For": "192.0.2.1"}).status_code,
        _api(client, "target1", **{"X-Forwarded-For": "192.0.2.2"}).status_code,
        _form(client, "TARGET1 ", **{"X-Forwarded-For": "192.0.2.3"}).status_code,
        _api(client, "target1", PASSWORD, **{"X-Forwarded-For": "192.0.2.4"}).status_code,
        _form(client, "target1", PASSWORD, **{"X-Forwarded-For": "192.0.2.5"}).status_code,
    ]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429], codes
    assert (
        _form(client, "bystander1", PASSWORD, **{"X-Forwarded-For": "192.0.2.1"}).status_code == 302
    )


def test_limited_answers_carry_retry_after(limited_app):
    app = limited_app(LOGIN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    assert _api(client, "x1").status_code == 401
    for r in (_api(client, "x2"), _form(client, "x3")):
        assert r.status_code == 429
        assert 0 < int(r.headers["Retry-After"]) <= 60


# One answer, one time -----------------------------------------------------------------------------


def _answers(client: Any, username: str, password: str) -> tuple[tuple[int, str], tuple[int, Any]]:
    page = _form(client, username, password)
    error = page.get_data(as_text=True).split('role="alert"><p>', 1)[1].split("</p>", 1)[0]
    api = _api(client, username, password)
    return (page.status_code, error), (api.status_code, api.get_json())


def test_wrong_password_unknown_name_and_disabled_account_get_one_answer(app: Flask):
    _user(app, "known1")
    _user(app, "disabled1", active=False)
    client = app.test_client()
    wrong = _answers(client, "known1", WRONG)
    unknown = _answers(client, "nobody-here", WRONG)
    disabled = _answers(client, "disabled1", PASSWORD)  # even with the right password
    assert wrong == unknown == disabled
    assert wrong[0][0] == 401 and wrong[1][0] == 401


def test_delayed_known_and_unknown_names_get_one_answer(app: Flask):
    """The delay (what replaced the lockout) looks the same for an existing and a missing name."""
    app.config.update(LOGIN_DELAY_AFTER_FAILURES=2, LOGIN_DELAY_BASE_SECONDS=30)
    _user(app, "known2")
    client = app.test_client()
    answers = []
    for name in ("known2", "missing2"):
        assert [_api(client, name).status_code for _ in range(2)] == [401, 401]
        r = _api(client, name, PASSWORD)
        page = _form(client, name, PASSWORD)
        answers.append((r.status_code, r.get_json(), r.headers["Retry-After"], page.status_code))
    assert answers[0] == answers[1]
    assert answers[0][0] == 429 and answers[0][3] == 429


def test_wrong_password_and_unknown_name_take_the_same_time(database_url: str, tmp_path: Any):
    """An unknown name is checked against a dummy hash of the same cost, so the answer's time does
    not tell which names exist. Measured with a hash that costs ~10 ms (the test profile is too
    cheap to see a difference)."""
    app = create_app(TEST_CONFIG | {"DATABASE_URL": database_url, "LOGIN_DELAY_AFTER_FAILURES": 0})
    app.instance_path = str(tmp_path / "timing")
    passwords.configure(time_cost=2, memory_cost_kib=16 * 1024)
    try:
        _user(app, "timed1")
        _user(app, "timed2", active=False)
        client = app.test_client()

        def median(username: str, password: str) -> float:
            times = []
            for _ in range(9):
                started = time.perf_counter()
                assert _api(client, username, password).status_code == 401
                times.append(time.perf_counter() - started)
            return statistics.median(times)

        median("timed1", WRONG)  # warm up
        wrong, unknown = median("timed1", WRONG), median("nobody-timed", WRONG)
        disabled = median("timed2", PASSWORD)
        for other in (unknown, disabled):
            assert 0.6 < other / wrong < 1.6, (wrong, unknown, disabled)
        assert wrong > 0.004  # the hash check dominates: the comparison is meaningful
    finally:
        get_engine(app).dispose()
        passwords.configure(time_cost=1, memory_cost_kib=8)


# Progressive delay instead of a lockout -----------------------------------------------------------


def test_delay_doubles_with_each_failure_up_to_the_maximum():
    store = MemoryStorage()
    policy = throttle.DelayPolicy(free_failures=3, base_s=2, max_s=20)
    key = throttle.subject("Someone")
    waits = [throttle.record_failure(store, key, policy) for _ in range(8)]
    assert waits == [0, 0, 2, 4, 8, 16, 20, 20]
    assert 19 <= throttle.wait_seconds(store, key) <= 20
    assert throttle.subject(" someone ") == key  # one bucket whatever the case and spaces
    throttle.record_success(store, key)
    assert throttle.wait_seconds(store, key) == 0 and throttle.failures(store, key) == 0


def test_progressive_delay_answers_429_then_lets_the_owner_in(app: Flask):
    app.config.update(LOGIN_DELAY_AFTER_FAILURES=2, LOGIN_DELAY_BASE_SECONDS=1)
    _user(app, "slowed1")
    client = app.test_client()
    assert [_form(client, "slowed1").status_code for _ in range(2)] == [401, 401]
    r = _form(client, "slowed1", PASSWORD)  # even the right password waits: nothing is checked
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert "1" in r.get_data(as_text=True)
    time.sleep(1.1)
    r = _api(client, "slowed1")  # another failure: the wait doubles
    assert r.status_code == 401
    r = _api(client, "slowed1", PASSWORD)
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    time.sleep(2.1)
    # Not locked: the owner gets in once the wait is over, and the count starts again.
    assert _form(client, "slowed1", PASSWORD).status_code == 302
    app.test_client().post("/auth/logout")
    assert _form(app.test_client(), "slowed1").status_code == 401
    with session_scope(get_engine(app)) as s:
        user = s.exec(select(User).where(User.username == "slowed1")).one()
        assert user.locked_until is None and user.active


def test_failing_on_purpose_does_not_slow_the_owners_own_browser(app: Flask):
    """Device cookies: a browser that signed in to the account before is counted apart, so an
    attacker failing for a known name delays everyone but the owner."""
    app.config.update(LOGIN_DELAY_AFTER_FAILURES=2, LOGIN_DELAY_BASE_SECONDS=60)
    _user(app, "owner1")
    owner = app.test_client()
    assert _form(owner, "owner1", PASSWORD).status_code == 302
    owner.post("/auth/logout")
    attacker = app.test_client()
    assert [_form(attacker, "owner1").status_code for _ in range(3)] == [401, 401, 429]
    assert _form(app.test_client(), "owner1", PASSWORD).status_code == 429  # a new browser waits
    assert _api(app.test_client(), "owner1", PASSWORD).status_code == 429
    assert _form(owner, "owner1", PASSWORD).status_code == 302  # the owner's browser does not
    # The owner's browser has its own counter: guessing from it is delayed too.
    owner.post("/auth/logout")
    assert [_form(owner, "owner1").status_code for _ in range(3)] == [401, 401, 429]
    # The cookie vouches for one name only, and only when its signature holds.
    assert _form(owner, "someone-else", PASSWORD).status_code == 401
    forged = app.test_client()
    forged.set_cookie("zf_device", "eyJuIjoieCJ9.forged.sig", path="/auth/")
    assert _form(forged, "owner1", PASSWORD).status_code == 429
