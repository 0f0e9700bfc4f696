"""The Excel import as a background job (Huey): progress and the final report are kept in Huey's
key-value storage under ``import:<job id>`` and polled by ``/hub/import/status``.

All or nothing: the job's unit of work commits only when the report has no error.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from flask import Flask
from sqlmodel import Session

from marketplace.db import get_engine
from marketplace.models import User
from marketplace.services import imports

log = logging.getLogger("zhongfu.imports")


def key(job_id: str) -> str:
    return f"import:{job_id}"


def put_state(job_id: str, state: dict[str, Any]) -> None:
    from marketplace.jobs import huey

    huey.put(key(job_id), json.dumps(state))


def get_state(job_id: str) -> dict[str, Any] | None:
    from marketplace.jobs import huey

    raw = huey.get(key(job_id), peek=True)
    return json.loads(raw) if raw else None


def execute_import(app: Flask, job_id: str, user_id: int, path: str) -> None:
    file = Path(path)
    data = file.read_bytes()
    file.unlink(missing_ok=True)
    put_state(job_id, {"user": user_id, "state": "running", "done": 0, "total": 0})

    def progress(done: int, total: int) -> None:
        put_state(job_id, {"user": user_id, "state": "running", "done": done, "total": total})

    with app.app_context():
        session = Session(get_engine(app), expire_on_commit=False)
        try:
            actor = session.get(User, user_id)
            if actor is None:
                raise LookupError("user gone")
            report = imports.import_workbook(session, actor=actor, data=data, progress=progress)
            if report.ok:
                session.commit()
            else:
                session.rollback()
        except Exception:
            log.exception("import %s failed", job_id)
            session.rollback()
            report = imports.ImportReport(
                errors=[imports.RowError("", 0, "", "The import failed; nothing was imported")]
            )
        finally:
            session.close()
    put_state(
        job_id,
        {
            "user": user_id,
            "state": "done",
            "done": report.rows,
            "total": report.rows,
            "report": report.as_dict(),
        },
    )
