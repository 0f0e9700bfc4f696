"""Hub pages of monitoring: staff record an event on a household's page (the flash says whether
a warning was raised, its level and due date; the page lists the household's events), and the
street's leads page (主动发现 and unknown residents), registered or closed once."""

from __future__ import annotations

import re

from sqlmodel import select

from marketplace.models import Lead, MonitoringEvent, RiskWarning, Role
from marketplace.services import clock, monitoring
from tests.factories import COMMUNITY, OTHER_DISTRICT_COMMUNITY, text

STREET = COMMUNITY[:9]


def _today() -> str:
    return clock.beijing_today().isoformat()


def test_staff_record_an_event_from_the_household_page(
    client, login_as, make_user, make_household, db
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff, profile={"source": "monitored"}, members=3)
    login_as(staff)
    page = text(client.get(f"/hub/households/{household.id}"))
    url = f"/hub/households/{household.id}/events/new"
    assert url in page and 'id="events"' in page
    form = text(client.get(url))
    assert (
        'name="kind"' in form and 'value="major_illness"' in form and 'name="occurred_on"' in form
    )
    with client.session_transaction() as sess:
        sess["lang"] = "en"  # the flash is worded when the form is sent
    r = client.post(
        url, data={"kind": "disaster", "occurred_on": _today(), "note": "房屋漏雨 13812345678"}
    )
    assert r.status_code == 302 and r.headers["Location"].endswith(
        f"/hub/households/{household.id}#events"
    )
    with db() as s:
        event = s.exec(select(MonitoringEvent)).one()
        warning = s.exec(select(RiskWarning)).one()
        assert event.source == "hub" and event.household_id == household.id
        assert "13812345678" not in event.note
        due = clock.beijing_date(warning.due_at).isoformat()
    page = text(client.get(f"/hub/households/{household.id}?lang=en"))
    assert "warning was raised" in page and due in page  # the flash: level and due date
    events = page[page.index('id="events"') :]
    assert "Disaster or accident" in events and "房屋漏雨" in events


def test_a_bad_event_names_the_field_and_stores_nothing(
    client, login_as, make_user, make_household, db
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    household = make_household(staff)
    login_as(staff)
    url = f"/hub/households/{household.id}/events/new?lang=en"
    r = client.post(url, data={"kind": "disaster", "occurred_on": "2999-01-01"})
    assert r.status_code == 422 and "The date is in the future" in text(r)
    r = client.post(url, data={"kind": "flood", "occurred_on": _today()})
    assert r.status_code == 422
    with db() as s:
        assert s.exec(select(MonitoringEvent)).all() == []


def test_staff_of_another_area_cannot_open_the_event_form(
    client, login_as, make_user, make_household
):
    household = make_household(make_user(Role.HUB_STAFF, hub="330102"))
    login_as(make_user(Role.HUB_STAFF, hub="330106"))
    url = f"/hub/households/{household.id}/events/new"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"kind": "birth", "occurred_on": _today()}).status_code == 404


def _discovery(db, member, community=COMMUNITY, words="楼下独居老人需要帮助"):
    with db() as s:
        actor = s.get_one(type(member), member.id)
        return monitoring.report_discovery(
            s, actor=actor, community_code=community, description=words, contact="王 13900001111"
        ).id


def test_the_leads_page_registers_and_closes_leads(
    client, login_as, make_user, make_household, users, db
):
    street = make_user(Role.HUB_STAFF, hub=STREET)
    first = _discovery(db, users["member"], words="第一位老人需要帮助")
    second = _discovery(db, users["member"], words="第二位老人需要帮助")
    elsewhere = _discovery(db, users["member"], community=OTHER_DISTRICT_COMMUNITY)
    household = make_household(street)
    login_as(street)
    assert "/hub/leads" in text(client.get("/hub/"))  # linked from the hub home and nav
    page = text(client.get("/hub/leads"))
    assert f'id="lead-{first}"' in page and f'id="lead-{second}"' in page
    assert f'id="lead-{elsewhere}"' not in page
    assert "13900001111" in page  # the contact: for the responsible staff
    assert page.index(f'id="lead-{first}"') < page.index(f'id="lead-{second}"')  # oldest due first
    r = client.post(f"/hub/leads/{first}/register", data={"household_id": str(household.id)})
    assert r.status_code == 302
    r = client.post(f"/hub/leads/{second}/close", data={"note": "已核实，无需帮扶"})
    assert r.status_code == 302
    r = client.post(
        f"/hub/leads/{second}/close?lang=en", data={"note": "again"}, follow_redirects=True
    )
    assert "already been dealt with" in text(r)
    with db() as s:
        assert s.get_one(Lead, first).household_id == household.id
        assert s.get_one(Lead, second).status == "closed"
        assert s.get_one(Lead, elsewhere).status == "open"
    assert client.post(f"/hub/leads/{elsewhere}/close", data={"note": "x"}).status_code == 404
    closed = text(client.get("/hub/leads?status=closed"))
    assert f'id="lead-{second}"' in closed and "已核实" in closed
    assert not re.search(r'id="lead-\d+"', text(client.get("/hub/leads")))


def _events_workbook(template: bytes, rows: list[list[object]]) -> bytes:
    import io

    from openpyxl import load_workbook

    from marketplace.services import imports

    wb = load_workbook(io.BytesIO(template))
    for row in rows:
        wb[imports.EVENT_SHEET].append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(client, data: bytes):
    import io

    client.get("/lang/en")
    return client.post(
        "/hub/import",
        data={"kind": "events", "file": (io.BytesIO(data), "events.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_events_import_all_or_nothing_with_the_row_report(
    client, login_as, make_user, make_household, db
):
    from openpyxl import load_workbook

    from marketplace.services.exports import LIST_SHEET
    from tests.factories import valid_id_number

    staff = make_user(Role.HUB_STAFF, hub="330102")
    make_user(Role.HUB_STAFF, hub=STREET)
    household = make_household(staff, profile={"source": "monitored"})
    login_as(staff)
    assert "kind=events" in text(client.get("/hub/import"))
    template = client.get("/hub/import/template.xlsx?kind=events").data
    import io

    book = load_workbook(io.BytesIO(template))
    names = {n: book.defined_names[n].attr_text for n in book.defined_names}
    assert "zf_event_kinds" in names  # the kinds as a drop-down
    kinds = [c.value for c in book[LIST_SHEET]["A"][1:] if c.value]
    assert len(kinds) == 12 and kinds[0] == "major_illness 重大疾病"
    today = _today()
    stranger = valid_id_number(8811)
    good = [
        [household.id, None, None, "job_loss 失业", today, "工厂裁员"],
        [None, stranger, f"{COMMUNITY} 清波门社区", "重大疾病", today, ""],
    ]
    bad = [
        *good,
        [household.id, None, None, "flood", today, ""],
        [None, valid_id_number(8812), None, "birth", "2999-01-01", ""],
    ]
    page = text(_upload(client, _events_workbook(template, bad)))
    assert "Nothing was imported" in page
    report = page[page.index('id="import-errors"') :]
    assert report.count("<tr><td") == 3  # kind (row 4); community and date (row 5), by column
    assert "变动类型" in report and "发生日期" in report and "社区（村）" in report
    with db() as s:
        assert s.exec(select(MonitoringEvent)).all() == [] and s.exec(select(Lead)).all() == []
    page = text(_upload(client, _events_workbook(template, good)))
    assert "Imported 2 monitoring events; 1 of them" in page
    with db() as s:
        events = s.exec(select(MonitoringEvent).order_by(MonitoringEvent.id)).all()
        assert [e.source for e in events] == ["import", "import"]
        assert events[0].household_id == household.id and events[1].lead_id is not None
        assert s.get_one(Lead, events[1].lead_id).id_number == stranger
        assert len(s.exec(select(RiskWarning)).all()) == 1
