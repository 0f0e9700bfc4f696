"""claim window: expressions of interest and recorded draws (DESIGN §12)

Revision ID: 0017_claim_window
Revises: 0016_need_priority
Create Date: 2026-12-06 08:00:00

Empty: the claim window landed in 0022_claim_window (this revision keeps the chain whole).
"""

from collections.abc import Sequence

revision: str = "0017_claim_window"
down_revision: str | None = "0016_need_priority"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
