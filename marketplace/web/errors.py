"""Error pages and JSON errors: every failure rolls the request's unit of work back.

Messages are rendered here from their codes: in the page's language on pages, in English for the
API unless the request asks for a language (``?lang=zh_CN``)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping

from flask import Flask, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from marketplace import db
from marketplace.extensions import login_manager
from marketplace.services.errors import ServiceError
from marketplace.services.messages import Message
from marketplace.web.i18n import LANGUAGES
from marketplace.web.messages import render
from marketplace.web.security import is_api_request

log = logging.getLogger("zhongfu")


def _api_locale() -> str:
    lang = request.args.get("lang")
    return lang if lang in LANGUAGES else "en"


def _error(
    status: int,
    code: str,
    message: Message | None,
    errors: Mapping[str, Message] | None = None,
    *,
    api_text: str | None = None,
    lead: bool = True,
    ref: str | None = None,
) -> ResponseReturnValue:
    """The answer for a failed request: JSON for the API, the error page otherwise.

    ``api_text`` is a library's own (English) description, for the API only; ``lead`` says whether
    the page shows the message under its heading (not when the heading already says it)."""
    db.rollback_request()
    if is_api_request():
        with force_locale(_api_locale()):
            body: dict[str, object] = {
                "error": code,
                "message": render(message) if message is not None else api_text,
            }
            if message is not None:
                body["code"] = message.code
            if errors is not None:
                body["errors"] = {name: render(m) for name, m in errors.items()}
        return jsonify(body), status
    page = {
        "status": status,
        "message": render(message) if message is not None and lead else None,
        "errors": {name: render(m) for name, m in (errors or {}).items()},
        "ref": ref,
    }
    return render_template("error.html", **page), status


def _service_error(exc: ServiceError) -> ResponseReturnValue:
    # A class's default message ("Not found") says no more than the page's heading.
    lead = exc.message.code != exc.default_message
    return _error(exc.status, exc.code, exc.message, exc.errors, lead=lead)


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    return _error(code, exc.name.lower().replace(" ", "_"), None, api_text=exc.description)


def _bad_value(exc: Exception) -> ResponseReturnValue:
    # A value the database cannot hold (a number out of range, a NUL byte): the client's
    # input, not an outage — 422 for the API, 400 for pages; nothing is written.
    log.warning("value refused by the database: %s", type(exc).__name__)
    message = Message("error.bad_value")
    return _error(422 if is_api_request() else 400, "invalid", message, {})


def _conflict(exc: IntegrityError) -> ResponseReturnValue:
    # A constraint refused a write that raced another one (e.g. the same ID number registered
    # twice at once): the request's work is undone and the user may try again.
    return _error(409, "conflict", Message("error.write_conflict"), {})


def _db_down(exc: Exception) -> ResponseReturnValue:
    log.error("database unavailable: %s: %s", type(exc).__name__, str(exc).splitlines()[0][:200])
    if not is_api_request():
        # The page must render without the database: the layout shows an anonymous visitor
        # (loading the account or its unread count would fail again inside this handler).
        g._login_user = login_manager.anonymous_user()
    return _error(503, "unavailable", Message("error.unavailable"), lead=False)


def _unexpected(exc: Exception) -> ResponseReturnValue:
    ref = secrets.token_hex(4)
    log.exception("unhandled error ref=%s", ref)
    return _error(500, "server_error", Message("error.internal", {"ref": ref}), lead=False, ref=ref)


def init_app(app: Flask) -> None:
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DataError, _bad_value)
    app.register_error_handler(OverflowError, _bad_value)
    app.register_error_handler(IntegrityError, _conflict)
    app.register_error_handler(OperationalError, _db_down)
    app.register_error_handler(DBAPIError, _db_down)
    app.register_error_handler(Exception, _unexpected)
