"""Migration 0020: every organisation gets one project and its existing offers move into it
(with data present); the downgrade drops branches, projects and the new columns."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import inspect, text

from marketplace.db import get_engine
from marketplace.migrations import alembic_config
from marketplace.models import Role

BEFORE = "0019_visits_pairing"


def test_existing_offers_move_into_one_project_per_organisation(
    app, users, make_offer, make_org, make_user
):
    a1 = make_offer(users["org"], items=["01-01"])
    a2 = make_offer(users["org"], items=["07-02"])
    other_org = make_org()
    b1 = make_offer(make_user(Role.ORG, org_id=other_org.id))
    engine = get_engine(app)
    config = alembic_config(engine)
    command.downgrade(config, BEFORE)
    tables = set(inspect(engine).get_table_names())
    assert not {"project", "branch"} & tables
    assert "project_id" not in {c["name"] for c in inspect(engine).get_columns("offer")}
    assert "branch_id" not in {c["name"] for c in inspect(engine).get_columns("user")}
    command.upgrade(config, "head")
    with engine.connect() as conn:
        projects: dict[Any, Any] = {
            org: (pid, title, funding)
            for pid, org, title, funding in conn.execute(
                text("SELECT id, org_id, title, funding FROM project")
            )
        }
        offers = dict(conn.execute(text("SELECT id, project_id FROM offer")).all())
        n_orgs = conn.execute(text("SELECT count(*) FROM organisation")).scalar_one()
        items = conn.execute(
            text("SELECT items FROM project WHERE org_id = :o"), {"o": users["org"].org_id}
        ).scalar_one()
    assert len(projects) == n_orgs  # one per organisation, with offers or not
    assert offers[a1.id] == offers[a2.id] == projects[users["org"].org_id][0]
    assert offers[b1.id] == projects[other_org.id][0]
    assert all(f == "own" for _p, _t, f in projects.values())
    assert "01-01" in str(items) and "07-02" in str(items)
    # The app still works on the migrated data: a new offer goes in the migrated project.
    c1 = make_offer(users["org"])
    assert c1.project_id == projects[users["org"].org_id][0]
