"""delivery contact

Revision ID: 0011_delivery_contact
Revises: 0010_need_public_title
Create Date: 2026-12-06 03:00:00

Somewhere to deliver to (issue 12): each hub's contact (name, phone, handover point, office
hours) edited by its staff; on each need the delivery mode (handover at the hub point, home
delivery, home service) and the staff's delivery instructions; on claims the member's reason for
giving a claim back (放弃认领). Existing rows get empty contacts, handover and no instructions.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0011_delivery_contact"
down_revision: str | None = "0010_need_public_title"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int, default: str = "") -> sa.Column:
    return sa.Column(
        name,
        sqlmodel.sql.sqltypes.AutoString(length=length),
        nullable=False,
        server_default=default,
    )


def upgrade() -> None:
    with op.batch_alter_table("hub") as batch:
        batch.add_column(_text("contact_name", 64))
        batch.add_column(_text("contact_phone", 20))
        batch.add_column(_text("handover_address", 200))
        batch.add_column(_text("office_hours", 100))
    with op.batch_alter_table("need") as batch:
        batch.add_column(_text("delivery_mode", 16, "handover"))
        batch.add_column(_text("delivery_instructions", 500))
    with op.batch_alter_table("claim") as batch:
        batch.add_column(
            sa.Column("given_up_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(
            sa.Column("give_up_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )


def downgrade() -> None:
    op.drop_column("claim", "give_up_reason")
    op.drop_column("claim", "given_up_at")
    op.drop_column("need", "delivery_instructions")
    op.drop_column("need", "delivery_mode")
    op.drop_column("hub", "office_hours")
    op.drop_column("hub", "handover_address")
    op.drop_column("hub", "contact_phone")
    op.drop_column("hub", "contact_name")
