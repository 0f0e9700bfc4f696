"""staff list indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 13:20:00

The hub staff tables count their rows for the pager. At a district hub (tens of thousands of
needs and households) those counts were the most expensive statements of the staff pages:
- needs of one status in a subtree (the review queue): (status, community_code) turns a scan of
  the whole subtree into a range of the rows counted;
- households of a subtree whose name contains the search text: (community_code, name) lets the
  count read the names from the index instead of the table.
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_index('ix_need_status_region', ['status', 'community_code'], unique=False)
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index('ix_household_region_name', ['community_code', 'name'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index('ix_household_region_name')
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_index('ix_need_status_region')
