"""View helpers every blueprint shares: the acting user, the CSRF-only form, attaching a
service's errors to form fields, going back, select choices, staff-list arguments, xlsx answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from flask import Flask, Response, current_app, g, request
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import Select
from wtforms import Form
from wtforms.fields.choices import SelectChoice

from marketplace.db import get_session
from marketplace.models import User
from marketplace.services import exports, leaderboards
from marketplace.services.errors import ValidationFailed
from marketplace.services.listings import Page, paginate
from marketplace.services.messages import Message
from marketplace.web.messages import render


def board_period() -> tuple[str, float]:
    """A leaderboard page's period (``?period=``; a bad one shows this month rather than an
    error) and how long its boards may be reused (``LEADERBOARD_CACHE_S``)."""
    try:
        period = leaderboards.parse_period(request.args.get("period"))
    except ValidationFailed:
        period = "month"
    return period, float(current_app.config["LEADERBOARD_CACHE_S"])


def me() -> User:
    """The acting user (the logged-in account), as the model services expect."""
    user: User = current_user._get_current_object()
    return user


def attach_errors(
    form: Form, errors: Mapping[str, Message | str], aliases: dict[str, str] | None = None
) -> list[str]:
    """Put a service's per-field messages, rendered, on the form's fields; return those that fit
    no field."""
    aliases = aliases or {}
    general: list[str] = []
    for name, message in errors.items():
        field = getattr(form, aliases.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), render(message)]
        else:
            general.append(render(message))
    return general


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parsed = urlparse(target)
    return target if not parsed.scheme and not parsed.netloc else None


def back(default: str) -> str:
    return safe_next(request.form.get("next")) or default


def choices(pairs: Any, optgroup: str | None = None) -> list[SelectChoice]:
    """WTForms options from (value, label) pairs (a dict's items, or a list)."""
    return [SelectChoice(str(value), label, optgroup=optgroup) for value, label in pairs]


class EmptyForm(FlaskForm):
    """A button that changes state: CSRF token only."""


def requested_page(stmt: Select[Any], per_page: int, count: Select[Any] | None = None) -> Page:
    """The page of a staff list that the query string asks for (``?page=``)."""
    return paginate(
        get_session(), stmt, request.args.get("page", 1, type=int), per_page, count=count
    )


def list_args() -> dict[str, str]:
    """A staff list's query arguments except the page (for sort links and the export link)."""
    return {k: v for k, v in request.args.items() if k != "page" and v}


def xlsx_response(body: bytes, stem: str) -> Response:
    response = Response(body, mimetype=exports.XLSX_MIME)
    response.headers["Content-Disposition"] = f'attachment; filename="{exports.filename(stem)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def csrf_field() -> Markup:
    """The CSRF hidden input, built once per request: long tables carry a form per row, and
    rendering a WTForms field for each costs more than the rest of the row."""
    if "csrf_field" not in g:
        g.csrf_field = (
            Markup('<input type="hidden" name="csrf_token" value="%s">') % generate_csrf()
        )
    field: Markup = g.csrf_field
    return field


def init_app(app: Flask) -> None:
    app.add_template_global(csrf_field, "csrf_field")
    app.context_processor(lambda: {"switch_form": EmptyForm()})
