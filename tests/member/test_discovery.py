"""主动发现 on the web: a member (or an organisation) picks the community with the region picker,
says what they saw and gets a receipt; the lead goes to the street hub; bad input stores nothing."""

from __future__ import annotations

from sqlmodel import select

from marketplace.models import Lead
from tests.factories import COMMUNITY, text

URL = "/member/discover"


def _picked(**extra: str) -> dict[str, str]:
    return {
        "district": COMMUNITY[:6],
        "street": COMMUNITY[:9],
        "community": COMMUNITY,
        "action": "report",
    } | extra


def test_a_member_reports_and_gets_a_receipt(as_role, db):
    client = as_role("member")
    assert URL in text(client.get("/member/"))  # linked from the member's nav
    page = text(client.get(URL))
    assert 'name="district"' in page and 'name="description"' in page
    # Choosing the district shows its streets (the picker reloads the form).
    page = text(client.post(URL, data={"district": COMMUNITY[:6], "action": "refresh"}))
    assert f'value="{COMMUNITY[:9]}"' in page
    r = client.post(
        URL + "?lang=en",
        data=_picked(description="楼下独居老人最近没见出门，电话13812345678", contact="王先生"),
    )
    assert r.status_code == 200, text(r)[:500]
    body = text(r)
    assert "Report number" in body and "清波门社区" in body
    with db() as s:
        lead = s.exec(select(Lead)).one()
        assert lead.source == "discovery" and lead.community_code == COMMUNITY
        assert "13812345678" not in lead.description and lead.contact == "王先生"
    assert f">{lead.id}<" in body


def test_finding_the_community_by_name(as_role):
    client = as_role("member")
    page = text(client.post(URL, data={"hub_q": "清波门", "action": "find"}))
    assert f'value="choose:{COMMUNITY}"' in page
    page = text(client.post(URL, data={"action": f"choose:{COMMUNITY}"}))
    assert "清波门社区" in page and f'<option selected value="{COMMUNITY}"' in page.replace(
        f'value="{COMMUNITY}" selected', f'selected value="{COMMUNITY}"'
    )


def test_bad_reports_name_the_field_and_store_nothing(as_role, db):
    client = as_role("member")
    r = client.post(URL + "?lang=en", data=_picked(description="短"))
    assert r.status_code == 422
    r = client.post(URL + "?lang=en", data=_picked(community="", description="有位老人需要帮助"))
    assert r.status_code == 422
    with db() as s:
        assert s.exec(select(Lead)).all() == []


def test_an_organisation_reports_too_and_hub_staff_cannot(as_role, db):
    client = as_role("org")
    r = client.post("/org/discover", data=_picked(description="有位老人需要帮助"))
    assert r.status_code == 200
    client = as_role("hub_staff")
    assert client.get(URL).status_code in (302, 403)
    with db() as s:
        assert len(s.exec(select(Lead)).all()) == 1
