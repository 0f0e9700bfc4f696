"""Personal data (DESIGN §6): members and organisations see surname + "*", community, item and
scrubbed text; no full resident ID, phone number or street address anywhere they can look, nor in
the application's logs."""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from marketplace.db import get_engine, session_scope
from marketplace.models import User
from marketplace.services import claims
from marketplace.services.privacy import mask_id_number, mask_name, mask_phone, scrub_text
from tests.factories import PASSWORD
from tests.security.test_access_matrix import _project_of_offer, classify
from tests.world import HOUSEHOLDS, LEAKY_DESCRIPTION, World

ID_RE = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def scan(body: str, world_pii: list[str]) -> list[str]:
    found = [v for v in world_pii if v in body]
    found += ID_RE.findall(body) + MOBILE_RE.findall(body)
    return found


def readable(response: Any) -> str:
    """What a person reads in an answer: the text of a page or JSON, the cells of a workbook, the
    text of a PDF (by poppler's pdftotext; empty where it is not installed)."""
    kind = response.mimetype or ""
    if kind.startswith("text/") or kind.endswith("json"):
        return str(response.get_data(as_text=True))
    data = response.get_data()
    if kind == "application/pdf":
        if shutil.which("pdftotext") is None:
            return ""
        done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
        return done.stdout.decode()
    if kind.endswith("spreadsheetml.sheet"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(
            str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v
        )
    return data.decode("utf-8", "replace")


def _login(app: Flask, user: User) -> Any:
    client = app.test_client()
    r = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 302
    return client


def _get_urls(app: Flask, world: World, role: str, owner: str) -> list[str]:
    """Every GET URL the role may open, with the owner's own ids and every wish."""
    urls: list[str] = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in (rule.methods or set()):
            continue
        args = set(rule.arguments)
        if "token" in args:
            continue  # the household's own page
        if role not in classify(rule.endpoint, rule.rule, args).allowed:
            continue
        claim = world.claim_org if owner == "org_owner" else world.claim_active
        choices: list[dict[str, Any]] = [{}]
        if "wish_id" in args:
            wishes = (world.wish_open, world.wish_claimed, world.wish_delivered, world.wish_leaky)
            choices = [{"wish_id": w} for w in wishes]
        elif args:
            choices = [
                {
                    "claim_id": claim,
                    "offer_id": world.offer_id,
                    "code": "en",
                    "project_id": _project_of_offer(world),
                    "branch_id": 1,
                    "household_id": world.household_ids[0],  # not the member's: refused
                    "campaign_id": 1,
                }
            ]
        for values in choices:
            urls.append(rule.build({k: v for k, v in values.items() if k in args})[1])
    return urls


def test_member_and_org_views_show_no_personal_data(app: Flask, world: World, caplog):
    caplog.set_level(logging.DEBUG)
    crawled: list[str] = []
    leaks: list[str] = []
    extra = [
        "/member/?item=07-02",
        "/member/?district=330102",
        "/member/?lat=30.25&lon=120.17&radius_km=50",
        "/api/v1/wishes?limit=1",
        "/api/v1/wishes?region=330102",
        "/api/v1/wishes?item=07-02",
        "/api/v1/wishes?lat=30.25&lon=120.17&radius_km=50",
    ]
    for owner, role in (
        ("member_owner", "member"),
        ("member", "member"),
        ("org_owner", "org"),
        ("org", "org"),
    ):
        client = _login(app, world.users[owner])
        headers = world.tokens[owner]
        urls = _get_urls(app, world, role, owner) + (extra if role == "member" else extra[3:])
        for url in urls:
            r = client.get(url, headers=headers)
            assert r.status_code < 500, (url, r.status_code)
            crawled.append(url)
            leaks += [f"{owner} {url}: {v}" for v in scan(readable(r), world.pii)]
            r.close()
        # Every page of the wish pool, following the cursors.
        cursor = None
        for _ in range(20):
            page = client.get(
                "/api/v1/wishes?limit=1" + (f"&cursor={cursor}" if cursor else ""), headers=headers
            )
            leaks += [
                f"{owner} page {cursor}: {v}" for v in scan(page.get_data(as_text=True), world.pii)
            ]
            html = client.get("/member/" + (f"?cursor={cursor}" if cursor else ""))
            leaks += [
                f"{owner} html page {cursor}: {v}"
                for v in scan(html.get_data(as_text=True), world.pii)
            ]
            cursor = page.get_json()["next_cursor"]
            if cursor is None:
                break
    assert any("/member/wishes/" in u for u in crawled) and any(
        "/api/v1/claims" in u for u in crawled
    )
    assert any("/org/assignments" in u for u in crawled)
    assert not leaks, "\n".join(sorted(set(leaks)))
    logs = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert not scan(logs, world.pii), scan(logs, world.pii)


def test_leaky_wish_text_is_scrubbed_for_members(app: Flask, world: World):
    r = app.test_client().get(f"/api/v1/wishes/{world.wish_leaky}", headers=world.tokens["member"])
    wish = r.get_json()
    assert "13812345678" not in wish["text"] and "330102198001011234" not in wish["text"]
    assert "解放路100号" not in wish["text"] and "***" in wish["text"]
    assert wish["household"] == mask_name(HOUSEHOLDS[0]["name"]) == "欧*"
    page = _login(app, world.users["member"]).get(f"/member/wishes/{world.wish_leaky}")
    body = page.get_data(as_text=True)
    assert "电热毯" in body and not scan(body, world.pii)
    # Hub staff of the household's own area see the original text.
    staff = app.test_client().get(
        f"/api/v1/needs/{world.wish_leaky}", headers=world.tokens["hub_owner"]
    )
    assert staff.get_json()["description"] == LEAKY_DESCRIPTION


def test_titles_with_personal_data_do_not_leak_through_notifications(
    app: Flask, world: World, make_need, make_household
):
    """A title typed with a phone number reaches the deliverer's notifications scrubbed."""
    staff = world.users["hub_owner"]
    need = make_need(staff, make_household(staff), title="给13812345678送电饭煲")
    with session_scope(get_engine(app)) as s:
        member = s.get(User, world.users["member"].id)
        claim = claims.claim_wish(s, member=member, wish_id=need.id, policy=claims.ClaimPolicy())  # type: ignore[arg-type]
        claims.report_delivery(s, actor=member, claim_id=claim.id or 0, note="已送到，户主当面签收")  # type: ignore[arg-type]
        claims.confirm_delivery(s, actor=s.get(User, staff.id), need_id=need.id)  # type: ignore[arg-type]
    client = _login(app, world.users["member"])
    for url in ("/notifications", "/member/claims", f"/member/wishes/{need.id}"):
        body = client.get(url).get_data(as_text=True)
        assert "13812345678" not in body, url
    api = (
        app.test_client()
        .get("/api/v1/claims", headers=world.tokens["member"])
        .get_data(as_text=True)
    )
    assert "13812345678" not in api


def test_masking_formats():
    assert mask_id_number("330106199001011234") == "330106********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三") == "张*"


def test_scrub_text_example():
    out = scrub_text(LEAKY_DESCRIPTION)
    assert "13812345678" not in out and "330102198001011234" not in out and "100号" not in out


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
FILLER = st.text(
    alphabet=st.one_of(CJK, st.sampled_from("，。！？、 ：；abcXYZ")), min_size=0, max_size=30
)


@st.composite
def resident_ids(draw: Any) -> str:
    body = draw(st.from_regex(r"\A[1-9]\d{16}\Z"))
    return body + ric.calc_check_digit(body + "0")


MOBILES = st.from_regex(r"\A1[3-9]\d{9}\Z")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=FILLER, middle=FILLER, after=FILLER, id_number=resident_ids(), phone=MOBILES)
def test_scrub_text_removes_any_id_and_mobile(before, middle, after, id_number, phone):
    text = f"{before}{id_number}{middle}{phone}{after}"
    out = scrub_text(text)
    assert id_number not in out and phone not in out
    assert not ID_RE.search(out) and not MOBILE_RE.search(out)
    # The surrounding words survive (only the personal data goes).
    assert before.strip("abcXYZ ") in out or not before


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_scrub_text_never_fails(text):
    assert isinstance(scrub_text(text), str)
