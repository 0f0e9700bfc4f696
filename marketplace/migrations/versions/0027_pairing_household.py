"""pairings by household: the case file's pairing history reads an index

Revision ID: 0027_pairing_household
Revises: 0026_visit_due
Create Date: 2026-12-06 22:10:00

``ix_pairing_household`` (household_id, id): the case file lists a household's pairings newest
first; the partial unique index covers only the active one, so with 60,000 pairings in the city
that list was a scan of the table (3 ms a page).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027_pairing_household"
down_revision: str | None = "0026_visit_due"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_pairing_household", "pairing", ["household_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_pairing_household", table_name="pairing")
