"""Layered configuration: defaults → instance config.py → environment (ZHONGFU_*) → test overrides."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, ClassVar

DEFAULT_SECRET = "dev-only-insecure-secret"


class Defaults:
    SECRET_KEY = DEFAULT_SECRET
    DATABASE_URL: str | None = None  # None → SQLite in the instance folder
    REDIS_URL: str | None = None
    # Claims (认领): default 3 open claims per member, 7 days to deliver.
    MAX_OPEN_CLAIMS = 3
    CLAIM_DAYS = 7
    # Wishes left unclaimed this long are routed to the next match round.
    UNCLAIMED_DAYS_FOR_ROUND = 14
    MATCH_ROUND_TIME_LIMIT_S = 300
    MATCH_MAX_PER_HOUSEHOLD = 2  # needs of one household served per round
    MATCH_ASSIGNMENT_DAYS = 14  # an accepted proposal is due within this
    PAGE_SIZE = 20
    WISH_POOL_CACHE_S = 2.0  # reuse a wish-pool page this long (0 turns the micro-cache off)
    # Dashboards count needs from a snapshot that housekeeping rebuilds every minute; a view that
    # finds it older than this rebuilds it first (0: count on every view).
    DASHBOARD_COUNTS_MAX_AGE_S = 120
    # Map (optional): a tile server URL such as https://tiles.example/{z}/{x}/{y}.png and a
    # GeoJSON file of district boundaries. Without them the map is a plain background.
    MAP_TILE_URL = ""
    MAP_BOUNDARIES_FILE = ""
    HUB_PHONES: ClassVar[dict[str, str]] = {}  # region code → phone, printed on the 幸福码 card
    UPLOAD_MAX_BYTES = 8 * 1024 * 1024
    UPLOAD_MAX_PIXELS = 40_000_000
    API_TOKEN_DAYS = 30
    LOGIN_RATE_LIMIT = "10 per minute"
    LOGIN_LOCKOUT_FAILURES = 10
    LOGIN_LOCKOUT_MINUTES = 15
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set ZHONGFU_SESSION_COOKIE_SECURE=1 behind HTTPS
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)  # absolute timeout
    SESSION_IDLE_MINUTES = 30  # idle timeout for staff and admin
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    REGION_COORDS_FILE: str | None = None
    JOBS_IMMEDIATE = False
    RATELIMIT_ENABLED = True
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024


def _coerce(value: str, default: Any) -> Any:
    if isinstance(default, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    if isinstance(default, timedelta):
        return timedelta(seconds=int(value))
    return value


def from_environment(config: dict[str, Any]) -> None:
    """Apply ZHONGFU_<NAME> environment variables onto the config."""
    for key, value in os.environ.items():
        if not key.startswith("ZHONGFU_"):
            continue
        name = key.removeprefix("ZHONGFU_")
        if name and name.isupper():
            config[name] = _coerce(value, config.get(name))
