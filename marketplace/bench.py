"""``zhongfu bench``: server-side timings on the loaded database (e.g. after ``seed --city``).

``bench web`` times the pages and API calls users wait on (p50/p95/max server time through the WSGI
app, no network) and counts the SQL statements of each; ``bench round`` runs a city-wide match
round from query to stored proposals and prints the split; ``bench rescore`` rescores every
household; ``bench events`` pushes monitoring events through the API as a department's system.
"""

from __future__ import annotations

import io
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from flask import Flask
from sqlalchemy import event, func
from sqlmodel import Session, select

from marketplace import city_records
from marketplace.bulk import insert_rows
from marketplace.db import get_engine, session_scope
from marketplace.jobs import rounds as round_job
from marketplace.models import (
    AuditLog,
    Branch,
    Household,
    Lead,
    MatchRound,
    MonitoringEvent,
    Need,
    RiskWarning,
    Role,
    User,
    utcnow,
)
from marketplace.services import priority, project_reports, resilience, tally
from marketplace.services.clock import beijing_today
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


def give_history(session: Session, household_id: int, *, years: int = 5) -> int:
    """一户一档: five years of a busy household's audit trail (edits, profile changes, stage moves,
    its needs' steps, and the staff views that the history leaves out), written once; how many
    entries it has."""
    count = session.exec(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.object_type == "household", AuditLog.object_id == str(household_id))
    ).one()
    if count >= 1000:
        return int(count)
    rng = random.Random(household_id)
    now = utcnow()
    need_ids = list(session.exec(select(Need.id).where(Need.household_id == household_id)))
    rows: list[dict[str, Any]] = []

    def add(action: str, object_type: str, object_id: int, before: Any, after: Any) -> None:
        at = now - timedelta(days=rng.uniform(0, 365 * years))
        rows.append(
            {
                "at": at,
                "actor_id": None,
                "actor": "bench_staff",
                "action": action,
                "object_type": object_type,
                "object_id": str(object_id),
                "before": before,
                "after": after,
            }
        )

    for _ in range(200 * years):  # staff open the case file most working days
        add("household.view", "household", household_id, None, None)
    for _ in range(12 * years):  # corrections
        add(
            "household.edit",
            "household",
            household_id,
            {"phone": "138****5678"},
            {"phone": "139****5678"},
        )
    for _ in range(4 * years):
        add(
            "household.profile",
            "household",
            household_id,
            None,
            {"changes": {"debt": ["none", "some"]}},
        )
    for _ in range(years):
        add(
            "household.stage",
            "household",
            household_id,
            {"stage": "registered"},
            {"stage": "registered", "reason": "复核"},
        )
    for need_id in need_ids[:40]:
        for action in ("need.create", "need.publish", "claim.create", "need.confirm"):
            add(action, "need", need_id or 0, {"status": "open"}, {"status": "claimed"})
    insert_rows(session, AuditLog, rows)
    return int(count) + len(rows)


def bench_web(
    app: Flask, *, repeat: int = 40, district: str = "330102", only: str = ""
) -> list[Timing]:
    """The rows' p50/p95 server time (``only``: the rows whose name contains it)."""
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
        # 预警: the street of the district with the most open warnings, and its staff's queue.
        street_of = func.substr(RiskWarning.community_code, 1, 9)
        busiest = session.exec(
            select(street_of, func.count())
            .where(RiskWarning.status == "open", in_subtree(RiskWarning.community_code, district))
            .group_by(street_of)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
        warning_street = busiest[0] if busiest else household.community_code[:9]
        _ensure_user(session, "bench_street", Role.HUB_STAFF, warning_street)
        n_warnings = session.exec(
            select(func.count()).select_from(RiskWarning).where(RiskWarning.status == "open")
        ).one()
        n_history = give_history(session, household.id or 0)  # 一户一档: 5 years of history
    street = household.community_code[:9]
    year_ago = project_reports.default_period()[0].isoformat()
    lat, lon = 30.27, 120.16
    api = app.test_client()
    tok = {}
    for name in ("bench_member", "bench_staff", "bench_street"):
        r = api.post("/api/v1/tokens", json={"username": name, "password": BENCH_PASSWORD})
        tok[name] = {"Authorization": "Bearer " + r.get_json()["token"]}
    web_member, web_staff, web_admin = app.test_client(), app.test_client(), app.test_client()
    web_street = app.test_client()
    for client, name in (
        (web_member, "bench_member"),
        (web_staff, "bench_staff"),
        (web_admin, "bench_admin"),
        (web_street, "bench_street"),
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
        (
            "API open warnings (street staff)",
            lambda: api.get("/api/v1/warnings?status=open", headers=tok["bench_street"]),
        ),
        (
            "API open warnings (district staff)",
            lambda: api.get("/api/v1/warnings?status=open", headers=tok["bench_staff"]),
        ),
        (
            "API overdue warnings (district staff)",
            lambda: api.get(
                "/api/v1/warnings?status=open&overdue=true", headers=tok["bench_staff"]
            ),
        ),
        ("page: warning queue (street staff)", lambda: web_street.get("/hub/warnings")),
        ("page: warning queue (district staff)", lambda: web_staff.get("/hub/warnings")),
        ("map data: district hub (with warnings)", lambda: web_staff.get("/staff/map.json")),
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
        (
            f"page: case file ({n_history} audit entries)",
            lambda: web_staff.get(f"/hub/households/{hh_id}"),
        ),
        (
            "page: case file history (first page)",
            lambda: web_staff.get(f"/hub/households/{hh_id}/history"),
        ),
        (
            "API case file history (50 entries)",
            lambda: api.get(f"/api/v1/households/{hh_id}/history", headers=tok["bench_staff"]),
        ),
        ("page: visits due (district staff)", lambda: web_staff.get("/hub/visits")),
        (
            "API visits due (district staff)",
            lambda: api.get("/api/v1/visits/due", headers=tok["bench_staff"]),
        ),
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
        if only not in name:
            continue
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
    if only in "job: rebuild the counts snapshot (1/min)":
        samples = []
        for _ in range(max(3, repeat // 8)):
            with session_scope(get_engine(app)) as session:
                t0 = time.perf_counter()
                tally.refresh(session)
                samples.append(time.perf_counter() - t0)
        results.append(Timing("job: rebuild the counts snapshot (1/min)", samples, 3, 0))
    # The 12-month report of the largest branch (target: 2 s).
    if branch_id is not None and only in "largest branch report":
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
    print(
        f"{n_open} open needs, {n_warnings} open warnings in the database"
        f" (street staff of {warning_street}); {repeat} requests per row"
    )
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


def bench_events(
    app: Flask,
    *,
    n: int = 10_000,
    unknown_share: float = 0.05,
    seed: int = 2026,
    batch: int = 500,
    import_rows: int | None = None,
) -> dict[str, Any]:
    """Push ``n`` monitoring events (监测数据变动) through ``POST /api/v1/monitoring-events`` as a
    department's system (role ``dept``, bearer token) through the WSGI app, ``batch`` per request
    (``{"events": [...]}``; 1: one single-object request each): residents we know by ID number +
    community code, and a share of unknown ID numbers that become leads for their street. Then
    import ``import_rows`` (default ``n``; 0: none) events from a workbook built in memory, as
    city-level hub staff, through the import service as the job runs it. Everything stays in the
    database (the target: 10,000 events in ≤ 60 s either way)."""
    from marketplace import create_app

    app = create_app()
    rng = random.Random(seed)
    with session_scope(get_engine(app)) as session:
        _ensure_user(session, "bench_dept", Role.DEPT)
        before = _monitoring_counts(session)
    payloads = _event_payloads(app, n, unknown_share, rng, seed)
    api = app.test_client()
    r = api.post("/api/v1/tokens", json={"username": "bench_dept", "password": BENCH_PASSWORD})
    if r.status_code != 201 and r.status_code != 200:
        raise RuntimeError(f"bench_dept could not get a token: HTTP {r.status_code}")
    headers = {"Authorization": "Bearer " + r.get_json()["token"]}
    statuses: Counter[int] = Counter()
    samples = []
    size = max(1, batch)
    t0 = time.perf_counter()
    for start in range(0, len(payloads), size):
        chunk = payloads[start : start + size]
        body: dict[str, Any] = chunk[0] if size == 1 else {"events": chunk}
        t1 = time.perf_counter()
        statuses[api.post("/api/v1/monitoring-events", json=body, headers=headers).status_code] += 1
        samples.append(time.perf_counter() - t1)
    total = time.perf_counter() - t0
    with session_scope(get_engine(app)) as session:
        after = _monitoring_counts(session)
    added = {k: after[k] - before[k] for k in after}
    s = sorted(samples)
    p95 = s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]
    n_unknown = round(n * unknown_share)
    print(
        f"pushed {n:,} events ({n_unknown:,} unknown ID numbers) in {len(s):,} requests of"
        f" {size:,} in {total:.1f} s ({n / total:,.0f} events/s); per request p50"
        f" {statistics.median(s) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
    )
    print(f"HTTP {dict(sorted(statuses.items()))}; added {added}")
    out: dict[str, Any] = {
        "seconds": total,
        "events_per_s": n / total,
        "batch": size,
        "p50_ms": statistics.median(s) * 1000,
        "p95_ms": p95 * 1000,
        "http": dict(statuses),
        **added,
    }
    rows = n if import_rows is None else import_rows
    if rows:
        out["import"] = _bench_event_import(app, rows, unknown_share, rng, seed)
    return out


def _event_payloads(
    app: Flask,
    n: int,
    unknown_share: float,
    rng: random.Random,
    seed: int,
    district: str | None = None,
) -> list[dict[str, Any]]:
    """``n`` events about residents picked at random (by ID number + community; ``district``:
    of that district only), a share of them unknown ID numbers in real communities."""
    from marketplace import city

    query = select(Household.id_number, Household.community_code)
    if district is not None:
        query = query.where(in_subtree(Household.community_code, district))
    with session_scope(get_engine(app)) as session:
        known = session.exec(query).all()
    if not known:
        raise RuntimeError("No households: load data first (zhongfu seed --city)")
    n_unknown = round(n * unknown_share)
    picked = [tuple(r) for r in rng.choices(known, k=n - n_unknown)]
    communities = [c for _, c in rng.choices(known, k=n_unknown)]
    strangers = city._id_numbers(
        np.random.default_rng(seed + n),
        [c[:6] for c in communities],
        n_unknown,
        {i for i, _ in known},
    )
    residents = picked + list(zip(strangers, communities, strict=True))
    rng.shuffle(residents)
    kinds = list(city.EVENT_KINDS)
    weights = list(city.EVENT_KINDS.values())
    today = beijing_today()
    return [
        {
            "id_number": id_number,
            "community_code": community,
            "kind": rng.choices(kinds, weights)[0],
            "occurred_on": (today - timedelta(days=rng.randrange(30))).isoformat(),
            "note": "部门数据推送",
        }
        for id_number, community in residents
    ]


def _bench_event_import(
    app: Flask, n: int, unknown_share: float, rng: random.Random, seed: int
) -> dict[str, Any]:
    """Build an events workbook of ``n`` rows in memory about the residents of the district with
    the most households, and import it as that district hub's staff, as the import job does (one
    unit of work, committed when every row passed)."""
    from openpyxl import Workbook

    from marketplace.services import imports
    from marketplace.services.exports import header_row

    with session_scope(get_engine(app)) as session:
        district = func.substr(Household.community_code, 1, 6)
        biggest = session.exec(
            select(district).group_by(district).order_by(func.count().desc()).limit(1)
        ).first()
        if biggest is None:
            raise RuntimeError("No households: load data first (zhongfu seed --city)")
        staff_id = _ensure_user(session, "bench_district_staff", Role.HUB_STAFF, biggest).id
    payloads = _event_payloads(app, n, unknown_share, rng, seed, district=biggest)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = imports.EVENT_SHEET
    header_row(ws, imports.EVENT_COLUMNS)
    fields = [f for f, _h, _x in imports.EVENT_COLUMNS]
    for p in payloads:
        ws.append([p.get(f) or "" for f in fields])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    t0 = time.perf_counter()
    with session_scope(get_engine(app)) as session:
        report = imports.import_workbook(
            session,
            actor=session.get_one(User, staff_id),
            data=data,
            limits=imports.ImportLimits.from_config(app.config),
            kind="events",
        )
        imports.require_ok(report)
    seconds = time.perf_counter() - t0
    r = report.as_dict()
    print(
        f"imported {r['events']:,} events ({r['leads']:,} leads) from a {len(payloads):,}-row"
        f" workbook of district {biggest} in {seconds:.1f} s ({r['events'] / seconds:,.0f} events/s),"
        f" errors {len(r['errors'])}"
    )
    return {"seconds": seconds, "events": r["events"], "leads": r["leads"]}


def _monitoring_counts(session: Session) -> dict[str, int]:
    return {
        name: int(session.exec(select(func.count()).select_from(model)).one())
        for name, model in (("events", MonitoringEvent), ("warnings", RiskWarning), ("leads", Lead))
    }
