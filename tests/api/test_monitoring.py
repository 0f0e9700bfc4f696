"""POST /api/v1/monitoring-events, GET its status, POST /api/v1/discoveries and the leads API:
events from hub staff and departments' systems (``dept``: API only), unknown residents as leads,
field-named 422s with nothing stored, and what a ``dept`` account may not do."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace.models import Lead, MonitoringEvent, Notification, RiskWarning, Role
from marketplace.services import clock
from tests.factories import COMMUNITY, OTHER_DISTRICT_COMMUNITY, PASSWORD, valid_id_number

URL = "/api/v1/monitoring-events"
STREET = COMMUNITY[:9]


@pytest.fixture
def staff(make_user):
    return make_user(Role.HUB_STAFF, hub="330102")


@pytest.fixture
def street_staff(make_user):
    return make_user(Role.HUB_STAFF, hub=STREET)


@pytest.fixture
def dept(make_user):
    return make_user(Role.DEPT)


def _today() -> str:
    return clock.beijing_today().isoformat()


def _counts(db):
    with db() as s:
        return tuple(
            len(s.exec(select(model)).all()) for model in (MonitoringEvent, Lead, RiskWarning)
        )


def test_a_department_pushes_an_event_by_id_number(
    client, db, staff, street_staff, dept, make_household, api_token
):
    household = make_household(staff, profile={"source": "monitored"}, members=2)
    r = client.post(
        URL,
        json={
            "id_number": household.id_number,
            "community_code": household.community_code,
            "kind": "major_illness",
            "occurred_on": _today(),
            "note": "住院",
        },
        headers=api_token(dept),
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["event"]["household_id"] == household.id and body["event"]["source"] == "dept"
    assert body["event"]["kind"] == "major_illness" and body["event"]["matched"] is True
    warning = body["warning"]
    assert warning["household_id"] == household.id and warning["status"] == "open"
    assert warning["level"] in ("important", "general") and warning["event"]["id"]
    assert "lead" not in body
    # Nothing personal in the answer to a department.
    text = r.get_data(as_text=True)
    assert household.name not in text and household.phone not in text
    assert household.id_number not in text
    with db() as s:
        stored = s.exec(select(RiskWarning)).one()
        assert stored.id == warning["id"] and stored.level == warning["level"]
        days = 3 if stored.level == "important" else 7
        assert (stored.due_at - stored.raised_at).days == days


def test_hub_staff_push_by_household_id_and_the_status_is_for_the_submitter(
    client, staff, dept, make_user, make_household, api_token
):
    household = make_household(staff, profile={"source": "monitored"})
    h = api_token(staff)
    r = client.post(
        URL,
        json={"household_id": household.id, "kind": "job_loss", "occurred_on": _today()},
        headers=h,
    )
    assert r.status_code == 201, r.get_json()
    event_id = r.get_json()["event"]["id"]
    assert r.get_json()["event"]["source"] == "hub"
    status = client.get(f"{URL}/{event_id}", headers=h)
    assert status.status_code == 200
    assert status.get_json()["status"] == "warning_open"
    assert status.get_json()["warning"]["level"] == r.get_json()["warning"]["level"]
    # Another account (even a department, even staff of the same area) reads nothing.
    assert client.get(f"{URL}/{event_id}", headers=api_token(dept)).status_code == 404
    colleague = make_user(Role.HUB_STAFF, hub="330102")
    assert client.get(f"{URL}/{event_id}", headers=api_token(colleague)).status_code == 404


def test_an_unknown_resident_becomes_a_lead_for_the_street(
    client, db, dept, street_staff, api_token
):
    number = valid_id_number(31337)
    r = client.post(
        URL,
        json={
            "id_number": number,
            "community_code": COMMUNITY,
            "kind": "disaster",
            "occurred_on": _today(),
            "note": "房屋受损",
        },
        headers=api_token(dept),
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["warning"] is None and body["event"]["household_id"] is None
    assert body["event"]["lead"] is True and body["lead"]["status"] == "open"
    with db() as s:
        lead = s.get_one(Lead, body["lead"]["id"])
        assert lead.id_number == number and lead.source == "dept"
        assert lead.community_code == COMMUNITY
        assert s.exec(select(Notification.user_id).where(Notification.kind == "lead")).all() == [
            street_staff.id
        ]
    status = client.get(f"{URL}/{body['event']['id']}", headers=api_token(dept)).get_json()
    assert status["status"] == "lead_open"
    # The street sees it in its leads, with the ID number to register the household by.
    leads = client.get("/api/v1/leads", headers=api_token(street_staff)).get_json()
    assert [i["id"] for i in leads["items"]] == [body["lead"]["id"]]
    assert leads["items"][0]["id_number"] == number


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "flood"}, "kind"),
        ({"kind": None}, "kind"),
        ({"occurred_on": "2999-01-01"}, "occurred_on"),
        ({"occurred_on": "yesterday"}, "occurred_on"),
        ({"id_number": "330102198001011230"}, "id_number"),
        ({"community_code": "330102"}, "community_code"),
        ({"community_code": "999999999999"}, "community_code"),
        ({"note": "x" * 1001}, "note"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(
    client, db, dept, street_staff, api_token, change, field
):
    good = {
        "id_number": valid_id_number(4711),
        "community_code": COMMUNITY,
        "kind": "job_loss",
        "occurred_on": _today(),
    }
    r = client.post(URL, json=good | change, headers=api_token(dept))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]
    assert _counts(db) == (0, 0, 0)


def test_a_department_may_not_name_a_household_by_id(
    client, db, staff, dept, make_household, api_token
):
    household = make_household(staff)
    r = client.post(
        URL,
        json={"household_id": household.id, "kind": "birth", "occurred_on": _today()},
        headers=api_token(dept),
    )
    assert r.status_code == 422 and "household_id" in r.get_json()["errors"]
    assert _counts(db) == (0, 0, 0)


def test_staff_of_another_area_cannot_push_for_a_household(
    client, db, staff, make_user, make_household, api_token
):
    household = make_household(staff)
    other = make_user(Role.HUB_STAFF, hub="330106")
    r = client.post(
        URL,
        json={"household_id": household.id, "kind": "birth", "occurred_on": _today()},
        headers=api_token(other),
    )
    assert r.status_code == 422 and "household_id" in r.get_json()["errors"]
    assert _counts(db) == (0, 0, 0)


def test_a_department_reads_nothing_else_and_cannot_use_the_web(
    client, staff, dept, make_household, api_token
):
    household = make_household(staff)
    h = api_token(dept)
    for method, path in (
        ("get", f"/api/v1/households/{household.id}"),
        ("get", "/api/v1/households"),
        ("get", f"/api/v1/households/{household.id}/score"),
        ("get", "/api/v1/wishes"),
        ("get", "/api/v1/leads"),
        ("get", "/api/v1/claims"),
        ("post", "/api/v1/discoveries"),
    ):
        r = getattr(client, method)(path, headers=h)
        assert r.status_code == 403, (path, r.status_code)
        assert household.name not in r.get_data(as_text=True)
    # Its own tokens it may list.
    assert client.get("/api/v1/tokens", headers=h).status_code == 200
    # The web login refuses it, saying it is an API account.
    r = client.post("/auth/login", data={"username": dept.username, "password": PASSWORD})
    assert r.status_code == 403
    assert "/api/v1/tokens" in r.get_data(as_text=True)
    assert client.get("/hub/").status_code in (302, 303, 401, 403)


def test_members_and_organisations_cannot_push_events(client, users, api_token):
    body = {"id_number": valid_id_number(5), "community_code": COMMUNITY, "kind": "birth"}
    for role in ("member", "org", "admin"):
        r = client.post(URL, json=body | {"occurred_on": _today()}, headers=api_token(users[role]))
        assert r.status_code == 403, role


def test_a_discovery_gives_a_receipt_and_a_lead_to_the_street(
    client, db, users, street_staff, api_token
):
    r = client.post(
        "/api/v1/discoveries",
        json={
            "community_code": COMMUNITY,
            "description": "楼下独居老人最近没见出门，电话13812345678",
            "contact": "王先生 13900001111",
        },
        headers=api_token(users["member"]),
    )
    assert r.status_code == 201, r.get_json()
    receipt = r.get_json()
    assert receipt["status"] == "open" and receipt["due_at"]
    assert set(receipt) == {"id", "status", "community_code", "due_at", "created_at"}
    with db() as s:
        lead = s.get_one(Lead, receipt["id"])
        assert lead.source == "discovery" and "13812345678" not in lead.description
    r = client.post(
        "/api/v1/discoveries",
        json={"community_code": COMMUNITY, "description": "短"},
        headers=api_token(users["org"]),
    )
    assert r.status_code == 422 and "description" in r.get_json()["errors"]
    r = client.post(
        "/api/v1/discoveries",
        json={"community_code": "330102", "description": "有位老人需要帮助"},
        headers=api_token(users["member"]),
    )
    assert r.status_code == 422 and "community_code" in r.get_json()["errors"]
    with db() as s:
        assert len(s.exec(select(Lead)).all()) == 1


def test_street_staff_register_and_close_leads_once(
    client, db, users, street_staff, make_user, make_household, api_token
):
    member = api_token(users["member"])
    ids = [
        client.post(
            "/api/v1/discoveries",
            json={"community_code": COMMUNITY, "description": f"第{n}位老人需要帮助"},
            headers=member,
        ).get_json()["id"]
        for n in (1, 2)
    ]
    h = api_token(street_staff)
    listed = client.get("/api/v1/leads", headers=h).get_json()
    assert [i["id"] for i in listed["items"]] == ids and listed["total"] == 2
    household = make_household(street_staff)
    url = f"/api/v1/leads/{ids[0]}/register"
    r = client.post(url, json={}, headers=h)
    assert r.status_code == 422 and "household_id" in r.get_json()["errors"]
    r = client.post(url, json={"household_id": household.id}, headers=h)
    assert r.status_code == 200 and r.get_json()["status"] == "registered"
    assert r.get_json()["household_id"] == household.id
    assert client.post(url, json={"household_id": household.id}, headers=h).status_code == 409
    close = f"/api/v1/leads/{ids[1]}/close"
    r = client.post(close, json={"note": ""}, headers=h)
    assert r.status_code == 422 and "note" in r.get_json()["errors"]
    r = client.post(close, json={"note": "已核实，无需帮扶"}, headers=h)
    assert r.status_code == 200 and r.get_json()["status"] == "closed"
    assert client.post(close, json={"note": "again"}, headers=h).status_code == 409
    assert client.get("/api/v1/leads", headers=h).get_json()["total"] == 0
    closed = client.get("/api/v1/leads?status=closed", headers=h).get_json()
    assert [i["id"] for i in closed["items"]] == [ids[1]]
    assert client.get("/api/v1/leads?status=nope", headers=h).status_code == 422
    # Another district's staff: not found, and the lead unchanged.
    other = api_token(make_user(Role.HUB_STAFF, hub="330106"))
    assert client.post(close, json={"note": "x"}, headers=other).status_code == 404
    assert client.get("/api/v1/leads", headers=other).get_json()["items"] == []


def test_a_lead_in_another_district_is_not_found(client, users, make_user, api_token):
    lead_id = client.post(
        "/api/v1/discoveries",
        json={"community_code": OTHER_DISTRICT_COMMUNITY, "description": "有位老人需要帮助"},
        headers=api_token(users["member"]),
    ).get_json()["id"]
    staff = api_token(make_user(Role.HUB_STAFF, hub="330102"))
    r = client.post(f"/api/v1/leads/{lead_id}/register", json={}, headers=staff)
    assert r.status_code == 404


def test_the_openapi_document_has_the_monitoring_paths(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, method in (
        ("/monitoring-events", "post"),
        ("/monitoring-events/{event_id}", "get"),
        ("/discoveries", "post"),
        ("/leads", "get"),
        ("/leads/{lead_id}/register", "post"),
        ("/leads/{lead_id}/close", "post"),
    ):
        assert method in spec["paths"][path], path
    kinds = spec["components"]["schemas"]["MonitoringEventIn"]["properties"]["kind"]["enum"]
    assert "major_illness" in kinds and len(kinds) == 12


def test_the_cli_creates_a_dept_account_that_gets_a_token(app, client):
    result = app.test_cli_runner().invoke(
        args=["user", "create", "yibao_system", "--role", "dept", "--password", PASSWORD]
    )
    assert result.exit_code == 0, result.output
    r = client.post("/api/v1/tokens", json={"username": "yibao_system", "password": PASSWORD})
    assert r.status_code == 201 and r.get_json()["role"] == "dept"


def test_every_source_lands_in_the_same_events_and_leads(
    app, client, db, staff, street_staff, dept, users, make_household, api_token
):
    """Hub form, Excel import, a department's API push and a member's discovery report."""
    import io

    from openpyxl import load_workbook

    from marketplace.services import imports

    household = make_household(staff, profile={"source": "monitored"})
    today = _today()
    dept_h, member_h = api_token(dept), api_token(users["member"])
    r = client.post(
        URL,
        json={
            "id_number": household.id_number,
            "community_code": COMMUNITY,
            "kind": "other_department",
            "occurred_on": today,
        },
        headers=dept_h,
    )
    assert r.status_code == 201
    r = client.post(
        "/api/v1/discoveries",
        json={"community_code": COMMUNITY, "description": "邻居家孩子无人照看"},
        headers=member_h,
    )
    assert r.status_code == 201
    web = app.test_client()
    web.post("/auth/login", data={"username": staff.username, "password": PASSWORD})
    r = web.post(
        f"/hub/households/{household.id}/events/new",
        data={"kind": "birth", "occurred_on": today, "note": ""},
    )
    assert r.status_code == 302
    book = load_workbook(io.BytesIO(web.get("/hub/import/template.xlsx?kind=events").data))
    book[imports.EVENT_SHEET].append([household.id, None, None, "death", today, ""])
    out = io.BytesIO()
    book.save(out)
    r = web.post(
        "/hub/import",
        data={"kind": "events", "file": (io.BytesIO(out.getvalue()), "e.xlsx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    with db() as s:
        events = s.exec(select(MonitoringEvent).order_by(MonitoringEvent.id)).all()
        assert [e.source for e in events] == ["dept", "hub", "import"]
        assert {e.household_id for e in events} == {household.id}
        assert len(s.exec(select(RiskWarning)).all()) == 3
        leads = s.exec(select(Lead)).all()
        assert [lead.source for lead in leads] == ["discovery"]


# A batch: {"events": [...]} ------------------------------------------------------------------------


def _item(number: str, kind: str = "job_loss") -> dict[str, str]:
    return {
        "id_number": number,
        "community_code": COMMUNITY,
        "kind": kind,
        "occurred_on": _today(),
    }


def test_a_batch_is_stored_with_one_answer_per_event_in_order(
    client, db, staff, street_staff, dept, make_household, api_token
):
    homes = [
        make_household(staff, profile={"source": "monitored"}, id_number=valid_id_number(500 + n))
        for n in range(3)
    ]
    stranger = valid_id_number(599)
    items = [
        _item(h.id_number, k) for h, k in zip(homes, ("death", "birth", "job_loss"), strict=True)
    ]
    items.insert(1, _item(stranger, "disaster"))
    r = client.post(URL, json={"events": items}, headers=api_token(dept))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["count"] == 4 and len(body["events"]) == 4
    answers = body["events"]
    assert [a["event"]["kind"] for a in answers] == ["death", "disaster", "birth", "job_loss"]
    assert [a["event"]["household_id"] for a in answers] == [
        homes[0].id,
        None,
        homes[1].id,
        homes[2].id,
    ]
    assert answers[1]["warning"] is None and answers[1]["lead"]["status"] == "open"
    assert all(a["warning"]["status"] == "open" for i, a in enumerate(answers) if i != 1)
    assert answers[0]["warning"]["level"] == "important"  # death is severe
    assert "lead" not in answers[0]
    text = r.get_data(as_text=True)
    assert all(h.name not in text and h.id_number not in text for h in homes)
    assert stranger not in text
    assert _counts(db) == (4, 1, 3)
    with db() as s:
        for a in answers:
            if a["warning"] is not None:
                w = s.get_one(RiskWarning, a["warning"]["id"])
                assert w.event_id == a["event"]["id"] and w.level == a["warning"]["level"]
        # The street's staff: one notice for the three warnings, one for the lead.
        notices = s.exec(select(Notification).where(Notification.user_id == street_staff.id)).all()
        assert sorted(n.code for n in notices) == ["notice.lead_opened", "warning.raised_many"]


def test_a_bad_item_is_a_422_naming_the_item_and_field_and_nothing_is_stored(
    client, db, staff, street_staff, dept, make_household, api_token
):
    home = make_household(staff, profile={"source": "monitored"}, id_number=valid_id_number(601))
    items = [
        _item(home.id_number),
        _item(valid_id_number(602)),
        _item(home.id_number) | {"kind": "flood"},
        _item(home.id_number) | {"household_id": home.id},  # a department never names one by id
        "not an object",
    ]
    r = client.post(URL, json={"events": items}, headers=api_token(dept))
    assert r.status_code == 422, r.get_json()
    errors = r.get_json()["errors"]
    assert set(errors) == {"events[2].kind", "events[3].household_id", "events[4]._"}
    assert _counts(db) == (0, 0, 0)
    with db() as s:
        assert s.exec(select(Notification)).all() == []


@pytest.mark.parametrize(
    ("events", "status"),
    [(1001, 422), ([], 422), ("x", 422), ({"kind": "job_loss"}, 422)],
)
def test_a_batch_over_1000_or_not_a_list_is_a_422_naming_events(
    client, db, dept, street_staff, api_token, events, status
):
    payload = [_item(valid_id_number(700))] * events if isinstance(events, int) else events
    r = client.post(URL, json={"events": payload}, headers=api_token(dept))
    assert r.status_code == status, r.get_json()
    assert list(r.get_json()["errors"]) == ["events"]
    assert _counts(db) == (0, 0, 0)


def test_the_single_body_keeps_its_shape(
    client, staff, street_staff, dept, make_household, api_token
):
    home = make_household(staff, profile={"source": "monitored"}, id_number=valid_id_number(801))
    r = client.post(URL, json=_item(home.id_number), headers=api_token(dept))
    assert r.status_code == 201
    assert set(r.get_json()) == {"event", "warning"}
    r = client.post(URL, json=_item(valid_id_number(802)), headers=api_token(dept))
    assert r.status_code == 201 and set(r.get_json()) == {"event", "warning", "lead"}


def test_the_openapi_document_describes_the_batch(client):
    from marketplace.services.monitoring import MAX_BATCH

    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    batch = schemas["MonitoringEventBatchIn"]["properties"]["events"]
    assert batch["maxItems"] == MAX_BATCH
    assert batch["items"]["$ref"] == "#/components/schemas/MonitoringEventIn"
    post = spec["paths"]["/monitoring-events"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert {"$ref": "#/components/schemas/MonitoringEventBatchIn"} in body
    assert "events[<i>].<field>" in schemas["MonitoringEventBatchIn"]["description"]
