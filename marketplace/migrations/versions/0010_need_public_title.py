"""need public title

Revision ID: 0010_need_public_title
Revises: 0009_notification_codes
Create Date: 2026-12-02 15:00:00

The title members and organisations read, scrubbed of personal data at intake and correctable by
hub staff in review (DESIGN §6); the original title stays for staff. Needs written before it
existed keep it empty and are shown their title, scrubbed when it is read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0010_need_public_title'
down_revision: str | None = '0009_notification_codes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('need') as batch:
        batch.add_column(
            sa.Column(
                'public_title',
                sqlmodel.sql.sqltypes.AutoString(length=100),
                nullable=False,
                server_default='',
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('need') as batch:
        batch.drop_column('public_title')
