"""The 幸福码 page both ways (household/routes.py) and the hub's side (hub/feedback.py): a help
request and a rating sent from the page reach the right hub, the forms need their CSRF token,
words are scrubbed, a held thank-you never reaches the helper and a shown one is on their record."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from marketplace.models import Claim, Feedback, Hub, Lead, Notification, Role
from marketplace.services import feedback
from tests.factories import COMMUNITY, PASSWORD, confirm, delivered_claim

STREET = COMMUNITY[:9]


@pytest.fixture
def scene(app, db, make_user, make_household):
    district = make_user(Role.HUB_STAFF, hub="330102")
    street = make_user(Role.HUB_STAFF, hub=STREET)
    other = make_user(Role.HUB_STAFF, hub="330106")
    member = make_user(Role.MEMBER)
    household = make_household(district, name="欧阳秀兰", phone="13987654321")
    claim = delivered_claim(app, district, member, household=household, title="想要一台电风扇")
    with db() as s:
        need_id = s.get(Claim, claim.id).need_id
    confirm(app, district, need_id, hours="1.0")
    return {
        "district": district,
        "street": street,
        "other": other,
        "member": member,
        "household": household,
        "claim": claim,
        "key": f"claim-{claim.id}",
    }


def _login(app, user):
    client = app.test_client()
    r = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 302
    return client


def _rate(client, token, key, rating="5", words=""):
    return client.post(
        f"/h/{token}/rate/{key}", data={f"{key}-rating": rating, f"{key}-words": words}
    )


def test_the_page_offers_help_and_rating_forms(client, scene):
    page = client.get(f"/h/{scene['household'].token}").get_data(as_text=True)
    assert f"/h/{scene['household'].token}/help" in page
    assert f"/h/{scene['household'].token}/rate/{scene['key']}" in page
    assert f'name="{scene["key"]}-rating"' in page


def test_a_help_request_from_the_page_reaches_the_street_hub(app, client, db, scene):
    token = scene["household"].token
    r = client.post(
        f"/h/{token}/help", data={"text": "老人摔倒了需要人照看", "contact": "下午在家"}
    )
    assert r.status_code == 302 and "#ask-help" in r.headers["Location"]
    with db() as s:
        lead = s.exec(select(Lead)).one()
        street_hub = s.exec(select(Hub).where(Hub.region_code == STREET)).one()
        assert lead.hub_id == street_hub.id and lead.household_id == scene["household"].id
        assert lead.source == "happiness" and lead.description == "老人摔倒了需要人照看"
        (note,) = s.exec(select(Notification).where(Notification.kind == "help_request")).all()
        assert note.user_id == scene["street"].id
    # The street's staff see it (with how to reach them) on their feedback page; another
    # district's staff do not.
    page = _login(app, scene["street"]).get("/hub/feedback").get_data(as_text=True)
    assert "老人摔倒了需要人照看" in page and "下午在家" in page
    assert "老人摔倒了" not in _login(app, scene["other"]).get("/hub/feedback").get_data(
        as_text=True
    )
    # The household's page says the hub has it.
    assert 'data-open-requests="1"' in client.get(f"/h/{token}").get_data(as_text=True)


def test_an_empty_help_request_is_refused_on_the_page(client, db, scene):
    r = client.post(f"/h/{scene['household'].token}/help", data={"text": "", "contact": ""})
    assert r.status_code == 422
    with db() as s:
        assert s.exec(select(Lead)).all() == []


def test_rating_from_the_page_scrubs_and_waits_for_the_hub(app, client, db, scene):
    token, key = scene["household"].token, scene["key"]
    r = _rate(client, token, key, "4", "谢谢小王！我是欧阳秀兰，电话13987654321")
    assert r.status_code == 302
    with db() as s:
        row = s.exec(select(Feedback)).one()
        assert row.rating == 4 and row.status == "pending"
        assert "13987654321" not in row.words and "欧阳秀兰" not in row.words
        assert s.get(Claim, scene["claim"].id).acknowledged_at is not None
    page = client.get(f"/h/{token}").get_data(as_text=True)
    assert "★★★★☆" in page and f"/rate/{key}" not in page  # rated: no second form
    assert _rate(client, token, key, "1").status_code == 409
    # The hub's moderation list shows it to the household's staff, not to another district.
    hub_page = _login(app, scene["district"]).get("/hub/feedback").get_data(as_text=True)
    assert "谢谢小王" in hub_page and "13987654321" not in hub_page
    assert "谢谢小王" not in _login(app, scene["other"]).get("/hub/feedback").get_data(as_text=True)


@pytest.mark.parametrize("rating", ["0", "6", "x", ""])
def test_a_bad_rating_is_refused_on_the_page(client, db, scene, rating):
    r = _rate(client, scene["household"].token, scene["key"], rating)
    assert r.status_code == 422
    with db() as s:
        assert s.exec(select(Feedback)).all() == []


def test_another_households_item_or_an_old_code_answers_404(app, client, db, scene, make_household):
    other = make_household(scene["district"])
    assert _rate(client, other.token, scene["key"]).status_code == 404
    assert _rate(client, "not-a-token", scene["key"]).status_code == 404
    assert client.post("/h/not-a-token/help", data={"text": "需要帮助"}).status_code == 404
    with db() as s:
        assert s.exec(select(Feedback)).all() == [] and s.exec(select(Lead)).all() == []


def _token_in(page: str) -> str:
    match = re.search(r'name="[^"]*csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_the_forms_need_their_csrf_token(app, db, scene):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token, key = scene["household"].token, scene["key"]
    assert client.post(f"/h/{token}/help", data={"text": "需要帮助"}).status_code == 400
    assert _rate(client, token, key, "5").status_code == 400
    with db() as s:
        assert s.exec(select(Lead)).all() == [] and s.exec(select(Feedback)).all() == []
    csrf = _token_in(client.get(f"/h/{token}").get_data(as_text=True))
    r = client.post(f"/h/{token}/help", data={"text": "需要帮助", "csrf_token": csrf})
    assert r.status_code == 302
    r = client.post(
        f"/h/{token}/rate/{key}",
        data={f"{key}-rating": "5", f"{key}-csrf_token": csrf},
    )
    assert r.status_code == 302
    with db() as s:
        assert len(s.exec(select(Lead)).all()) == 1 and len(s.exec(select(Feedback)).all()) == 1


def test_held_thanks_never_reach_the_member_shown_thanks_do(app, client, db, scene):
    token, key = scene["household"].token, scene["key"]
    assert _rate(client, token, key, "5", "电风扇很好用，谢谢你").status_code == 302
    with db() as s:
        fid = s.exec(select(Feedback.id)).one()
    staff = _login(app, scene["street"])
    member = _login(app, scene["member"])
    # Pending, then held: not on the member's record, no notification.
    assert "电风扇很好用" not in member.get("/member/records").get_data(as_text=True)
    assert staff.post(f"/hub/feedback/{fid}/held").status_code == 302
    records = member.get("/member/records").get_data(as_text=True)
    assert "电风扇很好用" not in records
    assert "电风扇很好用" not in member.get("/notifications").get_data(as_text=True)
    held = staff.get("/hub/feedback?status=held").get_data(as_text=True)
    assert "电风扇很好用" in held
    # Shown (the hub changed its mind): notified, and on the record with the household masked.
    assert staff.post(f"/hub/feedback/{fid}/shown").status_code == 302
    records = member.get("/member/records").get_data(as_text=True)
    assert "电风扇很好用，谢谢你" in records and "欧*" in records and "欧阳秀兰" not in records
    assert "★" not in records.split("record-thanks")[1][:400]  # ratings not shared by default
    notes = member.get("/notifications").get_data(as_text=True)
    assert "电风扇很好用" in notes
    # A second show is a conflict.
    assert staff.post(f"/hub/feedback/{fid}/shown").status_code == 409


def test_the_street_hub_may_share_ratings_with_helpers(app, client, db, scene):
    staff = _login(app, scene["street"])
    assert staff.post("/hub/feedback/share", data={"share": "1"}).status_code == 302
    with db() as s:
        assert feedback.share_ratings(s, COMMUNITY) is True
    _rate(client, scene["household"].token, scene["key"], "4", "谢谢")
    with db() as s:
        fid = s.exec(select(Feedback.id)).one()
    staff.post(f"/hub/feedback/{fid}/shown")
    records = _login(app, scene["member"]).get("/member/records").get_data(as_text=True)
    assert "★★★★☆" in records


def test_only_hub_staff_moderate(app, db, scene, client):
    _rate(client, scene["household"].token, scene["key"], "5", "谢谢")
    with db() as s:
        fid = s.exec(select(Feedback.id)).one()
    member = _login(app, scene["member"])
    assert member.get("/hub/feedback").status_code in (302, 403)
    assert member.post(f"/hub/feedback/{fid}/shown").status_code in (302, 403)
    assert _login(app, scene["other"]).post(f"/hub/feedback/{fid}/shown").status_code == 404
    with db() as s:
        assert s.get(Feedback, fid).status == "pending"
