"""visits, pairings and care indicators (DESIGN §10)

Revision ID: 0019_visits_pairing
Revises: 0018_casefile
Create Date: 2026-12-06 08:00:00

Reserved: filled in by the work that owns it (an empty revision keeps the chain whole meanwhile).
"""

from collections.abc import Sequence

revision: str = "0019_visits_pairing"
down_revision: str | None = "0018_casefile"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
