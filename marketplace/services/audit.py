"""审计日志 — every state change and every view of full personal data is recorded here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session

from marketplace.bulk import insert_rows
from marketplace.models import AuditLog, User, utcnow


def record(
    session: Session,
    actor: User | None,
    action: str,
    obj: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> None:
    """Append one audit entry for ``obj`` (a table model instance with an ``id``)."""
    session.add(
        AuditLog(
            actor_id=actor.id if actor is not None else None,
            actor=actor.username if actor is not None else (actor_label or "system"),
            action=action,
            object_type=type(obj).__name__.lower(),
            object_id=str(getattr(obj, "id", "") or getattr(obj, "code", "")),
            before=_jsonable(before),
            after=_jsonable(after),
        )
    )


def record_many(
    session: Session,
    actor: User | None,
    action: str,
    object_type: str,
    entries: Iterable[tuple[int, dict[str, Any] | None]],
    *,
    actor_label: str | None = None,
) -> None:
    """One entry per object created in bulk (``(id, after)`` each), loaded at once (COPY on
    PostgreSQL): the Excel import stores tens of thousands of households. No actor: the
    system's work (``actor_label``, as ``record``)."""
    now = utcnow()
    label = actor.username if actor is not None else (actor_label or "system")
    insert_rows(
        session,
        AuditLog,
        [
            {
                "at": now,
                "actor_id": actor.id if actor is not None else None,
                "actor": label,
                "action": action,
                "object_type": object_type,
                "object_id": str(object_id),
                "after": _jsonable(after),
            }
            for object_id, after in entries
        ],
    )


def snapshot(obj: Any, *fields: str) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in fields}


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None or isinstance(value, str | int | float | bool | list | dict):
            out[key] = value
        else:
            out[key] = str(value)
    return out
