"""Races (DESIGN §6): N concurrent claimers → exactly one winner; capacity never below 0.

Real HTTP against a threaded werkzeug server on 127.0.0.1, one connection per request.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from marketplace.db import get_engine, session_scope
from marketplace.models import (
    ACTIVE_CLAIM_STATUSES,
    Claim,
    MatchRound,
    Need,
    Offer,
    Proposal,
    RoundStatus,
    User,
)
from marketplace.schemas import NeedIn
from marketplace.services import accounts, claims, households
from tests.factories import PASSWORD, LiveServer

N_CLAIMERS = 50


def post(base: str, path: str, headers: dict[str, str]) -> tuple[int, Any]:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request(
            "POST", path, body=b"{}", headers=headers | {"Content-Type": "application/json"}
        )
        response = conn.getresponse()
        raw = response.read()
        if response.getheader("Content-Type", "").startswith("application/json"):
            return response.status, json.loads(raw)
        return response.status, raw
    finally:
        conn.close()


def fire(calls: list[Callable[[], tuple[int, Any]]]) -> list[int]:
    """Run all calls at once (a barrier releases them together); return the statuses."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = [0] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            statuses[i] = calls[i]()[0]
        except Exception:  # a dropped connection counts as a server error
            statuses[i] = 599

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return statuses


def members_with_tokens(app: Flask, make_user: Callable[..., User], n: int) -> list[dict[str, str]]:
    users = [make_user("member") for _ in range(n)]
    with app.app_context(), session_scope(get_engine(app)) as s:
        return [
            {"Authorization": "Bearer " + accounts.issue_token(s, user=s.get(User, u.id), days=1)}  # type: ignore[arg-type]
            for u in users
        ]


def active_claims(app: Flask, need_id: int) -> int:
    with session_scope(get_engine(app)) as s:
        return s.exec(
            select(func.count())
            .select_from(Claim)
            .where(Claim.need_id == need_id, col(Claim.status).in_(ACTIVE_CLAIM_STATUSES))
        ).one()


def test_fifty_concurrent_claimers_one_winner(
    app, live_server: LiveServer, make_user, make_household, make_need
):
    staff = make_user("hub_staff", hub="330102")
    wishes = [make_need(staff, make_household(staff)) for _ in range(2)]
    tokens = members_with_tokens(app, make_user, N_CLAIMERS)
    for wish in wishes:  # two rounds: the second starts with a warm server
        calls = [
            (lambda h=h, w=wish.id: post(live_server.url, f"/api/v1/wishes/{w}/claim", h))
            for h in tokens
        ]
        counts = Counter(fire(calls))
        assert counts == {201: 1, 409: N_CLAIMERS - 1}, counts
        assert active_claims(app, wish.id) == 1
    with session_scope(get_engine(app)) as s:
        # The winners' slot counters moved exactly once per win; nobody went negative or over.
        slots = s.exec(select(func.sum(User.open_claims)).where(User.role == "member")).one()
        assert slots == 2


def test_concurrent_html_claims_one_winner(app, live_server, make_user, make_household, make_need):
    """The member HTML form path (session cookies) under the same race."""
    staff = make_user("hub_staff", hub="330102")
    wish = make_need(staff, make_household(staff))
    cookies = []
    for _ in range(20):
        user = make_user("member")
        with app.test_client() as c:
            r = c.post("/auth/login", data={"username": user.username, "password": PASSWORD})
            assert r.status_code == 302
            cookie = c.get_cookie("session")
            assert cookie is not None
            cookies.append({"Cookie": f"session={cookie.value}"})
    statuses = fire(
        [(lambda h=h: post(live_server.url, f"/member/wishes/{wish.id}/claim", h)) for h in cookies]
    )
    counts = Counter(statuses)
    assert counts[302] == 1 and counts[409] == 19, counts
    assert active_claims(app, wish.id) == 1


def _proposals(app: Flask, staff: User, offer: Offer, needs: list[Need]) -> list[int]:
    with session_scope(get_engine(app)) as s:
        rnd = MatchRound(
            scope_code="330102", started_by=staff.id or 0, status=RoundStatus.DONE.value
        )
        s.add(rnd)
        s.flush()
        s.execute(
            insert(Proposal),
            [
                {
                    "round_id": rnd.id,
                    "need_id": n.id,
                    "offer_id": offer.id,
                    "distance_km": 1.0,
                    "reasons": [],
                    "status": "proposed",
                }
                for n in needs
            ],
        )
        return list(s.exec(select(Proposal.id).where(Proposal.round_id == rnd.id)))


def _service_needs(app: Flask, staff: User, make_household: Any, n: int) -> list[Need]:
    """``n`` bathing needs, each of its own household (one household does not get the same
    item twice, DESIGN §12)."""
    homes = [make_household(staff).id for _ in range(n)]
    with session_scope(get_engine(app)) as s:
        actor = s.get(User, staff.id)
        out = []
        for i, household_id in enumerate(homes):
            need = households.create_need(
                s,
                actor=actor,  # type: ignore[arg-type]
                data=NeedIn(
                    household_id=household_id, kind="service", item="01-01", title=f"助浴{i}"
                ),
            )
            out.append(households.publish_need(s, actor=actor, need_id=need.id or 0))  # type: ignore[arg-type]
        return out


@pytest.mark.parametrize("capacity", [1, 3])
def test_capacity_under_ten_times_accepts(
    app, live_server, make_user, make_household, make_org, make_offer, capacity
):
    staff = make_user("hub_staff", hub="330102")
    org = make_org()
    offer = make_offer(make_user("org", org_id=org.id), items=["01-01"], capacity=capacity)
    needs = _service_needs(app, staff, make_household, 10 * capacity)
    proposal_ids = _proposals(app, staff, offer, needs)
    # Several staff accounts of the same hub decide at once, as on a busy morning.
    tokens = []
    with session_scope(get_engine(app)) as s:
        tokens = [
            {
                "Authorization": "Bearer "
                + accounts.issue_token(s, user=s.get(User, staff.id), days=1)
            }  # type: ignore[arg-type]
            for _ in proposal_ids
        ]
    statuses = fire(
        [
            (lambda p=p, h=h: post(live_server.url, f"/api/v1/proposals/{p}/accept", h))
            for p, h in zip(proposal_ids, tokens, strict=True)
        ]
    )
    counts = Counter(statuses)
    assert counts == {200: capacity, 409: 9 * capacity}, counts
    with session_scope(get_engine(app)) as s:
        fresh = s.get(Offer, offer.id)
        assert fresh is not None and fresh.remaining == 0
        assert (
            s.exec(select(func.count()).select_from(Claim).where(Claim.offer_id == offer.id)).one()
            == capacity
        )
        assert (
            s.exec(
                select(func.count()).select_from(Proposal).where(Proposal.status == "accepted")
            ).one()
            == capacity
        )
        assert (
            s.exec(select(func.count()).select_from(Need).where(Need.status == "matched")).one()
            == capacity
        )


def test_consume_capacity_threads(app, make_user, make_org, make_offer):
    """The service itself, 10×C threads each in its own unit of work: exactly C units taken."""
    org = make_org()
    offer = make_offer(make_user("org", org_id=org.id), capacity=4)
    engine = get_engine(app)
    results: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(40)

    def take() -> None:
        barrier.wait()
        with session_scope(engine) as s:
            ok = claims.consume_capacity(s, offer.id or 0)
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=take) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results.count(True) == 4 and results.count(False) == 36
    with session_scope(engine) as s:
        assert s.get(Offer, offer.id).remaining == 0  # type: ignore[union-attr]


def test_database_refuses_negative_capacity(app, make_user, make_org, make_offer):
    org = make_org()
    offer = make_offer(make_user("org", org_id=org.id), capacity=2)
    engine = get_engine(app)
    for sql in (
        "UPDATE offer SET remaining = -1 WHERE id = :id",
        "UPDATE offer SET remaining = capacity + 1 WHERE id = :id",
    ):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(sql), {"id": offer.id})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text('UPDATE "user" SET open_claims = -1'))
    with session_scope(engine) as s:
        assert s.get(Offer, offer.id).remaining == 2  # type: ignore[union-attr]


def test_database_refuses_second_active_claim(app, make_user, make_household, make_need):
    staff = make_user("hub_staff", hub="330102")
    wish = make_need(staff, make_household(staff))
    a, b = make_user("member"), make_user("member")
    engine = get_engine(app)
    with session_scope(engine) as s:
        claims.claim_wish(s, member=s.get(User, a.id), wish_id=wish.id, policy=claims.ClaimPolicy())  # type: ignore[arg-type]
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        # Bypassing the conditional update: the partial unique index still refuses it.
        s.add(Claim(need_id=wish.id, member_id=b.id, due_at=claims.utcnow() + timedelta(days=1)))
        s.flush()
    assert active_claims(app, wish.id) == 1


@pytest.mark.slow
def test_stress_script_repetitions(database_url: str, capsys):
    """scripts/stress.py, a few repetitions (run it with --repeat 20 or more by hand)."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "stress.py"
    spec = importlib.util.spec_from_file_location("zhongfu_stress", path)
    assert spec is not None and spec.loader is not None
    stress = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = stress  # dataclasses look their module up
    spec.loader.exec_module(stress)
    code = stress.main(
        ["--db-url", database_url, "--repeat", "3", "--claimers", "30", "--capacity", "2"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "errors=  0" in out and "OK" in out
