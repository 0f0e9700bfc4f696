"""Accounts from an Excel sheet (批量开通账号): hub staff with their hub, and Party members.

``template`` builds the workbook (Chinese headers, drop-down lists of roles and regions);
``import_accounts`` reads a filled-in copy the way the household import does (``services.imports``:
the archive checked before parsing, rows streamed, a formula cell refused, every error reported
with its row and column) and is all or nothing: when any row is wrong nothing is created, and when
all are right every account is created with a temporary password, returned once for the
administrator to hand over (each must be changed at the first login).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from openpyxl import Workbook
from sqlmodel import Session, col, select

from marketplace.models import Role, User
from marketplace.services import accounts, region_picker
from marketplace.services.access import require_admin
from marketplace.services.errors import ServiceError, ValidationFailed
from marketplace.services.exports import (
    LIST_SHEET,
    column_heading,
    dropdown,
    header_row,
    list_column,
)
from marketplace.services.imports import RowError, _code, _is_formula, _text
from marketplace.services.messages import Message
from marketplace.services.regions import region_names
from marketplace.services.workbooks import WorkbookLimits, open_workbook

SHEET = "账号"
MAX_ROWS = 200  # accounts per workbook (each password is hashed at full strength)
READ_COLUMNS = 32
ROLE_ZH = {Role.HUB_STAFF.value: "助联体工作人员", Role.MEMBER.value: "党员"}

# (field, header, hint): the column order of the sheet.
COLUMNS: list[tuple[str, str, str]] = [
    ("username", "登录名", "必填：3–64 个字母、数字或 . _ - @，不可与已有账号重复"),
    ("display_name", "姓名", "选填：页面上称呼此人的名字"),
    ("role", "角色", "从下拉列表选择：" + " / ".join(ROLE_ZH.values())),
    ("district", "区县", "助联体工作人员必填：所属助联体所在区县"),
    ("street", "街道（镇）", "街道或社区助联体的工作人员填写"),
    ("community", "社区（村）", "社区助联体的工作人员填写"),
]


@dataclass(frozen=True)
class NewAccount:
    row: int
    username: str
    display_name: str
    role: str
    hub: str  # the hub's region path, empty for members
    password: str  # temporary: shown once, never stored in clear


@dataclass
class AccountImportReport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: list[NewAccount] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# Template ------------------------------------------------------------------------------------------


def template(session: Session, *, actor: User) -> bytes:
    """The workbook to fill in: one account per row, regions and roles from drop-down lists."""
    require_admin(actor)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    header_row(ws, COLUMNS, width=22)
    ws.column_dimensions["A"].number_format = "@"
    lists = wb.create_sheet(LIST_SHEET)
    lists.sheet_state = "hidden"
    names = region_names(session)
    by_length: dict[int, list[str]] = {6: [], 9: [], 12: []}
    districts = {r.code for r in region_picker.levels(session, region_picker.Pick()).districts}
    for code in sorted(names):
        if len(code) in by_length and (len(code) > 6 or code in districts):
            by_length[len(code)].append(f"{code} {names[code]}")
    list_column(wb, lists, 1, "zf_roles", "角色", list(ROLE_ZH.values()))
    list_column(wb, lists, 2, "zf_districts", "区县", by_length[6])
    list_column(wb, lists, 3, "zf_streets", "街道", by_length[9])
    list_column(wb, lists, 4, "zf_communities", "社区", by_length[12])
    for field_name, list_name in (
        ("role", "zf_roles"),
        ("district", "zf_districts"),
        ("street", "zf_streets"),
        ("community", "zf_communities"),
    ):
        dropdown(ws, COLUMNS, field_name, list_name, MAX_ROWS)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# Reading -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    number: int
    cells: dict[str, str]
    formulas: list[str]


def _rows(data: bytes, limits: WorkbookLimits | None) -> list[_Row]:
    wb = open_workbook(data, limits)
    try:
        if SHEET not in wb.sheetnames:
            raise ValidationFailed({"file": Message("account_import.no_sheet", {"sheet": SHEET})})
        rows = wb[SHEET].iter_rows(values_only=True, max_col=READ_COLUMNS)
        index: dict[str, int] = {}
        for i, value in enumerate(next(rows, ())):
            index.setdefault(_text(value), i)
        wanted = [(f, index[h]) for f, h, _x in COLUMNS if h in index]
        out: list[_Row] = []
        for n, values in enumerate(rows, start=2):
            raw = {f: values[i] if i < len(values) else None for f, i in wanted}
            cells = {f: "" for f, _h, _x in COLUMNS} | {f: _text(v) for f, v in raw.items()}
            if any(cells.values()):
                if len(out) >= MAX_ROWS:
                    raise ValidationFailed(
                        {"file": Message("account_import.too_many_rows", {"max": MAX_ROWS})}
                    )
                out.append(_Row(n, cells, [f for f, v in raw.items() if _is_formula(v)]))
        return out
    finally:
        wb.close()


def _role(value: str) -> str:
    for code, label in ROLE_ZH.items():
        if value in (code, label):
            return code
    return ""


def import_accounts(
    session: Session, *, actor: User, data: bytes, limits: WorkbookLimits | None = None
) -> AccountImportReport:
    """Check every row, then create every account, or none (the report lists each error)."""
    require_admin(actor)
    report = AccountImportReport()
    try:
        rows = _rows(data, limits)
    except ValidationFailed as exc:
        report.errors += [RowError("", 0, "", m) for m in exc.errors.values()]
        return report
    report.rows = len(rows)
    if not rows:
        report.errors.append(RowError("", 0, "", Message("account_import.empty")))
        return report

    def fail(row: int, field_name: str, message: Message | str) -> None:
        report.errors.append(
            RowError(SHEET, row, column_heading(COLUMNS, field_name), Message.of(message))
        )

    wanted = [r.cells["username"] for r in rows if r.cells["username"]]
    taken = set(session.exec(select(User.username).where(col(User.username).in_(wanted))).all())
    seen: set[str] = set()
    planned: list[tuple[_Row, str, str]] = []  # (row, role, hub region code)
    for row in rows:
        errors_before = len(report.errors)
        for f in row.formulas:
            fail(row.number, f, "import.formula")
        cells = row.cells
        username = cells["username"]
        if not accounts.USERNAME.match(username):
            fail(row.number, "username", "account.username_invalid")
        elif username in taken or username.casefold() in seen:
            fail(row.number, "username", "account.username_taken")
        seen.add(username.casefold())
        if len(cells["display_name"]) > accounts.MAX_DISPLAY_NAME:
            fail(row.number, "display_name", "account.display_name_too_long")
        role = _role(cells["role"])
        if not role:
            fail(row.number, "role", Message("account_import.role", {"roles": list(ROLE_ZH)}))
        code = ""
        if role == Role.HUB_STAFF:
            wanted_codes = [_code(cells[f]) for f in ("district", "street", "community")]
            chosen = region_picker.pick(session, *wanted_codes)
            code = chosen.code
            deepest = next((c for c in reversed(wanted_codes) if c), "")
            if not deepest:
                fail(row.number, "district", "account.hub_required")
            elif code != deepest:
                got = (chosen.district, chosen.street, chosen.community)
                bad = next(
                    f
                    for f, have, want in zip(
                        ("district", "street", "community"), got, wanted_codes, strict=True
                    )
                    if want and have != want
                )
                fail(row.number, bad, "account_import.region_mismatch")
        if len(report.errors) == errors_before:
            planned.append((row, role, code))
    if not report.ok:
        return report
    for row, role, code in planned:
        try:
            user, password = accounts.create_account(
                session,
                actor=actor,
                username=row.cells["username"],
                role=role,
                display_name=row.cells["display_name"],
                hub_code=code or None,
            )
        except ServiceError as exc:  # a rule of create_user that the checks above missed
            for name, message in (exc.errors or {"username": exc.message}).items():
                known = name if name in {f for f, _h, _x in COLUMNS} else "username"
                fail(row.number, known, message)
            continue
        report.created.append(
            NewAccount(
                row=row.number,
                username=user.username,
                display_name=user.display_name,
                role=role,
                hub=region_picker.path(session, code) if code else "",
                password=password,
            )
        )
    if not report.ok:
        report.created.clear()
    return report
