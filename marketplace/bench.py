"""``zhongfu bench``: server-side timings on the loaded database (e.g. after ``seed --city``).

``bench web`` times the pages and API calls users wait on (p50/p95/max server time through the WSGI
app, no network) and counts the SQL statements of each; ``bench round`` runs a city-wide match
round from query to stored proposals and prints the split.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import event, func
from sqlmodel import Session, select

from marketplace import city_records
from marketplace.db import get_engine, session_scope
from marketplace.jobs import rounds as round_job
from marketplace.models import Branch, Household, MatchRound, Need, Role, User
from marketplace.services import priority, project_reports, resilience, tally
from marketplace.services.regions import in_subtree

BENCH_PASSWORD = "bench-password-2026"


@contextmanager
def count_statements(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements the app's engine runs inside the block (for N+1 checks)."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


@dataclass
class Timing:
    name: str
    samples: list[float]
    statements: int
    status: int

    def row(self) -> str:
        s = sorted(self.samples)
        p95 = s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]
        return f"{self.name:<44} {statistics.median(s) * 1000:8.1f} {p95 * 1000:8.1f} {s[-1] * 1000:8.1f} {self.statements:6d} {self.status:6d}"


def _ensure_user(session: Session, username: str, role: str, hub_code: str | None = None) -> User:
    from marketplace.services.accounts import create_user

    user = session.exec(select(User).where(User.username == username)).first()
    return user or create_user(
        session,
        actor=None,
        username=username,
        password=BENCH_PASSWORD,
        role=role,
        hub_code=hub_code,
    )


def bench_web(app: Flask, *, repeat: int = 40, district: str = "330102") -> list[Timing]:
    # A fresh app object: test-client requests then get their own app context (and database
    # session) each, as under a real server, instead of sharing the CLI command's.
    from marketplace import create_app

    app = create_app()
    with session_scope(get_engine(app)) as session:
        _ensure_user(session, "bench_member", Role.MEMBER)
        _ensure_user(session, "bench_staff", Role.HUB_STAFF, district)
        _ensure_user(session, "bench_admin", Role.ADMIN)
        household = session.exec(
            select(Household).where(in_subtree(Household.community_code, district)).limit(1)
        ).first()
        if household is None:
            raise RuntimeError(f"No household in {district}: load data first (zhongfu seed --city)")
        hh_id, hh_name, hh_tail, hh_initials = (
            household.id,
            household.name,
            household.id_number[-4:],
            household.name_initials,
        )
        item = (
            session.exec(select(Need.item_code).where(Need.status == "open").limit(1)).first()
            or "07-02"
        )
        # 谁来帮: a busy volunteer's records and the largest Party branch (issue 16 item 9).
        bench_user = session.exec(select(User).where(User.username == "bench_member")).one()
        n_records = city_records.give_records_to(session, bench_user.id or 0)
        branch_id = city_records.largest_branch(session)
        n_open = session.exec(
            select(func.count()).select_from(Need).where(Need.status == "open")
        ).one()
    street = household.community_code[:9]
    year_ago = project_reports.default_period()[0].isoformat()
    lat, lon = 30.27, 120.16
    api = app.test_client()
    tok = {}
    for name in ("bench_member", "bench_staff"):
        r = api.post("/api/v1/tokens", json={"username": name, "password": BENCH_PASSWORD})
        tok[name] = {"Authorization": "Bearer " + r.get_json()["token"]}
    web_member, web_staff, web_admin = app.test_client(), app.test_client(), app.test_client()
    for client, name in (
        (web_member, "bench_member"),
        (web_staff, "bench_staff"),
        (web_admin, "bench_admin"),
    ):
        token = re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"',
            client.get("/auth/login").get_data(as_text=True),
        )
        r = client.post(
            "/auth/login",
            data={
                "username": name,
                "password": BENCH_PASSWORD,
                "csrf_token": token.group(1) if token else "",
            },
        )
        if r.status_code != 302:
            raise RuntimeError(f"bench login of {name} failed with HTTP {r.status_code}")
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("API browse open wishes", lambda: api.get("/api/v1/wishes", headers=tok["bench_member"])),
        (
            "API browse by item",
            lambda: api.get(f"/api/v1/wishes?item={item}", headers=tok["bench_member"]),
        ),
        (
            "API browse by district",
            lambda: api.get(f"/api/v1/wishes?region={district}", headers=tok["bench_member"]),
        ),
        (
            "API browse by street",
            lambda: api.get(f"/api/v1/wishes?region={street}", headers=tok["bench_member"]),
        ),
        (
            "API browse near me (5 km)",
            lambda: api.get(
                f"/api/v1/wishes?lat={lat}&lon={lon}&radius_km=5", headers=tok["bench_member"]
            ),
        ),
        (
            "API household search: name",
            lambda: api.get(f"/api/v1/households?q={hh_name}", headers=tok["bench_staff"]),
        ),
        (
            "API household search: ID tail",
            lambda: api.get(f"/api/v1/households?q={hh_tail}", headers=tok["bench_staff"]),
        ),
        (
            "API household search: pinyin initials",
            lambda: api.get(f"/api/v1/households?q={hh_initials}", headers=tok["bench_staff"]),
        ),
        (
            "API household page",
            lambda: api.get(f"/api/v1/households/{hh_id}", headers=tok["bench_staff"]),
        ),
        (
            "API offer suggestions (帮扶建议)",
            lambda: api.get(
                f"/api/v1/offers/suggest?household_id={hh_id}&item={item}",
                headers=tok["bench_staff"],
            ),
        ),
        ("page: member wish pool", lambda: web_member.get("/member/")),
        ("page: member wish pool near me", lambda: web_member.get(f"/member/?lat={lat}&lon={lon}")),
        (
            "page: staff household search (name)",
            lambda: web_staff.get(f"/hub/households?q={hh_name}"),
        ),
        (
            "page: staff household search (ID tail)",
            lambda: web_staff.get(f"/hub/households?q={hh_tail}"),
        ),
        ("page: staff household detail", lambda: web_staff.get(f"/hub/households/{hh_id}")),
        ("page: hub home (status counts)", lambda: web_staff.get("/hub/")),
        ("dashboard data: district hub", lambda: web_staff.get("/staff/dashboard.json")),
        ("dashboard data: whole city (admin)", lambda: web_admin.get("/staff/dashboard.json")),
        (f"page: member records ({n_records} records)", lambda: web_member.get("/member/records")),
        (
            "API certificate PDF (12 months)",
            lambda: api.get(
                f"/api/v1/me/certificate.pdf?from={year_ago}", headers=tok["bench_member"]
            ),
        ),
    ]
    results = []
    for name, call in cases:
        call()  # warm-up
        samples = []
        statements = status = 0
        for _ in range(repeat):
            with count_statements(app) as seen:
                t0 = time.perf_counter()
                response = call()
                samples.append(time.perf_counter() - t0)
            statements, status = len(seen), response.status_code
        results.append(Timing(name, samples, statements, status))
    # Not a request: the job that keeps the dashboards' counts of needs fresh (once a minute).
    samples = []
    for _ in range(max(3, repeat // 8)):
        with session_scope(get_engine(app)) as session:
            t0 = time.perf_counter()
            tally.refresh(session)
            samples.append(time.perf_counter() - t0)
    results.append(Timing("job: rebuild the counts snapshot (1/min)", samples, 3, 0))
    if branch_id is not None:  # the 12-month report of the largest branch (target: 2 s)
        samples = []
        for _ in range(max(3, repeat // 8)):
            with session_scope(get_engine(app)) as session:
                t0 = time.perf_counter()
                branch = session.get(Branch, branch_id)
                d_from, d_to = project_reports.default_period()
                report = project_reports.branch_report(session, branch, d_from, d_to)  # type: ignore[arg-type]
                project_reports.report_workbook(report)
                samples.append(time.perf_counter() - t0)
        results.append(
            Timing(f"largest branch report + Excel ({report.records} rec)", samples, 0, 0)
        )
    print(f"{n_open} open needs in the database; {repeat} requests per row")
    print(f"{'request':<44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'SQL':>6} {'HTTP':>6}")
    for t in results:
        print(t.row())
    return results


def bench_round(app: Flask) -> dict[str, Any]:
    """A city-wide round from query to stored proposals, timed phase by phase."""
    with session_scope(get_engine(app)) as session:
        admin = _ensure_user(session, "bench_admin", Role.ADMIN)
        match_round = MatchRound(scope_code=None, started_by=admin.id or 0)
        session.add(match_round)
        session.flush()
        round_id = match_round.id or 0
    t0 = time.perf_counter()
    round_job.run(app, round_id)
    total = time.perf_counter() - t0
    with session_scope(get_engine(app)) as session:
        done = session.get(MatchRound, round_id)
        assert done is not None
        stats = dict(done.stats)
        status, message = done.status, done.message
    timings = stats.get("timings", {})
    write = total - stats.get("load_seconds", 0) - stats.get("solve_seconds", 0)
    print(f"round {round_id}: {status} {message}")
    print(
        f"open needs in round {stats.get('needs')}, live offers {stats.get('offers')}, candidate arcs {stats.get('candidate_arcs')}"
    )
    print(
        f"served by priority {stats.get('served_by_priority')}, proposals {stats.get('proposals')}, unmatched {stats.get('unmatched')}"
    )
    # DESIGN §5: priority-1 needs should be about as common as level-1 households (issue 13).
    with session_scope(get_engine(app)) as session:
        needs_by_priority = priority.counts(session)
        households_by_level = priority.households_by_level(session)
    print(f"needs by priority {needs_by_priority}")
    print(f"households by risk level {households_by_level}")
    print(
        f"load {stats.get('load_seconds', 0):.2f} s | candidates {timings.get('candidates', 0):.2f} s | "
        f"model {timings.get('build', 0):.2f} s | solve {timings.get('solve', 0):.2f} s | result {timings.get('result', 0):.2f} s | "
        f"write {write:.2f} s | total {total:.2f} s"
    )
    return {"status": status, "total_seconds": total, **stats}


def bench_rescore(app: Flask, *, keep: bool = False) -> dict[str, Any]:
    """Rescore every household under the model in force (抗风险能力赋分), in bulk, as the job
    does after a new model version; rolled back unless ``keep`` (the history grows otherwise)."""
    engine = get_engine(app)
    with Session(engine) as session:
        report = resilience.rescore_all(session, reason="bench")
        if keep:
            session.commit()
        else:
            session.rollback()
    r = report.as_dict()
    rate = r["households"] / report.seconds if report.seconds else 0
    print(
        f"rescored {r['households']:,} households under {r['model_version']} in"
        f" {report.seconds:.2f} s ({rate:,.0f}/s); changed score {r['changed_score']:,},"
        f" changed level {r['changed_level']:,}{' (kept)' if keep else ' (rolled back)'}"
    )
    print(f"households by risk level {r['by_level']}")
    return r
