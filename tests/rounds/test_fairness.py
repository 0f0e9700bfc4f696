"""The fairness report's pages (rounds blueprint) and API: per round and per month, with charts'
data, tables, an Excel export; reachable from the round page and the staff dashboard; months
checked; scoped like the rounds."""

from __future__ import annotations

import html as html_lib
import json
import re
from io import BytesIO

from openpyxl import load_workbook
from sqlmodel import select

from marketplace.models import MatchRound, Role, utcnow
from marketplace.services.clock import BEIJING


def _round(client, login_as, make_user, make_household, make_need, make_org, make_offer, db):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    org_user = make_user(Role.ORG, org_id=make_org().id)
    make_offer(org_user, items=["01-01"], regions=["330102"], capacity=1)
    for score in (30, 70, 95):
        make_need(
            staff,
            make_household(staff, risk_score=score),
            kind="service",
            item="01-01",
            title="助浴",
        )
    login_as(staff)
    assert client.post("/rounds/start").status_code == 302
    with db() as s:
        return staff, s.exec(select(MatchRound.id)).one()


def test_the_round_report_shows_level_1_served_first(
    client, login_as, make_user, make_household, make_need, make_org, make_offer, db
):
    _staff, round_id = _round(
        client, login_as, make_user, make_household, make_need, make_org, make_offer, db
    )
    detail = client.get(f"/rounds/{round_id}").get_data(as_text=True)
    assert f'href="/rounds/{round_id}/fairness"' in detail
    page = client.get(f"/rounds/{round_id}/fairness")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="chart-level"' in html and "echarts.common.min.js" in html
    data = json.loads(html_lib.unescape(re.search(r"data-chart='([^']*)'", html).group(1)))
    assert [(r["name"], r["share"]) for r in data["by_level"]] == [
        ("1 级", 100.0),
        ("2 级", 0.0),
        ("3 级", 0.0),
    ]
    assert "<script>" not in html and "application/json" not in html  # CSP: no inline script
    client.get("/lang/en")
    response = client.get(f"/rounds/{round_id}/fairness.xlsx")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames == [
        "Fairness",
        "By risk level",
        "By district",
        "By hardship type",
        "Claim-window draws",
    ]
    levels = list(book["By risk level"].iter_rows(values_only=True))
    assert levels[1][:4] == ("Level 1", 1, 1, 1) and levels[2][:3] == ("Level 2", 1, 0)
    districts = list(book["By district"].iter_rows(values_only=True))
    assert districts[1][:3] == ("上城区", 3, 1)  # names, not codes
    hardship = list(book["By hardship type"].iter_rows(values_only=True))
    assert hardship[1][0] != "bottom"
    api = client.get(f"/api/v1/match-rounds/{round_id}/fairness")  # the page's session
    assert api.status_code in (200, 401)


def test_the_api_gives_the_round_and_the_month(
    client, login_as, make_user, make_household, make_need, make_org, make_offer, db, api_token
):
    staff, round_id = _round(
        client, login_as, make_user, make_household, make_need, make_org, make_offer, db
    )
    headers = api_token(staff)
    body = client.get(f"/api/v1/match-rounds/{round_id}/fairness", headers=headers).get_json()
    assert body["kind"] == "round" and body["needs"] == 3 and body["served"] == 1
    assert body["by_risk_level"][0] == {
        "key": "1",
        "name": "1",
        "needs": 1,
        "served": 1,
        "served_share": 1.0,
        "median_wait_days": 0.0,
    }
    month = utcnow().astimezone(BEIJING).strftime("%Y-%m")
    body = client.get(f"/api/v1/fairness?month={month}", headers=headers).get_json()
    assert body["kind"] == "month" and body["month"] == month and body["scope"] == "330102"
    assert body["needs"] == 3  # published this month; the round's proposal is no claim yet
    bad = client.get("/api/v1/fairness?month=2026-13", headers=headers)
    assert bad.status_code == 422 and "month" in bad.get_json()["errors"]
    other = api_token(make_user(Role.HUB_STAFF, hub="330106"))
    assert client.get(f"/api/v1/match-rounds/{round_id}/fairness", headers=other).status_code == 404
    member = api_token(make_user(Role.MEMBER))
    assert client.get("/api/v1/fairness", headers=member).status_code == 403
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/match-rounds/{round_id}/fairness" in spec["paths"] and "/fairness" in spec["paths"]


def test_the_month_page_from_the_dashboard(client, login_as, make_user):
    login_as(make_user(Role.ADMIN))
    dashboard = client.get("/staff/dashboard").get_data(as_text=True)
    assert 'href="/rounds/fairness"' in dashboard
    page = client.get("/rounds/fairness?month=2026-11")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="2026-11"' in html and 'id="chart-district"' in html
    assert client.get("/rounds/fairness?month=2026-1").status_code == 422
    response = client.get("/rounds/fairness.xlsx?month=2026-11")
    assert response.status_code == 200
    assert len(load_workbook(BytesIO(response.data)).sheetnames) == 5
