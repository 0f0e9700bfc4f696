"""Sortable lists, Excel exports and import, dashboard, map, 幸福码 card (issue: make it theirs)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.factories import OTHER_DISTRICT_COMMUNITY, text, valid_id_number

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def two_areas(users, make_user, make_household, make_need):
    """Households in the staff's district and, registered by another hub, in another one."""
    from marketplace.models import Role

    other = make_user(Role.HUB_STAFF, hub="330106")
    mine = [
        make_household(users["hub_staff"], name=n, risk_score=s)
        for n, s in (("赵一", 95), ("钱二", 30), ("孙三", 70))
    ]
    theirs = make_household(other, name="外区户", community_code=OTHER_DISTRICT_COMMUNITY)
    make_need(users["hub_staff"], mine[0], publish=False)
    make_need(users["hub_staff"], mine[1])
    make_need(other, theirs)
    return mine, theirs


def _sheet(response):
    assert response.status_code == 200 and response.mimetype == XLSX
    return list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))


def test_households_sort_filter_and_page(as_role, two_areas):
    client = as_role("hub_staff")
    page = text(client.get("/hub/households?sort=risk"))
    assert page.index("钱二") < page.index("孙三") < page.index("赵一")
    assert 'aria-sort="ascending"' in page and "外区户" not in page
    page = text(client.get("/hub/households?sort=-risk"))
    assert page.index("赵一") < page.index("钱二")
    assert client.get("/hub/households?sort=password_hash").status_code == 200  # ignored
    page = text(client.get("/hub/households?level=1"))
    assert "钱二" in page and "赵一" not in page


def test_needs_list_filters_by_status(as_role, two_areas):
    client = as_role("hub_staff")
    assert text(client.get("/hub/review")).count('id="need-') == 1  # pending review only
    assert text(client.get("/hub/review?status=all&sort=-id")).count('id="need-') == 2


def test_exports_are_scoped_and_audited(as_role, two_areas, db):
    client = as_role("hub_staff")
    rows = _sheet(client.get("/hub/households.xlsx?sort=name"))
    assert rows[0][:3] == ("编号", "姓名/名称", "身份证号码")
    names = {r[1] for r in rows[1:]}
    assert names == {"赵一", "钱二", "孙三"}  # not the other district's household
    assert len(_sheet(client.get("/hub/needs.xlsx?status=all"))) == 3
    assert len(_sheet(client.get("/hub/deliveries.xlsx"))) == 1  # header only
    from sqlmodel import select

    from marketplace.models import AuditLog

    with db() as s:
        actions = set(s.exec(select(AuditLog.action)).all())
    assert {"export.households", "export.needs"} <= actions


def test_exports_name_codes_as_the_pages_do(app, as_role, two_areas):
    """One vocabulary: the statuses and hardship types of an export are the pages' own labels."""
    from marketplace.web import labels

    client = as_role("hub_staff")
    needs = _sheet(client.get("/hub/needs.xlsx?status=all"))
    households = _sheet(client.get("/hub/households.xlsx"))
    with app.test_request_context("/"):
        statuses = {labels.label("need_status", s) for s in ("open", "pending_review")}
        hardship = labels.label("hardship", "bottom")
    status_column = needs[0].index("状态")
    assert {r[status_column] for r in needs[1:]} == statuses
    assert all("_" not in str(s) for s in statuses)  # translated, not the code
    hardship_column = households[0].index("困难类型")
    assert {r[hardship_column] for r in households[1:]} == {hardship}


def test_admin_exports_and_lists(as_role, two_areas):
    client = as_role("admin")
    for url in ("/admin/users.xlsx", "/admin/audit.xlsx", "/staff/offers.xlsx"):
        assert len(_sheet(client.get(url))) >= 1, url
    page = text(client.get("/admin/users?sort=username"))
    assert 'aria-sort="ascending"' in page
    assert client.get("/staff/offers").status_code == 200
    assert client.get("/admin/audit?sort=-at&page=2").status_code == 200


def test_audit_log_reads_in_words(as_role, two_areas):
    """Actions, objects and the kept fields are named by the pages' vocabulary, not as codes."""
    client = as_role("admin")
    page = text(client.get("/admin/audit?lang=en"))
    assert "<td>Household registered</td>" in page and ">household.create<" not in page
    assert "Hardship type：Basic guarantee" in page and '"hardship_type"' not in page
    assert '<option value="household.create">Household registered</option>' in page
    rows = _sheet(client.get("/admin/audit.xlsx?lang=en"))
    assert "Household registered" in {r[3] for r in rows[1:]}


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
    assert len(wb.sheetnames) == 6
    admin = as_role("admin")
    assert sum(admin.get("/staff/dashboard.json").get_json()["status_totals"].values()) == 3
    assert admin.get("/staff/dashboard").status_code == 200


def test_dashboard_in_english_formats_numbers(as_role, two_areas):
    client = as_role("admin")
    client.get("/lang/en")
    page = text(client.get("/staff/dashboard"))
    assert "City statistics" in page


def test_map_data_is_scoped_and_masked(as_role, two_areas, users, make_offer):
    make_offer(users["org"], regions=["330102"])
    make_offer(users["org"], regions=[], lat=30.25, lon=120.16, radius_km=3)
    staff = as_role("hub_staff")
    data = staff.get("/staff/map.json").get_json()
    assert data["scope"] == "330102"
    assert all(w["code"].startswith("330102") for w in data["wishes"])
    assert {o["shape"] for o in data["offers"]} == {"region", "circle"}
    assert all(h["code"].startswith("330102") for h in data["hubs"])
    page = staff.get("/staff/map")
    assert "vendor/leaflet/leaflet.js" in text(page)
    assert "http" not in page.headers["Content-Security-Policy"]
    member = as_role("member").get("/member/map.json").get_json()
    assert member["hubs"] == [] and member["offers"] == []
    body = str(member)
    assert "赵一" not in body and "钱二" not in body
    assert set(member["wishes"][0]) == {"code", "name", "lat", "lon", "count"}


def test_map_tile_server_is_allowed_by_csp_only_when_configured(as_role, app):
    app.config["MAP_TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    response = as_role("admin").get("/staff/map")
    assert "img-src 'self' https://tiles.example.org" in response.headers["Content-Security-Policy"]
    assert 'data-tiles="https://tiles.example.org/{z}/{x}/{y}.png"' in text(response)


def test_map_boundaries_from_configured_file(as_role, app, tmp_path):
    path = tmp_path / "districts.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": null}]}'
    )
    app.config["MAP_BOUNDARIES_FILE"] = str(path)
    client = as_role("admin")
    assert 'data-boundaries="/staff/map/boundaries.json"' in text(client.get("/staff/map"))
    assert len(client.get("/staff/map/boundaries.json").get_json()["features"]) == 1


def test_happiness_card_prints_masked_surname(as_role, two_areas):
    mine, _theirs = two_areas
    client = as_role("hub_staff")
    page = text(client.get(f"/hub/households/{mine[0].id}/card"))
    assert "赵*" in page and "赵一" not in page and "<svg" in page
    assert "card.css" in page and "扫一扫" in page
    assert client.get(f"/hub/households/{_theirs.id}/card").status_code == 404


def test_import_through_the_page(as_role, users, db):
    from tests.factories import fill, household_row

    client = as_role("hub_staff")
    template = client.get("/hub/import/template.xlsx")
    assert template.mimetype == XLSX
    good = valid_id_number(9301)
    data = fill(
        template.data,
        [household_row(good)],
        [[good, "微心愿", "07-02 家具家电", "电风扇", "", 100, None]],
    )
    response = client.post(
        "/hub/import",
        data={"file": (io.BytesIO(data), "households.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    job = response.headers["Location"].split("job=")[1]
    status = client.get(f"/hub/import/status?job={job}").get_json()
    assert status == {"state": "done", "done": 2, "total": 2, "ok": True}
    page = text(client.get(response.headers["Location"]))
    assert "已导入 1 户家庭和 1 条需求" in page
    # Another account cannot read this job's status.
    other = as_role("admin")
    assert other.get(f"/hub/import/status?job={job}").status_code == 403


def test_import_with_errors_shows_report(as_role):
    from tests.factories import fill, household_row

    client = as_role("hub_staff")
    template = client.get("/hub/import/template.xlsx").data
    data = fill(
        template,
        [household_row("110105194912310021"), household_row(valid_id_number(9401), phone="1")],
        [],
    )
    response = client.post(
        "/hub/import",
        data={"file": (io.BytesIO(data), "x.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = text(response)
    assert "未导入任何数据" in page and page.count("<tr><td>家庭</td>") == 2
    assert client.get("/hub/households").data.count(b"household_id") == 0
    bad = client.post(
        "/hub/import",
        data={"file": (io.BytesIO(b"hello"), "x.xlsx")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
