"""需求优先级 — a need's priority (DESIGN §5): from its household's risk level, raised one step for
急难型 needs and for households with an open important warning. Waiting time does not raise it (it
breaks ties, older first). Stored on the need (``Need.priority``) so the pool and the rounds read it
from an index; refreshed here whenever one of its inputs changes: the household's score
(``resilience.rescore``, ``rescore_all``), its hardship type, its important warnings opened or
closed (the warnings service calls ``refresh_households``). New needs get it at insert
(``for_households``; the city seed computes it with ``rule``).

``rule`` is the one home of the rule: the same function answers for Python values and builds the SQL
expression for columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, overload

from sqlalchemy import ColumnElement, and_, case, exists, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from marketplace.models import (
    Household,
    Need,
    NeedStatus,
    RiskWarning,
    WarningLevel,
    WarningStatus,
    risk_level,
)
from marketplace.services import risk

RAISING_HARDSHIP = "emergency"  # 急难型
# Needs whose priority still matters (to the pool, the rounds, the queues): the others keep the
# priority they had when they were served or closed, for the figures by priority.
LIVE_STATUSES = (
    NeedStatus.PENDING_REVIEW.value,
    NeedStatus.OPEN.value,
    NeedStatus.CLAIMED.value,
    NeedStatus.MATCHED.value,
)
BATCH = 5_000


@overload
def rule(level: int, emergency: bool, warned: bool) -> int: ...
@overload
def rule(level: Any, emergency: Any, warned: Any) -> ColumnElement[int]: ...
def rule(level: Any, emergency: Any, warned: Any) -> Any:
    """DESIGN §5: the risk level (1 highest), raised one step (never above 1) when the need is
    急难型 or its household has an open important warning. Plain values give an int; SQL
    expressions (a level, two conditions) give the SQL of the same rule."""
    if isinstance(level, int) and isinstance(emergency, bool) and isinstance(warned, bool):
        return max(1, level - 1) if (emergency or warned) else level
    return case((and_(emergency | warned, level > 1), level - 1), else_=level)


def of(risk_score: int, hardship: str, warned: bool = False) -> int:
    """A need's priority from its household's score, hardship type and open important warning."""
    return rule(risk_level(risk_score), hardship == RAISING_HARDSHIP, warned)


def warned_sql(household_id: Any) -> ColumnElement[bool]:
    """SQL: the household in ``household_id`` has an open important warning."""
    return exists().where(
        col(RiskWarning.household_id) == household_id,
        col(RiskWarning.status) == WarningStatus.OPEN.value,
        col(RiskWarning.level) == WarningLevel.IMPORTANT.value,
    )


def household_sql() -> ColumnElement[int]:
    """SQL: the priority of a need of the ``Household`` row in the query."""
    return rule(
        risk.level_of(col(Household.risk_score)),
        col(Household.hardship_type) == RAISING_HARDSHIP,
        warned_sql(col(Household.id)),
    )


def for_households(session: Session, household_ids: Iterable[int]) -> dict[int, int]:
    """The priority a new need of each of these households gets (one query per batch)."""
    ids = sorted(set(household_ids))
    out: dict[int, int] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        out.update(
            session.execute(
                sa_select(col(Household.id), household_sql()).where(col(Household.id).in_(chunk))
            ).all()
        )
    return out


def _need_priority() -> ColumnElement[int]:
    """SQL: the priority of the ``Need`` row being updated, from its household."""
    return (
        sa_select(household_sql())
        .where(col(Household.id) == col(Need.household_id))
        .scalar_subquery()
    )


def refresh_households(session: Session, household_ids: Iterable[int]) -> int:
    """Recompute the stored priority of the live needs of these households (one UPDATE per batch
    of households, computed in SQL by ``rule``); the number of needs whose priority changed."""
    ids = sorted(set(household_ids))
    changed = 0
    new = _need_priority()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        result = session.exec(
            update(Need)
            .where(
                col(Need.household_id).in_(chunk),
                col(Need.status).in_(LIVE_STATUSES),
                col(Need.priority) != new,
            )
            .values(priority=new)
            .execution_options(synchronize_session=False)
        )
        changed += int(result.rowcount or 0)
    return changed


def refresh_all(session: Session) -> int:
    """Recompute every live need's stored priority (after a bulk load of warnings or scores)."""
    new = _need_priority()
    result = session.exec(
        update(Need)
        .where(col(Need.status).in_(LIVE_STATUSES), col(Need.priority) != new)
        .values(priority=new)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def counts(
    session: Session, *, statuses: Iterable[str] = (NeedStatus.OPEN.value,)
) -> dict[int, int]:
    """Needs by stored priority (open needs by default)."""
    rows = session.execute(
        sa_select(col(Need.priority), func.count())
        .where(col(Need.status).in_(list(statuses)))
        .group_by(col(Need.priority))
    ).all()
    return {int(p): int(n) for p, n in sorted(rows)}


def households_by_level(session: Session) -> dict[int, int]:
    """Households by risk level."""
    level = risk.level_of(col(Household.risk_score))
    rows = session.execute(
        sa_select(level, func.count()).select_from(Household).group_by(level)
    ).all()
    return {int(lv): int(n) for lv, n in sorted(rows)}
