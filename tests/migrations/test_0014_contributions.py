"""Migration 0014: claims reported before it have no declared hours (their record gets the hub's
figure, or 0); the downgrade drops the records, points and certificates and the claim's hours."""

from __future__ import annotations

from decimal import Decimal

from alembic import command
from sqlalchemy import inspect
from sqlmodel import select

from marketplace.db import get_engine, session_scope
from marketplace.migrations import alembic_config
from marketplace.models import Claim, Contribution, PointEntry, Role
from tests.factories import confirm, delivered_claim

BEFORE = "0013_monitoring"
TABLES = {"contribution", "pointentry", "certificate"}


def test_claims_delivered_before_get_records_after(app, make_user):
    staff, member = make_user(Role.HUB_STAFF, hub="330102"), make_user(Role.MEMBER)
    claim = delivered_claim(app, staff, member, hours="2")
    engine = get_engine(app)
    config = alembic_config(engine)
    command.downgrade(config, BEFORE)
    assert not TABLES & set(inspect(engine).get_table_names())
    assert "declared_hours" not in {c["name"] for c in inspect(engine).get_columns("claim")}
    command.upgrade(config, "head")
    assert set(inspect(engine).get_table_names()) >= TABLES
    with app.app_context(), session_scope(engine) as s:
        assert s.get(Claim, claim.id).declared_hours is None
    confirm(app, staff, claim.need_id)
    with app.app_context(), session_scope(engine) as s:
        record = s.exec(select(Contribution)).one()
        assert record.hours == Decimal(0) and record.hours_declared is None
        assert s.exec(select(PointEntry)).one().contribution_id == record.id
    command.downgrade(config, BEFORE)
    assert not TABLES & set(inspect(engine).get_table_names())
    command.upgrade(config, "head")
