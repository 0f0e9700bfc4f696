"""Risk levels and their deadlines (models.risk_level, services/risk.py): the bands at their edges,
in Python and in SQL on both databases, and the deadline of each level."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import literal, union_all
from sqlmodel import Session, select

from marketplace.models import Household, risk_level
from marketplace.services import priority, risk

DbUnit = Callable[[], AbstractContextManager[Session]]
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _numbers(name: str, numbers: list[int]) -> Any:
    """A derived table of integers (VALUES with column names is not SQLite syntax)."""
    return union_all(*(select(literal(n).label(name)) for n in numbers)).subquery()


@pytest.mark.parametrize(("score", "level"), [(0, 1), (59, 1), (60, 2), (89, 2), (90, 3), (100, 3)])
def test_bands_at_their_edges(score: int, level: int) -> None:
    assert risk_level(score) == level
    assert Household(risk_score=score).risk_level == level
    low, high = risk.score_range(level)
    assert low <= score and (high is None or score < high)


def test_score_ranges_cover_the_scale_without_gaps() -> None:
    assert [risk.score_range(n) for n in risk.LEVELS] == [(0, 60), (60, 90), (90, None)]
    with pytest.raises(ValueError):
        risk.score_range(4)


def test_sql_level_and_band_agree_with_python(db: DbUnit) -> None:
    scores = _numbers("score", list(range(101)))
    with db() as s:
        levels = dict(s.exec(select(scores.c.score, risk.level_of(scores.c.score))).all())
        bands = {
            n: set(s.exec(select(scores.c.score).where(risk.in_level(scores.c.score, n))).all())
            for n in risk.LEVELS
        }
    assert levels == {score: risk_level(score) for score in range(101)}
    assert bands[1] == set(range(0, 60))
    assert bands[2] == set(range(60, 90))
    assert bands[3] == set(range(90, 101))


@pytest.mark.parametrize(("level", "days"), [(1, 3), (2, 7), (3, 7)])
def test_deadline_per_level(db: DbUnit, level: int, days: int) -> None:
    assert risk.sla_days(level) == days
    assert risk.deadline(START, level) == START + timedelta(days=days)
    levels = _numbers("level", [level])
    with db() as s:
        seconds = s.exec(select(risk.sla_seconds(levels.c.level))).one()
    assert seconds == days * 86400


def test_waiting_past_the_deadline_does_not_raise_priority() -> None:
    """DESIGN §5: waiting only breaks ties; a need's priority is its household's level (raised
    for 急难型 and open important warnings only)."""
    for score, level in ((40, 1), (75, 2), (95, 3)):
        assert priority.of(score, "care") == level
