"""The one home of "now" and "today": store UTC, count days in Beijing.

Everything is stored as aware UTC (``models.utcnow``); every "today", default date, date window and
date shown is a Beijing (Asia/Shanghai) calendar day. 00:30 in Beijing is still yesterday in UTC, so
``date.today()`` or ``utcnow().date()`` would be a day behind for eight hours each night.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from marketplace.models import utcnow

BEIJING = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    """Now, aware, in UTC (what the database stores)."""
    return utcnow()


def to_beijing(value: datetime) -> datetime:
    """``value`` in Beijing time; a naive value is UTC as stored (SQLite returns naive values)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(BEIJING)


def beijing_now(now: datetime | None = None) -> datetime:
    """Now (or ``now``) in Beijing time."""
    return to_beijing(now or now_utc())


def beijing_today(now: datetime | None = None) -> date:
    """Today's date in Beijing: offers' date windows, deadlines, default dates, file names."""
    return beijing_now(now).date()


def beijing_date(value: datetime) -> date:
    """The Beijing calendar day of a stored (UTC) moment."""
    return to_beijing(value).date()
