"""Blueprint ``hub``: hub staff register households and needs, review, confirm deliveries,
import from Excel. The views live in one module per task; importing them registers their routes."""

from __future__ import annotations

from marketplace.hub import (
    care,
    casefile,
    deliveries,
    events,
    feedback,
    imports,
    intake,
    profile,
    review,
    warnings,
)
from marketplace.hub.blueprint import bp

__all__ = [
    "bp",
    "care",
    "casefile",
    "deliveries",
    "events",
    "feedback",
    "imports",
    "intake",
    "profile",
    "review",
    "warnings",
]
