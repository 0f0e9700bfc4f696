"""City seed of 探访关爱 and 结对帮扶 (issue 14 item 10): a year of visits for most households by
their risk level, pairings with members for about 40% of them, and every household's visit
schedule built from its last visit. Numpy-generated, bulk-loaded (COPY on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from marketplace.bulk import bulk_insert
from marketplace.models import risk_level
from marketplace.services.clock import beijing_today
from marketplace.services.schedules import VisitIntervals, relevel

VISITED_SHARE = 0.85  # households with visits in the last year
PAIRED_SHARE = 0.40


def seed_care(engine: Engine, *, seed: int = 2026) -> dict[str, int]:
    rng = np.random.default_rng(seed + 14)
    now = datetime.now(UTC)
    today = beijing_today(now)
    intervals = VisitIntervals().as_list()
    with Session(engine) as session:
        conn = session.connection()
        rows = conn.execute(
            text("SELECT id, community_code, risk_score FROM household ORDER BY id")
        ).all()
        if not rows:
            return {"visits": 0, "pairings": 0}
        staff = conn.execute(
            text("SELECT id FROM \"user\" WHERE role IN ('hub_staff', 'admin') ORDER BY id LIMIT 1")
        ).scalar()
        members = [
            int(i)
            for (i,) in conn.execute(
                text("SELECT id FROM \"user\" WHERE role = 'member' AND active ORDER BY id")
            )
        ]
        if staff is None:
            return {"visits": 0, "pairings": 0}
        n = len(rows)
        visited = rng.random(n) < VISITED_SHARE
        paired = (rng.random(n) < PAIRED_SHARE) & bool(members)
        helper = rng.integers(0, max(1, len(members)), n)
        first_pairing = int(
            conn.execute(text("SELECT coalesce(max(id), 0) + 1 FROM pairing")).scalar() or 1
        )
        pairing_of: dict[int, int] = {}
        pairing_rows: list[tuple[object, ...]] = []
        for i, (hid, _code, _score) in enumerate(rows):
            if paired[i]:
                pid = first_pairing + len(pairing_rows)
                pairing_of[i] = pid
                start = today - timedelta(days=int(rng.integers(30, 330)))
                pairing_rows.append(
                    (
                        pid,
                        hid,
                        members[int(helper[i])],
                        start,
                        start + timedelta(days=730),
                        staff,
                        now,
                        "",
                    )
                )
        bulk_insert(
            session,
            "pairing",
            (
                "id",
                "household_id",
                "member_id",
                "start",
                "end",
                "created_by",
                "created_at",
                "reason",
            ),
            pairing_rows,
        )
        visit_rows: list[tuple[object, ...]] = []
        schedules: list[tuple[object, ...]] = []
        lateness = rng.integers(-3, 12, size=n)  # some visits come late: overdue households
        for i, (hid, code, score) in enumerate(rows):
            level = risk_level(int(score))
            interval = intervals[level - 1]
            last: date | None = None
            if visited[i]:
                day = today - timedelta(days=365)
                step = max(7, interval + int(lateness[i]))
                day += timedelta(days=int(rng.integers(0, step)))
                while day <= today:
                    by_pairing = i in pairing_of and rng.random() < 0.5
                    visit_rows.append(
                        (
                            hid,
                            day,
                            "home" if rng.random() < 0.7 else "phone",
                            "",
                            "",
                            "",
                            staff,
                            pairing_of.get(i) if by_pairing else None,
                            now,
                        )
                    )
                    last = day
                    day += timedelta(days=step)
            base = last or (today - timedelta(days=int(rng.integers(0, 400))))
            schedules.append((hid, code, last, *(base + timedelta(days=d) for d in intervals)))
        n_visits = bulk_insert(
            session,
            "visit",
            ("household_id", "visited_on", "mode", "note", "public_note", "findings", "visitor_id", "pairing_id", "created_at"),
            visit_rows,
        )  # fmt: skip
        conn.execute(text("DELETE FROM visitschedule"))
        bulk_insert(
            session,
            "visitschedule",
            ("household_id", "community_code", "last_visited_on", "due_1", "due_2", "due_3"),
            schedules,
        )
        relevel(session)  # each schedule's date at its household's level
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT setval('pairing_id_seq', (SELECT coalesce(max(id), 1) FROM pairing))")
            )
        session.commit()
    return {"visits": n_visits, "pairings": len(pairing_rows)}
