"""claim window: expressions of interest and recorded draws (DESIGN §12, issue 15 item 2)

Revision ID: 0022_claim_window
Revises: 0021_feedback
Create Date: 2026-12-06 19:00:00

A newly published wish first collects expressions of interest (``claiminterest``) until
``need.window_closes_at``; then housekeeping draws one member, weighted, and records the draw
(``claimdraw``: seed, candidates with weights, winner, the claim it created). ``user.community_code``
is a member's home community (常住社区), which the draw's nearness weight reads.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0022_claim_window"
down_revision: str | None = "0021_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "need", sa.Column("window_closes_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
    )
    op.create_index(op.f("ix_need_window_closes_at"), "need", ["window_closes_at"])
    op.add_column(
        "user",
        sa.Column("community_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
    )
    op.create_table(
        "claiminterest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("need_id", "member_id", name="uq_claiminterest_need_member"),
    )
    op.create_index("ix_claiminterest_member", "claiminterest", ["member_id", "created_at"])
    op.create_table(
        "claimdraw",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("seed", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("excluded", sa.JSON(), nullable=False),
        sa.Column("winner_id", sa.Integer(), nullable=True),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("drawn_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claim.id"]),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"]),
        sa.ForeignKeyConstraint(["winner_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("need_id"),
    )
    op.create_index("ix_claimdraw_drawn", "claimdraw", ["drawn_at"])


def downgrade() -> None:
    op.drop_index("ix_claimdraw_drawn", table_name="claimdraw")
    op.drop_table("claimdraw")
    op.drop_index("ix_claiminterest_member", table_name="claiminterest")
    op.drop_table("claiminterest")
    op.drop_column("user", "community_code")
    op.drop_index(op.f("ix_need_window_closes_at"), table_name="need")
    op.drop_column("need", "window_closes_at")
