"""Claim storm: N members race for M new wishes over real HTTP; exactly M may win.

    python scripts/claim_storm.py --base-url http://127.0.0.1:8765 \
        --db-url postgresql://postgres@127.0.0.1:5432/zhongfu_city --users 500 --wishes 20

Creates M new published wishes through the API (as ``bench_staff``), logs in N synthetic members
of the city data set, fires every member's claim at once (each member picks one of the M wishes),
then checks the database: exactly M active claims on those wishes and every invariant intact.
Exit code 0 when the storm had exactly M winners, no 5xx and no broken invariant.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session
from stdnum.cn import ric

from marketplace.invariants import violations


def call(
    base: str, method: str, path: str, body: object | None = None, token: str | None = None
) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base-url", required=True)
    p.add_argument("--db-url", required=True)
    p.add_argument("--users", type=int, default=500)
    p.add_argument("--wishes", type=int, default=20)
    p.add_argument("--first-member", type=int, default=50_000)
    p.add_argument("--staff", default="bench_staff")
    p.add_argument("--staff-password", default="bench-password-2026")
    p.add_argument("--member-password", default="zhongfu-city-2026")
    p.add_argument("--community", default="330102001051")
    args = p.parse_args()
    base = args.base_url.rstrip("/")
    rng = random.Random()

    status, body = call(
        base, "POST", "/api/v1/tokens", {"username": args.staff, "password": args.staff_password}
    )
    if status != 201:
        print("staff login failed:", status, body)
        return 1
    staff = body["token"]
    wishes = []
    for _ in range(args.wishes):
        stem = f"330102{rng.randrange(1940, 2000)}0{rng.randrange(1, 10)}1{rng.randrange(0, 9)}{rng.randrange(100, 999)}"
        status, hh = call(base, "POST", "/api/v1/households", {
            "name": "风暴测试", "id_number": stem + ric.calc_check_digit(stem + "0"), "phone": "13800000000",
            "address": "测试路1号", "community_code": args.community, "hardship_type": "care", "risk_score": 40,
        }, staff)  # fmt: skip
        if status != 201:
            print("household:", status, hh)
            return 1
        status, need = call(base, "POST", "/api/v1/needs", {
            "household_id": hh["id"], "kind": "wish", "item": "07-02", "title": "电饭煲", "description": "",
            "value_yuan": 150, "deadline": (date.today() + timedelta(days=30)).isoformat(),
        }, staff)  # fmt: skip
        call(base, "POST", f"/api/v1/needs/{need['id']}/publish", None, staff)
        wishes.append(need["id"])

    tokens: list[str] = [""] * args.users

    def login(i: int) -> None:
        status, body = call(
            base,
            "POST",
            "/api/v1/tokens",
            {"username": f"m{args.first_member + i:07d}", "password": args.member_password},
        )
        tokens[i] = body.get("token", "") if status == 201 else ""

    # Logins (argon2id, 64 MiB each) are not part of the storm: a few at a time, before it.
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(login, range(args.users)))
    if not all(tokens):
        print(f"only {sum(map(bool, tokens))} of {args.users} members could log in")
        return 1

    outcomes: Counter[int] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    gate = threading.Barrier(args.users)

    def storm(i: int) -> None:
        wish = wishes[i % len(wishes)] if i < len(wishes) else rng.choice(wishes)
        gate.wait()
        t0 = time.perf_counter()
        status, _ = call(base, "POST", f"/api/v1/wishes/{wish}/claim", None, tokens[i])
        with lock:
            outcomes[status] += 1
            latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=storm, args=(i,)) for i in range(args.users)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    engine = create_engine(
        make_url(args.db_url).set(drivername="postgresql+psycopg")
        if args.db_url.startswith("postgresql")
        else args.db_url
    )
    with Session(engine) as s:
        active = s.execute(
            text(
                "SELECT COUNT(*) FROM claim WHERE status IN ('active','delivered') AND need_id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": wishes},
        ).scalar_one()
        broken = {k: v for k, v in violations(s).items() if v}
    errors = sum(n for code, n in outcomes.items() if code >= 500)
    print(f"claim storm: {args.users} members on {len(wishes)} new wishes in {elapsed:.2f} s")
    print(
        f"responses: {dict(sorted(outcomes.items()))}; p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms"
    )
    print(
        f"successes (201): {outcomes[201]}; active claims in the database on those wishes: {active}; 5xx: {errors}; broken invariants: {broken or 'none'}"
    )
    ok = outcomes[201] == len(wishes) == active and errors == 0 and not broken
    print("claim storm:", "PASSED" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
