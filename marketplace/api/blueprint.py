"""The ``api`` blueprint object and what its task modules share: bearer-token authentication,
the JSON body, the caller. Each task module (routes, and one per feature) registers its own routes
on ``bp``; ``marketplace.api.routes`` imports them all."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue

from marketplace.db import get_session
from marketplace.models import Role, User
from marketplace.services import accounts
from marketplace.services.errors import Forbidden, ServiceError, ValidationFailed

bp = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])


class Unauthenticated(ServiceError):
    status = 401
    code = "unauthenticated"


def api_auth(*roles: str, own_tokens: bool = False) -> Callable[[F], F]:
    """Bearer-token authentication; ``roles`` restricts who may call (empty → any account).

    A department's system (``dept``, API only) is admitted only where it is named, and to its
    own tokens (``own_tokens``): "any account" never includes it (DESIGN §2)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            found = (
                accounts.token_owner(get_session(), token.strip())
                if scheme.lower() == "bearer"
                else None
            )
            if found is None:
                raise Unauthenticated("api.token_required")
            user, api_token = found
            if roles and user.role not in roles:
                raise Forbidden("api.role_forbidden")
            if user.role == Role.DEPT and Role.DEPT not in roles and not own_tokens:
                raise Forbidden("api.dept_events_only")
            g.api_user = user
            g.api_token_id = api_token.id
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def body() -> dict[str, Any]:
    try:
        data = request.get_json(silent=True) if request.is_json else None
    except RecursionError:  # the json module's answer to a deeply nested document
        raise ValidationFailed({"_": "api.json_too_deep"}) from None
    if data is None and request.form:
        data = request.form.to_dict()
    if not isinstance(data, dict):
        raise ValidationFailed({"_": "api.json_object_required"})
    return data


def me() -> User:
    user: User = g.api_user
    return user


def created(payload: dict[str, Any]) -> ResponseReturnValue:
    return jsonify(payload), 201
