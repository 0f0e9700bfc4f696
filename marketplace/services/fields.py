"""Loose input fields, checked one way everywhere: ids, days and free text that arrive from a JSON
body or a form as whatever the client sent. Each parser records a message code under the field's
name in ``errors`` (so a service reports every problem at once) and returns None on a bad value.

The rules match what the OpenAPI document promises (``marketplace/api/openapi.py``): an id is a
JSON integer (``4.0`` counts: JSON has one number type) or a string of digits, within INTEGER; a
day is an ISO date from 2000-01-01; text holds no control characters but tab and newlines.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from marketplace.services.messages import Message

MAX_ID = 2**31 - 1
EARLIEST = date(2000, 1, 1)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Errors = dict[str, Message | str]


def whole_number(
    value: Any, name: str, errors: Errors, *, required: bool = False, minimum: int = 1
) -> int | None:
    """An id or a count: ``minimum``..INTEGER; None when left out (``field.required`` if it must
    be given)."""
    if value is None or value == "":
        if required:
            errors[name] = "field.required"
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    if number is None:
        errors[name] = "field.not_integer"
        return None
    if number < minimum:
        errors[name] = Message("field.min", {"min": minimum})
        return None
    if number > MAX_ID:
        errors[name] = Message("field.max", {"max": MAX_ID})
        return None
    return number


def day(
    value: Any,
    name: str,
    errors: Errors,
    *,
    required: bool = True,
    latest: date | None = None,
    future_code: Message | str = "",
) -> date | None:
    """An ISO date (or a date) from 2000-01-01; with ``latest``, not after it (the caller's
    ``future_code`` says why: a visit, an event cannot be in the future)."""
    if value is None or value == "":
        if required:
            errors[name] = "field.required"
        return None
    found: date | None = None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, str):
        try:
            found = date.fromisoformat(value.strip())
        except ValueError:
            found = None
    if found is None:
        errors[name] = "field.not_date"
        return None
    if found < EARLIEST:
        errors[name] = Message("field.min", {"min": EARLIEST.isoformat()})
        return None
    if latest is not None and found > latest:
        errors[name] = future_code or Message("field.max", {"max": latest.isoformat()})
        return None
    return found


def text(value: Any, name: str, errors: Errors, *, limit: int, required: bool = False) -> str:
    """Free text, trimmed: no control characters, at most ``limit`` characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = "field.not_text"
        return ""
    value = value.strip()
    if CONTROL.search(value):
        errors[name] = "field.control_characters"
    elif len(value) > limit:
        errors[name] = Message("field.too_long", {"max": limit})
    elif required and not value:
        errors[name] = "field.required"
    return str(value)
