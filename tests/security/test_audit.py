"""Audit (DESIGN §6): append-only in the database and through the application; every state change and
every view of a household's full data is recorded with actor, action, object, time, before/after."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import col, select

from marketplace.db import get_engine, session_scope
from marketplace.models import AuditLog
from tests.factories import PASSWORD
from tests.world import HOUSEHOLDS, World


def entries(app: Flask) -> list[AuditLog]:
    with session_scope(get_engine(app)) as s:
        return list(s.exec(select(AuditLog).order_by(col(AuditLog.id))))


def test_sql_cannot_alter_the_audit_log(app: Flask, world: World):
    engine = get_engine(app)
    before = [(e.id, e.action, e.actor, e.object_id) for e in entries(app)]
    assert before
    statements = [
        "UPDATE auditlog SET actor = 'nobody'",
        "UPDATE auditlog SET action = 'x' WHERE id = 1",
        "DELETE FROM auditlog WHERE id = 1",
        "DELETE FROM auditlog",
    ]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE auditlog")
    for sql in statements:
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    assert [(e.id, e.action, e.actor, e.object_id) for e in entries(app)] == before
    # Appending still works.
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO auditlog (at, actor, action, object_type, object_id) "
                "VALUES (CURRENT_TIMESTAMP, 't', 'test.append', 'x', '1')"
            )
        )


# The only routes that take PUT, PATCH or DELETE, and how: an API client revokes its own tokens
# (issue 11, item 7); hub staff replace a household's profile and move a referral on (issue 13);
# hub staff edit a household or a need, an organisation its offer, staff end a pairing (issue 14);
# a member withdraws interest in a wish (issue 15). None touches the audit log.
WRITES = {
    "/api/v1/tokens/current": {"DELETE"},
    "/api/v1/tokens/<int:token_id>": {"DELETE"},
    "/api/v1/households/<int:household_id>/profile": {"PUT"},
    "/api/v1/referrals/<int:referral_id>": {"PATCH"},
    "/api/v1/households/<int:household_id>": {"PATCH"},
    "/api/v1/needs/<int:need_id>": {"PATCH"},
    "/api/v1/offers/<int:offer_id>": {"PATCH"},
    "/api/v1/pairings/<int:pairing_id>": {"DELETE"},
    "/api/v1/wishes/<int:wish_id>/interest": {"DELETE"},
}


def test_no_route_can_change_the_audit_log(app: Flask):
    writes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & {"PUT", "PATCH", "DELETE"}
        if methods:  # (one path may have several rules: GET and PATCH of a household)
            writes.setdefault(rule.rule, set()).update(methods)
        if "audit" in rule.rule or "audit" in rule.endpoint:
            assert (rule.methods or set()) - {"HEAD", "OPTIONS"} == {"GET"}, rule.rule
    assert writes == WRITES


def test_state_changes_and_views_are_recorded(app: Flask, world: World, make_user, api_token):
    client = app.test_client()
    staff = world.tokens["hub_owner"]
    start = len(entries(app))
    hid = world.household_ids[1]
    assert client.get(f"/api/v1/households/{hid}", headers=staff).status_code == 200
    html = app.test_client()
    html.post(
        "/auth/login", data={"username": world.users["hub_owner"].username, "password": PASSWORD}
    )
    assert html.get(f"/hub/households/{hid}").status_code == 200
    # A refused view (other district) writes nothing and shows nothing.
    assert (
        client.get(f"/api/v1/households/{hid}", headers=world.tokens["hub_staff"]).status_code
        == 404
    )
    r = client.post(f"/api/v1/wishes/{world.wish_open}/claim", headers=world.tokens["member"])
    claim_id = r.get_json()["id"]
    assert (
        client.post(
            f"/api/v1/claims/{claim_id}/deliver",
            json={"note": "delivered to the door"},
            headers=world.tokens["member"],
        ).status_code
        == 200
    )
    assert client.post(f"/api/v1/needs/{world.wish_open}/confirm", headers=staff).status_code == 200
    assert (
        client.post(f"/api/v1/proposals/{world.proposal_id}/accept", headers=staff).status_code
        == 200
    )
    new = entries(app)[start:]
    actions = [(e.action, e.actor, e.object_type, e.object_id) for e in new]
    hub_owner, member = world.users["hub_owner"].username, world.users["member"].username
    views = [a for a in actions if a[0] == "household.view"]
    assert views == [("household.view", hub_owner, "household", str(hid))] * 2, actions
    assert ("claim.create", member, "claim", str(claim_id)) in actions
    assert ("claim.deliver", member, "claim", str(claim_id)) in actions
    assert ("need.confirm", hub_owner, "need", str(world.wish_open)) in actions
    assert ("proposal.accept", hub_owner, "proposal", str(world.proposal_id)) in actions
    for e in new:
        assert e.at is not None and e.actor and e.object_id
    deliver = next(e for e in new if e.action == "claim.deliver")
    assert deliver.before == {"status": "active"} and deliver.after["status"] == "delivered"  # type: ignore[index]
    confirm = next(e for e in new if e.action == "need.confirm")
    assert confirm.before == {"status": "delivered"} and confirm.after["status"] == "confirmed"  # type: ignore[index]


def test_audit_log_holds_no_full_personal_data(app: Flask, world: World):
    """The log is read by administrators, who do not see households: values are masked."""
    dump = repr([(e.before, e.after) for e in entries(app)])
    for data in HOUSEHOLDS:
        assert data["id_number"] not in dump and data["phone"] not in dump
        assert data["address"] not in dump


def test_admin_audit_page_is_read_only_and_filterable(app: Flask, world: World):
    client = app.test_client()
    client.post(
        "/auth/login", data={"username": world.users["admin"].username, "password": PASSWORD}
    )
    r = client.get("/admin/audit?action=household&object_type=household")
    assert r.status_code == 200 and "household.create" in r.get_data(as_text=True)
    assert client.post("/admin/audit").status_code == 405
