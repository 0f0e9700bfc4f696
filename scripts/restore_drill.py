"""Restore drill: back up a PostgreSQL database, restore it into a scratch database, and check
that row counts match and every invariant holds after the restore.

    python scripts/restore_drill.py postgresql://postgres@127.0.0.1:5432/zhongfu_city

Exit code 0 when the restore is sound, 1 otherwise. The scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from marketplace.invariants import row_counts, violations


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _engine(url: str, **kw: object):  # type: ignore[no-untyped-def]
    return create_engine(make_url(url).set(drivername="postgresql+psycopg"), **kw)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    args = parser.parse_args()
    source = args.database_url
    scratch_name = f"zhongfu_restore_{uuid.uuid4().hex[:8]}"
    scratch = make_url(source).set(database=scratch_name).render_as_string(hide_password=False)
    admin = _engine(
        make_url(source).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "backup.dump"
        t0 = time.perf_counter()
        subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                f"--dbname={_libpq(source)}",
                f"--file={dump}",
            ],
            check=True,
        )
        t1 = time.perf_counter()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{scratch_name}"'))
        try:
            subprocess.run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--exit-on-error",
                    f"--dbname={_libpq(scratch)}",
                    str(dump),
                ],
                check=True,
            )
            t2 = time.perf_counter()
            src_engine, dst_engine = _engine(source), _engine(scratch)
            with Session(src_engine) as s:
                before = row_counts(s)
            with Session(dst_engine) as s:
                after = row_counts(s)
                broken = violations(s)
            src_engine.dispose()
            dst_engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)'))
    print(f"backup {dump.name}: {t1 - t0:.1f} s, restore {t2 - t1:.1f} s")
    print(f"{'table':<14} {'source':>10} {'restored':>10}")
    ok = True
    for table, n in before.items():
        mark = "" if after[table] == n else "  MISMATCH"
        ok &= after[table] == n
        print(f"{table:<14} {n:>10} {after[table]:>10}{mark}")
    for name, count in broken.items():
        print(f"invariant: {name}: {'ok' if count == 0 else f'{count} violations'}")
        ok &= count == 0
    print("restore drill:", "PASSED" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
