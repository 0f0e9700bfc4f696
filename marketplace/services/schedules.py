"""探访计划 — when each household falls due for a visit (DESIGN §10).

A household falls due by its risk level: level 1 monthly, level 2 quarterly, level 3 every six
months (``VisitIntervals``; settings ``VISIT_DAYS_L1/L2/L3``). ``VisitSchedule`` keeps, per
household, the due date for each level (the last visit, or registration, plus the level's
interval) and ``due_on``, the date of its current level: the list of visits due reads that one
column through the index (community, due date), with no join. ``due_on`` follows the level:
``relevel`` runs wherever a score changes (``resilience``), a schedule is made or moved.

A module of its own, below the services that use it (households at registration, visits after a
visit, resilience after a rescoring), so that none of them imports another's use cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, delete, func, update
from sqlmodel import Session, col, select

from marketplace.models import Household, Setting, VisitSchedule, risk_level
from marketplace.services import clock
from marketplace.services.risk import level_of

# The Setting that remembers the intervals schedules were built with.
INTERVALS_KEY = "visit.intervals"
RELEVEL_CHUNK = 5000  # ids per UPDATE (SQLite's bound parameters)


@dataclass(frozen=True)
class VisitIntervals:
    """Days between visits by risk level (1 the weakest)."""

    level1: int = 30
    level2: int = 91
    level3: int = 182

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> VisitIntervals:
        """From the app's settings (VISIT_DAYS_L1/L2/L3)."""
        d = cls()
        return cls(
            int(config.get("VISIT_DAYS_L1", d.level1)),
            int(config.get("VISIT_DAYS_L2", d.level2)),
            int(config.get("VISIT_DAYS_L3", d.level3)),
        )

    def as_list(self) -> list[int]:
        return [self.level1, self.level2, self.level3]

    def dues(self, base: date) -> dict[str, date]:
        return {f"due_{n}": base + timedelta(days=days) for n, days in enumerate(self.as_list(), 1)}


def due_of_level(level: Any) -> Any:
    """SQL: the schedule's due date for a risk level (an SQL expression or a number)."""
    return case(
        (level == 1, col(VisitSchedule.due_1)),
        (level == 2, col(VisitSchedule.due_2)),
        else_=col(VisitSchedule.due_3),
    )


def relevel(session: Session, household_ids: Sequence[int] | None = None) -> int:
    """Set ``due_on`` to the due date of each household's current risk level (all schedules when
    ``household_ids`` is None). One UPDATE per chunk; returns the rows written."""
    level = (
        select(level_of(col(Household.risk_score)))
        .where(col(Household.id) == VisitSchedule.household_id)
        .scalar_subquery()
    )
    stmt = update(VisitSchedule).values(due_on=due_of_level(level))
    if household_ids is None:
        return int(session.exec(stmt).rowcount or 0)
    ids = sorted({int(i) for i in household_ids})
    written = 0
    for start in range(0, len(ids), RELEVEL_CHUNK):
        chunk = ids[start : start + RELEVEL_CHUNK]
        result = session.exec(stmt.where(col(VisitSchedule.household_id).in_(chunk)))
        written += int(result.rowcount or 0)
    return written


def schedule_new(
    session: Session,
    rows: Sequence[tuple[int, str]],
    *,
    start: date | None = None,
    intervals: VisitIntervals | None = None,
) -> None:
    """The schedules of newly registered households ``(id, community_code)``: due one interval
    after registration (``start``, default today in Beijing), by the intervals in force."""
    if not rows:
        return
    from marketplace.bulk import insert_rows

    dues = (intervals or in_force(session)).dues(start or clock.beijing_today())
    insert_rows(
        session,
        VisitSchedule,
        [
            {"household_id": hid, "community_code": code, "last_visited_on": None} | dues
            for hid, code in rows
        ],
    )
    relevel(session, [hid for hid, _ in rows])


def in_force(session: Session) -> VisitIntervals:
    """The intervals the schedules were last built with (housekeeping's ``reschedule`` stores
    them from the settings); the defaults before it first ran."""
    stored = session.get(Setting, INTERVALS_KEY)
    if stored is None or not isinstance(stored.value, list) or len(stored.value) != 3:
        return VisitIntervals()
    return VisitIntervals(*(int(days) for days in stored.value))


def stop(session: Session, household_id: int) -> None:
    """An exited household (退出) no longer falls due: its schedule goes (``resume`` on re-entry)."""
    session.exec(delete(VisitSchedule).where(col(VisitSchedule.household_id) == household_id))


def resume(session: Session, household: Household) -> None:
    """A household back in care is due one interval after re-entry, unless it still has a
    schedule (a move between stages in care)."""
    if session.get(VisitSchedule, household.id) is None:
        schedule_new(session, [(household.id or 0, household.community_code)])


def after_visit(
    session: Session, household: Household, visited_on: date, intervals: VisitIntervals
) -> VisitSchedule:
    """Move a household's schedule on from a visit (a visit recorded late does not move the
    dates back)."""
    schedule = session.get(VisitSchedule, household.id, with_for_update=True)
    if schedule is None:
        schedule = VisitSchedule(
            household_id=household.id or 0,
            community_code=household.community_code,
            **intervals.dues(visited_on),
        )
    last = schedule.last_visited_on
    if last is None or visited_on >= last:
        schedule.last_visited_on = visited_on
        for name, day in intervals.dues(visited_on).items():
            setattr(schedule, name, day)
    schedule.due_on = getattr(schedule, f"due_{risk_level(household.risk_score)}")
    session.add(schedule)
    return schedule


def reschedule(session: Session, intervals: VisitIntervals) -> int:
    """Move every schedule to new intervals when the settings changed since they were built
    (the Setting ``visit.intervals`` remembers them). Each row's base (last visit or
    registration) is its level-1 due date less the old level-1 interval. Returns the rows moved."""
    stored = session.get(Setting, INTERVALS_KEY)
    new = intervals.as_list()
    old = stored.value if stored is not None else VisitIntervals().as_list()
    if stored is not None and old == new:
        return 0
    moved = 0
    if old != new:
        shifts = {f"due_{n}": new[n - 1] - old[0] for n in (1, 2, 3)}
        values = {
            name: _plus_days(session, col(VisitSchedule.due_1), k) for name, k in shifts.items()
        }
        moved = session.exec(update(VisitSchedule).values(**values)).rowcount
        relevel(session)
    if stored is None:
        stored = Setting(key=INTERVALS_KEY)
    stored.value = new
    stored.updated_at = clock.now_utc()
    session.add(stored)
    session.flush()
    return int(moved or 0)


def _plus_days(session: Session, column: Any, days: int) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return column + days
    return func.date(column, f"{days:+d} days")
