"""case file: lifecycle stages, attachments, the audit log's per-object index (DESIGN §10)

Revision ID: 0023_casefile
Revises: 0022_claim_window
Create Date: 2026-12-06 18:00:00

``household.stage`` (monitored 监测对象 → registered 在册 → gradual_exit 渐退期 → exited 退出) with
when it last moved, the end of the gradual exit and when the personal data was anonymised; existing
households are ``registered``. ``householdattachment``: documents and photos of the case file.
``ix_auditlog_object``: a case file's history reads one object's entries, newest first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023_casefile"
down_revision: str | None = "0022_claim_window"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "household",
        sa.Column(
            "stage",
            sqlmodel.sql.sqltypes.AutoString(length=16),
            server_default="registered",
            nullable=False,
        ),
    )
    op.add_column(
        "household",
        sa.Column("stage_changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.add_column("household", sa.Column("gradual_exit_until", sa.Date(), nullable=True))
    op.add_column(
        "household", sa.Column("anonymised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
    )
    op.create_index(op.f("ix_household_stage"), "household", ["stage"])
    op.create_table(
        "householdattachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.ForeignKeyConstraint(["uploaded_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("stored_name"),
    )
    op.create_index(
        "ix_householdattachment_household", "householdattachment", ["household_id", "id"]
    )
    op.create_index("ix_auditlog_object", "auditlog", ["object_type", "object_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_auditlog_object", table_name="auditlog")
    op.drop_index("ix_householdattachment_household", table_name="householdattachment")
    op.drop_table("householdattachment")
    op.drop_index(op.f("ix_household_stage"), table_name="household")
    # plain DROP COLUMN (SQLite ≥ 3.35): a batch rebuild of ``household`` fails on its foreign keys
    op.drop_column("household", "anonymised_at")
    op.drop_column("household", "gradual_exit_until")
    op.drop_column("household", "stage_changed_at")
    op.drop_column("household", "stage")
