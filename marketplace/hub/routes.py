"""Blueprint ``hub``: hub staff register households and needs, review, confirm deliveries,
import from Excel. The views live in one module per task; importing them registers their routes."""

from __future__ import annotations

from marketplace.hub import deliveries, imports, intake, profile, review
from marketplace.hub.blueprint import bp

__all__ = ["bp", "deliveries", "imports", "intake", "profile", "review"]
