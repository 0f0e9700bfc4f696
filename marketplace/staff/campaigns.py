"""Blueprint ``staff``: campaigns (reserved; filled in by the work that owns it)."""

from __future__ import annotations

from marketplace.staff.blueprint import bp

__all__ = ["bp"]
