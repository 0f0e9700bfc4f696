"""Invariants hold on the demo data, and the restore drill passes on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

import pytest

from marketplace.demo import seed_demo
from marketplace.invariants import row_counts, violations
from tests.factories import PG_URL


def test_demo_data_is_sound(db):
    with db() as s:
        seed_demo(s)
    with db() as s:
        assert violations(s) == dict.fromkeys(violations(s), 0)
        counts = row_counts(s)
        assert counts["household"] >= 100 and counts["offer"] >= 10 and counts["auditlog"] > 0


def test_broken_data_is_reported(db, make_user, make_household, make_need):
    staff = make_user("hub_staff", hub="330102")
    need = make_need(staff, make_household(staff))
    from sqlalchemy import text

    with db() as s:
        s.execute(text("UPDATE need SET status = 'claimed' WHERE id = :id"), {"id": need.id})
    with db() as s:
        assert violations(s)["claimed/matched/delivered needs have an active claim"] == 1


@pytest.mark.skipif(not PG_URL, reason="the restore drill needs PostgreSQL (pg_dump/pg_restore)")
def test_restore_drill(db, database_url):
    with db() as s:
        seed_demo(s)
    result = subprocess.run(
        [sys.executable, "scripts/restore_drill.py", database_url], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "restore drill: PASSED" in result.stdout
