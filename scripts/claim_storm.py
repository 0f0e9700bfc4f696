"""Claim storm: N members race for M new wishes over real HTTP; exactly M may win.

    python scripts/claim_storm.py --base-url http://127.0.0.1:8765 \
        --db-url postgresql://postgres@127.0.0.1:5432/zhongfu_city --users 500 --wishes 20

Creates M new published wishes through the API (as ``bench_staff``), logs in N synthetic members
of the city data set, fires every member's claim at once (each member picks one of the M wishes),
then checks the database: exactly M active claims on those wishes and every invariant intact.
Exit code 0 when the storm had exactly M winners, no 5xx and no broken invariant.

Window mode (认领意向登记, DESIGN §12): the same storm against the claim window, in process
against a migrated database (``zhongfu init-db``), with real concurrency (threads, one unit of
work each, as the web's requests):

    python scripts/claim_storm.py --window \
        --db-url postgresql://postgres@127.0.0.1:5432/zhongfu_storm --users 500 --wishes 200

Creates M wishes published with a 30-minute window (households spread over some communities)
and N members (home communities spread over the same street, district and elsewhere; some give
none), fires every member's registrations at once (each on ``--picks`` random wishes, after a
random delay of up to 2 s: fast and slow clickers), closes the windows as housekeeping does, and
reports: wishes with exactly one winner, members over the cap, errors, and the win rate by speed
quartile (the rank of a registration among its wish's registrations) against the wins the
recorded weights gave. Exit code 0 when every wish with eligible interest has exactly one
winner, nobody is over the cap, there are no errors and no broken invariant.
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


def window_storm(args: argparse.Namespace) -> int:
    """The storm against the claim window (in process; see the module's docstring)."""
    from sqlalchemy import func, insert
    from sqlmodel import col, select

    from marketplace import create_app
    from marketplace.db import get_engine, session_scope
    from marketplace.models import Claim, ClaimDraw, ClaimInterest, Need, Region, Role, User, utcnow
    from marketplace.schemas import HouseholdIn, NeedIn
    from marketplace.services import accounts, claims, draws, households
    from marketplace.services.errors import Conflict

    rng = random.Random(args.seed)
    app = create_app(
        {"DATABASE_URL": args.db_url, "SECRET_KEY": "claim-storm-" + "x" * 32, "TESTING": True}
    )
    engine = get_engine(app)
    policy = claims.ClaimPolicy(args.max_open, 7, 0)  # repeat help off: one item, many wishes
    tag = f"{int(time.time()) % 1_000_000:06d}"
    with app.app_context(), session_scope(engine) as s:
        street = s.exec(
            select(Region.code).where(func.length(Region.code) == 12, col(Region.code).like("330102%")).order_by(col(Region.code))
        ).all()  # fmt: skip
        elsewhere = s.exec(
            select(Region.code).where(func.length(Region.code) == 12, col(Region.code).like("330106%")).limit(20)
        ).all()  # fmt: skip
        home_street = [c for c in street if c[:9] == street[0][:9]]
        places = home_street[:4]  # the wishes' communities, of one street
        other_streets = [c for c in street if c[:9] != street[0][:9]][:10]
        staff = accounts.create_user(
            s, actor=None, username=f"storm_staff_{tag}", password="storm-password-2026",
            role=Role.HUB_STAFF, hub_code="330102",
        )  # fmt: skip
        pool = (
            [("community", c) for c in places] + [("street", c) for c in home_street[4:8]]
            + [("district", c) for c in other_streets] + [("elsewhere", c) for c in elsewhere]
        )  # fmt: skip
        member_rows = []
        for i in range(args.users):
            home = None if i % 5 == 4 else rng.choice(pool)[1]  # one in five gives no home
            member_rows.append({
                "username": f"storm_{tag}_{i:04d}", "password_hash": "!storm-no-login", "role": Role.MEMBER.value,
                "display_name": f"storm {i}", "session_token": f"storm-{tag}-{i}", "community_code": home,
                "active": True, "open_claims": 0, "failed_logins": 0, "created_at": utcnow(),
                "must_change_password": False, "totp_last_step": 0,
            })  # fmt: skip
        s.execute(insert(User), member_rows)
        member_ids = list(
            s.exec(select(User.id).where(col(User.username).like(f"storm_{tag}_%")).order_by(col(User.id)))
        )  # fmt: skip
        wishes: list[int] = []
        for i in range(args.wishes):
            stem = f"330102{rng.randrange(1940, 2000)}0{rng.randrange(1, 10)}1{rng.randrange(0, 9)}{rng.randrange(100, 999)}"
            household = households.create_household(s, actor=staff, data=HouseholdIn(
                name="风暴测试", id_number=stem + ric.calc_check_digit(stem + "0"), phone="13800000000",
                address="测试路1号", community_code=places[i % len(places)], hardship_type="care",
            ))  # fmt: skip
            need = households.create_need(s, actor=staff, data=NeedIn(
                household_id=household.id or 0, kind="wish", item="07-02", title="电饭煲", value_yuan=150,
            ))  # fmt: skip
            published = households.publish_need(
                s, actor=staff, need_id=need.id or 0, claim_window_minutes=30
            )
            wishes.append(published.id or 0)
    picks = {m: rng.sample(wishes, min(args.picks, len(wishes))) for m in member_ids}
    delays = {m: rng.uniform(0, 2.0) for m in member_ids}
    outcomes: Counter[str] = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    gate = threading.Barrier(len(member_ids))

    def storm(member_id: int) -> None:
        gate.wait()
        time.sleep(delays[member_id])
        for wish_id in picks[member_id]:
            try:
                with app.app_context(), session_scope(engine) as s:
                    member = s.get(User, member_id)
                    assert member is not None
                    got = draws.claim_or_interest(s, member=member, wish_id=wish_id, policy=policy)
                key = "interest" if isinstance(got, draws.Interest) else "claim"
            except Conflict as exc:
                key = exc.message.code
            except Exception as exc:  # an error of the storm
                key = "error"
                with lock:
                    errors.append(repr(exc)[:200])
            with lock:
                outcomes[key] += 1

    threads = [threading.Thread(target=storm, args=(m,)) for m in member_ids]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    storm_s = time.perf_counter() - t0
    with app.app_context(), session_scope(engine) as s:
        closes = max(
            d
            for d in s.exec(select(col(Need.window_closes_at)).where(col(Need.id).in_(wishes)))
            if d
        )
    t0 = time.perf_counter()
    with app.app_context(), session_scope(engine) as s:
        summary = draws.close_due_windows(s, policy=policy, now=closes, limit=len(wishes) + 10)
    close_s = time.perf_counter() - t0
    with app.app_context(), session_scope(engine) as s:
        rows = s.exec(select(ClaimDraw).where(col(ClaimDraw.need_id).in_(wishes))).all()
        active = Counter(
            s.exec(select(Claim.need_id).where(col(Claim.need_id).in_(wishes), col(Claim.status).in_(("active", "delivered"))))
        )  # fmt: skip
        over_cap = s.exec(
            select(func.count()).select_from(User).where(col(User.id).in_(member_ids), col(User.open_claims) > args.max_open)
        ).one()  # fmt: skip
        registered = s.exec(
            select(ClaimInterest.need_id, ClaimInterest.member_id, ClaimInterest.created_at)
            .where(col(ClaimInterest.need_id).in_(wishes))
        ).all()  # fmt: skip
        broken = {k: v for k, v in violations(s).items() if v}
    # Speed: a registration's rank among its wish's registrations (quartile 1: the fastest).
    by_wish: dict[int, list[tuple[object, int]]] = {}
    for need_id, member_id, at in registered:
        by_wish.setdefault(need_id, []).append((at, member_id))
    quartile: dict[tuple[int, int], int] = {}
    for need_id, regs in by_wish.items():
        regs.sort()
        for rank, (_at, member_id) in enumerate(regs):
            quartile[(need_id, member_id)] = 1 + 4 * rank // len(regs)
    q_regs: Counter[int] = Counter()
    q_eligible: Counter[int] = Counter()
    q_expected: dict[int, float] = {q: 0.0 for q in range(1, 5)}
    q_won: Counter[int] = Counter()
    band_expected: dict[str, float] = {b: 0.0 for b in draws.BANDS}
    band_won: Counter[str] = Counter()
    band_eligible: Counter[str] = Counter()
    for q in quartile.values():
        q_regs[q] += 1
    for d in rows:
        total = sum(int(c["weight"]) for c in d.candidates)
        for c in d.candidates:
            q = quartile[(d.need_id, int(c["member_id"]))]
            share = int(c["weight"]) / total if total else 0.0
            q_eligible[q] += 1
            q_expected[q] += share
            band_expected[c["band"]] += share
            band_eligible[c["band"]] += 1
            if c["member_id"] == d.winner_id:
                q_won[q] += 1
                band_won[c["band"]] += 1
    with_winner = sum(1 for d in rows if d.winner_id is not None)
    exactly_one = sum(1 for d in rows if d.winner_id is not None and active[d.need_id] == 1)
    n_errors = outcomes["error"]
    print(
        f"claim storm (window): {len(member_ids)} members, {len(wishes)} wishes with a 30-minute "
        f"window, {args.picks} registrations each; storm {storm_s:.1f} s, close {close_s:.1f} s"
    )
    print(f"responses: {dict(sorted(outcomes.items()))}")
    print(
        f"draws: {summary.as_json()}; wishes with exactly one winner: {exactly_one} of "
        f"{with_winner} drawn ({len(wishes)} wishes); members over the cap of {args.max_open}: "
        f"{over_cap}; errors: {n_errors}; broken invariants: {broken or 'none'}"
    )
    print(
        "speed quartile (1 = fastest quarter of each wish's registrants): registrations, eligible at the draw, wins by the weights, wins"
    )
    for q in range(1, 5):
        print(
            f"  Q{q}: {q_regs[q]:5d} registrations, {q_eligible[q]:5d} eligible, "
            f"expected {q_expected[q]:6.1f}, won {q_won[q]:4d}"
            f" (win rate {q_won[q] / max(1, q_eligible[q]):.3f} vs {q_expected[q] / max(1, q_eligible[q]):.3f} by the weights)"
        )  # fmt: skip
    print("distance band: eligible, wins by the weights, wins")
    for band in draws.BANDS:
        print(
            f"  {band:9s}: {band_eligible[band]:5d} eligible, expected {band_expected[band]:6.1f}, won {band_won[band]:4d}"
        )
    if errors:
        print("errors (first 5):", *errors[:5], sep="\n  ")
    ok = (
        exactly_one == with_winner == summary.draws
        and len(rows) == len(wishes)
        and over_cap == 0
        and n_errors == 0
        and not broken
    )
    print("claim storm (window):", "PASSED" if ok else "FAILED")
    return 0 if ok else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--window", action="store_true", help="the storm against the claim window")
    p.add_argument("--base-url")
    p.add_argument("--db-url", required=True)
    p.add_argument("--users", type=int, default=500)
    p.add_argument("--wishes", type=int, default=20)
    p.add_argument("--picks", type=int, default=4, help="window mode: wishes each member picks")
    p.add_argument("--max-open", type=int, default=3, help="window mode: the cap of open claims")
    p.add_argument("--seed", type=int, default=15, help="window mode: the set-up's random seed")
    p.add_argument("--first-member", type=int, default=50_000)
    p.add_argument("--staff", default="bench_staff")
    p.add_argument("--staff-password", default="bench-password-2026")
    p.add_argument("--member-password", default="zhongfu-city-2026")
    p.add_argument("--community", default="330102001051")
    args = p.parse_args()
    if args.window:
        return window_storm(args)
    if not args.base_url:
        p.error("--base-url is required (except with --window)")
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
