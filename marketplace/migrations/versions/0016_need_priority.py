"""stored need priority (DESIGN §5: risk level, raised for 急难型 and open important warnings)

Revision ID: 0016_need_priority
Revises: 0015_warnings
Create Date: 2026-12-06 08:00:00

``need.priority`` (1–3), kept by ``services/priority.py``, so the wish pool orders by an index
instead of computing every open wish's priority through its household. The existing rows are
backfilled in SQL by the same rule (risk level from the score: <60 → 1, 60–89 → 2, ≥90 → 3; one
step higher for 急难型 households and households with an open important warning). Open needs
published before ``published_at`` existed get their creation time, so the pool's waiting order
reads one column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_need_priority"
down_revision: str | None = "0015_warnings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LEVEL = "CASE WHEN h.risk_score >= 90 THEN 3 WHEN h.risk_score >= 60 THEN 2 ELSE 1 END"
_RAISED = (
    "(h.hardship_type = 'emergency' OR EXISTS (SELECT 1 FROM warning w WHERE "
    "w.household_id = h.id AND w.status = 'open' AND w.level = 'important'))"
)
_BACKFILL = (
    "UPDATE need SET priority = (SELECT CASE WHEN "
    f"{_RAISED} AND ({_LEVEL}) > 1 THEN ({_LEVEL}) - 1 ELSE ({_LEVEL}) END "
    "FROM household h WHERE h.id = need.household_id)"
)


def upgrade() -> None:
    op.add_column("need", sa.Column("priority", sa.Integer(), server_default="3", nullable=False))
    op.execute(_BACKFILL)
    op.execute(
        "UPDATE need SET published_at = created_at "
        "WHERE published_at IS NULL AND status <> 'pending_review'"
    )
    op.create_index(
        "ix_need_pool_priority",
        "need",
        ["status", "kind", "priority", "published_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_need_pool_item_priority",
        "need",
        ["status", "kind", "item_code", "priority", "published_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_need_pool_item_priority", table_name="need")
    op.drop_index("ix_need_pool_priority", table_name="need")
    # a plain DROP COLUMN (SQLite ≥ 3.35): a batch rebuild of ``need`` fails on its foreign keys
    op.drop_column("need", "priority")
