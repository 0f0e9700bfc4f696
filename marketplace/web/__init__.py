"""The web layer's wiring: extensions, language, security headers, error pages, view helpers.

Blueprints are registered by ``create_app``; each one imports what it needs from here
(``marketplace.web.helpers``, ``marketplace.web.labels``, the shared ``forms`` and the delivery
report page in ``marketplace.web.delivery``), never from another blueprint.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from marketplace import db
from marketplace.extensions import babel, csrf, limiter, login_manager
from marketplace.models import Role
from marketplace.services import accounts, notifications, passwords
from marketplace.web import errors, helpers, i18n, labels, messages, security


class IdConverter(IntegerConverter):
    """``<int:…>`` ids fit the database's INTEGER: a larger number is a plain 404, not an error.
    The pattern itself stops at 2**31 - 1: werkzeug tells a path's methods apart before it runs
    a converter, so a number refused only by ``max`` would answer 405 where another method's rule
    shares the path (``PATCH /households/<id>`` beside ``GET``)."""

    regex = (
        r"(?:[0-9]{1,9}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
        r"|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]"
        r"|214748364[0-7])"
    )

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _init_extensions(app: Flask) -> None:
    if app.config.get("TESTING") and not app.config.get("STRONG_PASSWORD_HASH"):
        passwords.configure(time_cost=1, memory_cost_kib=8)
    else:
        passwords.use_default_profile()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    login_manager.user_loader(
        lambda session_id: accounts.load_session_user(db.get_session(), session_id)
    )
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=i18n.select_locale, timezone_selector=lambda: "Asia/Shanghai"
    )
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    limiter.init_app(app)
    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its rules


def _layout_globals() -> dict[str, Any]:
    unread = 0
    if current_user.is_authenticated:
        unread = notifications.unread_count(db.get_session(), current_user.id)
    return {
        "unread_count": unread,
        "locale": str(get_locale()),
        "large_text": session.get("large_text", False),
        "Role": Role,
    }


def init_app(app: Flask) -> None:
    _init_extensions(app)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    helpers.init_app(app)
    labels.init_app(app)
    messages.init_app(app)
    app.context_processor(_layout_globals)
