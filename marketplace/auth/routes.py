"""Blueprint ``auth``: signing in and out (password, second factor), organisation
self-registration, and the user's own account (display name, password, two-step sign-in). The views
live in one module per task; importing them registers their routes."""

from __future__ import annotations

from marketplace.auth import account, signin
from marketplace.auth.blueprint import bp, home_of

__all__ = ["account", "bp", "home_of", "signin"]
