"""Excel import benchmark: rows per second and the worker's peak memory, SQLite or PostgreSQL.

    python scripts/bench_import.py                      # 50,000 households on SQLite
    python scripts/bench_import.py --households 25000 --needs 25000
    python scripts/bench_import.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

Builds a fresh database (a temporary SQLite file, or a new database on the PostgreSQL server that
``--database-url`` points at, dropped afterwards), a district hub account and a workbook laid out
like the import template (shared strings, as Excel writes them), in a first child process. Then a
fresh Python process does what the import job does: ``imports.import_workbook`` in one unit of
work, committed only when the report is clean, and prints its time and peak RSS (``ru_maxrss``, the
app's own imports included). This parent stays small: Linux carries the ``ru_maxrss`` of the
process that spawns a child over into the child.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from stdnum.cn import ric

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DISTRICT = "330102"


# The workbook ----------------------------------------------------------------------------------


class _Strings:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def cell(self, ref: str, value: object) -> str:
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value}</v></c>'
        s = str(value)
        n = self.index.setdefault(s, len(self.index))
        return f'<c r="{ref}" t="s"><v>{n}</v></c>'

    def xml(self) -> bytes:
        items = "".join(f"<si><t>{escape(s)}</t></si>" for s in self.index)
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            f' count="{len(self.index)}" uniqueCount="{len(self.index)}">{items}</sst>'
        ).encode()


def _column(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _sheet(strings: _Strings, rows: list[list[object]]) -> bytes:
    body = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(strings.cell(f"{_column(c)}{r}", v) for c, v in enumerate(row, 1))
        body.append(f'<row r="{r}">{cells}</row>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(body)}</sheetData></worksheet>"
    ).encode()


def id_number(i: int) -> str:
    birth = date(1940, 1, 1) + timedelta(days=i // 900)
    body = f"{DISTRICT}{birth:%Y%m%d}{i % 900 + 100:03d}"
    return body + ric.calc_check_digit(body + "0")


def build_workbook(households: int, needs: int, communities: list[str]) -> bytes:
    from marketplace.services.imports import (
        HOUSEHOLD_COLUMNS,
        HOUSEHOLD_SHEET,
        NEED_COLUMNS,
        NEED_SHEET,
    )

    strings = _Strings()
    deadline = (date.today() + timedelta(days=90)).isoformat()
    hh: list[list[object]] = [[h for _f, h, _x in HOUSEHOLD_COLUMNS]]
    for i in range(households):
        hh.append(
            [
                f"王{i}明",
                id_number(i),
                f"139{i:08d}",
                f"清波街{i}号{i % 30 + 1}幢",
                f"{DISTRICT} 上城区",
                "",
                communities[i % len(communities)],
                "兜底型",
                30 + i % 70,
                1 + i % 5,
                "老年人，独居",
            ]
        )
    nd: list[list[object]] = [[h for _f, h, _x in NEED_COLUMNS]]
    for i in range(needs):
        nd.append(
            [
                id_number(i % max(households, 1)),
                "微心愿",
                "07-02 家具家电",
                f"想要一台电风扇 {i}",
                "夏天太热，家里的电风扇坏了",
                150,
                deadline,
            ]
        )
    sheets = [_sheet(strings, hh), _sheet(strings, nd)]
    ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
            "</Types>"
        ).encode(),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{ns}">'
            f'<sheets><sheet name="{HOUSEHOLD_SHEET}" sheetId="1" r:id="rId1"/>'
            f'<sheet name="{NEED_SHEET}" sheetId="2" r:id="rId2"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{ns}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{ns}/worksheet" Target="worksheets/sheet2.xml"/>'
            f'<Relationship Id="rId3" Type="{ns}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ).encode(),
        "xl/worksheets/sheet1.xml": sheets[0],
        "xl/worksheets/sheet2.xml": sheets[1],
        "xl/sharedStrings.xml": strings.xml(),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


# The database ----------------------------------------------------------------------------------


def fresh_database(url: str | None, folder: Path) -> tuple[str, object]:
    if not url:
        return f"sqlite:///{folder / 'bench.db'}", (lambda: None)
    base = make_url(url).set(drivername="postgresql+psycopg")
    name = f"zf_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def prepare(url: str) -> tuple[int, list[str]]:
    """Schema, reference data and a district hub account; the district's communities."""
    from sqlmodel import select

    from marketplace import create_app
    from marketplace.cli import migrate
    from marketplace.db import get_engine, session_scope
    from marketplace.models import Region
    from marketplace.services import accounts
    from marketplace.services.regions import in_subtree

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url})
    migrate(app)
    with app.app_context(), session_scope(get_engine(app)) as s:
        user = accounts.create_user(
            s,
            actor=None,
            username="bench_import",
            password="bench-password-2026",
            role="hub_staff",
            hub_code=DISTRICT,
        )
        rows = s.exec(
            select(Region.code, Region.name).where(
                Region.level == "community", in_subtree(Region.code, DISTRICT)
            )
        ).all()
        communities = [f"{code} {name}" for code, name in rows]
        user_id = user.id or 0
    get_engine(app).dispose()
    return user_id, communities


# The import, in a fresh process ----------------------------------------------------------------


def child(url: str, user_id: int, path: str) -> None:
    from sqlmodel import func, select

    from marketplace import create_app
    from marketplace.db import get_engine, session_scope
    from marketplace.models import Household, Need, User
    from marketplace.services import imports

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url})
    data = Path(path).read_bytes()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with app.app_context(), session_scope(get_engine(app)) as s:
        actor = s.get(User, user_id)
        assert actor is not None
        report = imports.import_workbook(
            s, actor=actor, data=data, limits=imports.ImportLimits.from_config(app.config)
        )
        if not report.ok:
            s.rollback()
    seconds = time.perf_counter() - t0
    with app.app_context(), session_scope(get_engine(app)) as s:
        stored = (
            s.exec(select(func.count()).select_from(Household)).one(),
            s.exec(select(func.count()).select_from(Need)).one(),
        )
    print(
        json.dumps(
            {
                "ok": report.ok,
                "errors": [e.as_dict() for e in report.errors[:5]],
                "rows": report.rows,
                "stored_households": stored[0],
                "stored_needs": stored[1],
                "seconds": round(seconds, 2),
                "rss_before_mb": round(rss_before / 1024, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "vm_hwm_mb": _vm_hwm_mb(),
            }
        )
    )


def _run(arguments: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *arguments],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _vm_hwm_mb() -> float:
    """The peak RSS of this process image (Linux ``VmHWM``), to cross-check ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--households", type=int, default=50_000)
    p.add_argument("--needs", type=int, default=0)
    p.add_argument("--database-url", help="a PostgreSQL server (a fresh database is created)")
    p.add_argument("--child", nargs=3, metavar=("URL", "USER_ID", "FILE"), help=argparse.SUPPRESS)
    p.add_argument("--prepare", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return 0
    if args.prepare:
        user_id, communities = prepare(args.prepare[0])
        data = build_workbook(args.households, args.needs, communities)
        Path(args.prepare[1]).write_bytes(data)
        print(json.dumps({"user_id": user_id, "bytes": len(data)}))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url, drop = fresh_database(args.database_url, folder)
        path = folder / "bench.xlsx"
        try:
            t0 = time.perf_counter()
            sizes = ["--households", str(args.households), "--needs", str(args.needs)]
            made = _run(["--prepare", url, str(path), *sizes])
            print(
                f"workbook: {args.households} households + {args.needs} needs, "
                f"{made['bytes'] / 1e6:.1f} MB, database and workbook ready in "
                f"{time.perf_counter() - t0:.1f}s",
                flush=True,
            )
            result = _run(["--child", url, str(made["user_id"]), str(path)])
        finally:
            drop()  # type: ignore[operator]
    database = "postgresql" if args.database_url else "sqlite"
    rate = result["rows"] / result["seconds"] if result["seconds"] else 0.0
    print(json.dumps({"database": database} | result))
    print(
        f"{database}: {result['rows']} rows in {result['seconds']:.1f}s = {rate:,.0f} rows/s, "
        f"worker peak RSS {result['peak_rss_mb']:.0f} MB "
        f"(after start-up {result['rss_before_mb']:.0f} MB); ok={result['ok']}"
    )
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
