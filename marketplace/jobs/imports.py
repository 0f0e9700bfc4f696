"""The Excel import job (批量导入). Its state (progress, then the report) is kept in the queue's
key-value storage under ``import:<job id>`` and polled by the import page.

All or nothing: the import runs in one unit of work that ``imports.require_ok`` rolls back when the
report has any error.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey

from marketplace.db import get_engine, session_scope
from marketplace.models import User
from marketplace.services import imports
from marketplace.services.errors import ValidationFailed
from marketplace.services.messages import Message

log = logging.getLogger("zhongfu.imports")


def _key(job_id: str) -> str:
    return f"import:{job_id}"


def state(
    user_id: int, status: str, done: int = 0, total: int = 0, report: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the import page reads: whose job it is, ``queued``/``running``/``done``, rows checked
    out of the total, and the report once done."""
    out: dict[str, Any] = {"user": user_id, "state": status, "done": done, "total": total}
    if report is not None:
        out["report"] = report
    return out


def put_state(queue: Huey, job_id: str, value: dict[str, Any]) -> None:
    queue.put(_key(job_id), json.dumps(value))


def get_state(queue: Huey, job_id: str) -> dict[str, Any] | None:
    raw = queue.get(_key(job_id), peek=True)
    return json.loads(raw) if raw else None


def run(
    app: Flask, queue: Huey, job_id: str, user_id: int, path: str, kind: str = "households"
) -> None:
    """Import the workbook at ``path`` (deleted once read) as ``user_id``; ``kind``: households
    and needs, or monitoring events."""

    def progress(done: int, total: int) -> None:
        put_state(queue, job_id, state(user_id, "running", done, total))

    progress(0, 0)
    report = _import(app, job_id, user_id, Path(path), progress, kind)
    put_state(
        queue, job_id, state(user_id, "done", report.rows, report.rows, report=report.as_dict())
    )


def _import(
    app: Flask,
    job_id: str,
    user_id: int,
    file: Path,
    progress: imports.Progress,
    kind: str = "households",
) -> imports.ImportReport:
    report: imports.ImportReport | None = None
    try:
        data = file.read_bytes()
        file.unlink(missing_ok=True)
        with session_scope(get_engine(app)) as session:
            actor = session.get(User, user_id)
            if actor is None:
                raise LookupError(f"user {user_id} no longer exists")
            report = imports.import_workbook(
                session,
                actor=actor,
                data=data,
                progress=progress,
                limits=imports.ImportLimits.from_config(app.config),
                kind=kind,
            )
            imports.require_ok(report)  # any error: the unit of work rolls back
        return report
    except ValidationFailed:
        if report is not None and not report.ok:
            return report  # rolled back; the report lists every error
        log.exception("import %s failed", job_id)
    except Exception:
        log.exception("import %s failed", job_id)
    return imports.ImportReport(
        errors=[imports.RowError("", 0, "", Message("import.failed"))], kind=kind
    )


def register(queue: Huey, app: Flask) -> Any:
    @queue.task(name="excel_import")
    def excel_import(job_id: str, user_id: int, path: str, kind: str = "households") -> None:
        run(app, queue, job_id, user_id, path, kind)

    return excel_import
