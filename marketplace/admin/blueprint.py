"""The ``admin`` blueprint object, shared by its task modules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
