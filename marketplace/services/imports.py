"""Excel import (批量导入) of households and their needs by hub staff.

``template`` builds a workbook with Chinese headers and drop-down lists (data validation lists that
point at defined names on a hidden sheet holding the hub subtree's regions, hardship types, items
and kinds). ``import_workbook`` reads a filled-in copy, validates every row with the same pydantic
schemas as the forms and the API (``HouseholdIn``, ``NeedIn``) and stores it through the same
services (``households.create_household`` / ``create_need``), each row in a savepoint so that one
bad row does not hide the next: the report lists every error (sheet, row, column, why).

All or nothing: when the report has any error the caller rolls the transaction back (the services
only flush); the background job in ``marketplace.jobs.imports`` does exactly that.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError
from sqlmodel import Session, col, select

from marketplace.models import Household, Region, TaxonomyItem, User
from marketplace.schemas import HouseholdIn, NeedIn, field_errors
from marketplace.services import households
from marketplace.services.access import staff_scope
from marketplace.services.errors import ServiceError, ValidationFailed
from marketplace.services.exports import write_text
from marketplace.services.regions import in_subtree, is_within

HOUSEHOLD_SHEET = "家庭"
NEED_SHEET = "需求"
LIST_SHEET = "选项"
MAX_ROWS = 5000

HARDSHIP_ZH = {
    "bottom": "兜底型",
    "expense": "支出型",
    "emergency": "急难型",
    "development": "发展型",
    "care": "关爱型",
}
KIND_ZH = {"wish": "微心愿", "service": "服务需求"}
TAG_ZH = {
    "elderly": "老年人",
    "disabled": "残疾人",
    "child": "儿童",
    "serious_illness": "重病",
    "single": "独居",
    "unemployed": "失业",
}

# (field, header, hint): the column order of each sheet.
HOUSEHOLD_COLUMNS: list[tuple[str, str, str]] = [
    ("name", "户主姓名", "必填"),
    ("id_number", "身份证号", "18位，末位可为X"),
    ("phone", "联系电话", "11位手机号或 0571-88888888"),
    ("address", "家庭住址", "必填"),
    ("district", "区县", "从下拉列表选择（可留空）"),
    ("street", "街道（镇）", "从下拉列表选择（可留空）"),
    ("community_code", "社区（村）", "从下拉列表选择：代码 名称"),
    ("hardship_type", "困难类型", "从下拉列表选择"),
    ("risk_score", "韧性评分", "0–100 的整数"),
    ("members", "家庭人口", "1–30 的整数"),
    ("tags", "标签", "可多个，用逗号分隔：" + "、".join(TAG_ZH.values())),
]
NEED_COLUMNS: list[tuple[str, str, str]] = [
    ("id_number", "户主身份证号", "本表“家庭”页或已登记家庭的身份证号"),
    ("kind", "需求类型", "从下拉列表选择"),
    ("item", "帮扶事项", "从下拉列表选择：代码 名称"),
    ("title", "标题", "必填，100字以内"),
    ("description", "描述", "电话、身份证号、门牌号会在公开前去除"),
    ("value_yuan", "估计价值（元）", "数字，可留空"),
    ("deadline", "截止日期", "日期，如 2026-12-31，可留空"),
]


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    households: int = 0
    needs: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "households": self.households,
            "needs": self.needs,
            "rows": self.rows,
            "errors": [e.__dict__ for e in self.errors],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        return cls(
            households=int(data.get("households", 0)),
            needs=int(data.get("needs", 0)),
            rows=int(data.get("rows", 0)),
            errors=[RowError(**e) for e in data.get("errors", [])],
        )


Progress = Callable[[int, int], None]


# Template ------------------------------------------------------------------------------------------


def _scope_regions(session: Session, scope: str) -> list[Region]:
    return list(
        session.exec(
            select(Region)
            .where(in_subtree(Region.code, scope) | (col(Region.code) == scope[:6]))
            .order_by(Region.code)
        )
    )


def _list_column(
    wb: Workbook, ws: Any, column: int, name: str, title: str, values: list[str]
) -> None:
    letter = get_column_letter(column)
    write_text(ws.cell(row=1, column=column), title).font = Font(bold=True)
    for i, v in enumerate(values, start=2):
        write_text(ws.cell(row=i, column=column), v)
    end = max(2, len(values) + 1)
    ref = f"{quote_sheetname(LIST_SHEET)}!${letter}$2:${letter}${end}"
    wb.defined_names[name] = DefinedName(name, attr_text=ref)


def _header(ws: Any, columns: list[tuple[str, str, str]]) -> None:
    fill = PatternFill("solid", fgColor="B3261E")
    for i, (_f, header, hint) in enumerate(columns, start=1):
        cell = write_text(ws.cell(row=1, column=i), header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        cell.comment = Comment(hint, "众扶")
        ws.column_dimensions[get_column_letter(i)].width = max(14, len(header) * 3)
    ws.freeze_panes = "A2"


def _dropdown(ws: Any, columns: list[tuple[str, str, str]], field_name: str, name: str) -> None:
    index = [f for f, _h, _x in columns].index(field_name) + 1
    letter = get_column_letter(index)
    dv = DataValidation(type="list", formula1=f"={name}", allow_blank=True)
    dv.error, dv.errorTitle = "请从下拉列表中选择", "无效的值"
    dv.prompt = dict((f, x) for f, _h, x in columns)[field_name]
    dv.showErrorMessage = True
    dv.showInputMessage = True
    ws.add_data_validation(dv)
    dv.add(f"{letter}2:{letter}{MAX_ROWS + 1}")


def template(session: Session, *, actor: User) -> bytes:
    """The import workbook for the actor's hub subtree."""
    scope = staff_scope(session, actor)
    regions = _scope_regions(session, scope)
    items = list(
        session.exec(
            select(TaxonomyItem)
            .where(col(TaxonomyItem.active).is_(True))
            .order_by(TaxonomyItem.code)
        )
    )
    wb = Workbook()
    hh = wb.active
    hh.title = HOUSEHOLD_SHEET
    _header(hh, HOUSEHOLD_COLUMNS)
    needs = wb.create_sheet(NEED_SHEET)
    _header(needs, NEED_COLUMNS)
    lists = wb.create_sheet(LIST_SHEET)
    lists.sheet_state = "hidden"
    by_level = {
        lv: [f"{r.code} {r.name}" for r in regions if r.level == lv]
        for lv in ("district", "street", "community")
    }
    _list_column(wb, lists, 1, "zf_districts", "区县", by_level["district"])
    _list_column(wb, lists, 2, "zf_streets", "街道", by_level["street"])
    _list_column(wb, lists, 3, "zf_communities", "社区", by_level["community"])
    _list_column(wb, lists, 4, "zf_hardship", "困难类型", list(HARDSHIP_ZH.values()))
    _list_column(wb, lists, 5, "zf_items", "帮扶事项", [f"{i.code} {i.name_zh}" for i in items])
    _list_column(wb, lists, 6, "zf_kinds", "需求类型", list(KIND_ZH.values()))
    _dropdown(hh, HOUSEHOLD_COLUMNS, "district", "zf_districts")
    _dropdown(hh, HOUSEHOLD_COLUMNS, "street", "zf_streets")
    _dropdown(hh, HOUSEHOLD_COLUMNS, "community_code", "zf_communities")
    _dropdown(hh, HOUSEHOLD_COLUMNS, "hardship_type", "zf_hardship")
    _dropdown(needs, NEED_COLUMNS, "kind", "zf_kinds")
    _dropdown(needs, NEED_COLUMNS, "item", "zf_items")
    for ws, columns, fmt in (
        (hh, HOUSEHOLD_COLUMNS, "id_number"),
        (needs, NEED_COLUMNS, "id_number"),
    ):
        letter = get_column_letter([f for f, _h, _x in columns].index(fmt) + 1)
        ws.column_dimensions[letter].number_format = "@"  # ID numbers as text: all 18 digits
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# Reading -------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def _code(value: str) -> str:
    """``"330102001051 清波门社区"`` → ``"330102001051"``."""
    return value.split(" ", 1)[0].strip() if value else ""


def _reverse(table: dict[str, str], value: str) -> str:
    for code, label in table.items():
        if value in (code, label):
            return code
    return value


def _sheet_rows(
    wb: Any, name: str, columns: list[tuple[str, str, str]]
) -> list[tuple[int, dict[str, str]]]:
    if name not in wb.sheetnames:
        return []
    ws = wb[name]
    headers = [_text(c) for c in next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())]
    index = {h: i for i, h in enumerate(headers)}
    out = []
    for n, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if n > MAX_ROWS + 1:
            break
        cells = {
            f: _text(values[index[h]]) if h in index and index[h] < len(values) else ""
            for f, h, _x in columns
        }
        if any(cells.values()):
            out.append((n, cells))
    return out


def _header_of(columns: list[tuple[str, str, str]], field_name: str) -> str:
    for f, h, _x in columns:
        if f == field_name:
            return h
    return field_name if field_name != "_" else ""


def _household_data(cells: dict[str, str]) -> dict[str, Any]:
    tags_raw = [
        t.strip()
        for t in cells["tags"].replace("，", ",").replace("、", ",").split(",")
        if t.strip()
    ]
    return {
        "name": cells["name"],
        "id_number": cells["id_number"],
        "phone": cells["phone"],
        "address": cells["address"],
        "community_code": _code(cells["community_code"]),
        "hardship_type": _reverse(HARDSHIP_ZH, cells["hardship_type"]),
        "risk_score": cells["risk_score"] or None,
        "members": cells["members"] or 1,
        "tags": [_reverse(TAG_ZH, t) for t in tags_raw],
    }


def _ancestor_errors(cells: dict[str, str], community: str) -> list[tuple[str, str]]:
    errors = []
    district, street = _code(cells["district"]), _code(cells["street"])
    if district and not is_within(community, district):
        errors.append(("district", "The district does not contain the community"))
    if street and not is_within(community, street):
        errors.append(("street", "The street does not contain the community"))
    return errors


def import_workbook(
    session: Session,
    *,
    actor: User,
    data: bytes,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate and store every row; the report lists every error. The caller commits only when
    ``report.ok`` (else it rolls back: nothing of the file is kept)."""
    scope = staff_scope(session, actor)
    report = ImportReport()
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        report.errors.append(RowError("", 0, "", "The file is not an Excel workbook (.xlsx)"))
        return report
    hh_rows = _sheet_rows(wb, HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS)
    need_rows = _sheet_rows(wb, NEED_SHEET, NEED_COLUMNS)
    wb.close()
    report.rows = len(hh_rows) + len(need_rows)
    if not report.rows:
        report.errors.append(RowError("", 0, "", "The workbook has no rows to import"))
        return report
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None and (done % 25 == 0 or done == report.rows):
            progress(done, report.rows)

    def fail(
        sheet: str, columns: list[tuple[str, str, str]], row: int, errors: dict[str, str]
    ) -> None:
        for f, message in errors.items():
            report.errors.append(RowError(sheet, row, _header_of(columns, f), message))

    created: dict[str, int] = {}
    for row, cells in hh_rows:
        step()
        try:
            payload = HouseholdIn.model_validate(_household_data(cells))
        except ValidationError as exc:
            fail(HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS, row, field_errors(exc))
            continue
        extra = _ancestor_errors(cells, payload.community_code)
        if extra:
            fail(HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS, row, dict(extra))
            continue
        try:
            with session.begin_nested():
                household = households.create_household(session, actor=actor, data=payload)
        except ServiceError as exc:
            fail(HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS, row, exc.errors or {"_": exc.message})
            continue
        created[payload.id_number] = household.id or 0
        report.households += 1

    for row, cells in need_rows:
        step()
        id_number = cells["id_number"].upper()
        household_id = created.get(id_number)
        if household_id is None and id_number:
            household_id = session.exec(
                select(Household.id).where(
                    Household.id_number == id_number, in_subtree(Household.community_code, scope)
                )
            ).first()
        if household_id is None:
            fail(
                NEED_SHEET,
                NEED_COLUMNS,
                row,
                {"id_number": "No household with this resident ID number in your area"},
            )
            continue
        try:
            value = Decimal(cells["value_yuan"] or "0")
        except InvalidOperation:
            fail(NEED_SHEET, NEED_COLUMNS, row, {"value_yuan": "Must be a number"})
            continue
        try:
            need_in = NeedIn.model_validate(
                {
                    "household_id": household_id,
                    "kind": _reverse(KIND_ZH, cells["kind"]),
                    "item": _code(cells["item"]),
                    "title": cells["title"],
                    "description": cells["description"],
                    "value_yuan": value,
                    "deadline": cells["deadline"] or None,
                }
            )
        except ValidationError as exc:
            fail(NEED_SHEET, NEED_COLUMNS, row, field_errors(exc))
            continue
        try:
            with session.begin_nested():
                households.create_need(session, actor=actor, data=need_in, today=today)
        except ServiceError as exc:
            fail(NEED_SHEET, NEED_COLUMNS, row, exc.errors or {"_": exc.message})
            continue
        report.needs += 1
    return report


def require_ok(report: ImportReport) -> None:
    """Raise (so the unit of work rolls back) when the report has errors."""
    if not report.ok:
        raise ValidationFailed({"file": "The file has errors; nothing was imported"})
