"""Mixed traffic for the load test (see BENCHMARKS in the README).

browse 70 %, wish detail 15 %, claim 5 %, staff pages 10 % (9 member users to 1 staff user, each at
one request a second on average, at random moments: see ``poisson_pacing``). Members are the city
data set's synthetic accounts (``zhongfu seed --city``: m0000002… with password
``zhongfu-city-2026``); staff is the bench account ``bench_staff`` created by ``zhongfu bench web``. A 409 on a claim ("already
claimed", or the member's 3-claim limit) is the correct answer under contention, not an error.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import random
import re
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from locust import FastHttpUser, constant_throughput, events, task

MEMBER_PASSWORD = os.environ.get("LOAD_MEMBER_PASSWORD", "zhongfu-city-2026")
STAFF = os.environ.get("LOAD_STAFF", "bench_staff")
STAFF_PASSWORD = os.environ.get("LOAD_STAFF_PASSWORD", "bench-password-2026")
FIRST_MEMBER = int(os.environ.get("LOAD_FIRST_MEMBER", "2"))
# "lockstep" paces users with locust's constant_throughput instead, to compare (see poisson_pacing).
ARRIVALS = os.environ.get("LOAD_ARRIVALS", "poisson")
ITEMS = [
    f"{c:02d}-{i:02d}"
    for c, n in ((1, 5), (2, 3), (3, 4), (4, 4), (5, 3), (6, 3), (7, 3), (8, 3), (9, 3))
    for i in range(1, n + 1)
]
DISTRICTS = ["330102", "330105", "330106", "330108", "330109", "330110", "330113"]
wish_ids: list[int] = []
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def poisson_pacing(rate: float):  # type: ignore[no-untyped-def]
    """Start a task at the moments of a Poisson process of ``rate`` per second, whatever the
    response times: the users together offer USERS × rate requests a second, arriving
    independently of each other, as real users do.

    Not ``constant_throughput``: it paces each user to a fixed phase, and any pause of the load
    generator leaves the users that were due in it with the same phase for the rest of the run.
    They gather into lockstep groups that fire together, and the test then measures how long the
    server takes to drain bursts, not the sustained rate (seen here: a 2 ms endpoint answered
    in 130 ms at the median, 3 ms with Poisson arrivals).
    """

    def wait_time(user) -> float:  # type: ignore[no-untyped-def]
        now = time.monotonic()
        due = getattr(user, "_next_start", None)
        if due is None:  # first task: a random moment within the first mean interval
            due = now + random.random() / rate
        user._next_start = due + random.expovariate(rate)
        return max(0.0, due - now)

    return wait_time


def one_a_second():  # type: ignore[no-untyped-def]
    return constant_throughput(1.0) if ARRIVALS == "lockstep" else poisson_pacing(1.0)


class Member(FastHttpUser):
    """A Party member on a phone: browses (70 %), reads a wish (15 %), sometimes claims (5 %)."""

    weight = 9
    wait_time = one_a_second()  # one request a second per user on average: USERS ≈ req/s

    def on_start(self) -> None:
        self.headers = {"Authorization": "Bearer " + _tokens.pop()}

    @task(70)
    def browse(self) -> None:
        roll = random.random()
        if roll < 0.4:
            url, name = "/api/v1/wishes", "/api/v1/wishes"
        elif roll < 0.6:
            url, name = f"/api/v1/wishes?item={random.choice(ITEMS)}", "/api/v1/wishes?item"
        elif roll < 0.8:
            url, name = f"/api/v1/wishes?region={random.choice(DISTRICTS)}", "/api/v1/wishes?region"
        else:
            lat, lon = 30.2 + random.random() * 0.15, 120.1 + random.random() * 0.15
            url, name = (
                f"/api/v1/wishes?lat={lat:.4f}&lon={lon:.4f}&radius_km=3",
                "/api/v1/wishes?near",
            )
        with self.client.get(url, headers=self.headers, name=name, catch_response=True) as r:
            if r.status_code == 200:
                items = r.json()["items"]
                if items and len(wish_ids) < 5000:
                    wish_ids.extend(w["id"] for w in items[:3])
                r.success()

    @task(15)
    def wish_detail(self) -> None:
        if wish_ids:
            self.client.get(
                f"/api/v1/wishes/{random.choice(wish_ids)}",
                headers=self.headers,
                name="/api/v1/wishes/[id]",
            )

    @task(5)
    def claim(self) -> None:
        if not wish_ids:
            return
        with self.client.post(
            f"/api/v1/wishes/{random.choice(wish_ids)}/claim",
            headers=self.headers,
            name="/api/v1/wishes/[id]/claim",
            catch_response=True,
        ) as r:
            if r.status_code in (201, 409):
                r.success()


class Staff(FastHttpUser):
    """Hub staff at a desk (10 % of the traffic): dashboard, households, review, deliveries."""

    weight = 1
    wait_time = one_a_second()

    @task
    def staff_pages(self) -> None:
        page = random.choice(
            ["/hub/", "/hub/households", "/hub/review", "/hub/deliveries", "/hub/households?q=王"]
        )
        self.client.get(
            page, headers={"Cookie": _staff_cookie[0]}, name="staff " + page.split("?")[0]
        )


_tokens: list[str] = []
_staff_cookie: list[str] = [""]


@events.test_start.add_listener
def _log_in_everyone(environment, **_kw) -> None:  # type: ignore[no-untyped-def]
    """Log every simulated member and the staff account in before the load starts: logins are
    argon2id (64 MiB, deliberately slow) and are not the traffic being measured."""
    base = environment.host.rstrip("/")
    users = environment.parsed_options.num_users if environment.parsed_options else 200

    def token(i: int) -> str:
        body = json.dumps(
            {"username": f"m{FIRST_MEMBER + i:07d}", "password": MEMBER_PASSWORD}
        ).encode()
        req = urllib.request.Request(
            base + "/api/v1/tokens", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=120) as r:
            return str(json.loads(r.read())["token"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        _tokens.extend(pool.map(token, range(users)))
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/auth/login", timeout=60).read().decode()
    csrf = CSRF.search(page)
    form = urllib.parse.urlencode(
        {"username": STAFF, "password": STAFF_PASSWORD, "csrf_token": csrf.group(1) if csrf else ""}
    )
    opener.open(base + "/auth/login", data=form.encode(), timeout=60)
    _staff_cookie[0] = "; ".join(f"{c.name}={c.value}" for c in jar)
    print(f"logged in {len(_tokens)} members and {STAFF}")


@events.quitting.add_listener
def _summary(environment, **_kw) -> None:  # type: ignore[no-untyped-def]
    stats = environment.stats.total
    print(
        f"LOAD SUMMARY ({ARRIVALS} arrivals): requests={stats.num_requests} failures={stats.num_failures} "
        f"rps={stats.total_rps:.1f} p50={stats.get_response_time_percentile(0.5):.0f}ms "
        f"p95={stats.get_response_time_percentile(0.95):.0f}ms p99={stats.get_response_time_percentile(0.99):.0f}ms"
    )
