"""Blueprint ``org``: projects (reserved; filled in by the work that owns it)."""

from __future__ import annotations

from marketplace.org.blueprint import bp

__all__ = ["bp"]
