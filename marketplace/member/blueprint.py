"""The ``member`` blueprint object, shared by its task modules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("member", __name__, url_prefix="/member")
