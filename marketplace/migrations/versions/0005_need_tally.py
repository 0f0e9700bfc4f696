"""need tally

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 15:10:00

A snapshot of the needs counted by community, kind and status (services/tally.py). It is derived
data: empty after the migration and rebuilt by the housekeeping job or the first dashboard view.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'needtally',
        sa.Column('community_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('taken_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('community_code', 'kind', 'status'),
    )


def downgrade() -> None:
    op.drop_table('needtally')
