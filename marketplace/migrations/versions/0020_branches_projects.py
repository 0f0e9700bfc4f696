"""Party branches and organisations' projects (DESIGN §11)

Revision ID: 0020_branches_projects
Revises: 0019_visits_pairing
Create Date: 2026-12-06 08:00:00

Branches (党支部) of Party organisations and ``user.branch_id``; projects (项目) of organisations
and ``offer.project_id``; indexes of the contribution records by branch and by project (the
reports). Data: every organisation gets one project (自有资金, no budget, its offers' items and
dates) and its existing offers move into it.
"""

import datetime as dt
import json
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020_branches_projects"
down_revision: str | None = "0019_visits_pairing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
_T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "branch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _T(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "name", name="uq_branch_org_name"),
    )
    op.create_index("ix_branch_org_id", "branch", ["org_id"], unique=False)
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("funding", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("budget_yuan", sa.Numeric(12, 2), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("target_households", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("evaluation_score", sa.Integer(), nullable=True),
        sa.Column("evaluation_notes", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("evaluated_by", sa.Integer(), nullable=True),
        sa.Column("evaluated_at", _T(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _T(), nullable=False),
        sa.CheckConstraint("budget_yuan >= 0", name="ck_project_budget"),
        sa.CheckConstraint("target_households >= 0", name="ck_project_target"),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["evaluated_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_project_org_id", "project", ["org_id"], unique=False)
    op.add_column("user", sa.Column("branch_id", sa.Integer(), nullable=True))
    op.create_index("ix_user_branch_id", "user", ["branch_id"], unique=False)
    op.add_column("offer", sa.Column("project_id", sa.Integer(), nullable=True))
    op.create_index("ix_offer_project_id", "offer", ["project_id"], unique=False)
    op.create_index(
        "ix_contribution_branch_end", "contribution", ["branch_id", "ended_at"], unique=False
    )
    op.create_index(
        "ix_contribution_project_end", "contribution", ["project_id", "ended_at"], unique=False
    )
    _one_project_per_organisation()


def _one_project_per_organisation() -> None:
    bind = op.get_bind()
    org = sa.table("organisation", sa.column("id", sa.Integer), sa.column("name", sa.String))
    offer = sa.table(
        "offer",
        sa.column("id", sa.Integer),
        sa.column("org_id", sa.Integer),
        sa.column("items", sa.JSON),
        sa.column("start", sa.Date),
        sa.column("end", sa.Date),
        sa.column("project_id", sa.Integer),
    )
    project = sa.table(
        "project",
        sa.column("id", sa.Integer),
        sa.column("org_id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("funding", sa.String),
        sa.column("budget_yuan", sa.Numeric(12, 2)),
        sa.column("start", sa.Date),
        sa.column("end", sa.Date),
        sa.column("target_households", sa.Integer),
        sa.column("items", sa.JSON),
        sa.column("status", sa.String),
        sa.column("created_at", sa.DateTime),
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    today = now.date()
    offers: dict[int, list[tuple[int, list[str], dt.date, dt.date]]] = {}
    for offer_id, org_id, items, start, end in bind.execute(
        sa.select(offer.c.id, offer.c.org_id, offer.c["items"], offer.c.start, offer.c.end)
    ):
        codes = json.loads(items) if isinstance(items, str) else (items or [])
        if isinstance(start, str):  # SQLite without type processing
            start, end = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        offers.setdefault(org_id, []).append((offer_id, list(codes), start, end))
    for org_id, name in bind.execute(sa.select(org.c.id, org.c.name).order_by(org.c.id)).all():
        mine = offers.get(org_id, [])
        start = min((o[2] for o in mine), default=today)
        end = max((o[3] for o in mine), default=dt.date(today.year, 12, 31))
        items = sorted({code for o in mine for code in o[1]})
        project_id = bind.execute(
            project.insert()
            .values(
                org_id=org_id,
                title=f"{name}帮扶项目"[:100],
                funding="own",
                budget_yuan=0,
                start=start,
                end=max(end, start),
                target_households=0,
                items=items,
                status="active",
                created_at=now,
            )
            .returning(project.c.id)
        ).scalar_one()
        ids = [o[0] for o in mine]
        if ids:
            bind.execute(offer.update().where(offer.c.id.in_(ids)).values(project_id=project_id))


def downgrade() -> None:
    op.drop_index("ix_contribution_project_end", table_name="contribution")
    op.drop_index("ix_contribution_branch_end", table_name="contribution")
    op.drop_index("ix_offer_project_id", table_name="offer")
    op.drop_column("offer", "project_id")
    op.drop_index("ix_user_branch_id", table_name="user")
    op.drop_column("user", "branch_id")
    op.drop_index("ix_project_org_id", table_name="project")
    op.drop_table("project")
    op.drop_index("ix_branch_org_id", table_name="branch")
    op.drop_table("branch")
