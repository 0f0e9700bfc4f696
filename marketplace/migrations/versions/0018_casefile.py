"""case file: edit history, lifecycle stages, attachments (DESIGN §10)

Revision ID: 0018_casefile
Revises: 0017_claim_window
Create Date: 2026-12-06 08:00:00

Empty: the case file landed in 0023_casefile (after the claim window's 0022), the revision stays
to keep the chain whole.
"""

from collections.abc import Sequence

revision: str = "0018_casefile"
down_revision: str | None = "0017_claim_window"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
