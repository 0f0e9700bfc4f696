"""幸福码 feedback: help requests, ratings and thanks, 幸福清单 acknowledgements (DESIGN §10, §11)

Revision ID: 0021_feedback
Revises: 0020_branches_projects
Create Date: 2026-12-06 08:00:00

Reserved: filled in by the work that owns it (an empty revision keeps the chain whole meanwhile).
"""

from collections.abc import Sequence

revision: str = "0021_feedback"
down_revision: str | None = "0020_branches_projects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
