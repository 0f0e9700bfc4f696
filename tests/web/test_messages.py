"""The catalogue of message codes (marketplace/web/messages.py): every code a service can produce has
an English msgid and a Chinese translation, parameters are filled in (codes through the labels), and
notifications and errors stored or raised as codes read in the reader's language."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, url_for

from marketplace.models import Role
from marketplace.services.messages import Message
from marketplace.services.notifications import Ref, notify
from marketplace.web.messages import MESSAGES, render

ROOT = Path(__file__).resolve().parents[2] / "marketplace"
CODE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Calls whose string arguments are message codes.
PRODUCERS = {
    "ServiceError",
    "ValidationFailed",
    "NotFound",
    "Forbidden",
    "Conflict",
    "Unauthenticated",
    "LoginFailed",
    "Message",
    "_invalid",
    "__init__",  # super().__init__("…") in an error class
    "fail",  # the Excel imports' row errors
}


def _codes_in(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and CODE.match(sub.value):
            yield sub.value


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _target(node: ast.expr) -> str:
    """The name assigned to: ``x`` or ``obj.x``."""
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


NAMED = ("default_message", "_PYDANTIC_CODES", "PHASES", "UNMATCHED_MESSAGES", "message")


def _message_parts(node: ast.AST, in_services: bool) -> list[ast.AST]:
    """The parts of ``node`` that hold message codes, if it is a place where messages are made."""
    if isinstance(node, ast.Call) and _name(node.func) in PRODUCERS:
        return [*node.args, *(k.value for k in node.keywords)]
    if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):  # raise AnyError("…")
        return [*node.exc.args, *(k.value for k in node.exc.keywords)]
    if isinstance(node, ast.keyword):  # .values(message=…)
        return [node.value] if node.arg == "message" else []
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        flat = [t for target in targets for t in getattr(target, "elts", [target])]
        errors = any(
            isinstance(t, ast.Subscript) and getattr(t.value, "id", "") == "errors" for t in flat
        )
        named = any(_target(t) in NAMED for t in flat)
        return [node.value] if node.value is not None and (errors or named) else []
    if isinstance(node, ast.Return) and in_services:  # a check that returns its message code
        return [node.value] if isinstance(node.value, ast.Constant) else []
    if isinstance(node, ast.arguments):  # def __init__(self, code="auth.…")
        args = [*node.posonlyargs, *node.args]
        pairs = [
            *zip(args[len(args) - len(node.defaults) :], node.defaults, strict=True),
            *zip(node.kwonlyargs, node.kw_defaults, strict=True),
        ]
        return [d for a, d in pairs if d is not None and a.arg in ("code", "message")]
    return []


def produced_codes() -> dict[str, str]:
    """Every code written in the code base where a message is made: the arguments of errors and
    messages, ``errors[field] = …`` assignments, error classes' defaults, pydantic's table and the
    match rounds' messages."""
    found: dict[str, str] = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts or path == ROOT / "web" / "messages.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(ROOT.parent))
        for node in ast.walk(tree):
            for part in _message_parts(node, "services" in path.parts):
                for code in _codes_in(part):
                    found.setdefault(code, where)
    return found


def test_the_scan_finds_the_services_codes():
    codes = produced_codes()
    # One of each way a code is written, so that a broken scan cannot pass the tests below.
    for code in (
        "need.not_found",  # raise NotFound("…")
        "claim.cap_reached",  # raise Conflict(Message("…", {…}))
        "geo.lat_lon_both",  # errors["lat"] = "…"
        "error.not_found",  # default_message = "…"
        "field.too_short",  # pydantic's table
        "id_number.check_digit",  # schemas: raise _invalid("…")
        "notice.offer_low",  # notifications
        "auth.wrong_credentials",  # def __init__(self, code="…")
        "error.internal",  # the web layer's own
        "round.done",  # match_round.message = "…"
        "round.solve",  # PHASES
        "round.running",  # .values(message=…)
    ):
        assert code in codes, code


def test_every_code_has_a_msgid_translated_into_chinese(app: Flask):
    codes = produced_codes()
    missing = {code: where for code, where in codes.items() if code not in MESSAGES}
    assert not missing, f"codes without a msgid in marketplace/web/messages.py: {missing}"
    untranslated = []
    for code in MESSAGES:
        with app.test_request_context("/?lang=en"):
            english = render(code)
        with app.test_request_context("/?lang=zh_CN"):
            chinese = render(code)
        if chinese == english or not CJK.search(chinese):
            untranslated.append(code)
    assert not untranslated, f"no zh_CN translation: {untranslated}"


def test_every_msgid_is_used():
    unused = set(MESSAGES) - set(produced_codes())
    assert not unused, f"catalogue entries no code produces: {unused}"


def test_render_fills_in_parameters_in_the_readers_language(app: Flask):
    cap = Message("claim.cap_reached", {"n": 3})
    status = Message("need.not_cancellable", {"need_status": "confirmed"})
    codes = Message("item.unknown_codes", {"codes": ["07-02", "99-99"]})
    between = Message("field.between", {"min": 0.1, "max": 100.0})
    with app.test_request_context("/?lang=en"):
        assert render(cap) == "You already have 3 open claims; deliver one first"
        assert render(status) == "This need can no longer be cancelled (it is Confirmed)"
        assert render(codes) == "Unknown taxonomy items: 07-02, 99-99"
        assert render(between) == "Must be between 0.1 and 100"
        assert render("need.not_found") == "Need not found"
    with app.test_request_context("/?lang=zh_CN"):
        assert render(cap) == "您已有 3 个未完成的认领，请先完成一个"
        assert "已确认完成" in render(status) and "confirmed" not in render(status)
        assert render(codes).endswith("07-02、99-99")
        assert render("need.not_found") == "找不到该需求"
        # A missing parameter renders empty rather than failing the page.
        assert render(Message("notice.delivery_confirmed")) == "送达已确认："


def test_render_keeps_text_that_is_no_code(app: Flask):
    with app.test_request_context("/?lang=zh_CN"):
        assert render(Message.raw("Delivery confirmed: 旧通知")) == "Delivery confirmed: 旧通知"
        assert render("已经是中文") == "已经是中文"
        assert render(None) == ""
        # The form library's own English message is translated (it is in the catalogue).
        assert render("The CSRF token is missing.") == "表单令牌缺失，请刷新页面后重试。"


def test_notification_renders_in_the_readers_language_with_its_link(
    app: Flask, client, make_user, login_as, db
):
    member = make_user(Role.MEMBER)
    staff = make_user(Role.HUB_STAFF, hub="330102")
    with db() as s:
        reason = {"title": "电饭煲", "reason": "照片不清楚"}
        notify(
            s,
            member.id,
            "delivery_rejected",
            Message("notice.delivery_rejected", reason),
            Ref("claim", 5),
        )
        awaiting = Message("notice.delivery_awaiting", {"title": "轮椅", "need": 9})
        notify(s, staff.id, "delivery_awaiting", awaiting, Ref("claim", 7))
    with app.test_request_context():
        claims_link = url_for("member.claims_list", _anchor="claim-5")
        deliveries_link = url_for("hub.deliveries", _anchor="need-9")

    login_as(member)
    page = client.get("/notifications").get_data(as_text=True)
    assert "送达被退回：电饭煲 — 照片不清楚" in page
    assert f'href="{claims_link}"' in page
    page = client.get("/notifications?lang=en").get_data(as_text=True)
    assert "Delivery not confirmed: 电饭煲 — 照片不清楚" in page
    assert f'href="{claims_link}"' in page

    client.post("/auth/logout")
    login_as(staff)
    page = client.get("/notifications?lang=zh_CN").get_data(as_text=True)
    assert "有一项送达等待您确认：轮椅" in page and f'href="{deliveries_link}"' in page


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("", "Resident ID number check digit is wrong"), ("?lang=zh_CN", "身份证号码校验位错误")],
)
def test_api_errors_carry_codes_in_english_unless_asked(
    app: Flask, client, make_user, api_token, lang, expected
):
    staff = make_user(Role.HUB_STAFF, hub="330102")
    headers = api_token(staff)
    household = {
        "name": "王五",
        "id_number": "110101199003070000",  # a wrong check digit
        "phone": "13700001111",
        "address": "某路1号",
        "community_code": "330102001051",
        "hardship_type": "care",
        "risk_score": 50,
    }
    r = client.post(f"/api/v1/households{lang}", json=household, headers=headers)
    body = r.get_json()
    assert (
        r.status_code == 422
        and body["error"] == "invalid"
        and body["code"] == "error.invalid_input"
    )
    assert body["errors"]["id_number"] == expected
    r = client.get(f"/api/v1/needs/999999{lang}", headers=headers)
    assert r.status_code == 404 and r.get_json()["code"] == "need.not_found"
    assert r.get_json()["message"] == ("Need not found" if not lang else "找不到该需求")


def test_error_page_speaks_the_pages_language(app: Flask, client, make_user, login_as):
    login_as(make_user(Role.HUB_STAFF, hub="330102"))
    page = client.get("/hub/households/999999").get_data(as_text=True)
    assert "找不到该家庭" in page and "Household not found" not in page
