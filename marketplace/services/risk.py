"""抗风险能力 — risk levels and their deadlines, as SQL and as dates.

The numbers live in ``marketplace.models`` (``RISK_LEVEL_FLOORS``, ``SLA_DAYS``, ``risk_level``),
where ``Household.risk_level`` needs them; the lists, the dashboard, the alerts and the match
rounds take the same rule from here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case

from marketplace.models import RISK_LEVEL_FLOORS, SLA_DAYS

LEVELS = tuple(sorted(RISK_LEVEL_FLOORS))


def score_range(level: int) -> tuple[int, int | None]:
    """The scores of a level: from its floor up to (not including) the next level's floor."""
    if level not in RISK_LEVEL_FLOORS:
        raise ValueError(f"no risk level {level}")
    return RISK_LEVEL_FLOORS[level], RISK_LEVEL_FLOORS.get(level + 1)


def in_level(score: Any, level: int) -> ColumnElement[bool]:
    """SQL condition: the resilience score in column ``score`` falls in ``level``."""
    low, high = score_range(level)
    return and_(score >= low, score < high) if high is not None else score >= low


def level_of(score: Any) -> ColumnElement[int]:
    """SQL: the risk level of the resilience score in column ``score``."""
    upper_levels = sorted(LEVELS[1:], reverse=True)
    return case(
        *((score >= RISK_LEVEL_FLOORS[level], level) for level in upper_levels), else_=LEVELS[0]
    )


def sla_days(level: int) -> int:
    """Days a case of a household of this level may wait (3 for level 1, 7 for levels 2–3)."""
    return SLA_DAYS[level]


def deadline(start: datetime, level: int) -> datetime:
    """When a case that began at ``start`` becomes overdue."""
    return start + timedelta(days=sla_days(level))


def sla_seconds(level: Any) -> ColumnElement[float]:
    """SQL: the waiting time allowed, in seconds, for the risk level in ``level``."""
    return case(*((level == n, days * 86400.0) for n, days in SLA_DAYS.items()))
