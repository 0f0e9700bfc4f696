"""Security headers on every response and the request checks that come before any view."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, g, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user, logout_user
from werkzeug.exceptions import BadRequest

from marketplace.models import Role

STAFF_ROLES = {Role.ADMIN.value, Role.HUB_STAFF.value}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def csp_with_images_from(origin: str) -> str:
    """The policy with one more host pages may load images from (a configured tile server)."""
    return CSP.replace("img-src 'self'", f"img-src 'self' {origin}")


def _has_nul(values: Any) -> bool:
    return any("\x00" in k or "\x00" in v for k, v in values.items(multi=True))


def _refuse_nul() -> None:
    # NUL cannot be stored (PostgreSQL refuses it, SQLite would keep it): refuse it up front.
    if "\x00" in request.path or _has_nul(request.args) or _has_nul(request.form):
        raise BadRequest("The request contains a NUL character")


def _session_timeouts(app: Flask) -> ResponseReturnValue | None:
    if request.endpoint == "static" or is_api_request():
        return None  # the API authenticates by bearer token and never reads the cookie
    session.permanent = True  # absolute lifetime: PERMANENT_SESSION_LIFETIME
    if current_user.is_authenticated and getattr(current_user, "role", None) in STAFF_ROLES:
        now = int(time.time())
        last = session.get("seen", now)
        if now - int(last) > app.config["SESSION_IDLE_MINUTES"] * 60:
            logout_user()
            session.clear()
        else:
            session["seen"] = now
    return None


def _headers(app: Flask, response: Any) -> Any:
    g.db_failed = response.status_code >= 400
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Permissions-Policy", "camera=(self), geolocation=(self), microphone=()"
    )
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Cache-Control", "no-store")
    if app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul)
    app.before_request(lambda: _session_timeouts(app))
    app.after_request(lambda response: _headers(app, response))
