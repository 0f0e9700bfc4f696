"""Domain errors; the web layer maps each to an HTTP status."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class ValidationFailed(ServiceError):
    """Invalid input: one message per field; nothing was stored."""

    status = 422
    code = "invalid"

    def __init__(self, errors: dict[str, str], message: str = "Invalid input") -> None:
        super().__init__(message, errors)


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"
