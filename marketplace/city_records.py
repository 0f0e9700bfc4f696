"""The synthetic city's Party branches, projects and a year of service records (issue 16 item 9).

Run by ``seed_city`` after its members, organisations, offers and needs: the city's Party
organisations get branches of 10 to 60 members that cover every city member (``m…`` accounts);
every organisation gets one project (自有资金) holding its offers; each member gets on average three
confirmed service records (志愿服务记录) spread over the last 12 months, on the city's needs (their
item, community and household), with hours, points and the member's branch. At full scale: about
3,300 branches, 300 projects and 300,000 records. Rows go in with ``bulk_insert`` (COPY on
PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, bindparam, text
from sqlmodel import Session

from marketplace.bulk import bulk_insert
from marketplace.services.contributions import record_no
from marketplace.services.points import load_rules

RECORDS_PER_MEMBER = 3
BRANCH_SIZES = (10, 60)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def _max_id(session: Session, table: str) -> int:
    return int(session.execute(text(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')).scalar_one())


def seed_branches_and_records(engine: Engine, *, seed: int = 2026) -> dict[str, int]:
    rng = np.random.default_rng(seed + 16)
    now = datetime.now(UTC)
    rules = load_rules()
    with Session(engine) as session:
        conn = session.connection()
        members = [
            int(i)
            for (i,) in conn.execute(
                text(
                    "SELECT id FROM \"user\" WHERE role = 'member' AND username LIKE 'm%' "
                    "AND branch_id IS NULL ORDER BY id"
                )
            )
        ]
        party_orgs = [
            (int(i), str(n))
            for i, n in conn.execute(
                text("SELECT id, name FROM organisation WHERE type = 'party_org' ORDER BY id")
            )
        ]
        orgs = [
            (int(i), str(n)) for i, n in conn.execute(text("SELECT id, name FROM organisation"))
        ]
        needs = conn.execute(
            text(
                "SELECT id, household_id, item_code, community_code, title, published_at "
                "FROM need WHERE published_at IS NOT NULL ORDER BY id"
            )
        ).all()
        if not members or not needs:
            return {"branches": 0, "projects": 0, "records": 0}

        # Branches: consecutive members, 10-60 to a branch, the branches dealt to Party orgs.
        first_branch = _max_id(session, "branch") + 1
        spans: list[tuple[int, int, int]] = []  # (branch id, first index, end index)
        at = 0
        while party_orgs and at < len(members):
            size = int(rng.integers(BRANCH_SIZES[0], BRANCH_SIZES[1] + 1))
            spans.append((first_branch + len(spans), at, min(at + size, len(members))))
            at += size
        branch_org = rng.integers(0, max(1, len(party_orgs)), size=len(spans))
        bulk_insert(
            session,
            "branch",
            ("id", "org_id", "name", "created_at"),
            (
                (bid, party_orgs[int(branch_org[k])][0], f"第{k + 1}党支部", now)
                for k, (bid, _a, _b) in enumerate(spans)
            ),
        )
        branch_org_name = {
            bid: party_orgs[int(branch_org[k])][1][:120] for k, (bid, _a, _b) in enumerate(spans)
        }
        member_branch = np.zeros(len(members), dtype=np.int64)  # 0: no branch
        for bid, a, b in spans:
            member_branch[a:b] = bid
        if spans:
            conn.execute(
                text('UPDATE "user" SET branch_id = :b WHERE id >= :lo AND id <= :hi'),
                [{"b": bid, "lo": members[a], "hi": members[b - 1]} for bid, a, b in spans],
            )

        # Projects: one per organisation without one, holding its offers.
        first_project = _max_id(session, "project") + 1
        have = {int(o) for (o,) in conn.execute(text("SELECT DISTINCT org_id FROM project"))}
        todo = [(i, n) for i, n in orgs if i not in have]
        start = (now - timedelta(days=365)).date()
        n_projects = bulk_insert(
            session,
            "project",
            (
                "id", "org_id", "title", "funding", "budget_yuan", "start", "end",
                "target_households", "items", "status", "created_at",
            ),
            (
                (
                    first_project + k, i, f"{n}帮扶项目"[:100], "own",
                    int(rng.integers(1, 50)) * 10_000, start, start + timedelta(days=730),
                    int(rng.integers(20, 500)), "[]", "active", now,
                )
                for k, (i, n) in enumerate(todo)
            ),
        )  # fmt: skip
        conn.execute(
            text(
                "UPDATE offer SET project_id = (SELECT MIN(p.id) FROM project p "
                "WHERE p.org_id = offer.org_id) WHERE project_id IS NULL"
            )
        )

        # Records: about three per member over the last year, on random published needs.
        n_records = len(members) * RECORDS_PER_MEMBER
        who = rng.integers(0, len(members), size=n_records)
        which = rng.integers(0, len(needs), size=n_records)
        ago = rng.integers(0, 365 * 24 * 60, size=n_records)  # minutes before now
        tenths = rng.integers(5, 41, size=n_records)  # 0.5 to 4.0 hours
        first_record = _max_id(session, "contribution") + 1
        year = now.year

        def rows() -> Any:
            for k in range(n_records):
                rid = first_record + k
                m = int(who[k])
                need = needs[int(which[k])]
                hours = int(tenths[k]) / 10
                ended = now - timedelta(minutes=int(ago[k]))
                published = need[5]
                if isinstance(published, str):  # SQLite hands back text
                    published = datetime.fromisoformat(published)
                if published is not None:
                    if published.tzinfo is None:
                        published = published.replace(tzinfo=UTC)
                    ended = max(ended, published + timedelta(hours=1))
                    ended = min(ended, now)
                points = (
                    rules.base
                    + rules.items.get(need[2], 0)
                    + rules.per_hour * min(int(hours), rules.max_hours)
                )
                yield (
                    rid, record_no(year, rid), need[0], members[m], int(member_branch[m]) or None,
                    f"志愿者{members[m]}", branch_org_name.get(int(member_branch[m]), ""), need[2], str(need[4])[:100], need[3],
                    SURNAMES[need[1] % len(SURNAMES)] + "*",
                    ended - timedelta(minutes=hours * 60), ended, hours, hours, "城市助联体",
                    ended, points,
                )  # fmt: skip

        n_records = bulk_insert(
            session,
            "contribution",
            (
                "id", "record_no", "need_id", "member_id", "branch_id", "volunteer_name", "organisation_name",
                "item_code", "content", "community_code", "household_label", "started_at",
                "ended_at", "hours_declared", "hours", "recording_unit", "confirmed_at", "points",
            ),
            rows(),
        )  # fmt: skip
        if conn.dialect.name == "postgresql":
            for table in ("branch", "project", "contribution"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                        f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
                    )
                )
        session.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return {"branches": len(spans), "projects": n_projects, "records": n_records}


def give_records_to(session: Session, user_id: int, *, donors: int = 40) -> int:
    """For the bench: the records of ``donors`` city members become ``user_id``'s (a busy
    volunteer, ~120 records a year), once. Returns how many records they have."""
    conn = session.connection()
    have = int(
        conn.execute(
            text("SELECT COUNT(*) FROM contribution WHERE member_id = :u"), {"u": user_id}
        ).scalar_one()
    )
    if have:
        return have
    ids = [
        int(i)
        for (i,) in conn.execute(
            text(
                "SELECT DISTINCT member_id FROM contribution WHERE member_id IS NOT NULL "
                "ORDER BY member_id LIMIT :n"
            ),
            {"n": donors},
        )
    ]
    if not ids:
        return 0
    moved = conn.execute(
        text("UPDATE contribution SET member_id = :u WHERE member_id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"u": user_id, "ids": ids},
    ).rowcount
    return int(moved or 0)


def largest_branch(session: Session) -> int | None:
    """The branch with the most records (the report the scale target names)."""
    row = (
        session.connection()
        .execute(
            text(
                "SELECT branch_id FROM contribution WHERE branch_id IS NOT NULL "
                "GROUP BY branch_id ORDER BY COUNT(*) DESC LIMIT 1"
            )
        )
        .first()
    )
    return int(row[0]) if row else None
