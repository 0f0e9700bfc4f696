"""Throttling password guesses, for the login form and ``POST /api/v1/tokens`` alike.

Two rate limits (Flask-Limiter) shared by both endpoints, one keyed on the client's address (the
real one: ``ProxyFix`` trusts ``X-Forwarded-For`` only from the configured number of proxies) and
one on the login name; and the progressive delay per login name (``services.throttle``), which
answers 429 with ``Retry-After`` before any password is checked, for existing and unknown names
alike.

Someone who fails on purpose for a known name slows that name down, not its owner: a browser that
has signed in to the account before carries a signed device cookie (OWASP's "device cookies"), and
its attempts for that name are counted and delayed on their own, apart from everyone else's.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, cast

from flask import Flask, current_app, request
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits.storage import storage_from_string
from sqlmodel import Session
from werkzeug.wrappers import Response

from marketplace.extensions import limiter
from marketplace.models import User
from marketplace.services import accounts, throttle
from marketplace.services.errors import ServiceError

_STORE = "zhongfu_login_counters"
DEVICE_COOKIE = "zf_device"
DEVICE_DAYS = 180
log = logging.getLogger("zhongfu.login")


def login_name() -> str:
    """The login name a form post or a JSON body carries (empty when there is none)."""
    name: Any = request.form.get("username") if request.form else None
    if name is None and request.is_json:
        data = request.get_json(silent=True)
        name = data.get("username") if isinstance(data, dict) else None
    return name[:64] if isinstance(name, str) else ""


def _name_key() -> str:
    return "name:" + throttle.subject(login_name())


def _address_key() -> str:
    return "addr:" + (get_remote_address() or "")


# One bucket per address and one per login name, each shared by the form and the API.
_by_address = limiter.shared_limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    scope="login",
    key_func=_address_key,
    methods=["POST"],
)
_by_name = limiter.shared_limit(
    lambda: current_app.config["LOGIN_NAME_RATE_LIMIT"],
    scope="login",
    key_func=_name_key,
    methods=["POST"],
    exempt_when=lambda: _trusted_device(login_name()) is not None,
)


def login_limits(view: Any) -> Any:
    """Decorate a view that checks a password."""
    return _by_address(_by_name(view))


def address_limit(view: Any) -> Any:
    """Decorate a view that checks a secret but carries no login name (the second factor)."""
    return _by_address(view)


def _store(app: Flask) -> throttle.Counters:
    store = app.extensions.get(_STORE)
    if store is None:
        store = storage_from_string(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
        app.extensions[_STORE] = store
    return cast(throttle.Counters, store)


def _policy(app: Flask) -> throttle.DelayPolicy:
    cfg = app.config
    return throttle.DelayPolicy(
        free_failures=int(cfg["LOGIN_DELAY_AFTER_FAILURES"]),
        base_s=int(cfg["LOGIN_DELAY_BASE_SECONDS"]),
        max_s=int(cfg["LOGIN_DELAY_MAX_SECONDS"]),
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="zf-login-device")


def _trusted_device(username: str) -> str | None:
    """The id of this browser if it signed in to ``username`` before (its signed cookie)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or not username:
        return None
    try:
        data = _serializer().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("n") != throttle.subject(username):
        return None
    device = data.get("d")
    return device if isinstance(device, str) and device else None


def remember_device(response: Response, username: str) -> Response:
    """After a complete sign-in: this browser's attempts for ``username`` are counted apart."""
    value = _serializer().dumps({"n": throttle.subject(username), "d": secrets.token_hex(8)})
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_DAYS * 86400,
        path="/auth/",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
    return response


def _key(username: str) -> str:
    """The counters of ``username``: its own, or this trusted browser's for it."""
    key = throttle.subject(username, salt=current_app.config.get("RATELIMIT_KEY_PREFIX", ""))
    device = _trusted_device(username)
    return f"{key}:{device}" if device else key


def wait_before_attempt(username: str) -> int:
    """Seconds the caller must wait before a password for ``username`` is checked (0: go on)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if _policy(app).free_failures <= 0:
        return 0
    return throttle.wait_seconds(_store(app), _key(username))


def failed(username: str) -> None:
    """Count a failure. Failures write nothing to the database (that would take time for known
    names only); the start of each wait goes to the log, under the name's hashed key."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    policy = _policy(app)
    if policy.free_failures > 0:
        key = _key(username)
        wait = throttle.record_failure(_store(app), key, policy)
        if wait:
            log.warning("login: repeated failures for name key %s; next attempt in %s s", key, wait)


def succeeded(username: str) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if _policy(app).free_failures > 0:
        throttle.record_success(_store(app), _key(username))


class TooManyAttempts(ServiceError):
    """Attempts for this login name must wait (progressive delay)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, seconds: int) -> None:
        super().__init__("auth.wait", params={"seconds": seconds})
        self.seconds = seconds


def check_password(session: Session, username: str, password: str) -> User:
    """One password attempt through the delay: the account, or ``TooManyAttempts`` (nothing
    checked) or ``accounts.LoginFailed`` (counted). A success clears the count only once the
    whole sign-in (with its second factor) succeeds: call ``succeeded``."""
    wait = wait_before_attempt(username)
    if wait:
        raise TooManyAttempts(wait)
    try:
        return accounts.authenticate(session, username=username, password=password)
    except accounts.LoginFailed:
        failed(username)
        raise
