"""visit schedules: the due date of the household's current level, indexed

Revision ID: 0026_visit_due
Revises: 0025_household_counts
Create Date: 2026-12-06 20:00:00

``visitschedule.due_on`` (the due date of the household's current risk level, kept by
services/schedules.relevel) and ``ix_visitschedule_due`` (community_code, due_on): the list of
visits due for a district reads the index instead of joining 20,000 households to learn each one's
level. Filled from the households' scores here, by the bands of this revision
(models.RISK_LEVEL_FLOORS: level 3 from 90, level 2 from 60).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_visit_due"
down_revision: str | None = "0025_household_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("visitschedule", sa.Column("due_on", sa.Date(), nullable=True))
    op.execute(
        "UPDATE visitschedule SET due_on = ("
        " SELECT CASE WHEN h.risk_score >= 90 THEN visitschedule.due_3"
        " WHEN h.risk_score >= 60 THEN visitschedule.due_2 ELSE visitschedule.due_1 END"
        " FROM household h WHERE h.id = visitschedule.household_id)"
    )
    op.create_index(
        "ix_visitschedule_due", "visitschedule", ["community_code", "due_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_visitschedule_due", table_name="visitschedule")
    op.drop_column("visitschedule", "due_on")
