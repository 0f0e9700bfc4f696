"""Excel exports (.xlsx, openpyxl) of the staff lists and of the dashboard.

Rows come from ``services.listings`` (already scoped: hub staff see only their subtree, org and
member accounts are refused), so an export never holds more personal data than the page. The words
come from the web layer (``Words``): headings are msgids marked with ``N_`` and translated by its
gettext, codes (statuses, hardship types, roles) are named by the same vocabulary the pages use
(``marketplace.web.labels``), so the service never touches Flask and no label is written twice.
Each export that contains personal data is written to the audit log.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import Select
from sqlmodel import Session, select

from marketplace.models import Hub, Organisation, User
from marketplace.services import audit, listings, rounds
from marketplace.services import fairness as fairness_report
from marketplace.services.clock import beijing_today, to_beijing
from marketplace.services.dashboard import Dashboard
from marketplace.services.messages import Message
from marketplace.services.offers import state as offer_state
from marketplace.services.regions import region_names

MAX_ROWS = 100_000
Translate = Callable[[str], str]
Label = Callable[[str, str], str]  # (vocabulary, code) -> the reader's word for the code
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def N_(message: str) -> str:
    """Mark a heading for the catalogue; ``Words.t`` translates it."""
    return message


@dataclass(frozen=True)
class Words:
    """The reader's language, given by the web layer: ``t`` translates a heading, ``label`` names a
    code of one vocabulary (``label("need_status", "open")``), as the pages name it."""

    t: Translate
    label: Label


def _local(value: Any) -> Any:
    """Datetimes in Asia/Shanghai without tzinfo (Excel has no time zones)."""
    if isinstance(value, datetime):
        return to_beijing(value).replace(tzinfo=None, microsecond=0)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


# Text that a spreadsheet would read as a formula (formula injection, OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def write_text(cell: Any, value: Any) -> Any:
    """Put ``value`` in an openpyxl cell so that no spreadsheet evaluates it: text starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written as ``'`` + the text, typed as
    a string. Returns the cell. Every workbook we write puts its text through here: these exports,
    the import templates."""
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell.value = "'" + value
        cell.data_type = "s"
    return cell


def _cell(ws: Any, value: Any) -> Any:
    """A value for a row of a write-only sheet: plain values as they are (the fast path for a
    100,000-row export), text that starts like a formula through ``write_text``."""
    value = _local(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return write_text(WriteOnlyCell(ws), value)
    return value


def workbook(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A streamed (write-only) workbook: bold frozen header row, auto-filter, sensible widths."""
    wb = Workbook(write_only=True)
    bold, fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="B3261E")
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title[:31])
        ws.freeze_panes = "A2"
        for i, h in enumerate(headers, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(h) * 2 + 4))
        header_cells = []
        for h in headers:
            cell = write_text(WriteOnlyCell(ws), h)
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(vertical="center")
            header_cells.append(cell)
        ws.append(header_cells)
        n = 0
        for row in rows:
            ws.append([_cell(ws, v) for v in row])
            n += 1
            if n >= MAX_ROWS:
                break
        if headers:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{n + 1}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rows(session: Session, stmt: Select[Any]) -> list[Any]:
    return list(session.execute(stmt.limit(MAX_ROWS)).all())


def households(
    session: Session, *, actor: User, f: listings.HouseholdFilter, sort: listings.Sort, words: Words
) -> bytes:
    t, label = words.t, words.label
    rows = _rows(session, listings.households_query(session, actor=actor, f=f, sort=sort))
    names = region_names(session)
    headers = [
        t(N_("ID")),
        t(N_("Name")),
        t(N_("Resident ID number")),
        t(N_("Phone")),
        t(N_("Address")),
        t(N_("Community code")),
        t(N_("Community")),
        t(N_("Hardship type")),
        t(N_("Source")),  # 对象来源, of the profile the score is computed from
        t(N_("Resilience score")),
        t(N_("Risk level")),
        t(N_("Household members")),
        t(N_("Tags")),
        t(N_("Registered")),
    ]
    data = (
        [
            h.id,
            h.name,
            h.id_number,
            h.phone,
            h.address,
            h.community_code,
            names.get(h.community_code, ""),
            label("hardship", h.hardship_type),
            label("source", h.source),
            h.risk_score,
            h.risk_level,
            h.members,
            _words(words, "tag", h.tags),
            h.created_at,
        ]
        for (h,) in rows
    )
    body = workbook([(t(N_("Households")), headers, data)])
    _audit_export(session, actor, "households", len(rows))
    return body


def needs(
    session: Session, *, actor: User, f: listings.NeedFilter, sort: listings.Sort, words: Words
) -> bytes:
    t, label = words.t, words.label
    rows = _rows(session, listings.needs_query(session, actor=actor, f=f, sort=sort))
    names = region_names(session)
    headers = [
        t(N_("ID")),
        t(N_("Household")),
        t(N_("Phone")),
        t(N_("Community")),
        t(N_("Kind")),
        t(N_("Item")),
        t(N_("Title")),
        t(N_("Description")),
        t(N_("Value (yuan)")),
        t(N_("Deadline")),
        t(N_("Status")),
        t(N_("Recorded")),
        t(N_("Published")),
    ]
    data = (
        [
            n.id,
            h.name,
            h.phone,
            names.get(n.community_code, n.community_code),
            label("kind", n.kind),
            label("item", n.item_code),
            n.title,
            n.description,
            n.value_yuan,
            n.deadline,
            label("need_status", n.status),
            n.created_at,
            n.published_at,
        ]
        for n, h in rows
    )
    body = workbook([(t(N_("Needs")), headers, data)])
    _audit_export(session, actor, "needs", len(rows))
    return body


def deliveries(session: Session, *, actor: User, sort: listings.Sort, words: Words) -> bytes:
    t, label = words.t, words.label
    rows = _rows(session, listings.deliveries_query(session, actor=actor, sort=sort))
    names = region_names(session)
    headers = [
        t(N_("Need")),
        t(N_("Household")),
        t(N_("Community")),
        t(N_("Risk level")),
        t(N_("Item")),
        t(N_("Title")),
        t(N_("Reported")),
        t(N_("Note")),
        t(N_("Claim")),
    ]
    data = (
        [
            n.id,
            h.name,
            names.get(n.community_code, n.community_code),
            h.risk_level,
            label("item", n.item_code),
            n.title,
            c.delivered_at,
            c.delivery_note or "",
            c.id,
        ]
        for n, h, c in rows
    )
    body = workbook([(t(N_("Deliveries")), headers, data)])
    _audit_export(session, actor, "deliveries", len(rows))
    return body


def offers(
    session: Session, *, actor: User, q: str, status: str, sort: listings.Sort, words: Words
) -> bytes:
    t, label = words.t, words.label
    rows = _rows(
        session, listings.offers_query(session, actor=actor, q=q, status=status, sort=sort)
    )
    names = region_names(session)
    headers = [
        t(N_("ID")),
        t(N_("Title")),
        t(N_("Organisation")),
        t(N_("Items")),
        t(N_("Regions")),
        t(N_("Radius (km)")),
        t(N_("Capacity")),
        t(N_("Unit")),
        t(N_("Used")),
        t(N_("Remaining")),
        t(N_("Start")),
        t(N_("End")),
        t(N_("Status")),
    ]
    data = (
        [
            o.id,
            o.title,
            org.name,
            _words(words, "item", o.items),
            t(N_(", ")).join(names.get(code, code) for code in o.regions),
            o.radius_km,
            o.capacity,
            label("unit", o.unit),
            o.capacity - o.remaining,
            o.remaining,
            o.start,
            o.end,
            label("offer_status", offer_state(o, org)),
        ]
        for o, org in rows
    )
    return workbook([(t(N_("Offers")), headers, data)])


def users(
    session: Session, *, actor: User, q: str, role: str, sort: listings.Sort, words: Words
) -> bytes:
    t, label = words.t, words.label
    rows = _rows(session, listings.users_query(session, actor=actor, q=q, role=role, sort=sort))
    # The hub and the organisation by name, not by their ids.
    hubs = dict(session.exec(select(Hub.id, Hub.name)).all())
    orgs = dict(session.exec(select(Organisation.id, Organisation.name)).all())
    headers = [
        t(N_("ID")),
        t(N_("Username")),
        t(N_("Name")),
        t(N_("Role")),
        t(N_("Hub")),
        t(N_("Organisation")),
        t(N_("Active")),
        t(N_("Created")),
    ]
    data = (
        [
            u.id,
            u.username,
            u.display_name,
            label("role", u.role),
            hubs.get(u.hub_id or 0, ""),
            orgs.get(u.org_id or 0, ""),
            t(N_("Yes")) if u.active else t(N_("No")),
            u.created_at,
        ]
        for (u,) in rows
    )
    _audit_export(session, actor, "users", len(rows))
    return workbook([(t(N_("Users")), headers, data)])


def audit_log(
    session: Session, *, actor: User, f: listings.AuditFilter, sort: listings.Sort, words: Words
) -> bytes:
    t, label = words.t, words.label
    rows = _rows(session, listings.audit_query(session, actor=actor, f=f, sort=sort))
    headers = [
        t(N_("ID")),
        t(N_("Time")),
        t(N_("Actor")),
        t(N_("Action")),
        t(N_("Object")),
        t(N_("Object ID")),
        t(N_("Before")),
        t(N_("After")),
    ]
    data = (
        [
            a.id,
            a.at,
            a.actor if a.actor_id is not None else label("audit_actor", a.actor),
            label("audit_action", a.action),
            label("audit_object", a.object_type),
            a.object_id,
            _json(a.before),
            _json(a.after),
        ]
        for (a,) in rows
    )
    _audit_export(session, actor, "audit", len(rows))
    return workbook([(t(N_("Audit log")), headers, data)])


def _words(words: Words, vocabulary: str, codes: Iterable[str]) -> str:
    """Codes of one vocabulary as the reader's words, in one cell ("老年人、残疾人")."""
    return words.t(N_(", ")).join(words.label(vocabulary, code) for code in codes)


def _json(data: dict[str, Any] | None) -> str:
    """An audit entry's before/after as the JSON it is stored as (Chinese left readable)."""
    return json.dumps(data, ensure_ascii=False) if data else ""


def _audit_export(session: Session, actor: User, what: str, count: int) -> None:
    """Who exported which list, and how many rows (the object is the exporting account)."""
    audit.record(session, actor, f"export.{what}", actor, after={"rows": count})


def dashboard(d: Dashboard, *, words: Words) -> bytes:
    """Every figure of the dashboard, one sheet each."""
    t, label = words.t, words.label
    status_headers = [label("need_status", s) for s in d.statuses]
    areas = (
        [a.code, a.name, *[a.counts.get(s, 0) for s in d.statuses], a.total] for a in d.by_area
    )
    totals = [
        [
            "",
            t(N_("Total")),
            *[d.status_totals.get(s, 0) for s in d.statuses],
            sum(d.status_totals.values()),
        ]
    ]
    tth = d.time_to_help
    sheets: list[tuple[str, Sequence[str], Iterable[Sequence[Any]]]] = [
        (
            t(N_("Needs by area")),
            [t(N_("Code")), t(N_("Area")), *status_headers, t(N_("Total"))],
            [*areas, *totals],
        ),
        (
            t(N_("Time to help")),
            [t(N_("Confirmed needs")), t(N_("Median (hours)")), t(N_("90th percentile (hours)"))],
            [[tth.count, tth.median_hours, tth.p90_hours]],
        ),
        (
            t(N_("Confirmation deadlines")),
            [
                t(N_("Risk level")),
                t(N_("Deadline (days)")),
                t(N_("Confirmed in time")),
                t(N_("Confirmed late")),
                t(N_("Waiting past deadline")),
                t(N_("Compliance")),
            ],
            [[s.level, s.days, s.in_time, s.late, s.overdue_open, s.rate] for s in d.sla],
        ),
        (
            t(N_("Offer utilisation")),
            [
                t(N_("ID")),
                t(N_("Offer")),
                t(N_("Organisation")),
                t(N_("Capacity")),
                t(N_("Unit")),
                t(N_("Used")),
                t(N_("Utilisation")),
            ],
            [
                *(
                    [o.id, o.title, o.org, o.capacity, label("unit", o.unit), o.used, o.rate]
                    for o in d.offers
                ),
                [
                    "",
                    t(N_("All offers")) + f" ({d.offers_total['offers']})",
                    "",
                    d.offers_total["capacity"],
                    "",
                    d.offers_total["used"],
                    d.offers_total["rate"],
                ],
            ],
        ),
        (
            t(N_("Hub coverage")),
            [
                t(N_("Community hubs")),
                t(N_("With a registered household")),
                t(N_("With an open need")),
                t(N_("Share with households")),
                t(N_("Share with open needs")),
            ],
            [
                [
                    d.coverage.hubs,
                    d.coverage.with_household,
                    d.coverage.with_open_need,
                    d.coverage.household_rate,
                    d.coverage.open_need_rate,
                ]
            ],
        ),
        (
            t(N_("Participation")),
            [
                t(N_("Active members")),
                t(N_("Active in the last 30 days")),
                t(N_("Claims by members")),
                t(N_("Claims per member")),
                t(N_("Confirmed deliveries")),
            ],
            [
                [
                    d.participation.active_members,
                    d.participation.active_members_30d,
                    d.participation.member_claims,
                    d.participation.claims_per_member,
                    d.participation.confirmed_deliveries,
                ]
            ],
        ),
        *_warning_sheets(d, words),
    ]
    return workbook(sheets)


def _warning_sheets(
    d: Dashboard, words: Words
) -> list[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]:
    """预警, referrals and households: the monitoring figures of the dashboard (DESIGN §9)."""
    t, label = words.t, words.label
    w = d.warnings
    counts = [t(N_("Open warnings")), t(N_("Due today")), t(N_("Overdue"))]
    important = label("warning_level", "important")
    general = label("warning_level", "general")
    return [
        (
            t(N_("Warnings")),
            [t(N_("Warnings")), *counts],
            [
                [t(N_("All warnings")), w.totals.open, w.totals.due_today, w.totals.overdue],
                *(
                    [label("warning_level", lv), c.open, c.due_today, c.overdue]
                    for lv, c in w.by_level.items()
                ),
                *(
                    [label("event_source", src), c.open, c.due_today, c.overdue]
                    for src, c in w.by_source.items()
                ),
            ],
        ),
        (
            t(N_("Warnings by area")),
            [
                t(N_("Code")),
                t(N_("Area")),
                *(f"{important}: {h}" for h in counts),
                *(f"{general}: {h}" for h in counts),
            ],
            [
                [
                    a.code,
                    a.name,
                    a.important.open,
                    a.important.due_today,
                    a.important.overdue,
                    a.general.open,
                    a.general.due_today,
                    a.general.overdue,
                ]
                for a in w.by_area
            ],
        ),
        (
            t(N_("Warnings handled on time")),
            [
                t(N_("Closed in the last %(days)s days")) % {"days": w.period_days},
                t(N_("Closed on time")),
                t(N_("Share handled on time")),
            ],
            [[w.closed, w.closed_on_time, w.on_time_rate]],
        ),
        (
            t(N_("Outcomes and referrals")),
            [t(N_("Outcome or status")), t(N_("Count"))],
            [
                *([label("warning_outcome", o), n] for o, n in w.by_outcome.items()),
                *([label("referral_status", r), n] for r, n in d.referrals.items()),
            ],
        ),
        (
            t(N_("Households")),
            [t(N_("Risk level or hardship type")), t(N_("Households"))],
            [
                [t(N_("All households")), d.households.total],
                *([t(N_("Level %(n)s")) % {"n": lv}, n] for lv, n in d.households.by_level.items()),
                *([label("hardship", h), n] for h, n in d.households.by_hardship.items()),
            ],
        ),
    ]


def filename(stem: str, today: date | None = None) -> str:
    return f"{stem}-{(today or beijing_today()).isoformat()}.xlsx"


# Import templates ---------------------------------------------------------------------------------
# Workbooks staff fill in and upload (households and needs, accounts): a header row with a hint on
# each heading, and drop-down lists kept in a hidden sheet.

Column = tuple[str, str, str]  # (field, heading, hint)
LIST_SHEET = "选项"


def header_row(ws: Any, columns: Sequence[Column], width: int | None = None) -> None:
    """Bold headings with their hints as comments; the heading row stays in view."""
    fill = PatternFill("solid", fgColor="B3261E")
    for i, (_f, header, hint) in enumerate(columns, start=1):
        cell = write_text(ws.cell(row=1, column=i), header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        cell.comment = Comment(hint, "众扶")
        ws.column_dimensions[get_column_letter(i)].width = width or max(14, len(header) * 3)
    ws.freeze_panes = "A2"


def list_column(wb: Any, ws: Any, column: int, name: str, title: str, values: list[str]) -> None:
    """One drop-down list in the hidden list sheet, named ``name`` for data validation."""
    letter = get_column_letter(column)
    write_text(ws.cell(row=1, column=column), title).font = Font(bold=True)
    for i, value in enumerate(values, start=2):
        write_text(ws.cell(row=i, column=column), value)
    ref = f"{quote_sheetname(LIST_SHEET)}!${letter}$2:${letter}${max(2, len(values) + 1)}"
    wb.defined_names[name] = DefinedName(name, attr_text=ref)


def dropdown(ws: Any, columns: Sequence[Column], field_name: str, name: str, rows: int) -> None:
    """The column of ``field_name`` takes its values from the list ``name`` (rows 2 to rows+1)."""
    letter = get_column_letter([f for f, _h, _x in columns].index(field_name) + 1)
    dv = DataValidation(type="list", formula1=f"={name}", allow_blank=True)
    dv.error, dv.errorTitle = "请从下拉列表中选择", "无效的值"
    dv.prompt = dict((f, x) for f, _h, x in columns)[field_name]
    dv.showErrorMessage = True
    dv.showInputMessage = True
    ws.add_data_validation(dv)
    dv.add(f"{letter}2:{letter}{rows + 1}")


def column_heading(columns: Sequence[Column], field_name: str) -> str:
    """The heading of a field, for a row report ("" for errors about the whole row)."""
    for f, h, _x in columns:
        if f == field_name:
            return h
    return field_name if field_name != "_" else ""


def round_unmatched(
    session: Session,
    *,
    actor: User,
    round_id: int,
    f: rounds.UnmatchedFilter,
    settings: rounds.RoundSettings,
    words: Words,
    explain: Callable[[Message], str] = str,
) -> bytes:
    """A round's unserved needs as the page lists them (same filter), names not codes; ``explain``
    words each row's reason (the web layer's message renderer)."""
    t, label = words.t, words.label
    rows = rounds.unmatched_rows(
        session, actor=actor, round_id=round_id, settings=settings, limit=MAX_ROWS, f=f
    )
    headers = [
        t(N_("ID")),
        t(N_("Title")),
        t(N_("Household")),
        t(N_("District")),
        t(N_("Community")),
        t(N_("Item")),
        t(N_("Hardship type")),
        t(N_("Risk level")),
        t(N_("Reason")),
        t(N_("Why")),
    ]
    data = (
        [
            r.need_id,
            r.need_title,
            r.household,
            r.district,
            r.community,
            label("item", r.item),
            label("hardship", r.hardship),
            r.level,
            label("unmatched", r.reason),
            explain(r.message),
        ]
        for r in rows
    )
    body = workbook([(t(N_("Unserved needs")), headers, data)])
    _audit_export(session, actor, "round_unmatched", len(rows))
    return body


def fairness(
    session: Session, report: fairness_report.FairnessReport, *, actor: User, words: Words
) -> bytes:
    """A fairness report (``services.fairness``): its figures, then one sheet per breakdown (risk
    level, district, hardship type), names not codes."""
    t, label = words.t, words.label
    headers = [
        t(N_("Group")),
        t(N_("Needs")),
        t(N_("Served")),
        t(N_("Served share")),
        t(N_("Median wait of the served (days)")),
    ]

    def rows(
        groups: list[fairness_report.Group], name: Callable[[fairness_report.Group], str]
    ) -> list[list[Any]]:
        return [
            [name(g), g.needs, g.served, None if g.share is None else round(g.share, 4),
             g.median_wait_days]
            for g in groups
        ]  # fmt: skip

    scope = report.scope_name or t(N_("Hangzhou (the whole city)"))
    period = f"#{report.round_id}" if report.round_id else report.month
    summary: list[list[Any]] = [
        [t(N_("Area")), scope],
        [t(N_("Round")) if report.round_id else t(N_("Month")), period],
        [t(N_("Needs")), report.needs],
        [t(N_("Served")), report.served],
        [t(N_("Served share")), None if report.share is None else round(report.share, 4)],
        [t(N_("Median wait of the served (days)")), report.median_wait_days],
        [t(N_("Refused as helped recently")), report.repeat_help_refused],
        [t(N_("Allowed by staff despite recent help")), report.repeat_help_allowed],
        [t(N_("Important warnings counted")), report.important_warnings],
        [t(N_("Handled within 3 days")), report.important_on_time],
        [
            t(N_("Share handled within 3 days")),
            None
            if report.important_on_time_share is None
            else round(report.important_on_time_share, 4),
        ],
        [t(N_("Important warnings still within 3 days")), report.important_pending],
        [t(N_("Claim-window draws held")), report.draws_held],
        [t(N_("Claim windows gone to first come")), report.draws_fallback],
    ]
    draw_headers = [
        t(N_("Distance band")),
        t(N_("Interested")),
        t(N_("Eligible at the draw")),
        t(N_("Wins by the weights")),
        t(N_("Won")),
        t(N_("Win share")),
    ]
    draw_rows = [
        [label("draw_band", b.band), b.interested, b.eligible, round(b.expected_wins, 2), b.won,
         None if b.win_share is None else round(b.win_share, 4)]
        for b in report.draw_bands
    ]  # fmt: skip
    level_name = t(N_("Level %(n)s"))
    body = workbook(
        [
            (t(N_("Fairness")), [t(N_("Figure")), t(N_("Figure's value"))], summary),
            (
                t(N_("By risk level")),
                headers,
                rows(report.by_level, lambda g: level_name % {"n": g.key}),
            ),
            (t(N_("By district")), headers, rows(report.by_district, lambda g: g.name)),
            (
                t(N_("By hardship type")),
                headers,
                rows(report.by_hardship, lambda g: label("hardship", g.key)),
            ),
            (t(N_("Claim-window draws")), draw_headers, draw_rows),
        ]
    )
    _audit_export(session, actor, "fairness", report.needs)
    return body
