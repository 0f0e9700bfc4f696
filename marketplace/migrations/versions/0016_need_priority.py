"""stored need priority (DESIGN §5: risk level, raised for 急难型 and open important warnings)

Revision ID: 0016_need_priority
Revises: 0015_warnings
Create Date: 2026-12-06 08:00:00

Reserved: filled in by the work that owns it (an empty revision keeps the chain whole meanwhile).
"""

from collections.abc import Sequence

revision: str = "0016_need_priority"
down_revision: str | None = "0015_warnings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
