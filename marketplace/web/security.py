"""Security headers on every response and the request checks that come before any view."""

from __future__ import annotations

import io
import time
from typing import Any

from flask import Flask, g, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user, logout_user
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace.models import Role

STAFF_ROLES = {Role.ADMIN.value, Role.HUB_STAFF.value}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)


# Responses that hold no personal data and may be cached; every other one is ``no-store``.
# (The map's region outlines and the region tree are geography: the browser keeps them, privately.)
CACHEABLE_ENDPOINTS = {
    "static",
    "api.openapi",
    "staff.map_boundaries",
    "org.map_boundaries",
    "org.regions_json",
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def csp_with_images_from(origin: str) -> str:
    """The policy with one more host pages may load images from (a configured tile server)."""
    return CSP.replace("img-src 'self'", f"img-src 'self' {origin}")


def _has_nul(values: Any) -> bool:
    return any("\x00" in k or "\x00" in v for k, v in values.items(multi=True))


def _read_body_within_limit() -> None:
    """Parse a form body up front, before any other hook: one above ``MAX_CONTENT_LENGTH`` is
    answered 413, and the request then looks empty, so the error page (whose forms read the
    request) does not trip over the same body again."""
    try:
        request.form  # noqa: B018  (parses the body, bounded by MAX_CONTENT_LENGTH)
    except RequestEntityTooLarge:
        request.__dict__.update(
            form=ImmutableMultiDict(),
            files=ImmutableMultiDict(),
            stream=io.BytesIO(),
            _cached_data=b"",
        )
        raise


def _refuse_nul() -> None:
    # NUL cannot be stored (PostgreSQL refuses it, SQLite would keep it): refuse it up front.
    if "\x00" in request.path or _has_nul(request.args) or _has_nul(request.form):
        raise BadRequest("The request contains a NUL character")


def _session_timeouts(app: Flask) -> ResponseReturnValue | None:
    if request.endpoint == "static" or is_api_request():
        return None  # the API authenticates by bearer token and never reads the cookie
    session.permanent = True  # the cookie's lifetime: PERMANENT_SESSION_LIFETIME
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    # The absolute lifetime counts from the login, however busy the session has been since.
    login_at = session.get("login_at")
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    if not isinstance(login_at, int) or now - login_at > lifetime:
        logout_user()
        session.clear()
        return None
    if getattr(current_user, "role", None) in STAFF_ROLES:
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
    # Pages and API answers may hold personal data: no browser or proxy keeps a copy.
    if request.endpoint not in CACHEABLE_ENDPOINTS and "no-store" not in response.headers.get(
        "Cache-Control", ""
    ):
        response.headers["Cache-Control"] = "no-store"
    if response.status_code == 405 and "Allow" not in response.headers:
        exc = request.routing_exception
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    if app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        # Behind this many reverse proxies, the client's address and scheme come from their
        # X-Forwarded-For/-Proto; without proxies those headers are ignored (anyone can send them).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    # First of all the request hooks (the rate limiter's key reads the form too).
    app.before_request_funcs.setdefault(None, []).insert(0, _read_body_within_limit)
    app.before_request(_refuse_nul)
    app.before_request(lambda: _session_timeouts(app))
    app.after_request(lambda response: _headers(app, response))
