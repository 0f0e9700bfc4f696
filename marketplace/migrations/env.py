"""Alembic environment: the SQLModel metadata is the target; the engine comes from the app."""

from __future__ import annotations

import os

from alembic import context
from sqlmodel import SQLModel

import marketplace.models  # noqa: F401  (registers the tables)
from marketplace.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        url = os.environ.get("ZHONGFU_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
        if not url:
            raise SystemExit("Set ZHONGFU_DATABASE_URL to the database to migrate")
        engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
