"""contributions: service records, points and certificates

Revision ID: 0014_contributions
Revises: 0013_monitoring
Create Date: 2026-12-06 03:30:00

Issue 16 part A (DESIGN §11): the hours a deliverer declares with a delivery report; the
contribution record (志愿服务记录) of every confirmed delivery, with nullable branch and project
columns for later; points (爱心积分) movements; issued certificates (志愿服务记录证明) with their
random code and the totals fixed at issue.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014_contributions"
down_revision: str | None = "0013_monitoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("claim") as batch:
        batch.add_column(sa.Column("declared_hours", sa.Numeric(4, 1), nullable=True))

    op.create_table(
        "contribution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_no", _S(length=20), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("need_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("volunteer_name", _S(length=120), nullable=False),
        sa.Column("organisation_name", _S(length=120), nullable=False),
        sa.Column("item_code", _S(length=5), nullable=False),
        sa.Column("content", _S(length=100), nullable=False),
        sa.Column("community_code", _S(length=12), nullable=False),
        sa.Column("household_label", _S(length=16), nullable=False),
        sa.Column("started_at", _T(), nullable=False),
        sa.Column("ended_at", _T(), nullable=False),
        sa.Column("hours_declared", sa.Numeric(4, 1), nullable=True),
        sa.Column("hours", sa.Numeric(4, 1), nullable=False),
        sa.Column("hub_id", sa.Integer(), nullable=True),
        sa.Column("recording_unit", _S(length=80), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", _T(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.CheckConstraint("hours >= 0 AND hours <= 24", name="ck_contribution_hours"),
        sa.ForeignKeyConstraint(["claim_id"], ["claim.id"]),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["hub_id"], ["hub.id"]),
        sa.ForeignKeyConstraint(["confirmed_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("claim_id", name="uq_contribution_claim"),
        sa.UniqueConstraint("record_no"),
    )
    op.create_index("ix_contribution_member_end", "contribution", ["member_id", "ended_at"])
    op.create_index("ix_contribution_org_end", "contribution", ["org_id", "ended_at"])

    op.create_table(
        "pointentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("contribution_id", sa.Integer(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", _S(length=32), nullable=False),
        sa.Column("rules_version", _S(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", _T(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["contribution_id"], ["contribution.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pointentry_member", "pointentry", ["member_id", "id"])
    op.create_index("ix_pointentry_org", "pointentry", ["org_id", "id"])

    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", _S(length=43), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("volunteer", _S(length=16), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(8, 1), nullable=False),
        sa.Column("record_ids", sa.JSON(), nullable=False),
        sa.Column("issued_at", _T(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_certificate_member", "certificate", ["member_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_certificate_member", table_name="certificate")
    op.drop_table("certificate")
    op.drop_index("ix_pointentry_org", table_name="pointentry")
    op.drop_index("ix_pointentry_member", table_name="pointentry")
    op.drop_table("pointentry")
    op.drop_index("ix_contribution_org_end", table_name="contribution")
    op.drop_index("ix_contribution_member_end", table_name="contribution")
    op.drop_table("contribution")
    with op.batch_alter_table("claim") as batch:
        batch.drop_column("declared_hours")
