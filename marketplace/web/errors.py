"""Error pages and JSON errors: every failure rolls the request's unit of work back."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, g, jsonify, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from marketplace import db
from marketplace.extensions import login_manager
from marketplace.services.errors import ServiceError
from marketplace.web.security import is_api_request

log = logging.getLogger("zhongfu")


def _error(status: int, code: str, message: str | None, **page: object) -> ResponseReturnValue:
    """The answer for a failed request: JSON for the API, the error page otherwise."""
    db.rollback_request()
    if is_api_request():
        body: dict[str, object] = {"error": code, "message": message}
        if "errors" in page:
            body["errors"] = page["errors"]
        return jsonify(body), status
    page.setdefault("errors", {})
    return render_template("error.html", status=status, message=message, **page), status


def _service_error(exc: ServiceError) -> ResponseReturnValue:
    # The error page translates the message itself (it compares it with its heading).
    return _error(exc.status, exc.code, exc.message, errors=exc.errors)


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    return _error(code, exc.name.lower().replace(" ", "_"), exc.description)


def _bad_value(exc: Exception) -> ResponseReturnValue:
    # A value the database cannot hold (a number out of range, a NUL byte): the client's
    # input, not an outage — 422 for the API, 400 for pages; nothing is written.
    log.warning("value refused by the database: %s", type(exc).__name__)
    message = "A value is out of range or contains characters that cannot be stored"
    return _error(422 if is_api_request() else 400, "invalid", message, errors={})


def _conflict(exc: IntegrityError) -> ResponseReturnValue:
    # A constraint refused a write that raced another one (e.g. the same ID number registered
    # twice at once): the request's work is undone and the user may try again.
    message = "This conflicts with a change made at the same time; reload and try again"
    return _error(409, "conflict", message, errors={})


def _db_down(exc: Exception) -> ResponseReturnValue:
    log.error("database unavailable: %s: %s", type(exc).__name__, str(exc).splitlines()[0][:200])
    if is_api_request():
        return _error(503, "unavailable", "The database is unavailable; try again shortly")
    # The page must render without the database: the layout shows an anonymous visitor
    # (loading the account or its unread count would fail again inside this handler).
    g._login_user = login_manager.anonymous_user()
    return _error(503, "unavailable", None)


def _unexpected(exc: Exception) -> ResponseReturnValue:
    ref = secrets.token_hex(4)
    log.exception("unhandled error ref=%s", ref)
    if is_api_request():
        return _error(500, "server_error", f"Internal error (reference {ref})")
    return _error(500, "server_error", None, ref=ref)


def init_app(app: Flask) -> None:
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DataError, _bad_value)
    app.register_error_handler(OverflowError, _bad_value)
    app.register_error_handler(IntegrityError, _conflict)
    app.register_error_handler(OperationalError, _db_down)
    app.register_error_handler(DBAPIError, _db_down)
    app.register_error_handler(Exception, _unexpected)
