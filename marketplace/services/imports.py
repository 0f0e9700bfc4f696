"""Excel import (批量导入) of households and their needs by hub staff.

``template`` builds a workbook with Chinese headers and drop-down lists (data validation lists that
point at defined names on a hidden sheet holding the hub subtree's regions, hardship types, items
and kinds). ``import_workbook`` reads a filled-in copy, validates every row with the same pydantic
schemas as the forms and the API (``HouseholdIn``, ``NeedIn``) and the same rules as
``households.create_household`` / ``create_need``, and stores the rows through the same
``households.add_households`` / ``add_needs``: the report lists every error (sheet, row, column,
why), one bad row does not hide the next.

Uploads cannot exhaust the worker: the archive is checked before parsing
(``workbooks.open_workbook``: zip bombs), the sheets are streamed (read-only, values only), rows are
looked up and stored a batch at a time, and a workbook over ``IMPORT_MAX_ROWS`` data rows is
refused whole. A cell holding a formula is refused (an error on its row), never stored; other text,
even text starting with ``+ - @``, is stored as plain text (exports neutralise it).

All or nothing: when the report has any error the caller rolls the transaction back (the services
only flush); the background job in ``marketplace.jobs.imports`` does exactly that.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from pydantic import ValidationError
from sqlmodel import Session, col, select

from marketplace import profiles
from marketplace.config import Defaults
from marketplace.models import (
    DeliveryMode,
    EventSource,
    Household,
    Hub,
    Region,
    TaxonomyItem,
    User,
)
from marketplace.schemas import HouseholdIn, NeedIn
from marketplace.services import households, monitoring
from marketplace.services.access import staff_scope
from marketplace.services.clock import beijing_today
from marketplace.services.errors import ValidationFailed, field_errors
from marketplace.services.exports import (
    LIST_SHEET,
    column_heading,
    dropdown,
    header_row,
    list_column,
)
from marketplace.services.messages import Message
from marketplace.services.regions import in_subtree, is_within
from marketplace.services.workbooks import WorkbookLimits, open_workbook

HOUSEHOLD_SHEET = "家庭"
NEED_SHEET = "需求"
TEMPLATE_ROWS = Defaults.IMPORT_MAX_ROWS  # rows of the template that have drop-down lists

HARDSHIP_ZH = {
    "bottom": "兜底型",
    "expense": "支出型",
    "emergency": "急难型",
    "development": "发展型",
    "care": "关爱型",
}
KIND_ZH = {"wish": "微心愿", "service": "服务需求"}
DELIVERY_MODE_ZH = {
    "handover": "助联体交接",
    "home_delivery": "送货上门",
    "home_service": "上门服务",
}
TAG_ZH = {
    "elderly": "老年人",
    "disabled": "残疾人",
    "child": "儿童",
    "serious_illness": "重病",
    "single": "独居",
    "unemployed": "失业",
}


def _profile_hint(f: profiles.ProfileField) -> str:
    default = profiles.Profile().model_dump()[f.name]
    if f.kind == "choice":
        choices = "、".join((f.choices or {}).values())
        if f.name == "source":
            return f"必填，从下拉列表选择：{choices}"
        return f"从下拉列表选择，留空为“{(f.choices or {})[default]}”"
    if f.kind == "count":
        return f"0–30 的整数，不超过家庭人口，留空为 {default}"
    if f.kind == "flag":
        return "是 / 否，留空为“否”"
    return "200字以内，可留空"


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
    ("members", "家庭人口", "1–30 的整数"),
    ("tags", "标签", "可多个，用逗号分隔：" + "、".join(TAG_ZH.values())),
    # 家庭画像 (seven dimensions): the resilience score is computed from these columns.
    *((f.name, f.zh, _profile_hint(f)) for f in profiles.FIELDS),
]
# The score column of templates from before scores were computed: a row with a value in it is
# refused (the score is computed from the profile; typing one would silently be overridden), an
# empty column is ignored.
LEGACY_SCORE = ("risk_score", "韧性评分", "")
HOUSEHOLD_READ_COLUMNS = [*HOUSEHOLD_COLUMNS, LEGACY_SCORE]
NEED_COLUMNS: list[tuple[str, str, str]] = [
    ("id_number", "户主身份证号", "本表“家庭”页或已登记家庭的身份证号"),
    ("kind", "需求类型", "从下拉列表选择"),
    ("item", "帮扶事项", "从下拉列表选择：代码 名称"),
    ("title", "标题", "必填，100字以内"),
    ("description", "描述", "电话、身份证号、门牌号会在公开前去除"),
    ("value_yuan", "估计价值（元）", "数字，可留空"),
    ("deadline", "截止日期", "日期，如 2026-12-31，可留空"),
    ("delivery_mode", "配送方式", "从下拉列表选择，可留空（助联体交接）"),
    ("delivery_instructions", "配送说明", "如：送到社区服务中心；上门，需先电话预约。可留空"),
]

# 监测数据变动 (the "events" import kind): one event per row, about a registered household (its
# number) or a resident ID number with the community (unknown ones become leads for the street).
EVENT_SHEET = "监测数据变动"
EVENT_KIND_ZH = {
    "major_illness": "重大疾病",
    "birth": "家庭成员出生",
    "death": "家庭成员死亡",
    "disability_change": "残疾等级变化",
    "job_loss": "失业",
    "large_medical_expense": "大额医疗支出",
    "disaster": "灾害或意外",
    "assistance_exit": "救助退出",
    "application_refused": "新申请未通过",
    "temporary_assistance": "临时救助",
    "discovered": "主动发现",
    "other_department": "其他部门救助",
}
EVENT_COLUMNS: list[tuple[str, str, str]] = [
    ("household_id", "家庭编号", "已登记家庭的编号（#），与身份证号二选一"),
    ("id_number", "身份证号", "未填家庭编号时必填：18位，末位可为X；未登记的转为线索"),
    ("community_code", "社区（村）", "填身份证号时必填：从下拉列表选择"),
    ("kind", "变动类型", "从下拉列表选择"),
    ("occurred_on", "发生日期", "日期，如 2026-12-01，不晚于今天"),
    ("note", "说明", "1000字以内，可留空"),
]
IMPORT_KINDS = ("households", "events")


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    message: Message

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowError:
        return cls(
            str(data.get("sheet", "")),
            int(data.get("row", 0)),
            str(data.get("column", "")),
            Message.from_dict(data.get("message", "")),
        )


@dataclass
class ImportReport:
    households: int = 0
    needs: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    kind: str = "households"  # IMPORT_KINDS
    events: int = 0  # the "events" kind: events checked (stored when ok), of which
    leads: int = 0  # for residents we do not know (leads for the street)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "households": self.households,
            "needs": self.needs,
            "events": self.events,
            "leads": self.leads,
            "rows": self.rows,
            "errors": [e.as_dict() for e in self.errors],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        return cls(
            kind=str(data.get("kind", "households")),
            households=int(data.get("households", 0)),
            needs=int(data.get("needs", 0)),
            events=int(data.get("events", 0)),
            leads=int(data.get("leads", 0)),
            rows=int(data.get("rows", 0)),
            errors=[RowError.from_dict(e) for e in data.get("errors", [])],
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
    header_row(hh, HOUSEHOLD_COLUMNS)
    needs = wb.create_sheet(NEED_SHEET)
    header_row(needs, NEED_COLUMNS)
    lists = wb.create_sheet(LIST_SHEET)
    lists.sheet_state = "hidden"
    by_level = {
        lv: [f"{r.code} {r.name}" for r in regions if r.level == lv]
        for lv in ("district", "street", "community")
    }
    list_column(wb, lists, 1, "zf_districts", "区县", by_level["district"])
    list_column(wb, lists, 2, "zf_streets", "街道", by_level["street"])
    list_column(wb, lists, 3, "zf_communities", "社区", by_level["community"])
    list_column(wb, lists, 4, "zf_hardship", "困难类型", list(HARDSHIP_ZH.values()))
    list_column(wb, lists, 5, "zf_items", "帮扶事项", [f"{i.code} {i.name_zh}" for i in items])
    list_column(wb, lists, 6, "zf_kinds", "需求类型", list(KIND_ZH.values()))
    profile_lists = [f for f in profiles.FIELDS if f.kind in ("choice", "flag")]
    for n, f in enumerate(profile_lists, start=20):
        values = list((f.choices or {}).values()) if f.choices else list(profiles.YES_NO.values())
        list_column(wb, lists, n, f"zf_profile_{f.name}", f.zh, values)
        dropdown(hh, HOUSEHOLD_COLUMNS, f.name, f"zf_profile_{f.name}", TEMPLATE_ROWS)
    list_column(wb, lists, 7, "zf_delivery_modes", "配送方式", list(DELIVERY_MODE_ZH.values()))
    dropdown(hh, HOUSEHOLD_COLUMNS, "district", "zf_districts", TEMPLATE_ROWS)
    dropdown(hh, HOUSEHOLD_COLUMNS, "street", "zf_streets", TEMPLATE_ROWS)
    dropdown(hh, HOUSEHOLD_COLUMNS, "community_code", "zf_communities", TEMPLATE_ROWS)
    dropdown(hh, HOUSEHOLD_COLUMNS, "hardship_type", "zf_hardship", TEMPLATE_ROWS)
    dropdown(needs, NEED_COLUMNS, "kind", "zf_kinds", TEMPLATE_ROWS)
    dropdown(needs, NEED_COLUMNS, "item", "zf_items", TEMPLATE_ROWS)
    dropdown(needs, NEED_COLUMNS, "delivery_mode", "zf_delivery_modes", TEMPLATE_ROWS)
    for ws, columns, fmt in (
        (hh, HOUSEHOLD_COLUMNS, "id_number"),
        (needs, NEED_COLUMNS, "id_number"),
    ):
        letter = get_column_letter([f for f, _h, _x in columns].index(fmt) + 1)
        ws.column_dimensions[letter].number_format = "@"  # ID numbers as text: all 18 digits
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def events_template(session: Session, *, actor: User) -> bytes:
    """The events import workbook (监测数据变动) for the actor's hub subtree: the kinds by code
    and the subtree's communities as drop-downs."""
    scope = staff_scope(session, actor)
    communities = [r for r in _scope_regions(session, scope) if r.level == "community"]
    wb = Workbook()
    ws = wb.active
    ws.title = EVENT_SHEET
    header_row(ws, EVENT_COLUMNS)
    lists = wb.create_sheet(LIST_SHEET)
    lists.sheet_state = "hidden"
    list_column(
        wb, lists, 1, "zf_event_kinds", "变动类型", [f"{k} {v}" for k, v in EVENT_KIND_ZH.items()]
    )
    list_column(wb, lists, 2, "zf_communities", "社区", [f"{r.code} {r.name}" for r in communities])
    dropdown(ws, EVENT_COLUMNS, "kind", "zf_event_kinds", TEMPLATE_ROWS)
    dropdown(ws, EVENT_COLUMNS, "community_code", "zf_communities", TEMPLATE_ROWS)
    letter = get_column_letter([f for f, _h, _x in EVENT_COLUMNS].index("id_number") + 1)
    ws.column_dimensions[letter].number_format = "@"  # ID numbers as text: all 18 digits
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# Reading -------------------------------------------------------------------------------------------

BATCH = 1000  # rows validated, looked up and stored together
READ_COLUMNS = 64  # the headers must be among the first 64 columns; cells beyond are not read


@dataclass(frozen=True)
class ImportLimits:
    """How much one import may hold: ``IMPORT_MAX_ROWS`` data rows in both sheets together, and
    what the archive may inflate to (``XLSX_*``); settings in ``marketplace.config``."""

    max_rows: int = Defaults.IMPORT_MAX_ROWS
    workbook: WorkbookLimits = field(default_factory=WorkbookLimits)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ImportLimits:
        return cls(int(config["IMPORT_MAX_ROWS"]), WorkbookLimits.from_config(config))


class _TooManyRows(Exception):
    pass


class _Unreadable(Exception):
    """A part of the workbook could not be read (corrupt XML, a CRC mismatch, a size that lied)."""


@dataclass(frozen=True)
class _Row:
    number: int
    cells: dict[str, str]
    formulas: list[str]  # the fields whose cell holds a formula


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def _is_formula(value: Any) -> bool:
    """A formula cell (the workbook is read with ``data_only=False``, so a formula comes as its
    ``"=…"`` text or an array/table formula object, never as its cached result), or text that a
    spreadsheet would evaluate once typed back in. Such a cell is refused, never stored."""
    if isinstance(value, ArrayFormula | DataTableFormula):
        return True
    return isinstance(value, str) and value.strip().startswith("=")


def _code(value: str) -> str:
    """``"330102001051 清波门社区"`` → ``"330102001051"``."""
    return value.split(" ", 1)[0].strip() if value else ""


def _reverse(table: dict[str, str], value: str) -> str:
    for code, label in table.items():
        if value in (code, label):
            return code
    return value


def _declared_rows(wb: Any, name: str) -> int:
    """The data rows a sheet declares (its dimension; 0 when absent): for progress only."""
    if name not in wb.sheetnames:
        return 0
    max_row = wb[name].max_row
    return max(0, max_row - 1) if isinstance(max_row, int) else 0


def _sheet_rows(
    wb: Any, name: str, columns: list[tuple[str, str, str]], count: Callable[[], None]
) -> Iterator[_Row]:
    """The sheet's non-empty data rows, streamed (read-only workbook, values only)."""
    if name not in wb.sheetnames:
        return
    rows = wb[name].iter_rows(values_only=True, max_col=READ_COLUMNS)
    try:
        index: dict[str, int] = {}
        for i, value in enumerate(next(rows, ())):
            index.setdefault(_text(value), i)
        wanted = [(f, index[h]) for f, h, _x in columns if h in index]
        for n, values in enumerate(rows, start=2):
            raw = {f: values[i] for f, i in wanted}
            cells = {f: "" for f, _h, _x in columns} | {f: _text(v) for f, v in raw.items()}
            if any(cells.values()):
                count()
                yield _Row(n, cells, [f for f, v in raw.items() if _is_formula(v)])
    except (zipfile.BadZipFile, ParseError, zlib.error, EOFError, OSError, ValueError) as exc:
        raise _Unreadable from exc


_TRUE = {"是", "有", "y", "yes", "true", "1", "√"}
_FALSE = {"否", "无", "n", "no", "false", "0", "×"}


def _profile_data(cells: dict[str, str]) -> dict[str, Any]:
    """The profile cells as ``Profile`` input: choices by code or Chinese name, 是/否 flags,
    counts; an empty cell takes the profile's default (the source is required: checked by the
    caller)."""
    out: dict[str, Any] = {}
    for f in profiles.FIELDS:
        value = cells.get(f.name, "")
        if not value:
            continue
        if f.kind == "choice":
            out[f.name] = _reverse(f.choices or {}, value)
        elif f.kind == "flag":
            low = value.lower()
            out[f.name] = True if low in _TRUE else False if low in _FALSE else value
        else:
            out[f.name] = value
    return out


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
        "members": cells["members"] or 1,
        "tags": [_reverse(TAG_ZH, t) for t in tags_raw],
    }


def _profile_errors(exc: ValidationError) -> dict[str, Message]:
    """Profile errors by column (pydantic names the profile field; the rule across fields — no
    more employed than able-bodied members — goes to the employed column)."""
    errors = field_errors(exc)
    if "_" in errors:
        errors["employed"] = errors.pop("_")
    return errors


def _ancestor_errors(cells: dict[str, str], community: str) -> list[tuple[str, Message]]:
    errors = []
    district, street = _code(cells["district"]), _code(cells["street"])
    if district and not is_within(community, district):
        errors.append(("district", Message("import.district_mismatch")))
    if street and not is_within(community, street):
        errors.append(("street", Message("import.street_mismatch")))
    return errors


def import_workbook(
    session: Session,
    *,
    actor: User,
    data: bytes,
    today: date | None = None,
    progress: Progress | None = None,
    limits: ImportLimits | None = None,
    kind: str = "households",
) -> ImportReport:
    """Validate and store every row, streaming the workbook; the report lists every error. The
    caller commits only when ``report.ok`` (else it rolls back: nothing of the file is kept).
    ``kind``: households and their needs, or monitoring events (``events_template``).

    A workbook over ``limits.max_rows`` data rows is refused with one error; so is one that
    ``workbooks.open_workbook`` refuses (a zip bomb) or that cannot be read."""
    limits = limits or ImportLimits()
    report = ImportReport(kind=kind if kind in IMPORT_KINDS else "households")
    try:
        wb = open_workbook(data, limits.workbook)
    except ValidationFailed as exc:
        report.errors.append(RowError("", 0, "", exc.errors.get("file", exc.message)))
        return report
    run = _Import(session, actor, report, today or beijing_today(), progress)
    sheets = (EVENT_SHEET,) if report.kind == "events" else (HOUSEHOLD_SHEET, NEED_SHEET)
    run.total = min(limits.max_rows, sum(_declared_rows(wb, name) for name in sheets))

    def count() -> None:
        report.rows += 1
        if report.rows > limits.max_rows:
            raise _TooManyRows

    try:
        if report.kind == "events":
            run.events(_sheet_rows(wb, EVENT_SHEET, EVENT_COLUMNS, count))
        else:
            run.households(_sheet_rows(wb, HOUSEHOLD_SHEET, HOUSEHOLD_READ_COLUMNS, count))
            run.needs(_sheet_rows(wb, NEED_SHEET, NEED_COLUMNS, count))
    except _TooManyRows:
        report.households = report.needs = report.events = report.leads = 0
        report.errors = [
            RowError("", 0, "", Message("import.too_many_rows", {"max": limits.max_rows}))
        ]
    except _Unreadable:
        report.households = report.needs = report.events = report.leads = 0
        report.errors = [RowError("", 0, "", Message("import.not_xlsx"))]
    finally:
        wb.close()
    if not report.rows and report.ok:
        report.errors.append(RowError("", 0, "", Message("import.empty")))
    if progress is not None and report.rows:
        progress(report.rows, report.rows)
    return report


class _Import:
    """One import's state. Rows are checked one by one and looked up and stored a batch at a time
    (the communities of the hub's area and the active items are read once; registered ID numbers
    and households a batch at a time), with the same rules as ``create_household`` /
    ``create_need``. Once any row has failed nothing more is stored: the rest is only checked."""

    def __init__(
        self,
        session: Session,
        actor: User,
        report: ImportReport,
        today: date,
        progress: Progress | None,
    ) -> None:
        self.session, self.actor, self.report = session, actor, report
        self.today, self.progress = today, progress
        self.scope = staff_scope(session, actor)
        self.total = 0
        self.done = 0
        self.communities = {
            r.code: r
            for r in session.exec(
                select(Region).where(
                    Region.level == "community", in_subtree(Region.code, self.scope)
                )
            )
        }
        self.items = set(
            session.exec(select(TaxonomyItem.code).where(col(TaxonomyItem.active).is_(True)))
        )
        self.in_file: dict[str, int] = {}  # ID number → row, of the households that passed

    def step(self) -> None:
        self.done += 1
        if self.progress is not None and self.done % BATCH == 0:
            self.progress(self.done, max(self.total, self.done))

    def fail(
        self,
        sheet: str,
        columns: list[tuple[str, str, str]],
        row: int,
        errors: Mapping[str, Message],
    ) -> None:
        for f, message in errors.items():
            self.report.errors.append(RowError(sheet, row, column_heading(columns, f), message))

    def formulas(self, sheet: str, columns: list[tuple[str, str, str]], row: _Row) -> bool:
        if row.formulas:
            self.fail(
                sheet, columns, row.number, {f: Message("import.formula") for f in row.formulas}
            )
        return bool(row.formulas)

    # Households ------------------------------------------------------------------------------------

    def households(self, rows: Iterator[_Row]) -> None:
        batch: list[tuple[int, HouseholdIn]] = []
        for row in rows:
            self.step()
            if self.formulas(HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS, row):
                continue
            if row.cells.get("risk_score"):
                self.fail(
                    HOUSEHOLD_SHEET,
                    HOUSEHOLD_READ_COLUMNS,
                    row.number,
                    {"risk_score": Message("import.score_column")},
                )
                continue
            errors: dict[str, Message] = {}
            profile = profiles.Profile()
            if not row.cells.get("source"):
                errors["source"] = Message("field.required")
            try:
                profile = profiles.Profile.model_validate(_profile_data(row.cells))
            except ValidationError as exc:
                errors |= _profile_errors(exc)
            try:
                payload = HouseholdIn.model_validate(
                    _household_data(row.cells) | {"profile": profile}
                )
            except ValidationError as exc:
                found = field_errors(exc)
                bad = found.pop("profile", None)
                if bad is not None:  # counts over the household's size: name the columns
                    found |= {name: bad for name in bad.params.get("fields", [])}
                errors = found | errors
            if errors:
                self.fail(HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS, row.number, errors)
                continue
            extra = _ancestor_errors(row.cells, payload.community_code)
            if extra:
                self.fail(HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS, row.number, dict(extra))
                continue
            batch.append((row.number, payload))
            if len(batch) >= BATCH:
                self._store_households(batch)
                batch = []
        if batch:
            self._store_households(batch)

    def _store_households(self, batch: list[tuple[int, HouseholdIn]]) -> None:
        registered = set(
            self.session.exec(
                select(Household.id_number).where(
                    col(Household.id_number).in_([p.id_number for _n, p in batch])
                )
            )
        )
        unknown = {p.community_code for _n, p in batch} - self.communities.keys()
        elsewhere = (
            set(
                self.session.exec(
                    select(Region.code).where(
                        col(Region.code).in_(unknown), Region.level == "community"
                    )
                )
            )
            if unknown
            else set()
        )
        good: list[HouseholdIn] = []
        for number, payload in batch:
            first = self.in_file.get(payload.id_number)
            error: tuple[str, Message] | None = None
            if payload.community_code in elsewhere:
                error = ("community_code", Message("field.out_of_scope"))
            elif payload.community_code not in self.communities:
                error = ("community_code", Message("community.unknown"))
            elif first is not None:  # before the registered check: this file stored it
                error = ("id_number", Message("import.duplicate_row", {"row": first}))
            elif payload.id_number in registered:
                error = ("id_number", Message("household.duplicate"))
            if error is not None:
                self.fail(HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS, number, dict([error]))
                continue
            self.in_file[payload.id_number] = number
            good.append(payload)
        if good and self.report.ok:
            households.add_households(self.session, actor=self.actor, rows=good)
        self.report.households += len(good)

    # Needs -----------------------------------------------------------------------------------------

    def needs(self, rows: Iterator[_Row]) -> None:
        batch: list[tuple[int, str, NeedIn, dict[str, Message]]] = []
        for row in rows:
            self.step()
            if self.formulas(NEED_SHEET, NEED_COLUMNS, row):
                continue
            cells = row.cells
            try:
                value = Decimal(cells["value_yuan"] or "0")
            except InvalidOperation:
                self.fail(
                    NEED_SHEET,
                    NEED_COLUMNS,
                    row.number,
                    {"value_yuan": Message("field.not_number")},
                )
                continue
            try:
                need_in = NeedIn.model_validate(
                    {
                        "household_id": 0,  # looked up with the batch
                        "kind": _reverse(KIND_ZH, cells["kind"]),
                        "item": _code(cells["item"]),
                        "title": cells["title"],
                        "description": cells["description"],
                        "value_yuan": value,
                        "deadline": cells["deadline"] or None,
                        # Optional columns: files made from an older template lack them.
                        "delivery_mode": _reverse(DELIVERY_MODE_ZH, cells["delivery_mode"])
                        or DeliveryMode.HANDOVER.value,
                        "delivery_instructions": cells["delivery_instructions"],
                    }
                )
            except ValidationError as exc:
                self.fail(NEED_SHEET, NEED_COLUMNS, row.number, field_errors(exc))
                continue
            errors: dict[str, Message] = {}
            if need_in.item not in self.items:
                errors["item"] = Message("item.unknown")
            if need_in.deadline is not None and need_in.deadline < self.today:
                errors["deadline"] = Message("need.deadline_past")
            batch.append((row.number, cells["id_number"].upper(), need_in, errors))
            if len(batch) >= BATCH:
                self._store_needs(batch)
                batch = []
        if batch:
            self._store_needs(batch)

    def _store_needs(self, batch: list[tuple[int, str, NeedIn, dict[str, Message]]]) -> None:
        found = {
            h.id_number: h
            for h in self.session.exec(
                select(Household).where(
                    col(Household.id_number).in_({i for _n, i, _d, _e in batch if i}),
                    in_subtree(Household.community_code, self.scope),
                )
            )
        }
        good: list[tuple[NeedIn, Household, Region | None]] = []
        for number, id_number, need_in, errors in batch:
            household = found.get(id_number)
            if household is None and id_number not in self.in_file:
                errors = {"id_number": Message("import.no_household")} | errors
            if errors:
                self.fail(NEED_SHEET, NEED_COLUMNS, number, errors)
                continue
            self.report.needs += 1
            if household is not None:  # None: a household of this file, not stored (it failed)
                data = need_in.model_copy(update={"household_id": household.id})
                good.append((data, household, self.communities.get(household.community_code)))
        if good and self.report.ok:
            households.add_needs(self.session, actor=self.actor, rows=good)

    # Monitoring events ----------------------------------------------------------------------------

    def events(self, rows: Iterator[_Row]) -> None:
        """Each row checked like an event from the form or the API (``monitoring.parse_event``,
        ``find_household``: the staff member's subtree; a hub for a lead), then, when every row
        passed, all stored at once as source ``import`` (``monitoring.store_events``)."""
        good: list[tuple[monitoring.EventIn, Household | None]] = []
        hubs: dict[str, Hub] = {}
        for chunk in _chunks(rows, BATCH):
            # The chunk's households by ID number in one query, not one per row.
            known = monitoring.households_by_number(
                self.session, [r.cells.get("id_number", "") for r in chunk]
            )
            for row in chunk:
                self._event(row, known, hubs, good)
        if good and self.report.ok:
            monitoring.store_events(self.session, self.actor, good, EventSource.IMPORT)

    def _event(
        self,
        row: _Row,
        known: Mapping[str, Household],
        hubs: dict[str, Hub],
        good: list[tuple[monitoring.EventIn, Household | None]],
    ) -> None:
        self.step()
        if self.formulas(EVENT_SHEET, EVENT_COLUMNS, row):
            return
        cells = row.cells
        kind = _code(cells["kind"])
        try:
            data = monitoring.parse_event(
                self.session,
                kind=_reverse(EVENT_KIND_ZH, kind) if kind else cells["kind"],
                occurred_on=cells["occurred_on"],
                note=cells["note"],
                household_id=cells["household_id"],
                id_number=cells["id_number"].upper(),
                community_code=_code(cells["community_code"]),
            )
            household = monitoring.find_household(self.session, self.actor, data, by_number=known)
            if household is None:
                monitoring.lead_hub(self.session, data.community_code, hubs)
        except ValidationFailed as exc:
            errors = {f: Message(m) if isinstance(m, str) else m for f, m in exc.errors.items()}
            self.fail(EVENT_SHEET, EVENT_COLUMNS, row.number, errors)
            return
        if self.report.ok:
            good.append((data, household))
        self.report.events += 1
        self.report.leads += household is None


def _chunks(rows: Iterator[_Row], size: int) -> Iterator[list[_Row]]:
    chunk: list[_Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def require_ok(report: ImportReport) -> None:
    """Raise (so the unit of work rolls back) when the report has errors."""
    if not report.ok:
        raise ValidationFailed({"file": "import.has_errors"})
