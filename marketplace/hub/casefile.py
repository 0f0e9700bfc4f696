"""Blueprint ``hub``: casefile (reserved; filled in by the work that owns it)."""

from __future__ import annotations

from marketplace.hub.blueprint import bp

__all__ = ["bp"]
