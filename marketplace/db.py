"""Engine and session lifecycle.

One engine per app; one session per request (or CLI command, or job) that commits once at the end or
rolls back. Services only ``add``/``flush``. Work that another connection must see, such as a
background job, is registered with ``after_commit`` and runs once the unit of work has committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

log = logging.getLogger("zhongfu.db")
_AFTER_COMMIT = "zhongfu_after_commit"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=NullPool if ":memory:" not in url else None,
            hide_parameters=True,  # no personal data in error messages and logs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Driver-level transactions off so BEGIN IMMEDIATE below takes the write lock up front:
            # concurrent writers queue on busy_timeout instead of failing with "database is locked"
            # when a read transaction tries to upgrade (SQLITE_BUSY_SNAPSHOT). Readers pay a short
            # queue; PostgreSQL is the production database.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
    )


def init_app(app: Flask) -> None:
    app.extensions["zhongfu_engine"] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def get_engine(app: Flask | None = None) -> Engine:
    engine: Engine = (app or current_app).extensions["zhongfu_engine"]
    return engine


def get_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    session: Session = g.db_session
    return session


def rollback_request() -> None:
    """An error response: undo everything the request wrote so far."""
    session: Session | None = g.get("db_session")
    if session is not None:
        _rollback(session)


def after_commit(session: Session | None, fn: Callable[[], object]) -> None:
    """Run ``fn`` once the unit of work of ``session`` (``None``: the request's) has committed;
    drop it if the unit of work rolls back. For work that must see the committed rows from another
    connection, such as a background job queued by a request.

    Runs when the request ends (or ``session_scope`` exits), not at a ``commit()`` in between.
    """
    target = session if session is not None else get_session()
    target.info.setdefault(_AFTER_COMMIT, []).append(fn)


def _commit(session: Session) -> None:
    session.commit()
    for fn in session.info.pop(_AFTER_COMMIT, []):
        try:
            fn()
        except Exception:
            # The data is committed and stays so; a hook that fails (the queue unreachable) is
            # an operational fault to log, not a reason to fail the request that already succeeded.
            log.exception("after-commit hook %r failed", fn)


def _rollback(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    session.rollback()


def _close_session(exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return
    try:
        # A 4xx/5xx response never commits: a rejected request leaves nothing half-written.
        if exc is None and not g.get("db_failed", False) and session.is_active:
            _commit(session)
        else:
            _rollback(session)
    finally:
        session.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work outside a request (CLI command, job): commit once or roll back."""
    session = Session(engine, expire_on_commit=False)
    try:
        try:
            yield session
        except BaseException:
            _rollback(session)
            raise
        _commit(session)
    finally:
        session.close()
