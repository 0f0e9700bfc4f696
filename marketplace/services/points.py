"""爱心积分 — points per confirmed service record, by the rules in a data file (DESIGN §11).

The rules (``marketplace/data/points.json``): a base, an extra by item, points per confirmed hour
(at most ``max_hours`` counted) and a bonus when the household was at risk level 1 when the record
was confirmed. Each movement keeps the rules' version and the lines that made it up, so a member's
history explains every number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.models import Contribution, PointEntry

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "points.json"


@dataclass(frozen=True)
class PointRules:
    version: str
    base: int
    per_hour: int
    max_hours: int
    level1_bonus: int
    items: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PointRules:
        def whole(name: str) -> int:
            value = data.get(name, 0)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"points rules: {name} must be a whole number >= 0")
            return value

        items = data.get("items", {})
        if not isinstance(items, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in items.values()
        ):
            raise ValueError("points rules: items must map item codes to whole numbers >= 0")
        return cls(
            version=str(data.get("version", "")),
            base=whole("base"),
            per_hour=whole("per_hour"),
            max_hours=whole("max_hours"),
            level1_bonus=whole("level1_bonus"),
            items={str(k): int(v) for k, v in items.items()},
        )


@lru_cache(maxsize=4)
def load_rules(path: str | None = None) -> PointRules:
    """The rules from ``path`` (default: the shipped data file)."""
    return PointRules.from_json(json.loads(Path(path or RULES_FILE).read_text("utf-8")))


def points_for(
    rules: PointRules, *, item_code: str, hours: Decimal, level1: bool
) -> tuple[int, list[dict[str, Any]]]:
    """Points of one record and the lines (rule, points) that make them up."""
    lines: list[dict[str, Any]] = [{"rule": "base", "points": rules.base}]
    extra = rules.items.get(item_code, 0)
    if extra:
        lines.append({"rule": "item", "item": item_code, "points": extra})
    counted = min(Decimal(hours), Decimal(rules.max_hours))
    by_hours = int((counted * rules.per_hour).to_integral_value(rounding=ROUND_DOWN))
    if by_hours:
        lines.append({"rule": "hours", "hours": str(counted), "points": by_hours})
    if level1 and rules.level1_bonus:
        lines.append({"rule": "level1", "points": rules.level1_bonus})
    return sum(int(line["points"]) for line in lines), lines


def award(
    session: Session, record: Contribution, *, level1: bool, rules: PointRules | None = None
) -> PointEntry:
    """The points of a newly confirmed record, for its member or organisation."""
    rules = rules or load_rules()
    total, lines = points_for(rules, item_code=record.item_code, hours=record.hours, level1=level1)
    record.points = total
    entry = PointEntry(
        member_id=record.member_id,
        org_id=None if record.member_id is not None else record.org_id,
        contribution_id=record.id,
        points=total,
        reason="record",
        rules_version=rules.version,
        detail=lines,
    )
    session.add(entry)
    session.flush()
    return entry


def balance(session: Session, *, member_id: int) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(PointEntry.points), 0)).where(
            PointEntry.member_id == member_id
        )
    ).one()
    return int(total)


def history(
    session: Session, *, member_id: int, limit: int = 100
) -> list[tuple[PointEntry, Contribution | None]]:
    """The member's movements, newest first, each with its record."""
    rows = session.exec(
        select(PointEntry, Contribution)
        .join(Contribution, col(Contribution.id) == col(PointEntry.contribution_id), isouter=True)
        .where(PointEntry.member_id == member_id)
        .order_by(col(PointEntry.id).desc())
        .limit(limit)
    ).all()
    return [(p, c) for p, c in rows]
