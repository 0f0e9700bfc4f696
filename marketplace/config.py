"""Layered configuration: defaults → instance config.py → environment (ZHONGFU_*) → test overrides."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

DEFAULT_SECRET = "dev-only-insecure-secret"


class Defaults:
    SECRET_KEY = DEFAULT_SECRET
    DATABASE_URL: str | None = None  # None → SQLite in the instance folder
    REDIS_URL: str | None = None
    # Claims (认领): default 3 open claims per member, 7 days to deliver.
    MAX_OPEN_CLAIMS = 3
    CLAIM_DAYS = 7
    # 认领意向登记 (DESIGN §12): a newly published wish collects expressions of interest this many
    # minutes, then housekeeping draws one member (services/draws.py); 0: first come, first served.
    CLAIM_WINDOW_MINUTES = 30
    # Wishes left unclaimed this long are routed to the next match round.
    UNCLAIMED_DAYS_FOR_ROUND = 14
    MATCH_ROUND_TIME_LIMIT_S = 300
    MATCH_MAX_PER_HOUSEHOLD = 2  # needs of one household served per round
    MATCH_ASSIGNMENT_DAYS = 14  # an accepted proposal is due within this
    # Fairness (DESIGN §12, matching/README.md). Offers that give no radius serve needs up to this
    # far, in km (ZHONGFU_MATCH_MAX_KM; 0: no limit).
    MATCH_MAX_KM = 30.0
    # Regional tilt: a served need in these districts (NBS codes, comma-separated) counts as this
    # many km of distance saved; it never outweighs a priority level (0 turns the tilt off).
    MATCH_TILT_DISTRICTS = "330122,330127,330182"  # 桐庐, 淳安, 建德
    MATCH_TILT_KM = 10.0
    # A held (暂缓) proposal keeps its need and its unit of capacity out of later rounds this long.
    MATCH_HELD_MAX_DAYS = 30
    # No double help: a household does not receive the same item twice within this many days,
    # whichever channel it comes through (0 turns the rule off).
    REPEAT_HELP_DAYS = 90
    # 帮扶建议: how long a process reuses its read of the live offers (0: read on every page;
    # a new, closed or taken offer is seen at once: services/suggestions.Policy).
    SUGGESTION_OFFERS_CACHE_S = 30.0
    # 探访关爱: days between visits by risk level (level 1 monthly, 2 quarterly, 3 every six
    # months; ZHONGFU_VISIT_DAYS_L1/L2/L3).
    VISIT_DAYS_L1 = 30
    VISIT_DAYS_L2 = 91
    VISIT_DAYS_L3 = 182
    # 结对帮扶: a paired household's new micro-wish goes to its paired member first for this many
    # hours before it joins the pool (0: straight to the pool).
    PAIRING_WINDOW_HOURS = 48
    # The care indicators (关爱指标) are rebuilt by housekeeping when older than this.
    CARE_INDICATORS_MAX_AGE_S = 3600
    PAGE_SIZE = 20
    WISH_POOL_CACHE_S = 2.0  # reuse a wish-pool page this long (0 turns the micro-cache off)
    # 爱心积分 leaderboards: reuse a board's top rows this long (services/leaderboards.py; 0: off)
    LEADERBOARD_CACHE_S = 60.0
    # Dashboards count needs from a snapshot that housekeeping rebuilds every minute; a view that
    # finds it older than this rebuilds it first (0: count on every view).
    DASHBOARD_COUNTS_MAX_AGE_S = 120
    # Map: the official base map 天地图 (Tianditu) with a key from console.tianditu.gov.cn
    # (ZHONGFU_TIANDITU_KEY). It is a browser key by Tianditu's design (sent with every tile
    # request, so visible in the page): restrict it to this site's domain in Tianditu's console.
    # Without a key the map draws the region outlines imported with `zhongfu regions
    # import-boundaries`. MAP_TILE_URL (another tile server, {z}/{x}/{y}) and
    # MAP_BOUNDARIES_FILE (a GeoJSON file served as is) are older alternatives.
    TIANDITU_KEY = ""
    MAP_TILE_URL = ""
    MAP_BOUNDARIES_FILE = ""
    UPLOAD_MAX_BYTES = 8 * 1024 * 1024
    # Photos are decoded only below this many pixels (a 24 MP photo decodes to ~70 MB as RGB).
    UPLOAD_MAX_PIXELS = 24_000_000
    DELIVERY_RATE_LIMIT = "10 per hour"  # delivery reports per deliverer account
    # A delivery report needs a photo or a note of at least this many characters (spaces aside).
    DELIVERY_NOTE_MIN_CHARS = 10
    # Uploaded workbooks (.xlsx are zips) are checked before parsing: each part's declared size,
    # all parts together, the compression ratio of parts above 1 MB, and the number of parts.
    XLSX_MAX_MEMBER_BYTES = 100 * 1024 * 1024
    XLSX_MAX_TOTAL_BYTES = 200 * 1024 * 1024
    XLSX_MAX_RATIO = 100
    XLSX_MAX_MEMBERS = 500
    # …and their XML before openpyxl reads it: rows per sheet (empty ones too) and shared strings,
    # which openpyxl keeps in memory while streaming a sheet.
    XLSX_MAX_SHEET_ROWS = 200_000
    XLSX_MAX_STRINGS = 500_000
    # Excel import: rows per workbook (both sheets together); above it nothing is imported.
    IMPORT_MAX_ROWS = 50_000
    API_TOKEN_DAYS = 30
    # Password checks (login form and POST /api/v1/tokens share each bucket): per client address,
    # per login name, and a progressive delay per login name instead of a lockout: after
    # LOGIN_DELAY_AFTER_FAILURES failures in a row each attempt waits BASE, 2×BASE, 4×BASE… up to
    # MAX seconds (answered 429 with Retry-After). 0 failures turns the delay off.
    LOGIN_RATE_LIMIT = "10 per minute"
    LOGIN_NAME_RATE_LIMIT = "20 per minute"
    LOGIN_DELAY_AFTER_FAILURES = 5
    LOGIN_DELAY_BASE_SECONDS = 2
    LOGIN_DELAY_MAX_SECONDS = 15 * 60
    RATELIMIT_HEADERS_ENABLED = True  # Retry-After (and X-RateLimit-*) on limited endpoints
    # 幸福码: help requests and ratings sent from one household's code share this budget (the
    # code needs no login, so anyone holding a card could otherwise flood the hub).
    HAPPINESS_RATE_LIMIT = "10 per hour"
    # 一户一档 lifecycle (services/casefile.py): a household in gradual exit (渐退期) is exited by
    # housekeeping after this many days; an exited household's personal data is anonymised this
    # many days after its exit (ZHONGFU_RETENTION_DAYS).
    GRADUAL_EXIT_DAYS = 365
    RETENTION_DAYS = 5 * 365
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (nginx: 1). 0 trusts no
    # proxy: the client address is the socket's, whatever headers a client sends.
    PROXY_HOPS = 0
    # Two-factor sign-in: how long the step between password and code may take.
    TOTP_LOGIN_SECONDS = 300
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set ZHONGFU_SESSION_COOKIE_SECURE=1 behind HTTPS
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)  # absolute timeout, counted from the login
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
