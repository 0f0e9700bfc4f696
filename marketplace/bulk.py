"""Bulk loading: COPY on PostgreSQL, batched executemany on SQLite (city seed, round results, the
Excel import)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, insert, text
from sqlalchemy.orm import make_transient_to_detached
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


# Below this many rows a plain INSERT: statements stay SQLAlchemy's, so that a database error is
# wrapped as usual (a connection lost in a request is answered 503, not a driver exception).
COPY_MIN_ROWS = 200


def _use_copy(session: Session, rows: int) -> bool:
    return rows >= COPY_MIN_ROWS and session.connection().dialect.name == "postgresql"


def _copy_dicts(
    session: Session, table: Any, values: Sequence[dict[str, Any]], ids: Sequence[int] | None
) -> None:
    """COPY rows given as column → value (JSON columns serialised as SQLAlchemy would)."""
    columns = list(values[0])
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}

    def cell(column: str, value: Any) -> Any:
        if column in json_columns and value is not None:
            return json.dumps(value, ensure_ascii=False)
        return value

    rows = (tuple(cell(c, row[c]) for c in columns) for row in values)
    if ids is None:
        bulk_insert(session, table.name, columns, rows)
    else:
        bulk_insert(
            session,
            table.name,
            ("id", *columns),
            ((row_id, *row) for row_id, row in zip(ids, rows, strict=True)),
        )


def insert_rows(session: Session, model: Any, values: Sequence[dict[str, Any]]) -> None:
    """Insert rows (column → value) into ``model``'s table: COPY on PostgreSQL for many rows,
    one ``INSERT`` otherwise."""
    if not values:
        return
    if _use_copy(session, len(values)):
        _copy_dicts(session, model.__table__, values, None)
    else:
        session.execute(insert(model), list(values))


def insert_returning_ids(
    session: Session, model: Any, values: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert rows (column → value) into ``model``'s table; their new ids, in the order of
    ``values`` (the Excel import's households and needs).

    On PostgreSQL, for many rows, the ids are taken from the table's sequence first and the rows
    loaded with COPY: a multi-row ``INSERT … RETURNING`` of thousands of rows costs the driver more
    to parse than the server to run. Otherwise one ``INSERT … RETURNING``."""
    if not values:
        return []
    table = model.__table__
    if not _use_copy(session, len(values)):
        stmt = insert(model).returning(table.c.id, sort_by_parameter_order=True)
        return [int(i) for i in session.scalars(stmt, values)]
    ids = [
        int(i)
        for i in session.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": len(values)},
        )
    ]
    _copy_dicts(session, table, values, ids)
    return ids


def add_all_inserted(session: Session, objects: Sequence[Any]) -> None:
    """Insert new table-model instances of one model together (``insert_returning_ids``: COPY on
    PostgreSQL for many, one ``INSERT … RETURNING`` otherwise), give them their ids and attach
    them to the session as stored rows: the ORM's flush sends one INSERT per row where it cannot
    batch (SQLite), and a batch of monitoring events makes thousands."""
    if not objects:
        return
    table = type(objects[0]).__table__
    columns = [c for c in table.columns if c.name != "id"]
    values = [{c.name: getattr(obj, c.key) for c in columns} for obj in objects]
    for obj, new_id in zip(
        objects, insert_returning_ids(session, type(objects[0]), values), strict=True
    ):
        obj.id = new_id
        make_transient_to_detached(obj)
        session.add(obj)
