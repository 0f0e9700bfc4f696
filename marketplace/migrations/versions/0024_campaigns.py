"""campaigns (专项活动: 春风行动, 节日慰问) and the leaderboards' name opt-in (DESIGN §11)

Revision ID: 0024_campaigns
Revises: 0023_casefile
Create Date: 2026-12-06 19:30:00

``campaign``: a themed, time-boxed set of wishes with its theme items and target regions;
``need.campaign_id`` (indexed): the campaign a hub added a wish to. ``user.show_name_on_boards``:
a member shows by name on the 爱心积分 leaderboards only if they opt in (default: masked, 张*).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0024_campaigns"
down_revision: str | None = "0023_casefile"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("theme", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("scope_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint('"end" >= start', name="ck_campaign_period"),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaign_status", "campaign", ["status"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column's REFERENCES inline (no ALTER … ADD CONSTRAINT; a batch rebuild
        # of ``need`` would fail on the foreign keys that point at it).
        op.execute("ALTER TABLE need ADD COLUMN campaign_id INTEGER REFERENCES campaign (id)")
    else:
        op.add_column("need", sa.Column("campaign_id", sa.Integer(), nullable=True))
        op.create_foreign_key("need_campaign_id_fkey", "need", "campaign", ["campaign_id"], ["id"])
    op.create_index("ix_need_campaign_id", "need", ["campaign_id"], unique=False)
    op.add_column(
        "user",
        sa.Column(
            "show_name_on_boards", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_column("user", "show_name_on_boards")
    op.drop_index("ix_need_campaign_id", table_name="need")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("need_campaign_id_fkey", "need", type_="foreignkey")
    op.drop_column("need", "campaign_id")
    op.drop_index("ix_campaign_status", table_name="campaign")
    op.drop_table("campaign")
