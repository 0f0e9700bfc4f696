"""visits, pairings and care indicators (DESIGN §10)

Revision ID: 0019_visits_pairing
Revises: 0018_casefile
Create Date: 2026-12-06 08:00:00

Issue 14 items 4, 5 and 8: visits (探访关爱) and when each household's next one falls due, pairings
(结对帮扶: one active pairing per household), the time a paired household's wish joins the pool
(``need.pool_from``), and the snapshot of the care indicators by region.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019_visits_pairing"
down_revision: str | None = "0018_casefile"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString
T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.add_column("need", sa.Column("pool_from", T(), nullable=True))
    op.create_table(
        "pairing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("ended_at", T(), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        sa.Column("reason", S(length=500), nullable=False),
        sa.CheckConstraint("(member_id IS NULL) <> (org_id IS NULL)", name="ck_pairing_one_helper"),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["ended_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_pairing_household_active",
        "pairing",
        ["household_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index("ix_pairing_member", "pairing", ["member_id", "ended_at"])
    op.create_index("ix_pairing_org", "pairing", ["org_id", "ended_at"])
    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("mode", S(length=8), nullable=False),
        sa.Column("note", S(length=1000), nullable=False),
        sa.Column("public_note", S(length=1000), nullable=False),
        sa.Column("findings", S(length=1000), nullable=False),
        sa.Column("visitor_id", sa.Integer(), nullable=False),
        sa.Column("pairing_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("contribution_id", sa.Integer(), nullable=True),
        sa.Column("created_at", T(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.ForeignKeyConstraint(["visitor_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["pairing_id"], ["pairing.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["monitoringevent.id"]),
        sa.ForeignKeyConstraint(["contribution_id"], ["contribution.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_visit_household", "visit", ["household_id", "visited_on"])
    op.create_index("ix_visit_visitor_id", "visit", ["visitor_id"])
    op.create_table(
        "visitschedule",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("community_code", S(length=12), nullable=False),
        sa.Column("last_visited_on", sa.Date(), nullable=True),
        sa.Column("due_1", sa.Date(), nullable=False),
        sa.Column("due_2", sa.Date(), nullable=False),
        sa.Column("due_3", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.PrimaryKeyConstraint("household_id"),
    )
    op.create_index("ix_visitschedule_region", "visitschedule", ["community_code"])
    op.create_table(
        "careindicator",
        sa.Column("region_code", S(length=12), nullable=False),
        sa.Column("level", S(length=16), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("visits_due", sa.Integer(), nullable=False),
        sa.Column("visits_on_time", sa.Integer(), nullable=False),
        sa.Column("paired", sa.Integer(), nullable=False),
        sa.Column("list_items", sa.Integer(), nullable=False),
        sa.Column("list_delivered", sa.Integer(), nullable=False),
        sa.Column("ratings", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.Column("taken_at", T(), nullable=False),
        sa.PrimaryKeyConstraint("region_code"),
    )


def downgrade() -> None:
    op.drop_table("careindicator")
    op.drop_index("ix_visitschedule_region", table_name="visitschedule")
    op.drop_table("visitschedule")
    op.drop_index("ix_visit_visitor_id", table_name="visit")
    op.drop_index("ix_visit_household", table_name="visit")
    op.drop_table("visit")
    op.drop_index("ix_pairing_org", table_name="pairing")
    op.drop_index("ix_pairing_member", table_name="pairing")
    op.drop_index("uq_pairing_household_active", table_name="pairing")
    op.drop_table("pairing")
    op.drop_column("need", "pool_from")
