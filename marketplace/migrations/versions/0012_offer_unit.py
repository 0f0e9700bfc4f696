"""offer unit

Revision ID: 0012_offer_unit
Revises: 0011_delivery_contact
Create Date: 2026-12-06 03:30:00

Capacity in a unit that fits the item (issue 12): 份 portion, 次 session, 小时 hour, 人 person.
Existing offers get the default unit of their first item (matching/data/taxonomy.json), as a new
offer of the same items would.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from matching import taxonomy

revision: str = "0012_offer_unit"
down_revision: str | None = "0011_delivery_contact"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("offer") as batch:
        batch.add_column(
            sa.Column(
                "unit",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="portion",
            )
        )
    bind = op.get_bind()
    offer = sa.table(
        "offer",
        sa.column("id", sa.Integer),
        sa.column("items", sa.JSON),
        sa.column("unit", sa.String),
    )
    by_unit: dict[str, list[int]] = {}
    for offer_id, items in bind.execute(sa.select(offer.c.id, offer.c["items"])):
        codes = json.loads(items) if isinstance(items, str) else (items or [])
        by_unit.setdefault(taxonomy.default_unit(list(codes)), []).append(offer_id)
    for unit, ids in by_unit.items():
        if unit != "portion":
            bind.execute(offer.update().where(offer.c.id.in_(ids)).values(unit=unit))


def downgrade() -> None:
    op.drop_column("offer", "unit")
