"""region codes in byte order

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:00:00

Region subtrees are ranges of codes in byte order (``services/regions.in_subtree``), which the
queries ask for with an explicit ``COLLATE "C"``. On a PostgreSQL database created with another
collation (ICU zh-Hans-CN, en_US…) the indexes of the region-code columns were built in that
collation and could not serve those ranges; the codes are identifiers, not words, so their columns
(and so their indexes) are now "C" on every database. SQLite compares text bytewise already.
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE_COLUMNS = {
    'region': ('code', 'parent_code'),
    'hub': ('region_code',),
    'household': ('community_code',),
    'need': ('community_code',),
    'needtally': ('community_code',),
    'matchround': ('scope_code',),
}


def _set_collation(collation: str) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, columns in CODE_COLUMNS.items():
        changes = ', '.join(
            f'ALTER COLUMN {column} TYPE VARCHAR(12) COLLATE {collation}' for column in columns
        )
        op.execute(f'ALTER TABLE "{table}" {changes}')


def upgrade() -> None:
    _set_collation('"C"')


def downgrade() -> None:
    _set_collation('"default"')
