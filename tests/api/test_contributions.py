"""API of service records (issue 16 item 8): /me/contributions, /me/certificate.pdf and the
public /verify/{code}; hours with the delivery report and the confirmation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from marketplace.models import Certificate, Claim, Contribution
from tests.factories import delivered_claim, has_cjk_font

HAS_FONT = has_cjk_font()


def test_hours_through_the_api(app, client, users, api_token, make_household, make_need, db):
    staff, member = users["hub_staff"], users["member"]
    wish = make_need(staff, make_household(staff))
    m = api_token(member)
    claim = client.post(f"/api/v1/wishes/{wish.id}/claim", headers=m).get_json()
    note = "电饭煲已经送到，老人很满意。"
    bad = client.post(
        f"/api/v1/claims/{claim['id']}/deliver", json={"note": note, "hours": 25}, headers=m
    )
    assert bad.status_code == 422 and "hours" in bad.get_json()["errors"]
    ok = client.post(
        f"/api/v1/claims/{claim['id']}/deliver", json={"note": note, "hours": 2}, headers=m
    )
    assert ok.status_code == 200, ok.get_json()
    h = api_token(staff)
    bad = client.post(f"/api/v1/needs/{wish.id}/confirm", json={"hours": 30}, headers=h)
    assert bad.status_code == 422
    with db() as s:
        assert s.exec(select(Contribution)).all() == []
        assert s.get(Claim, claim["id"]).status == "delivered"
    ok = client.post(f"/api/v1/needs/{wish.id}/confirm", json={"hours": 1.5}, headers=h)
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["declared_hours"] == 2.0
    assert ok.get_json()["record"]["hours"] == 1.5
    assert ok.get_json()["record"]["record_no"].startswith("ZF-")
    with db() as s:
        record = s.exec(select(Contribution)).one()
        assert record.hours == Decimal("1.5") and record.hours_declared == Decimal("2.0")


def test_contributions_certificate_and_verify(app, client, users, api_token, db):
    staff, member = users["hub_staff"], users["member"]
    for hours in ("2", "3.5"):
        claim = delivered_claim(app, staff, member, hours=hours)
        client.post(f"/api/v1/needs/{claim.need_id}/confirm", json={}, headers=api_token(staff))
    m = api_token(member)
    got = client.get("/api/v1/me/contributions", headers=m)
    assert got.status_code == 200
    data = got.get_json()
    assert [i["hours"] for i in data["items"]] == [2.0, 3.5]
    assert data["totals"]["records"] == 2 and data["totals"]["hours"] == 5.5
    assert data["totals"]["by_year"][0]["hours"] == 5.5
    assert data["points_balance"] == sum(i["points"] for i in data["items"]) > 0
    assert all(i["household"] == "张*" for i in data["items"])
    assert "张三" not in got.get_data(as_text=True)
    empty = client.get("/api/v1/me/contributions?from=2001-01-01&to=2001-12-31", headers=m)
    assert empty.get_json()["totals"]["records"] == 0
    bad = client.get("/api/v1/me/contributions?from=2026-05-01&to=2026-01-01", headers=m)
    assert bad.status_code == 422 and "to" in bad.get_json()["errors"]
    assert client.get("/api/v1/me/contributions", headers=api_token(staff)).status_code == 403
    assert client.get("/api/v1/me/contributions").status_code == 401

    pdf = client.get("/api/v1/me/certificate.pdf", headers=m)
    if not HAS_FONT:
        assert pdf.status_code == 503 and pdf.get_json()["error"] == "unavailable"
        pytest.skip("no Chinese font installed (apt-get install fonts-noto-cjk)")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    none = client.get("/api/v1/me/certificate.pdf?from=2001-01-01&to=2001-12-31", headers=m)
    assert none.status_code == 422
    with db() as s:
        cert = s.exec(select(Certificate)).one()
    v = client.get(f"/api/v1/verify/{cert.code}")  # public: no token
    assert v.status_code == 200
    body = v.get_json()
    assert body["valid"] is True and body["records"] == 2 and body["hours"] == 5.5
    assert body["volunteer"].endswith("*") and len(body["volunteer"]) == 2
    assert body["issued_at"]
    forged = client.get(f"/api/v1/verify/{cert.code[:-1]}{'a' if cert.code[-1] != 'a' else 'b'}")
    assert forged.status_code == 200 and forged.get_json() == {"valid": False}


def test_openapi_documents_the_record_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert "/me/contributions" in paths and "/verify/{code}" in paths
    pdf = paths["/me/certificate.pdf"]["get"]["responses"]["200"]["content"]
    assert "application/pdf" in pdf
    assert paths["/verify/{code}"]["get"]["security"] == []
    assert "hours" in spec["components"]["schemas"]["DeliveryIn"]["properties"]
