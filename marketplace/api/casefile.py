"""JSON API v1: casefile (reserved; filled in by the work that owns it)."""

from __future__ import annotations

from marketplace.api.blueprint import bp

__all__ = ["bp"]
