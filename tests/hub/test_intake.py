"""Hub intake pages (hub/intake.py): registering households and recording needs, the household
list and its exports, the 幸福码 card."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import func, select

from marketplace.models import Household, Need
from tests.factories import COMMUNITY, text, valid_id_number, xlsx_rows


def household_form(**overrides: object) -> dict[str, object]:
    return {
        "name": "王秀兰",
        "id_number": valid_id_number(42),
        "phone": "13955556666",
        "address": "清波街88号5幢302室",
        "community_code": COMMUNITY,
        "hardship_type": "care",
        "members": "2",
        "profile-source": "dibao",
        "profile-chronic_ill": "1",
        "tags": ["elderly", "single"],
    } | overrides


def test_register_household_with_bad_check_digit_is_refused(as_role, db):
    client = as_role("hub_staff")
    good = valid_id_number(42)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post("/hub/households/new", data=household_form(id_number=bad))
    assert response.status_code == 422
    page = text(response)
    assert "身份证号码校验位错误" in page
    assert 'value="王秀兰"' in page  # the form keeps what was typed
    with db() as s:
        assert s.exec(select(func.count()).select_from(Household)).one() == 0


def test_register_household_then_record_and_publish_a_need(as_role, db):
    client = as_role("hub_staff")
    response = client.post("/hub/households/new", data=household_form())
    assert response.status_code == 302, text(response)[:500]
    detail = client.get(response.headers["Location"])
    page = text(detail)
    assert valid_id_number(42) in page and "13955556666" in page and "/h/" in page
    with db() as s:
        household = s.exec(select(Household)).one()
    response = client.post(
        f"/hub/households/{household.id}/needs/new",
        data={
            "kind": "wish",
            "item": "07-02",
            "title": "想要一台电风扇",
            "description": "夏天太热，电话13955556666",
            "value_yuan": "150",
            "deadline": (date.today() + timedelta(days=20)).isoformat(),
        },
    )
    assert response.status_code == 302, text(response)[:800]
    queue = text(client.get("/hub/review"))
    assert "想要一台电风扇" in queue and "***" in queue  # the scrubbed text staff will publish
    with db() as s:
        need = s.exec(select(Need)).one()
    assert client.post(f"/hub/needs/{need.id}/publish").status_code == 302
    with db() as s:
        assert s.get(Need, need.id).status == "open"


def test_need_with_past_deadline_shows_message(as_role, make_household, users):
    household = make_household(users["hub_staff"])
    client = as_role("hub_staff")
    response = client.post(
        f"/hub/households/{household.id}/needs/new",
        data={
            "kind": "wish",
            "item": "07-02",
            "title": "x",
            "deadline": (date.today() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "截止日期不能早于今天" in text(response)


def test_staff_of_another_district_cannot_see_the_household(
    make_user, login_as, make_household, users, client
):
    household = make_household(users["hub_staff"])
    outsider = make_user("hub_staff", hub="330106")
    login_as(outsider)
    assert client.get(f"/hub/households/{household.id}").status_code == 404


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


def test_exports_are_scoped_and_audited(as_role, two_areas, db):
    client = as_role("hub_staff")
    rows = xlsx_rows(client.get("/hub/households.xlsx?sort=name"))
    assert rows[0][:3] == ("编号", "姓名", "身份证号码")
    names = {r[1] for r in rows[1:]}
    assert names == {"赵一", "钱二", "孙三"}  # not the other district's household
    assert len(xlsx_rows(client.get("/hub/needs.xlsx?status=all"))) == 3
    assert len(xlsx_rows(client.get("/hub/deliveries.xlsx"))) == 1  # header only
    from sqlmodel import select

    from marketplace.models import AuditLog

    with db() as s:
        actions = set(s.exec(select(AuditLog.action)).all())
    assert {"export.households", "export.needs"} <= actions


def test_exports_name_codes_as_the_pages_do(app, as_role, two_areas):
    """One vocabulary: the statuses and hardship types of an export are the pages' own labels."""
    from marketplace.web import labels

    client = as_role("hub_staff")
    needs = xlsx_rows(client.get("/hub/needs.xlsx?status=all"))
    households = xlsx_rows(client.get("/hub/households.xlsx"))
    with app.test_request_context("/"):
        statuses = {labels.label("need_status", s) for s in ("open", "pending_review")}
        hardship = labels.label("hardship", "bottom")
    status_column = needs[0].index("状态")
    assert {r[status_column] for r in needs[1:]} == statuses
    assert all("_" not in str(s) for s in statuses)  # translated, not the code
    hardship_column = households[0].index("困难类型")
    assert {r[hardship_column] for r in households[1:]} == {hardship}


def test_happiness_card_prints_masked_surname(as_role, two_areas):
    mine, _theirs = two_areas
    client = as_role("hub_staff")
    page = text(client.get(f"/hub/households/{mine[0].id}/card"))
    assert "赵*" in page and "赵一" not in page and "<svg" in page
    assert "card.css" in page and "扫一扫" in page
    assert client.get(f"/hub/households/{_theirs.id}/card").status_code == 404
