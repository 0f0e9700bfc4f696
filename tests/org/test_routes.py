"""Organisation pages: offers (pending vetting until the administrator vets), assignments and
their deliveries."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from marketplace.models import Claim, Need, Offer, Organisation
from tests.factories import text, valid_credit_code


def test_org_registers_and_publishes_an_offer_pending_vetting(client, db, as_role, users):
    response = client.post(
        "/auth/register-org",
        data={
            "name": "爱心助老服务中心",
            "type": "ngo",
            "credit_code": valid_credit_code(777),
            "display_name": "李经理",
            "username": "aixin",
            "password": "a-long-password-1",
            "confirm": "a-long-password-1",
        },
    )
    assert response.status_code == 302, text(response)[:800]
    with db() as s:
        org = s.exec(select(Organisation).where(Organisation.name == "爱心助老服务中心")).one()
        assert org.status == "pending"
    client.post("/auth/login", data={"username": "aixin", "password": "a-long-password-1"})
    assert "等待审核" in text(client.get("/org/"))
    response = client.post(
        "/org/offers/new",
        data={
            "title": "家电焕新",
            "items": ["07-02", "09-02"],
            "regions": ["330102"],
            "capacity": "10",
            "start": date.today().isoformat(),
            "end": (date.today() + timedelta(days=30)).isoformat(),
            "hardship": ["care"],
        },
    )
    assert response.status_code == 302, text(response)[:800]
    with db() as s:
        offer = s.exec(select(Offer).where(Offer.org_id == org.id)).one()
        assert offer.items == ["07-02", "09-02"] and offer.hardship == ["care"]
    assert "10 of 10 portions left" in text(client.get("/org/?lang=en"))

    # The administrator vets it.
    admin = as_role("admin")
    assert "爱心助老服务中心" in text(admin.get("/admin/"))
    admin.post(f"/admin/orgs/{org.id}/vet", data={"note": "材料齐全", "approve": "1"})
    with db() as s:
        assert s.get(Organisation, org.id).status == "vetted"


def test_offer_without_area_is_refused(as_role):
    client = as_role("org")
    response = client.post(
        "/org/offers/new",
        data={
            "title": "x",
            "items": ["07-02"],
            "capacity": "3",
            "start": date.today().isoformat(),
            "end": date.today().isoformat(),
        },
    )
    assert response.status_code == 422
    assert "Choose a service area: regions in the list and/or a circle on the map" in text(
        client.post("/org/offers/new?lang=en", data=_form(regions=[]))
    )


def test_org_sees_its_assignment_masked_and_reports_delivery(
    as_role, make_household, make_need, make_offer, users, db
):
    from datetime import UTC, datetime

    staff = users["hub_staff"]
    household = make_household(staff, phone="13700001111")
    need = make_need(staff, household)
    offer = make_offer(users["org"])
    with db() as s:  # an accepted match-round proposal, as the rounds service leaves it
        s.get(Need, need.id).status = "matched"
        s.add(
            Claim(need_id=need.id, offer_id=offer.id, due_at=datetime.now(UTC) + timedelta(days=7))
        )
    client = as_role("org")
    page = text(client.get("/org/assignments"))
    assert "想要一个电饭煲" in page and household.name[0] + "*" in page
    for secret in (household.phone, household.id_number, household.address, household.name):
        assert secret not in page
    with db() as s:
        claim = s.exec(select(Claim)).one()
    assert client.get(f"/org/assignments/{claim.id}/deliver").status_code == 200
    response = client.post(
        f"/org/assignments/{claim.id}/deliver",
        data={"note": "已上门安装，户主确认好用", "step": "confirm"},
    )
    assert response.status_code == 302
    with db() as s:
        assert s.get(Claim, claim.id).status == "delivered"
    # Another organisation cannot touch it.
    assert as_role("member").get(f"/member/claims/{claim.id}/deliver").status_code == 404


def _form(**overrides):
    return {
        "title": "助餐到家",
        "items": ["01-01"],
        "regions": ["330102001"],
        "capacity": "30",
        "start": date.today().isoformat(),
        "end": (date.today() + timedelta(days=30)).isoformat(),
    } | overrides


def test_the_offer_form_has_a_region_tree_a_map_and_units_and_no_codes_to_type(as_role):
    page = text(as_role("org").get("/org/offers/new"))
    for thing in ("data-region-tree", 'id="offer-map"', 'name="radius_km"', 'name="unit"'):
        assert thing in page
    assert 'value="330102001"' in page and "清波街道" in page  # streets in the tree
    assert 'data-unit="hour"' in page  # 陪伴聊天 counts hours
    for gone in ("9-digit", "12-digit", "9 位", "12 位", "regions_text"):
        assert gone not in page


def test_the_region_tree_is_cached_json(as_role):
    client = as_role("org")
    response = client.get("/org/regions.json")
    assert response.status_code == 200 and "max-age" in response.headers["Cache-Control"]
    tree = response.get_json()
    assert len(tree) == 13 and tree[0][:2] == ["330102", "上城区"]
    again = client.get("/org/regions.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert as_role("member").get("/org/regions.json").status_code in (302, 403)


def test_an_offer_with_a_street_a_circle_and_a_unit(as_role, db, users):
    client = as_role("org")
    response = client.post(
        "/org/offers/new",
        data=_form(
            items=["02-02"],
            regions=["330102001", "330102001051", "330106"],
            lat="30.2500",
            lon="120.1600",
            radius_km="3",
            unit="",
        ),
    )
    assert response.status_code == 302, text(response)[:600]
    with db() as s:
        offer = s.exec(select(Offer)).one()
        assert offer.regions == ["330102001", "330106"]  # the community is inside its street
        assert (offer.lat, offer.lon, offer.radius_km) == (30.25, 120.16, 3.0)
        assert offer.unit == "hour"  # 陪伴聊天's default
    page = text(client.get("/org/"))
    assert "陪伴聊天" in page and "02-02" not in page
    assert "清波街道" in page and "西湖区" in page and "330106" not in page
    english = text(client.get("/org/?lang=en"))
    assert "Companionship" in english and "30 of 30 hours left" in english


def test_the_unit_chosen_is_kept_and_a_wrong_one_refused(as_role, db):
    client = as_role("org")
    assert client.post("/org/offers/new", data=_form(unit="person")).status_code == 302
    assert client.post("/org/offers/new", data=_form(unit="kg")).status_code == 422
    with db() as s:
        assert [o.unit for o in s.exec(select(Offer))] == ["person"]


def test_a_centre_outside_the_city_is_refused_in_words(as_role, db):
    client = as_role("org")
    response = client.post(
        "/org/offers/new?lang=en",
        data=_form(regions=[], lat="39.9", lon="116.4", radius_km="5"),
    )
    assert response.status_code == 422
    assert "The centre must be in Hangzhou" in text(response)
    response = client.post("/org/offers/new?lang=en", data=_form(regions=[], radius_km="5"))
    assert response.status_code == 422
    assert "A radius needs a centre: click the map to set it" in text(response)
    with db() as s:
        assert s.exec(select(Offer)).all() == []


def test_without_javascript_the_region_search_is_a_round_trip(as_role, db):
    client = as_role("org")
    response = client.post(
        "/org/offers/new",
        data=_form(regions=[], region_q="兴隆", action="find_region", title=""),
    )
    page = text(response)
    assert response.status_code == 200 and "field-errors" not in page
    # Both 兴隆社区 of 上城区, each with its path, as boxes to tick.
    assert page.count("兴隆社区") >= 2 and "上城区 › " in page
    assert 'value="330102010057"' in page and 'value="330102015013"' in page
    with db() as s:
        assert s.exec(select(Offer)).all() == []
    # A ticked community comes back ticked, with its path.
    page = text(
        client.post(
            "/org/offers/new",
            data=_form(regions=["330102010057"], region_q="", action="find_region"),
        )
    )
    assert 'value="330102010057" checked' in page


def test_staff_pages_exports_and_the_audit_log_name_items_regions_and_units(as_role, db):
    from tests.factories import xlsx_rows

    org = as_role("org")
    assert org.post("/org/offers/new", data=_form(items=["02-02"])).status_code == 302
    admin = as_role("admin")
    page = text(admin.get("/staff/offers"))
    assert "陪伴聊天" in page and "02-02" not in page
    assert "hours" in text(admin.get("/staff/offers?lang=en"))
    rows = xlsx_rows(admin.get("/staff/offers.xlsx?lang=en"))
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["Items"] == "Companionship" and cells["Regions"] == "清波街道"
    assert cells["Unit"] == "hours"
    audit = text(admin.get("/admin/audit"))
    assert "陪伴聊天" in audit and "02-02" not in audit
    # The map's offers and the dashboard's utilisation carry the unit too.
    offers_on_map = admin.get("/staff/map.json").get_json()["offers"]
    assert {o["unit"] for o in offers_on_map if o["title"] == "助餐到家"} == {"hour"}
    assert 'data-l-unit-hour="hours"' in text(admin.get("/staff/map?lang=en"))
    dashboard = text(admin.get("/staff/dashboard?lang=en"))
    assert "助餐到家" in dashboard and "hours" in dashboard
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(admin.get("/staff/dashboard.xlsx?lang=en").data))[
        "Offer utilisation"
    ]
    header, first = list(sheet.iter_rows(values_only=True))[:2]
    assert dict(zip(header, first, strict=True))["Unit"] == "hours"


def test_the_offer_map_uses_tianditu_with_a_key_and_labels_places_without_one(as_role, app):
    client = as_role("org")
    page = client.get("/org/offers/new")
    assert (
        "data-tiles=" not in text(page)
        and "tianditu" not in page.headers["Content-Security-Policy"]
    )
    assert "上城区" in text(page).split('data-places="', 1)[1].split('"', 1)[0]
    app.config["TIANDITU_KEY"] = "0123456789abcdef"
    page = client.get("/org/offers/new")
    assert 'data-tiles="https://t{s}.tianditu.gov.cn/vec_w/wmts?' in text(page)
    assert "https://t7.tianditu.gov.cn" in page.headers["Content-Security-Policy"]
