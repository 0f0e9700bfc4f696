"""审计日志 — every state change and every view of full personal data is recorded here."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from marketplace.models import AuditLog, User


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
