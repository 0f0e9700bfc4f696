"""Bulk loading: COPY on PostgreSQL, batched executemany on SQLite (city seed, round results)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session


def _sqlite_value(value: Any) -> Any:
    """SQLAlchemy's SQLite storage format: naive UTC text for datetimes, ISO dates."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def bulk_insert(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Bulk insert: COPY on PostgreSQL, executemany elsewhere."""
    conn = session.connection()
    count = 0
    quoted = ", ".join('"' + c + '"' for c in columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    stmt = text(f'INSERT INTO "{table}" ({quoted}) VALUES ({", ".join(":" + c for c in columns)})')
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append({c: _sqlite_value(v) for c, v in zip(columns, row, strict=True)})
        if len(batch) == 10_000:
            conn.execute(stmt, batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(stmt, batch)
        count += len(batch)
    return count
