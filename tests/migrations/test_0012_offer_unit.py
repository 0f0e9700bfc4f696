"""Migration 0012: offers get a unit; those written before it get the default unit of their first
item (助餐 portions, 陪伴聊天 hours), as a new offer of the same items would; the downgrade drops it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic import command
from flask import Flask
from sqlalchemy import inspect, text

from marketplace.db import get_engine
from marketplace.migrations import alembic_config
from marketplace.models import Offer, User

BEFORE = "0011_delivery_contact"


def test_old_offers_get_their_items_default_unit(
    app: Flask, users: dict[str, User], make_offer: Callable[..., Offer]
):
    meals = make_offer(users["org"], items=["01-01"])
    talks = make_offer(users["org"], items=["09-01", "02-02"])  # 02-02 comes first in code order
    engine = get_engine(app)
    config = alembic_config(engine)
    command.downgrade(config, BEFORE)
    assert "unit" not in {c["name"] for c in inspect(engine).get_columns("offer")}
    command.upgrade(config, "head")
    with engine.connect() as conn:
        units: dict[Any, str] = dict(conn.execute(text("SELECT id, unit FROM offer")).all())
    assert units == {meals.id: "portion", talks.id: "hour"}
