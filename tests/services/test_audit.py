"""The audit log's writers (services/audit.py): who acted on what, values kept as JSON, and the
bulk form the Excel import uses (COPY on PostgreSQL from 200 rows). That the log cannot be changed
and what it records for each action is tested in tests/security/test_audit.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import col, select

from marketplace.models import AuditLog, Region, Role, User
from marketplace.services import audit


def _entries(s, action):
    return list(
        s.exec(select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id)))
    )


def test_record_names_the_actor_and_the_object(db, make_user):
    admin = make_user(Role.ADMIN)
    with db() as s:
        actor = s.get(User, admin.id)
        audit.record(s, actor, "test.user", actor, after={"active": False})
        audit.record(s, None, "test.system", s.get(Region, "330102"))
        audit.record(s, None, "test.job", actor, actor_label="job:alerts")
    with db() as s:
        (by_user,) = _entries(s, "test.user")
        assert (by_user.actor_id, by_user.actor) == (admin.id, admin.username)
        assert (by_user.object_type, by_user.object_id) == ("user", str(admin.id))
        assert by_user.before is None and by_user.after == {"active": False}
        (by_system,) = _entries(s, "test.system")
        assert (by_system.actor_id, by_system.actor) == (None, "system")
        assert (by_system.object_type, by_system.object_id) == ("region", "330102")  # its code
        assert _entries(s, "test.job")[0].actor == "job:alerts"


def test_values_are_kept_as_json(db, make_user):
    admin = make_user(Role.ADMIN)
    with db() as s:
        actor = s.get(User, admin.id)
        audit.record(
            s,
            actor,
            "test.values",
            actor,
            before={"value": Decimal("12.50"), "deadline": date(2026, 3, 1), "none": None},
            after={"tags": ["elderly"], "n": 3, "ok": True, "extra": {"a": 1}},
        )
    with db() as s:
        (entry,) = _entries(s, "test.values")
        assert entry.before == {"value": "12.50", "deadline": "2026-03-01", "none": None}
        assert entry.after == {"tags": ["elderly"], "n": 3, "ok": True, "extra": {"a": 1}}


def test_snapshot_takes_the_named_fields(make_user):
    user = make_user(Role.HUB_STAFF, hub="330102")
    assert audit.snapshot(user, "role", "active") == {"role": "hub_staff", "active": True}


@pytest.mark.parametrize("n", [3, 250])  # one INSERT, or COPY on PostgreSQL
def test_record_many_writes_one_entry_per_object(db, make_user, n):
    admin = make_user(Role.ADMIN)
    with db() as s:
        entries = [(i, {"n": i, "on": date(2026, 1, 1)}) for i in range(1, n + 1)]
        audit.record_many(s, s.get(User, admin.id), "test.bulk", "household", entries)
        audit.record_many(s, s.get(User, admin.id), "test.empty", "household", [])
    with db() as s:
        rows = _entries(s, "test.bulk")
        assert len(rows) == n and _entries(s, "test.empty") == []
        assert [r.object_id for r in rows] == [str(i) for i in range(1, n + 1)]
        assert rows[-1].after == {"n": n, "on": "2026-01-01"}
        assert {(r.actor_id, r.actor, r.object_type) for r in rows} == {
            (admin.id, admin.username, "household")
        }
        assert len({r.at for r in rows}) == 1  # one moment for the whole batch
