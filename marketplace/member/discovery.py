"""Blueprint ``member``: discovery (reserved; filled in by the work that owns it)."""

from __future__ import annotations

from marketplace.member.blueprint import bp

__all__ = ["bp"]
