"""The staff area's dashboard (staff/routes.py): page, JSON and workbook, scoped by the acting
user; no exports for members and organisations."""

from __future__ import annotations

import io

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from marketplace.web.i18n import duration
from tests.factories import text


@pytest.mark.parametrize("role", ["member", "org"])
def test_no_export_for_members_and_organisations(as_role, role):
    client = as_role(role)
    for url in (
        "/hub/households.xlsx",
        "/hub/needs.xlsx",
        "/admin/users.xlsx",
        "/staff/offers.xlsx",
        "/staff/dashboard.xlsx",
        "/staff/dashboard.json",
        "/staff/map.json",
    ):
        assert client.get(url).status_code == 403, url


def test_dashboard_page_json_and_workbook(as_role, two_areas):
    client = as_role("hub_staff")
    page = text(client.get("/staff/dashboard"))
    assert 'data-url="/staff/dashboard.json"' in page and "<script>" not in page
    data = client.get("/staff/dashboard.json").get_json()
    assert data["scope"] == "330102" and sum(data["status_totals"].values()) == 2
    assert "labels" in data
    wb = load_workbook(io.BytesIO(client.get("/staff/dashboard.xlsx").data))
    assert len(wb.sheetnames) == 11
    assert data["warnings"]["totals"] == {"open": 0, "due_today": 0, "overdue": 0}
    assert sum(data["households"]["by_level"].values()) == data["households"]["total"]
    admin = as_role("admin")
    assert sum(admin.get("/staff/dashboard.json").get_json()["status_totals"].values()) == 3
    assert admin.get("/staff/dashboard").status_code == 200


def test_dashboard_in_english_formats_numbers(as_role, two_areas):
    client = as_role("admin")
    client.get("/lang/en")
    page = text(client.get("/staff/dashboard"))
    assert "City statistics" in page


@pytest.mark.world("market")
def test_dashboard_page_shows_when_needs_were_counted(app, client, world, login_as):
    login_as(world.admin)
    page = client.get("/staff/dashboard")
    assert page.status_code == 200
    assert "各状态需求数统计于" in page.get_data(as_text=True)
    body = client.get("/staff/dashboard.json").get_json()
    assert body["counts_as_of"] and sum(body["status_totals"].values()) > 0


@pytest.mark.parametrize(
    ("hours", "zh", "en"),
    [
        (384, "16 天", "16 days"),  # not "帮扶用时中位数（小时）384"
        (60.5, "2.5 天", "2.5 days"),
        (47.9, "47.9 小时", "47.9 hours"),
        (5, "5 小时", "5 hours"),
        (None, "—", "—"),
    ],
)
def test_times_to_help_read_in_days_above_two_days(app, hours, zh, en):
    with app.test_request_context():
        with force_locale("zh_CN"):
            assert duration(hours) == zh
        with force_locale("en"):
            assert duration(hours) == en


def test_dashboard_shows_warnings_referrals_and_households_in_english(as_role, two_areas):
    client = as_role("admin")
    client.get("/lang/en")
    en = text(client.get("/staff/dashboard"))
    for words in ("Open warnings", "Warnings handled on time", "Important warning", "Level 1"):
        assert words in en, words


def test_dashboard_shows_warnings_referrals_and_households_in_chinese(as_role, two_areas):
    zh = text(as_role("admin").get("/staff/dashboard"))
    for words in (
        "未核查预警",
        "预警按时核查率",
        "政策救助转介",
        "各风险等级户数",
        "确认时限",
    ):
        assert words in zh, words
