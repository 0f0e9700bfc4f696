"""Faults: the database going away gives a clean 503 (no traceback, nothing half-written) and the
app recovers when it is back; a match round whose solve fails or times out changes nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select

import matching
from marketplace import db as dbmod
from marketplace.db import get_engine, make_engine, session_scope
from marketplace.models import Household, MatchRound, Offer, Proposal
from marketplace.services import audit, households
from tests.factories import PASSWORD, valid_id_number
from tests.world import World

PAYLOAD = {
    "name": "王五",
    "phone": "13700001111",
    "address": "某路1号",
    "community_code": "330102001051",
    "hardship_type": "care",
    "risk_score": 50,
}


def _households(app: Flask) -> int:
    with session_scope(get_engine(app)) as s:
        return int(s.exec(select(func.count()).select_from(Household)).one())


def _clean_503(r: Any) -> None:
    assert r.status_code == 503
    body = r.get_data(as_text=True)
    assert "Traceback" not in body and "sqlalchemy" not in body.lower() and "psycopg" not in body


def test_database_unavailable_is_a_clean_503_and_recovers(app: Flask, world: World, tmp_path):
    client = app.test_client()
    html = app.test_client()
    html.post(
        "/auth/login", data={"username": world.users["member"].username, "password": PASSWORD}
    )
    good = app.extensions["zhongfu_engine"]
    broken = make_engine(f"sqlite:///{tmp_path}/missing/dir/none.db")
    app.extensions["zhongfu_engine"] = broken
    try:
        _clean_503(client.get("/api/v1/wishes", headers=world.tokens["member"]))
        assert (
            client.get("/api/v1/wishes", headers=world.tokens["member"]).get_json()["error"]
            == "unavailable"
        )
        _clean_503(html.get("/member/"))
        _clean_503(client.get("/"))
    finally:
        app.extensions["zhongfu_engine"] = good
        broken.dispose()
    assert client.get("/api/v1/wishes", headers=world.tokens["member"]).status_code == 200
    assert html.get("/member/").status_code == 200


def test_failure_mid_request_writes_nothing(app: Flask, world: World, monkeypatch):
    """The household row is flushed, then the database fails while auditing: all undone."""
    real = audit.record_many  # households are audited in bulk (as the Excel import does)
    before = _households(app)

    def failing(session: Any, actor: Any, action: str, *args: Any, **kwargs: Any) -> None:
        if action == "household.create":
            raise OperationalError(
                "INSERT INTO auditlog", {}, Exception("server closed the connection")
            )
        real(session, actor, action, *args, **kwargs)

    monkeypatch.setattr(households.audit, "record_many", failing)
    r = app.test_client().post(
        "/api/v1/households",
        json=PAYLOAD | {"id_number": valid_id_number(31)},
        headers=world.tokens["hub_owner"],
    )
    _clean_503(r)
    assert _households(app) == before
    monkeypatch.setattr(households.audit, "record_many", real)
    r = app.test_client().post(
        "/api/v1/households",
        json=PAYLOAD | {"id_number": valid_id_number(31)},
        headers=world.tokens["hub_owner"],
    )
    assert r.status_code == 201 and _households(app) == before + 1


def _terminate_app_backends(app: Flask) -> int:
    engine = get_engine(app)
    database = engine.url.database
    admin = make_engine(engine.url.set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            ).scalar_one()
            conn.commit()
    finally:
        admin.dispose()
    return int(killed)


def test_postgres_backends_killed_between_requests(app: Flask, world: World):
    if get_engine(app).dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set ZHONGFU_TEST_DATABASE_URL)")
    client = app.test_client()
    headers = world.tokens["member"]
    for _ in range(3):
        assert client.get("/api/v1/wishes", headers=headers).status_code == 200
        assert _terminate_app_backends(app) >= 1
        # pool_pre_ping notices the dead connection and opens a new one: no error at all.
        assert client.get("/api/v1/wishes", headers=headers).status_code == 200


def test_postgres_backend_killed_inside_a_request(app: Flask, world: World, monkeypatch):
    if get_engine(app).dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (set ZHONGFU_TEST_DATABASE_URL)")
    real = audit.record_many  # households are audited in bulk (as the Excel import does)
    before = _households(app)

    def kill_then_record(session: Any, actor: Any, action: str, *args: Any, **kwargs: Any) -> None:
        if action == "household.create":
            # From a second connection, as an administrator restarting the server would.
            t = threading.Thread(target=_terminate_app_backends, args=(app,))
            t.start()
            t.join()
        real(session, actor, action, *args, **kwargs)
        session.flush()

    monkeypatch.setattr(households.audit, "record_many", kill_then_record)
    r = app.test_client().post(
        "/api/v1/households",
        json=PAYLOAD | {"id_number": valid_id_number(32)},
        headers=world.tokens["hub_owner"],
    )
    _clean_503(r)
    monkeypatch.setattr(households.audit, "record_many", real)
    assert _households(app) == before
    r = app.test_client().get("/api/v1/wishes", headers=world.tokens["member"])
    assert r.status_code == 200


@pytest.mark.parametrize("failure", ["error", "timeout"])
def test_failed_match_round_changes_nothing(app: Flask, world: World, monkeypatch, failure: str):
    def broken(problem: Any, **kwargs: Any) -> Any:
        if failure == "timeout":
            raise matching.SolveTimeout("time limit reached")
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(matching, "solve", broken)
    with session_scope(get_engine(app)) as s:
        proposals = s.exec(select(func.count()).select_from(Proposal)).one()
        remaining = s.get(Offer, world.offer_id).remaining  # type: ignore[union-attr]
    r = app.test_client().post("/api/v1/match-rounds", headers=world.tokens["hub_owner"])
    assert r.status_code == 202
    round_id = r.get_json()["id"]
    with session_scope(get_engine(app)) as s:
        rnd = s.get(MatchRound, round_id)
        assert rnd is not None and rnd.status == "failed"
        assert s.exec(select(func.count()).select_from(Proposal)).one() == proposals
        assert (
            s.exec(
                select(func.count()).select_from(Proposal).where(Proposal.round_id == round_id)
            ).one()
            == 0
        )
        assert s.get(Offer, world.offer_id).remaining == remaining  # type: ignore[union-attr]
    r = app.test_client().get(f"/api/v1/match-rounds/{round_id}", headers=world.tokens["hub_owner"])
    assert r.status_code == 200 and r.get_json()["status"] == "failed"
    assert "Traceback" not in r.get_data(as_text=True)


def test_round_control_without_failure(app: Flask, world: World):
    """The same round with a working solver does propose (so the test above is meaningful)."""
    r = app.test_client().post("/api/v1/match-rounds", headers=world.tokens["hub_owner"])
    round_id = r.get_json()["id"]
    r = app.test_client().get(f"/api/v1/match-rounds/{round_id}", headers=world.tokens["hub_owner"])
    assert r.get_json()["status"] == "done"


del dbmod
