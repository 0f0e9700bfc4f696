"""Migration 0013: households registered before profiles keep the score staff typed (an empty
profile, source 'monitored'), read as a 'legacy' score until their profile is recorded; the
downgrade drops the profile, the score history and the model versions."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import select

from marketplace.db import get_engine, session_scope
from marketplace.migrations import alembic_config
from marketplace.models import Household, Role, User
from marketplace.services import resilience

BEFORE = "0012_offer_unit"


def test_old_households_keep_their_typed_score(app, make_user):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    engine = get_engine(app)
    config = alembic_config(engine)
    command.downgrade(config, BEFORE)
    assert "householdscore" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO household (name, id_number, phone, address, community_code,"
                " hardship_type, risk_score, members, tags, name_initials, id_tail, token,"
                " created_by, created_at) VALUES ('老户', '330102194912310029', '13800000000',"
                " '某路1号', '330102001051', 'care', 37, 1, '[]', 'lh', '0029', 'tok-0013',"
                " :u, CURRENT_TIMESTAMP)"
            ),
            {"u": staff.id},
        )
        conn.execute(  # a need points at it: the upgrade must not rebuild the household table
            text(
                "INSERT INTO need (household_id, kind, item_code, title, description,"
                " public_text, public_title, value_yuan, status, community_code, created_at)"
                " SELECT id, 'wish', '07-02', '电饭煲', '', '', '', 0, 'open', '330102001051',"
                " CURRENT_TIMESTAMP FROM household WHERE token = 'tok-0013'"
            )
        )
    command.upgrade(config, "head")
    with app.app_context(), session_scope(engine) as s:
        household = s.exec(select(Household).where(Household.token == "tok-0013")).one()
        assert household.profile == {} and household.source == "monitored"
        assert household.risk_score == 37
        score = resilience.household_score(
            s, actor=s.get_one(User, staff.id), household_id=household.id
        )
        assert score.model_version == "legacy" and score.score == 37
        report = resilience.rescore_all(s)
        assert report.unprofiled == 1 and report.changed_score == 0
    command.downgrade(config, BEFORE)
    columns = {c["name"] for c in inspect(engine).get_columns("household")}
    assert "profile" not in columns and "source" not in columns
    command.upgrade(config, "head")
