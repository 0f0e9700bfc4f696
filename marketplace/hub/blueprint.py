"""The ``hub`` blueprint object, shared by its task modules (intake, review, deliveries, import)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("hub", __name__, url_prefix="/hub")
PAGE = 25  # rows per page of the staff tables (each row carries its own action forms)
