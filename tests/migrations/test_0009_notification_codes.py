"""Migration 0009: notifications and match round messages stored as English text become message
codes with parameters and an object reference; the downgrade writes the texts back."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from alembic import command
from flask import Flask
from sqlalchemy import text

from marketplace.db import get_engine
from marketplace.migrations import alembic_config
from marketplace.models import Role, User

BEFORE = "0008_region_boundaries"
# (kind, text, link) as the services wrote them before codes.
OLD_NOTIFICATIONS = [
    (
        "delivery_awaiting",
        "A delivery awaits your confirmation: 电饭煲",
        "/hub/deliveries?claim=7#need-9",
    ),
    ("delivery_rejected", "Delivery not confirmed: 轮椅 — 照片不清楚", "/member/claims"),
    ("offer_low", "Offer nearly used up (1 of 10 left): 助餐服务", "/org/#offer-3"),
    ("claim_expiring", "Your claim is due within a day: 大米", "/member/claims/5/deliver"),
    ("claim_expired", "A claim expired and the wish went back to the pool", "/member/claims"),
    ("assignment", "Some text no service ever wrote", None),
]
OLD_ROUNDS = [
    ("done", "done"),
    ("failed", "failed: internal error (reference ab12cd34)"),
    ("failed", "timeout: time limit exceeded"),
]


def _rows(app: Flask, sql: str) -> list[Any]:
    with get_engine(app).connect() as conn:
        return list(conn.execute(text(sql)))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_old_rows_become_codes_and_come_back(app: Flask, make_user: Callable[..., User]):
    member = make_user(Role.MEMBER)
    engine = get_engine(app)
    config = alembic_config(engine)
    command.downgrade(config, BEFORE)
    with engine.begin() as conn:
        for kind, body, link in OLD_NOTIFICATIONS:
            conn.execute(
                text(
                    "INSERT INTO notification (user_id, kind, text, link, created_at)"
                    " VALUES (:u, :k, :t, :l, CURRENT_TIMESTAMP)"
                ),
                {"u": member.id, "k": kind, "t": body, "l": link},
            )
        for status, message in OLD_ROUNDS:
            conn.execute(
                text(
                    "INSERT INTO matchround (started_by, status, progress, message, stats,"
                    " created_at) VALUES (:u, :s, 1.0, :m, :st, CURRENT_TIMESTAMP)"
                ),
                {"u": member.id, "s": status, "m": message, "st": json.dumps({"needs": 4})},
            )

    command.upgrade(config, "head")
    rows = _rows(app, "SELECT kind, code, params, ref_type, ref_id FROM notification ORDER BY id")
    assert [(r.kind, r.code, _json(r.params), r.ref_type, r.ref_id) for r in rows] == [
        (
            "delivery_awaiting",
            "notice.delivery_awaiting",
            {"title": "电饭煲", "need": 9},
            "claim",
            7,
        ),
        (
            "delivery_rejected",
            "notice.delivery_rejected",
            {"title": "轮椅", "reason": "照片不清楚"},
            None,
            None,
        ),
        (
            "offer_low",
            "notice.offer_low",
            {"remaining": 1, "capacity": 10, "title": "助餐服务"},
            "offer",
            3,
        ),
        ("claim_expiring", "notice.claim_expiring", {"title": "大米"}, "claim", 5),
        ("claim_expired", "notice.claim_expired", {}, None, None),
        ("assignment", "raw", {"text": "Some text no service ever wrote"}, None, None),
    ]
    rounds = _rows(app, "SELECT message, stats FROM matchround ORDER BY id")
    assert [(r.message, _json(r.stats)) for r in rounds] == [
        ("round.done", {"needs": 4}),
        ("round.failed", {"needs": 4, "message_params": {"ref": "ab12cd34"}}),
        ("round.timeout", {"needs": 4}),
    ]

    command.downgrade(config, BEFORE)
    rows = _rows(app, "SELECT kind, text, link FROM notification ORDER BY id")
    assert [tuple(r) for r in rows] == [
        (kind, body, link or "/org/assignments") for kind, body, link in OLD_NOTIFICATIONS
    ]
    rounds = _rows(app, "SELECT status, message FROM matchround ORDER BY id")
    assert [tuple(r) for r in rounds] == [
        ("done", "done"),
        ("failed", "failed: internal error (reference ab12cd34)"),
        ("failed", "timeout"),
    ]
    command.upgrade(config, "head")


def test_a_migrated_notification_reads_in_chinese(
    app: Flask, client, make_user: Callable[..., User], login_as
):
    member = make_user(Role.MEMBER)
    engine = get_engine(app)
    config = alembic_config(engine)
    command.downgrade(config, BEFORE)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO notification (user_id, kind, text, link, created_at)"
                " VALUES (:u, 'delivery_confirmed', 'Delivery confirmed: 电饭煲', '/member/claims',"
                " CURRENT_TIMESTAMP)"
            ),
            {"u": member.id},
        )
    command.upgrade(config, "head")
    engine.dispose()  # the app's pooled connections knew the old table
    login_as(member)
    page = client.get("/notifications").get_data(as_text=True)
    assert "送达已确认：电饭煲" in page and "Delivery confirmed:" not in page
