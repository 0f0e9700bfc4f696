"""Project and branch reports (issue 16 item 7): what a project or a Party branch did in a period.

Figures, from the service records (志愿服务记录) that ended in the period:

- households served: distinct households of the records;
- needs by item: distinct needs served per taxonomy item, with records and hours;
- hours: confirmed hours;
- confirmation rate: of the claims reported delivered in the period (a project: its offers'
  assignments; a branch: its members' claims), the share the hub has confirmed;
- average satisfaction: the households' ratings (1–5) of the records' claims, where the 幸福码
  feedback exists (``feedback`` table); None when there are no ratings;
- spend per household served: a project's budget / households served (branches have no budget);
- time from publication to confirmation: the median, in hours, from the need's publication to the
  record's confirmation.

The period defaults to the last 12 months (Beijing days, today included).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, inspect
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from marketplace.models import Branch, Claim, ClaimStatus, Contribution, Need, Offer, Project, User
from marketplace.services.clock import beijing_today
from marketplace.services.contributions import FIRST_YEAR, _utc_bounds, parse_period
from marketplace.services.exports import workbook


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last 12 months: the same day a year ago (plus one) to today."""
    today = today or beijing_today()
    return today - timedelta(days=364), today


def period(start: str | None, end: str | None) -> tuple[date, date]:
    """``from``/``to`` as typed: ``to`` defaults to today, ``from`` to 12 months before ``to``
    (the rules of ``contributions.parse_period``: years 2000-2099, from <= to, at most 5 years)."""
    today = beijing_today()
    d_to = parse_period(end, end, today=today)[1] if end and end.strip() else today
    if start and start.strip():
        return parse_period(start, d_to.isoformat(), today=today)
    d_from = max(default_period(d_to)[0], date(FIRST_YEAR, 1, 1))
    return parse_period(d_from.isoformat(), d_to.isoformat(), today=today)


@dataclass
class ItemLine:
    item: str
    needs: int = 0
    records: int = 0
    hours: Decimal = Decimal(0)


@dataclass
class Report:
    kind: str  # project | branch
    subject_id: int
    title: str
    d_from: date
    d_to: date
    records: int = 0
    households: int = 0
    hours: Decimal = Decimal(0)
    delivered: int = 0
    confirmed: int = 0
    ratings: int = 0
    satisfaction: float | None = None
    satisfaction_available: bool = False
    budget: Decimal | None = None
    spend_per_household: Decimal | None = None
    median_hours_to_confirm: float | None = None
    by_item: list[ItemLine] = field(default_factory=list)
    record_rows: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def confirmation_rate(self) -> float | None:
        return round(self.confirmed / self.delivered, 4) if self.delivered else None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.subject_id,
            "title": self.title,
            "from": self.d_from.isoformat(),
            "to": self.d_to.isoformat(),
            "records": self.records,
            "households_served": self.households,
            "hours": float(self.hours),
            "claims_delivered": self.delivered,
            "claims_confirmed": self.confirmed,
            "confirmation_rate": self.confirmation_rate,
            "ratings": self.ratings,
            "average_satisfaction": self.satisfaction,
            "satisfaction_available": self.satisfaction_available,
            "budget_yuan": float(self.budget) if self.budget is not None else None,
            "spend_per_household_yuan": (
                float(self.spend_per_household) if self.spend_per_household is not None else None
            ),
            "median_hours_publication_to_confirmation": self.median_hours_to_confirm,
            "needs_by_item": [
                {"item": i.item, "needs": i.needs, "records": i.records, "hours": float(i.hours)}
                for i in self.by_item
            ],
        }


def project_report(session: Session, project: Project, d_from: date, d_to: date) -> Report:
    report = Report("project", project.id or 0, project.title, d_from, d_to)
    report.budget = Decimal(project.budget_yuan)
    _fill(session, report, col(Contribution.project_id) == project.id)
    start, end = _utc_bounds(d_from, d_to)
    delivered = (
        select(Claim.status)
        .join(Offer, col(Offer.id) == col(Claim.offer_id))
        .where(
            Offer.project_id == project.id,
            col(Claim.delivered_at) >= start,
            col(Claim.delivered_at) < end,
        )
    )
    _rate(session, report, delivered)
    if report.households:
        report.spend_per_household = (report.budget / report.households).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    return report


def branch_report(session: Session, branch: Branch, d_from: date, d_to: date) -> Report:
    report = Report("branch", branch.id or 0, branch.name, d_from, d_to)
    _fill(session, report, col(Contribution.branch_id) == branch.id)
    start, end = _utc_bounds(d_from, d_to)
    delivered = (
        select(Claim.status)
        .join(User, col(User.id) == col(Claim.member_id))
        .where(
            User.branch_id == branch.id,
            col(Claim.delivered_at) >= start,
            col(Claim.delivered_at) < end,
        )
    )
    _rate(session, report, delivered)
    return report


def _rate(session: Session, report: Report, stmt: Any) -> None:
    sub = stmt.subquery()
    rows = session.exec(select(sub.c.status, func.count()).group_by(sub.c.status)).all()
    report.delivered = sum(int(n) for _s, n in rows)
    report.confirmed = sum(int(n) for s, n in rows if s == ClaimStatus.CONFIRMED.value)


def _fill(session: Session, report: Report, where: Any) -> None:
    start, end = _utc_bounds(report.d_from, report.d_to)
    columns: list[Any] = [
        col(Contribution.id),
        col(Contribution.record_no),
        col(Contribution.claim_id),
        col(Contribution.need_id),
        col(Contribution.item_code),
        col(Contribution.hours),
        col(Contribution.confirmed_at),
        col(Contribution.ended_at),
        col(Contribution.volunteer_name),
        col(Contribution.content),
        col(Contribution.community_code),
        col(Contribution.household_label),
        col(Need.household_id),
        col(Need.published_at),
    ]
    rows = session.execute(
        sa_select(*columns)
        .join(Need, col(Need.id) == col(Contribution.need_id), isouter=True)
        .where(where, col(Contribution.ended_at) >= start, col(Contribution.ended_at) < end)
        .order_by(col(Contribution.ended_at), col(Contribution.id))
    ).all()
    households: set[int] = set()
    items: dict[str, ItemLine] = {}
    needs_of_item: dict[str, set[int]] = defaultdict(set)
    waits: list[float] = []
    claim_ids: list[int] = []
    for (
        _id,
        record_no,
        claim_id,
        need_id,
        item,
        hours,
        confirmed_at,
        ended_at,
        volunteer,
        content,
        community,
        label,
        household_id,
        published_at,
    ) in rows:
        hours = Decimal(hours or 0)
        report.records += 1
        report.hours += hours
        if household_id is not None:
            households.add(household_id)
        line = items.setdefault(item, ItemLine(item))
        line.records += 1
        line.hours += hours
        if need_id is not None:
            needs_of_item[item].add(need_id)
        if published_at is not None and confirmed_at is not None:
            waits.append(_hours_between(published_at, confirmed_at))
        if claim_id is not None:
            claim_ids.append(claim_id)
        report.record_rows.append(
            (record_no, item, content, volunteer, community, label, ended_at, float(hours))
        )
    for item, line in items.items():
        line.needs = len(needs_of_item[item])
    report.households = len(households)
    report.by_item = sorted(items.values(), key=lambda x: x.item)
    report.median_hours_to_confirm = round(statistics.median(waits), 1) if waits else None
    _satisfaction(session, report, claim_ids)


def _hours_between(a: datetime, b: datetime) -> float:
    if (a.tzinfo is None) != (b.tzinfo is None):  # SQLite may hand back naive UTC
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return max((b - a).total_seconds(), 0.0) / 3600


def _satisfaction(session: Session, report: Report, claim_ids: list[int]) -> None:
    """The households' average rating of these records' claims, where ratings exist (the 幸福码
    feedback of issue 16 item 5); without its table the figure stays empty."""
    try:
        from marketplace import models

        feedback = getattr(models, "Feedback", None)
        if feedback is None or not inspect(session.connection()).has_table("feedback"):
            return
    except Exception:
        return
    report.satisfaction_available = True
    total, n = 0, 0
    for chunk_start in range(0, len(claim_ids), 5000):
        chunk = claim_ids[chunk_start : chunk_start + 5000]
        row = session.exec(
            select(func.count(), func.coalesce(func.sum(feedback.rating), 0)).where(
                feedback.item_kind == "claim", col(feedback.item_id).in_(chunk)
            )
        ).one()
        n += int(row[0])
        total += int(row[1])
    report.ratings = n
    report.satisfaction = round(total / n, 2) if n else None


# Excel --------------------------------------------------------------------------------------------


def report_workbook(report: Report) -> bytes:
    """Summary, needs by item and the records (household masked), headings in Chinese."""
    kind = "项目" if report.kind == "project" else "党支部"
    rate = report.confirmation_rate
    summary: list[tuple[str, Any]] = [
        (kind, report.title),
        ("统计期间", f"{report.d_from.isoformat()} 至 {report.d_to.isoformat()}"),
        ("服务记录数", report.records),
        ("服务家庭数", report.households),
        ("服务时长（小时）", float(report.hours)),
        ("报告送达的认领数", report.delivered),
        ("已确认完成数", report.confirmed),
        ("确认率", f"{rate * 100:.1f}%" if rate is not None else "—"),
        (
            "平均满意度（1–5）",
            report.satisfaction
            if report.satisfaction is not None
            else (
                "暂无评价" if report.satisfaction_available else "暂无评价数据（评价功能未启用）"
            ),
        ),
        ("评价数", report.ratings),
    ]
    if report.kind == "project":
        summary += [
            ("预算（元）", float(report.budget or 0)),
            (
                "户均支出（元，预算÷服务家庭数）",
                float(report.spend_per_household)
                if report.spend_per_household is not None
                else "—",
            ),
        ]
    summary.append(
        (
            "发布至确认完成用时中位数（小时）",
            report.median_hours_to_confirm if report.median_hours_to_confirm is not None else "—",
        )
    )
    return workbook(
        [
            ("概要", ["指标", "数值"], summary),
            (
                "按帮扶项目分类",
                ["分类代码", "需求数", "服务记录数", "服务时长（小时）"],
                [(i.item, i.needs, i.records, float(i.hours)) for i in report.by_item],
            ),
            (
                "服务记录",
                [
                    "记录编号",
                    "分类代码",
                    "服务内容",
                    "志愿者",
                    "社区代码",
                    "服务对象",
                    "结束时间",
                    "时长（小时）",
                ],
                report.record_rows,
            ),
        ]
    )
