"""Migration 0011: hubs get an empty contact, existing needs a handover at the hub and no
instructions, claims room for a give-back reason; the downgrade drops them again."""

from __future__ import annotations

from alembic import command
from flask import Flask
from sqlalchemy import inspect, text

from marketplace.db import get_engine
from marketplace.migrations import alembic_config
from tests.factories import COMMUNITY, valid_id_number

BEFORE = "0010_need_public_title"


def test_existing_rows_get_defaults_and_the_downgrade_drops_the_columns(app: Flask):
    engine = get_engine(app)
    config = alembic_config(engine)
    command.downgrade(config, BEFORE)
    assert "delivery_mode" not in {c["name"] for c in inspect(engine).get_columns("need")}
    assert "contact_phone" not in {c["name"] for c in inspect(engine).get_columns("hub")}
    with engine.begin() as conn:  # a household and a need written before 0011
        conn.execute(
            text(
                "INSERT INTO household (name, id_number, phone, address, community_code,"
                " hardship_type, risk_score, members, tags, name_initials, id_tail, token,"
                " created_at) VALUES ('张三', :idn, '13800000000', '某路1号', :c, 'care', 50, 1,"
                " '[]', 'zs', '0000', 'tok-0011', CURRENT_TIMESTAMP)"
            ),
            {"idn": valid_id_number(11), "c": COMMUNITY},
        )
        conn.execute(
            text(
                "INSERT INTO need (household_id, kind, item_code, title, description,"
                " public_text, public_title, value_yuan, status, community_code, created_at)"
                " SELECT id, 'wish', '07-02', '电饭煲', '', '', '', 0, 'open', :c,"
                " CURRENT_TIMESTAMP FROM household WHERE token = 'tok-0011'"
            ),
            {"c": COMMUNITY},
        )
    command.upgrade(config, "0011_delivery_contact")
    with engine.begin() as conn:
        mode, instructions = conn.execute(
            text("SELECT delivery_mode, delivery_instructions FROM need")
        ).one()
        assert (mode, instructions) == ("handover", "")
        contact = conn.execute(
            text("SELECT contact_name, contact_phone, handover_address, office_hours FROM hub")
        ).first()
        assert contact is not None and tuple(contact) == ("", "", "", "")
        assert "give_up_reason" in {c["name"] for c in inspect(conn).get_columns("claim")}
    command.upgrade(config, "head")  # later migrations keep households that have needs
    engine.dispose()
