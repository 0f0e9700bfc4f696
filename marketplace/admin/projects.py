"""Blueprint ``admin``: projects (reserved; filled in by the work that owns it)."""

from __future__ import annotations

from marketplace.admin.blueprint import bp

__all__ = ["bp"]
