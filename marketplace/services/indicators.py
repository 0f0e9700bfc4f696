"""关爱指标 — the care indicators by region: visit rate (探访关爱率), pairing coverage (结对覆盖率),
幸福清单 delivery rate (幸福清单送达率) and satisfaction, for the city, each district, street and
community (issue 14 item 8). ``rebuild`` recomputes the ``CareIndicator`` snapshot whole from a
few GROUP BY queries by community, rolled up by code prefix (a region's code is the prefix of its
descendants'); the dashboard reads the snapshot.

Definitions, at the rebuild's Beijing day ``today``:

- ``households``: registered households (every household row).
- visit rate = ``visits_on_time`` / ``visits_due``. A household is *overdue* when the due date of
  its current risk level (``VisitSchedule``) is before today. ``visits_due`` counts the households
  whose visits have started to count: visited at least once, or overdue (a household registered
  recently and not yet due is left out, not counted as a failure). ``visits_on_time`` counts those
  visited at least once and not overdue: their last visit lies within their level's interval.
- pairing coverage = ``paired`` / ``households``: households with an active pairing (not ended,
  started by today).
- delivery rate = ``list_delivered`` / ``list_items``: ``happiness.delivery_rate``'s rule, all time.
- satisfaction = ``rating_sum`` / ``ratings``: ``happiness.satisfaction``, all time.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func
from sqlmodel import Session, col, select

from marketplace.bulk import insert_rows
from marketplace.models import (
    CareIndicator,
    Household,
    HouseholdStage,
    Pairing,
    Region,
    User,
    VisitSchedule,
)
from marketplace.services import clock, happiness
from marketplace.services.access import in_scope, viewer_scope
from marketplace.services.regions import region_names

FIELDS = (
    "households",
    "visits_due",
    "visits_on_time",
    "paired",
    "list_items",
    "list_delivered",
    "ratings",
    "rating_sum",
)
LEVEL_OF_LENGTH = {0: "city", 6: "district", 9: "street", 12: "community"}
CHILD_LENGTH = {0: 6, 6: 9, 9: 12}


def _prefixes(code: str) -> list[str]:
    return ["", code[:6], code[:9], code[:12]]


def rebuild(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """Recompute the snapshot whole (one transaction: readers see the old one until commit)."""
    started = time.perf_counter()
    now = now or clock.now_utc()
    today = clock.beijing_today(now)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))

    def add(code: str, field: str, n: int) -> None:
        for prefix in _prefixes(code):
            counts[prefix][field] += n

    # An exited household (退出) is no longer in care: not counted as registered nor as paired.
    in_care = col(Household.stage) != HouseholdStage.EXITED.value
    for code, n in session.exec(
        select(Household.community_code, func.count())
        .where(in_care)
        .group_by(col(Household.community_code))
    ):
        add(code, "households", int(n))

    due = col(VisitSchedule.due_on)  # the current level's (services/schedules.py)
    counted = case((col(VisitSchedule.last_visited_on).is_not(None), 1), (due < today, 1), else_=0)
    on_time = case(((col(VisitSchedule.last_visited_on).is_not(None)) & (due >= today), 1), else_=0)
    for code, n_due, n_on_time in session.exec(
        select(VisitSchedule.community_code, func.sum(counted), func.sum(on_time)).group_by(
            col(VisitSchedule.community_code)
        )
    ):
        add(code, "visits_due", int(n_due or 0))
        add(code, "visits_on_time", int(n_on_time or 0))

    for code, n in session.exec(
        select(Household.community_code, func.count(func.distinct(Pairing.household_id)))
        .join(Household, col(Household.id) == Pairing.household_id)
        .where(col(Pairing.ended_at).is_(None), col(Pairing.start) <= today, in_care)
        .group_by(col(Household.community_code))
    ):
        add(code, "paired", int(n))

    for code, share in happiness.delivery_rate(session, level="community").items():
        add(code, "list_items", share.total)
        add(code, "list_delivered", share.done)
    for code, sat in happiness.satisfaction(session, level="community").items():
        add(code, "ratings", sat.ratings)
        add(code, "rating_sum", sat.points)

    known = {
        code: level
        for code, level in session.exec(
            select(Region.code, Region.level).where(
                col(Region.level).in_(("district", "street", "community"))
            )
        )
    }
    rows = []
    for code in set(known) | {c for c in counts if c == "" or c in known}:
        values = counts.get(code) or dict.fromkeys(FIELDS, 0)
        rows.append(
            {"region_code": code, "level": LEVEL_OF_LENGTH.get(len(code), known.get(code, ""))}
            | values
            | {"taken_at": now}
        )
    session.exec(delete(CareIndicator))
    insert_rows(session, CareIndicator, rows)
    session.flush()
    return {"regions": len(rows), "seconds": round(time.perf_counter() - started, 3)}


def taken_at(session: Session) -> datetime | None:
    return session.exec(select(func.max(CareIndicator.taken_at))).one()


def rebuild_if_stale(session: Session, *, max_age_s: float, now: datetime | None = None) -> bool:
    """Housekeeping: rebuild when the snapshot is missing or older than ``max_age_s``."""
    now = now or clock.now_utc()
    last = taken_at(session)
    if last is not None:
        last = last if last.tzinfo else last.replace(tzinfo=now.tzinfo)
        if (now - last).total_seconds() < max_age_s:
            return False
    rebuild(session, now)
    return True


# Reading -------------------------------------------------------------------------------------------


def _rate(done: int, total: int) -> float | None:
    return done / total if total else None


@dataclass(frozen=True)
class IndicatorRow:
    code: str
    name: str
    level: str
    households: int
    visits_due: int
    visits_on_time: int
    paired: int
    list_items: int
    list_delivered: int
    ratings: int
    rating_sum: int

    @property
    def visit_rate(self) -> float | None:
        return _rate(self.visits_on_time, self.visits_due)

    @property
    def pairing_coverage(self) -> float | None:
        return _rate(self.paired, self.households)

    @property
    def delivery_rate(self) -> float | None:
        return _rate(self.list_delivered, self.list_items)

    @property
    def satisfaction(self) -> float | None:
        return self.rating_sum / self.ratings if self.ratings else None

    @property
    def has_children(self) -> bool:
        return len(self.code) < 12

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            **{f: getattr(self, f) for f in FIELDS},
            "visit_rate": self.visit_rate,
            "pairing_coverage": self.pairing_coverage,
            "delivery_rate": self.delivery_rate,
            "satisfaction": self.satisfaction,
        }


@dataclass(frozen=True)
class Drilldown:
    """One region's figures and its children's (district → street → community)."""

    region: IndicatorRow | None
    children: list[IndicatorRow]
    taken_at: datetime | None
    parent: str | None  # the region one level up, inside the viewer's scope (None: none)


def _row(ind: CareIndicator, names: dict[str, str]) -> IndicatorRow:
    return IndicatorRow(
        code=ind.region_code,
        name=names.get(ind.region_code, ind.region_code) if ind.region_code else "",
        level=ind.level,
        **{f: int(getattr(ind, f)) for f in FIELDS},
    )


def drilldown(session: Session, *, actor: User, region: str | None = None) -> Drilldown:
    """The figures of ``region`` (default: the viewer's scope; the administrator: the city) and
    of its children. A region outside the viewer's scope falls back to the scope."""
    scope = viewer_scope(session, actor)
    root = scope or ""
    code = (region or "").strip()
    if not code or not code.isdigit() or len(code) not in CHILD_LENGTH | {12: 0}:
        code = root
    if scope is not None and not (in_scope(scope, code) and len(code) >= len(scope)):
        code = root
    names = region_names(session)
    own = session.get(CareIndicator, code)
    children: list[IndicatorRow] = []
    if len(code) in CHILD_LENGTH:
        n = CHILD_LENGTH[len(code)]
        stmt = select(CareIndicator).where(func.length(CareIndicator.region_code) == n)
        if code:
            stmt = stmt.where(func.substr(CareIndicator.region_code, 1, len(code)) == code)
        children = [
            _row(c, names) for c in session.exec(stmt.order_by(col(CareIndicator.region_code)))
        ]
        children = [c for c in children if c.households or c.list_items or c.ratings]
    parent: str | None = None
    if code != root:
        up = {12: 9, 9: 6, 6: 0}[len(code)]
        parent = code[:up] if up >= len(root) else root
    return Drilldown(
        region=_row(own, names) if own is not None else None,
        children=children,
        taken_at=taken_at(session),
        parent=parent,
    )


def export_rows(session: Session, *, actor: User) -> list[IndicatorRow]:
    """Every region of the viewer's scope (with data), for the Excel export."""
    scope = viewer_scope(session, actor)
    names = region_names(session)
    stmt = select(CareIndicator)
    if scope:
        stmt = stmt.where(func.substr(CareIndicator.region_code, 1, len(scope)) == scope)
    return [
        r
        for r in (
            _row(c, names) for c in session.exec(stmt.order_by(col(CareIndicator.region_code)))
        )
        if r.households or r.list_items or r.ratings or r.code == (scope or "")
    ]
