"""Race stress test against a live HTTP server (DESIGN §6: exactly one winner, capacity never < 0).

Starts the app on 127.0.0.1 in a threaded werkzeug server, then repeats two races:

* claim race: ``--claimers`` members claim the same wish at the same instant (real HTTP);
* capacity race: an offer of capacity ``--capacity`` and 10× as many proposals accepted at once.

and prints successes, conflicts, errors, duplicates and latency percentiles.

    python scripts/stress.py --db-url sqlite:////tmp/stress.db --repeat 20 --claimers 50
    python scripts/stress.py --db-url postgresql://postgres@127.0.0.1:5432/postgres --repeat 20

A PostgreSQL URL names a server: a scratch database is created there and dropped afterwards. A
SQLite URL names the file to use (created if missing). Writes test data: never point it at a
production database.
"""

from __future__ import annotations

import argparse
import http.client
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import col, func, select
from stdnum.cn import ric
from werkzeug.serving import make_server

COMMUNITY = "330102001051"
PASSWORD = "stress-password-123"


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    anomalies: int = 0  # duplicate active claims / capacity overrun / remaining < 0

    def line(self, name: str, ok: int) -> str:
        lat = sorted(self.latencies) or [0.0]
        p50 = statistics.median(lat) * 1000
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))] * 1000
        errors = sum(n for s, n in self.statuses.items() if s >= 500)
        conflicts = self.statuses.get(409, 0)
        other = sum(self.statuses.values()) - self.statuses.get(ok, 0) - conflicts - errors
        return (
            f"{name:<14} requests={sum(self.statuses.values()):>6} successes={self.statuses.get(ok, 0):>5} "
            f"conflicts={conflicts:>6} errors={errors:>3} other={other:>3} "
            f"duplicates/overruns={self.anomalies:>3} p50={p50:7.1f}ms p95={p95:7.1f}ms"
        )


def id_number(rng: random.Random) -> str:
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 60 * 365))
    body = f"330102{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def post(port: int, path: str, token: str) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(
            "POST",
            path,
            body=b"{}",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        response.read()
        status = response.status
    except OSError:
        status = 599
    finally:
        conn.close()
    return status, time.perf_counter() - started


def fire(port: int, calls: list[tuple[str, str]], tally: Tally) -> list[int]:
    barrier = threading.Barrier(len(calls))
    results: list[tuple[int, float]] = [(0, 0.0)] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = post(port, *calls[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for status, seconds in results:
        tally.statuses[status] += 1
        tally.latencies.append(seconds)
    return [s for s, _ in results]


def scratch_database(url: str) -> tuple[str, Any]:
    if not url.startswith("postgresql"):
        return url, lambda: None
    base = make_url(url).set(drivername="postgresql+psycopg")
    name = f"zf_stress_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--claimers", type=int, default=50)
    parser.add_argument("--capacity", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    url = args.db_url or f"sqlite:///{tempfile.mkdtemp()}/stress.db"
    url, drop = scratch_database(url)
    try:
        return run(url, args)
    finally:
        drop()


def run(url: str, args: argparse.Namespace) -> int:
    from marketplace import create_app
    from marketplace.cli import migrate
    from marketplace.db import get_engine, session_scope
    from marketplace.models import (
        ACTIVE_CLAIM_STATUSES,
        Claim,
        MatchRound,
        Offer,
        Proposal,
        User,
    )
    from marketplace.schemas import HouseholdIn, NeedIn, OfferIn, OrgIn
    from marketplace.services import accounts, households, offers

    instance = tempfile.mkdtemp()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": uuid.uuid4().hex,
            "DATABASE_URL": url,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "MAX_OPEN_CLAIMS": 10**6,
        }
    )
    app.instance_path = instance
    migrate(app)
    engine = get_engine(app)
    rng = random.Random(args.seed)
    tag = uuid.uuid4().hex[:6]
    with app.app_context(), session_scope(engine) as s:
        staff = accounts.create_user(
            s,
            actor=None,
            username=f"stress_staff_{tag}",
            password=PASSWORD,
            role="hub_staff",
            hub_code="330102",
        )
        members = [
            accounts.create_user(
                s, actor=None, username=f"stress_m{i}_{tag}", password=PASSWORD, role="member"
            )
            for i in range(args.claimers)
        ]
        member_tokens = [accounts.issue_token(s, user=m, days=1) for m in members]
        staff_tokens = [
            accounts.issue_token(s, user=staff, days=1) for _ in range(10 * args.capacity)
        ]
        org = offers.register_org(
            s,
            actor=None,
            data=OrgIn(name=f"压测组织{tag}", type="ngo", credit_code=_credit_code(rng)),
        )
        org.status = "vetted"
        org_user = accounts.create_user(
            s,
            actor=None,
            username=f"stress_org_{tag}",
            password=PASSWORD,
            role="org",
            org_id=org.id,
        )
        staff_id, org_user_id = staff.id, org_user.id

    def new_household(s: Any, actor: Any) -> int:
        """A household per need: one household does not get the same item twice (DESIGN §12)."""
        household = households.create_household(
            s,
            actor=actor,
            data=HouseholdIn(
                name="压测户",
                id_number=id_number(rng),
                phone="13800000000",
                address="压测路1号",
                community_code=COMMUNITY,
                hardship_type="care",
                risk_score=40,
            ),
        )
        return household.id or 0

    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    claim_tally, capacity_tally = Tally(), Tally()
    started = time.perf_counter()
    try:
        for _ in range(args.repeat):
            # Claim race --------------------------------------------------------------------
            with app.app_context(), session_scope(engine) as s:
                actor = s.get(User, staff_id)
                need = households.create_need(
                    s,
                    actor=actor,
                    data=NeedIn(  # type: ignore[arg-type]
                        household_id=new_household(s, actor),
                        kind="wish",
                        item="07-02",
                        title="压测心愿",
                    ),
                )
                wish_id = households.publish_need(s, actor=actor, need_id=need.id).id  # type: ignore[arg-type]
            fire(port, [(f"/api/v1/wishes/{wish_id}/claim", t) for t in member_tokens], claim_tally)
            with session_scope(engine) as s:
                active = s.exec(
                    select(func.count())
                    .select_from(Claim)
                    .where(Claim.need_id == wish_id, col(Claim.status).in_(ACTIVE_CLAIM_STATUSES))
                ).one()
            claim_tally.anomalies += abs(active - 1)
            # Capacity race ------------------------------------------------------------------
            with app.app_context(), session_scope(engine) as s:
                actor = s.get(User, staff_id)
                offer = offers.create_offer(
                    s,
                    actor=s.get(User, org_user_id),
                    data=OfferIn(  # type: ignore[arg-type]
                        title="压测项目",
                        items=["01-01"],
                        regions=["330102"],
                        capacity=args.capacity,
                        start=date.today() - timedelta(days=1),
                        end=date.today() + timedelta(days=30),
                    ),
                )
                need_ids = []
                for i in range(10 * args.capacity):
                    n = households.create_need(
                        s,
                        actor=actor,
                        data=NeedIn(  # type: ignore[arg-type]
                            household_id=new_household(s, actor),
                            kind="service",
                            item="01-01",
                            title=f"压测服务{i}",
                        ),
                    )
                    need_ids.append(households.publish_need(s, actor=actor, need_id=n.id).id)  # type: ignore[arg-type]
                rnd = MatchRound(scope_code="330102", started_by=staff_id, status="done")
                s.add(rnd)
                s.flush()
                s.execute(
                    insert(Proposal),
                    [
                        {
                            "round_id": rnd.id,
                            "need_id": nid,
                            "offer_id": offer.id,
                            "distance_km": 1.0,
                            "reasons": [],
                            "status": "proposed",
                        }
                        for nid in need_ids
                    ],
                )
                proposal_ids = list(s.exec(select(Proposal.id).where(Proposal.round_id == rnd.id)))
                offer_id = offer.id
            fire(
                port,
                [
                    (f"/api/v1/proposals/{p}/accept", t)
                    for p, t in zip(proposal_ids, staff_tokens, strict=True)
                ],
                capacity_tally,
            )
            with session_scope(engine) as s:
                remaining = s.get(Offer, offer_id).remaining  # type: ignore[union-attr]
                taken = s.exec(
                    select(func.count()).select_from(Claim).where(Claim.offer_id == offer_id)
                ).one()
            capacity_tally.anomalies += int(remaining < 0) + abs(taken - args.capacity)
    finally:
        server.shutdown()
        server.server_close()
        engine.dispose()
    print(
        f"database: {engine.dialect.name}; repetitions: {args.repeat}; claimers: {args.claimers}; "
        f"capacity: {args.capacity} (×10 accepts); {time.perf_counter() - started:.1f}s"
    )
    print(claim_tally.line("claim race", 201))
    print(capacity_tally.line("capacity race", 200))
    bad = (
        claim_tally.anomalies
        + capacity_tally.anomalies
        + sum(n for s, n in (claim_tally.statuses + capacity_tally.statuses).items() if s >= 500)
        + abs(claim_tally.statuses.get(201, 0) - args.repeat)
        + abs(capacity_tally.statuses.get(200, 0) - args.repeat * args.capacity)
    )
    print("OK" if bad == 0 else f"FAILED: {bad} anomalies")
    return 0 if bad == 0 else 1


def _credit_code(rng: random.Random) -> str:
    from stdnum.cn import uscc

    body = f"91330100MA2{rng.randrange(10**6):06d}"[:17]
    return body + uscc.calc_check_digit(body)


if __name__ == "__main__":
    raise SystemExit(main())
