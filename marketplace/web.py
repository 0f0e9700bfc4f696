"""Wiring of the web layer: extensions, security headers, errors, sessions, blueprints."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from flask import Flask, g, jsonify, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, get_translations
from flask_login import current_user, logout_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import IntegerConverter

from marketplace import db
from marketplace.extensions import babel, csrf, limiter, login_manager
from marketplace.models import Role
from marketplace.services import accounts, notifications, passwords
from marketplace.services.errors import ServiceError

log = logging.getLogger("zhongfu")

STAFF_ROLES = {Role.ADMIN.value, Role.HUB_STAFF.value}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)


def select_locale() -> str:
    """Chinese first: zh_CN unless the user switched to English (``?lang=en`` or the switch)."""
    chosen = request.args.get("lang") or session.get("lang")
    return str(chosen) if chosen in ("zh_CN", "en") else "zh_CN"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


class IdConverter(IntegerConverter):
    """``<int:…>`` ids fit the database's INTEGER: a larger number is a plain 404, not an error."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _request_translations() -> Any:
    """The request's catalogue, looked up once per request and locale. A table page calls
    ``_()`` a few hundred times; Flask-Babel resolves the domain, the locale and its cache key on
    every call. Keyed on the locale object, so ``force_locale`` and ``refresh`` still apply."""
    locale = get_locale()
    cached = g.get("_zf_translations")
    if cached is None or cached[0] is not locale:
        cached = g._zf_translations = (locale, get_translations())
    return cached[1]


def _install_request_gettext(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def _has_nul(values: Any) -> bool:
    return any("\x00" in k or "\x00" in v for k, v in values.items(multi=True))


def init_app(app: Flask) -> None:
    if app.config.get("TESTING") and not app.config.get("STRONG_PASSWORD_HASH"):
        passwords.configure(time_cost=1, memory_cost_kib=8)
    else:
        passwords.use_default_profile()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Shanghai")
    _install_request_gettext(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    limiter.init_app(app)
    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its rules

    @login_manager.user_loader
    def _load_user(session_id: str) -> Any:
        return accounts.load_session_user(db.get_session(), session_id)

    @app.before_request
    def _refuse_nul() -> None:
        # NUL cannot be stored (PostgreSQL refuses it, SQLite would keep it): refuse it up front.
        if "\x00" in request.path or _has_nul(request.args) or _has_nul(request.form):
            raise BadRequest("The request contains a NUL character")

    @app.before_request
    def _session_timeouts() -> ResponseReturnValue | None:
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

    @app.after_request
    def _headers(response: Any) -> Any:
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

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> ResponseReturnValue:
        db.rollback_request()
        if is_api_request():
            return jsonify(error=exc.code, message=exc.message, errors=exc.errors), exc.status
        return render_template(
            "error.html", status=exc.status, message=exc.message, errors=exc.errors
        ), exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        db.rollback_request()
        code = exc.code or 500
        if is_api_request():
            return jsonify(error=exc.name.lower().replace(" ", "_"), message=exc.description), code
        return render_template("error.html", status=code, message=exc.description, errors={}), code

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _bad_value(exc: Exception) -> ResponseReturnValue:
        # A value the database cannot hold (a number out of range, a NUL byte): the client's
        # input, not an outage — 422 for the API, 400 for pages; nothing is written.
        db.rollback_request()
        log.warning("value refused by the database: %s", type(exc).__name__)
        message = "A value is out of range or contains characters that cannot be stored"
        if is_api_request():
            return jsonify(error="invalid", message=message, errors={}), 422
        return render_template("error.html", status=400, message=message, errors={}), 400

    @app.errorhandler(IntegrityError)
    def _conflict(exc: IntegrityError) -> ResponseReturnValue:
        # A constraint refused a write that raced another one (e.g. the same ID number registered
        # twice at once): the request's work is undone and the user may try again.
        db.rollback_request()
        message = "This conflicts with a change made at the same time; reload and try again"
        if is_api_request():
            return jsonify(error="conflict", message=message, errors={}), 409
        return render_template("error.html", status=409, message=message, errors={}), 409

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def _db_down(exc: Exception) -> ResponseReturnValue:
        db.rollback_request()
        log.error(
            "database unavailable: %s: %s", type(exc).__name__, str(exc).splitlines()[0][:200]
        )
        if is_api_request():
            return jsonify(
                error="unavailable", message="The database is unavailable; try again shortly"
            ), 503
        # The page must render without the database: the layout shows an anonymous visitor
        # (loading the account or its unread count would fail again inside this handler).
        g._login_user = login_manager.anonymous_user()
        return render_template("error.html", status=503, message=None, errors={}), 503

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        db.rollback_request()
        ref = secrets.token_hex(4)
        log.exception("unhandled error ref=%s", ref)
        if is_api_request():
            return jsonify(error="server_error", message=f"Internal error (reference {ref})"), 500
        return render_template("error.html", status=500, message=None, ref=ref, errors={}), 500

    @app.template_global()
    def csrf_field() -> Markup:
        """The CSRF hidden input, built once per request: long tables carry a form per row, and
        rendering a WTForms field for each costs more than the rest of the row."""
        if "csrf_field" not in g:
            g.csrf_field = Markup('<input type="hidden" name="csrf_token" value="%s">') % generate_csrf()
        field: Markup = g.csrf_field
        return field

    @app.context_processor
    def _globals() -> dict[str, Any]:
        unread = 0
        if current_user.is_authenticated:
            unread = notifications.unread_count(db.get_session(), current_user.id)
        return {
            "unread_count": unread,
            "locale": str(get_locale()),
            "large_text": session.get("large_text", False),
            "Role": Role,
        }

    from marketplace.admin.routes import bp as admin_bp
    from marketplace.api.routes import bp as api_bp
    from marketplace.auth.routes import bp as auth_bp
    from marketplace.household.routes import bp as household_bp
    from marketplace.hub.routes import bp as hub_bp
    from marketplace.main import bp as main_bp
    from marketplace.member.routes import bp as member_bp
    from marketplace.org.routes import bp as org_bp
    from marketplace.rounds.routes import bp as rounds_bp

    csrf.exempt(api_bp)
    for bp in (main_bp, auth_bp, hub_bp, member_bp, org_bp, admin_bp, household_bp, rounds_bp, api_bp):
        app.register_blueprint(bp)
