"""region boundaries

Revision ID: 0008_region_boundaries
Revises: 0007_credentials
Create Date: 2026-12-02 10:00:00

District and street outlines for the map (services/boundaries.py), filled by
``zhongfu regions import-boundaries``: WGS-84 GeoJSON text and the point where the name is
written. Empty after the migration; the map works without it. The region code is "C" on
PostgreSQL like every other region-code column (migration 0006).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008_region_boundaries'
down_revision: str | None = '0007_credentials'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'regionboundary',
        sa.Column(
            'region_code',
            sqlmodel.sql.sqltypes.AutoString(length=12).with_variant(
                sa.String(12, collation='C'), 'postgresql'
            ),
            nullable=False,
        ),
        sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('geometry', sa.Text(), nullable=False),
        sa.Column('label_lat', sa.Float(), nullable=False),
        sa.Column('label_lon', sa.Float(), nullable=False),
        sa.Column('imported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['region_code'], ['region.code']),
        sa.PrimaryKeyConstraint('region_code'),
    )


def downgrade() -> None:
    op.drop_table('regionboundary')
