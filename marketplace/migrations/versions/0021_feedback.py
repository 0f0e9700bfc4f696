"""幸福码 feedback: help requests, ratings and thanks, 幸福清单 acknowledgements (DESIGN §10, §11)

Revision ID: 0021_feedback
Revises: 0020_branches_projects
Create Date: 2026-12-06 08:00:00

Help requests from the 幸福码 are ``lead`` rows (source ``happiness``, table of 0015). This revision
adds the household's ratings and thanks (``feedback``: one per 幸福清单 item, moderated by hub
staff), its acknowledgements of items that are not claims (``listack``: visits, policy benefits),
and each hub's choice whether helpers see the ratings (``hub.share_ratings``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0021_feedback"
down_revision: str | None = "0020_branches_projects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("community_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("item_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("words", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("moderated_by", sa.Integer(), nullable=True),
        sa.Column("moderated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name="ck_feedback_rating"),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["moderated_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_kind", "item_id", name="uq_feedback_item"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Region codes compare bytewise on every database (see 0006), so the subtree ranges of
        # services/regions.in_subtree can use the indexes below.
        op.execute('ALTER TABLE feedback ALTER COLUMN community_code TYPE VARCHAR(12) COLLATE "C"')
    op.create_index(op.f("ix_feedback_household_id"), "feedback", ["household_id"])
    op.create_index(op.f("ix_feedback_member_id"), "feedback", ["member_id"])
    op.create_index(op.f("ix_feedback_org_id"), "feedback", ["org_id"])
    op.create_index("ix_feedback_status_community", "feedback", ["status", "community_code"])
    op.create_index("ix_feedback_community_created", "feedback", ["community_code", "created_at"])

    op.create_table(
        "listack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("item_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_kind", "item_id", name="uq_listack_item"),
    )
    op.create_index(op.f("ix_listack_household_id"), "listack", ["household_id"])

    op.add_column(
        "hub",
        sa.Column("share_ratings", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("hub", "share_ratings")
    op.drop_index(op.f("ix_listack_household_id"), table_name="listack")
    op.drop_table("listack")
    op.drop_index("ix_feedback_community_created", table_name="feedback")
    op.drop_index("ix_feedback_status_community", table_name="feedback")
    op.drop_index(op.f("ix_feedback_org_id"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_member_id"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_household_id"), table_name="feedback")
    op.drop_table("feedback")
