"""monitoring: household profile, resilience score model and score history

Revision ID: 0013_monitoring
Revises: 0012_offer_unit
Create Date: 2026-12-06 03:00:00

Issue 13 part A (DESIGN §9): the household's profile in seven dimensions (its source as a column,
the other indicators as JSON), the versions of the scoring model, every computed score with its
explanation, and the history of profile edits. Households registered before keep the score staff
typed (their profile is empty) until their profile is recorded; ``zhongfu resilience rescore``
leaves them alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0013_monitoring"
down_revision: str | None = "0012_offer_unit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN, not batch mode: on SQLite a batch rebuild drops and recreates the household
    # table, which foreign keys from needs (PRAGMA foreign_keys=ON) refuse once households have needs.
    op.add_column(
        "household",
        sa.Column(
            "source",
            sqlmodel.sql.sqltypes.AutoString(length=24),
            nullable=False,
            server_default="monitored",
        ),
    )
    op.add_column(
        "household",
        sa.Column("profile", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    )
    op.create_index("ix_household_source", "household", ["source"])

    op.create_table(
        "resiliencemodel",
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("checksum", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("loaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("loaded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["loaded_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_index("ix_resiliencemodel_loaded_at", "resiliencemodel", ["loaded_at"])
    op.create_table(
        "householdscore",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("model_version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("contributions", sa.JSON(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("computed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("computed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.ForeignKeyConstraint(["computed_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_householdscore_household", "householdscore", ["household_id", "id"])
    op.create_table(
        "profilechange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.ForeignKeyConstraint(["changed_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_profilechange_household", "profilechange", ["household_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_profilechange_household", table_name="profilechange")
    op.drop_table("profilechange")
    op.drop_index("ix_householdscore_household", table_name="householdscore")
    op.drop_table("householdscore")
    op.drop_index("ix_resiliencemodel_loaded_at", table_name="resiliencemodel")
    op.drop_table("resiliencemodel")
    # Plain DROP COLUMN (SQLite ≥ 3.35 has it), for the same reason as the upgrade's ADD COLUMN.
    op.drop_index("ix_household_source", table_name="household")
    op.drop_column("household", "profile")
    op.drop_column("household", "source")
