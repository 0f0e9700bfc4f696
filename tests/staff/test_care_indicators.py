"""The dashboard's 关爱指标 section and its Excel export (zh and en)."""

from __future__ import annotations

from marketplace.models import Role
from marketplace.services import indicators
from tests.factories import COMMUNITY, text, xlsx_rows


def test_dashboard_care_section_and_export(client, db, make_user, make_household, login_as):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    make_household(staff)
    with db() as s:
        indicators.rebuild(s)
    login_as(staff)
    page = text(client.get("/staff/dashboard"))
    assert 'id="care-indicators"' in page and f"care_region={COMMUNITY[:9]}" in page
    deeper = text(client.get(f"/staff/dashboard?care_region={COMMUNITY[:9]}&lang=en"))
    assert "Care indicators" in deeper and "care_region=330102" in deeper
    r = client.get("/staff/dashboard/care.xlsx")
    assert r.status_code == 200
    rows = xlsx_rows(r)
    assert rows[1][0] == "330102" and rows[1][2] == 1
