"""Domain errors; the web layer maps each to an HTTP status and renders its message codes.

``status`` and ``code`` (the API's ``error`` field) belong to the class; the instance carries a
``Message`` (code and parameters) and, for input errors, one ``Message`` per field.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from marketplace.services.messages import Message

Model = TypeVar("Model", bound=BaseModel)


class ServiceError(Exception):
    status = 400
    code = "error"
    default_message = "error.failed"

    def __init__(
        self,
        message: Message | str | None = None,
        errors: Mapping[str, Message | str] | None = None,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if message is None:
            message = self.default_message
        self.message = Message(message, dict(params or {})) if isinstance(message, str) else message
        self.errors: dict[str, Message] = {
            name: Message.of(value) for name, value in (errors or {}).items()
        }
        super().__init__(self.message.code)


class ValidationFailed(ServiceError):
    """Invalid input: one message per field; nothing was stored."""

    status = 422
    code = "invalid"
    default_message = "error.invalid_input"

    def __init__(
        self, errors: Mapping[str, Message | str], message: Message | str | None = None
    ) -> None:
        super().__init__(message, errors)


class NotFound(ServiceError):
    status = 404
    code = "not_found"
    default_message = "error.not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"
    default_message = "error.forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"
    default_message = "error.conflict"


class Gone(ServiceError):
    """Existed, and is no longer in service (an exited household's 幸福码)."""

    status = 410
    code = "gone"
    default_message = "error.gone"


# Pydantic's error types → message codes, with the context keys that become parameters.
_PYDANTIC_CODES: dict[str, tuple[str, dict[str, str]]] = {
    "missing": ("field.required", {}),
    "string_too_short": ("field.too_short", {"min_length": "min"}),
    "string_too_long": ("field.too_long", {"max_length": "max"}),
    "too_short": ("field.too_few", {"min_length": "min"}),
    "too_long": ("field.too_many", {"max_length": "max"}),
    "greater_than_equal": ("field.min", {"ge": "min"}),
    "greater_than": ("field.above", {"gt": "min"}),
    "less_than_equal": ("field.max", {"le": "max"}),
    "less_than": ("field.below", {"lt": "max"}),
    "int_parsing": ("field.not_integer", {}),
    "int_type": ("field.not_integer", {}),
    "int_from_float": ("field.not_integer", {}),
    "float_parsing": ("field.not_number", {}),
    "float_type": ("field.not_number", {}),
    "decimal_parsing": ("field.not_number", {}),
    "decimal_type": ("field.not_number", {}),
    "finite_number": ("field.not_number", {}),
    "decimal_max_places": ("field.decimal_places", {"decimal_places": "n"}),
    "date_parsing": ("field.not_date", {}),
    "date_type": ("field.not_date", {}),
    "date_from_datetime_parsing": ("field.not_date", {}),
    "date_from_datetime_inexact": ("field.not_date", {}),
    "enum": ("field.choice", {}),
    "literal_error": ("field.choice", {}),
    "string_type": ("field.not_text", {}),
    "list_type": ("field.not_list", {}),
    "bool_parsing": ("field.not_boolean", {}),
    "bool_type": ("field.not_boolean", {}),
}


def _plain(value: Any) -> Any:
    """A JSON value for a message parameter (pydantic's context holds Decimals)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def field_errors(exc: ValidationError) -> dict[str, Message]:
    """Pydantic errors → {field: message}; model-level errors go under ``_``.

    Our own validators raise errors whose type is already a message code (``schemas._invalid``);
    pydantic's built-in types are mapped to generic ``field.*`` codes."""
    out: dict[str, Message] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "_"
        kind, ctx = err["type"], err.get("ctx") or {}
        if kind in _PYDANTIC_CODES:
            code, keys = _PYDANTIC_CODES[kind]
            if code == "field.too_short" and ctx.get("min_length") == 1:
                code, keys = "field.required", {}
            message = Message(code, {name: _plain(ctx[key]) for key, name in keys.items()})
        elif "." in kind:
            message = Message(kind, {k: _plain(v) for k, v in ctx.items()})
        else:
            message = Message("field.invalid")
        out.setdefault(field, message)
    return out


def parse(model: type[Model], data: Mapping[str, Any]) -> Model:
    """Validate ``data`` against ``model``; raise ValidationFailed with a message per field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None
