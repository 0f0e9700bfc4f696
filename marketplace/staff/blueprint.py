"""The ``staff`` blueprint object, shared by its task modules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")
