"""The 幸福码 page (issue 11): anyone holding the card can open it, so it shows no personal data
(need titles scrubbed, the household's names included), its token never reaches an access log, and
staff can reissue the code — the old link then answers 404."""

from __future__ import annotations

import json
import logging
import runpy
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from gunicorn.config import Config
from sqlmodel import select

from marketplace.db import get_engine, session_scope
from marketplace.household.access_log import redact
from marketplace.models import AuditLog, Household, Need, User
from marketplace.services.scrubber import normalise
from tests.factories import PASSWORD, LiveServer
from tests.world import HOUSEHOLDS, World

ROOT = Path(__file__).resolve().parents[2]


def _household(app: Flask, household_id: int) -> Household:
    with session_scope(get_engine(app)) as s:
        household = s.get(Household, household_id)
        assert household is not None
        return household


def _login(app: Flask, user: User) -> Any:
    client = app.test_client()
    r = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 302
    return client


def test_page_and_api_show_scrubbed_titles(
    app: Flask, world: World, make_need: Callable[..., Need]
) -> None:
    data = HOUSEHOLDS[2]
    phone = data["phone"]
    chinese_phone = phone.translate(str.maketrans("0123456789", "〇一二三四五六七八九"))
    make_need(
        world.users["hub_owner"],
        _household(app, world.household_ids[2]),
        title=f"给{data['name']}买棉被，电话{chinese_phone}",
    )
    make_need(
        world.users["hub_owner"],
        _household(app, world.household_ids[2]),
        title=f"丽华要的暖水袋 送到{data['address']}",
    )
    token = world.household_tokens[2]
    page = app.test_client().get(f"/h/{token}")
    api = app.test_client().get(f"/api/v1/happiness/{token}")
    assert page.status_code == api.status_code == 200
    for body in (page.get_data(as_text=True), json.dumps(api.get_json(), ensure_ascii=False)):
        assert "棉被" in body and "暖水袋" in body
        flat = normalise(body).text
        for secret in (data["name"], "丽华", phone, data["address"], "999号", "301室"):
            assert secret not in body and secret not in flat, secret
    assert page.headers["Referrer-Policy"] == "same-origin"  # never sent to another site
    assert "no-store" in page.headers["Cache-Control"]


def test_staff_reissue_the_code_and_the_old_one_answers_404(app: Flask, world: World) -> None:
    household_id, old = world.household_ids[0], world.household_tokens[0]
    client = _login(app, world.users["hub_owner"])
    page = client.get(f"/hub/households/{household_id}").get_data(as_text=True)
    assert f"/hub/households/{household_id}/code" in page  # the button
    r = client.post(f"/hub/households/{household_id}/code")
    assert r.status_code == 302
    new = _household(app, household_id).token
    assert new != old and len(new) >= 32
    anonymous = app.test_client()
    assert anonymous.get(f"/h/{old}").status_code == 404
    assert anonymous.get(f"/api/v1/happiness/{old}").status_code == 404
    assert anonymous.post(f"/h/{old}/ack/{world.claim_delivered}").status_code == 404
    assert anonymous.get(f"/h/{new}").status_code == 200
    assert anonymous.get(f"/api/v1/happiness/{new}").status_code == 200
    # The household page links the new code; the reissue is audited.
    assert new in client.get(f"/hub/households/{household_id}").get_data(as_text=True)
    with session_scope(get_engine(app)) as s:
        entry = s.exec(
            select(AuditLog).where(
                AuditLog.action == "household.reissue_code",
                AuditLog.object_id == str(household_id),
            )
        ).one()
        assert entry.actor_id == world.users["hub_owner"].id
        assert old not in json.dumps([entry.before, entry.after])


def test_only_the_households_own_staff_reissue(app: Flask, world: World) -> None:
    household_id, old = world.household_ids[1], world.household_tokens[1]
    for who in ("hub_staff", "member", "org", "admin"):
        client = _login(app, world.users[who])
        r = client.post(f"/hub/households/{household_id}/code")
        # Another district's staff: not found; other roles: refused by role.
        expected = (404,) if who == "hub_staff" else (302, 403, 404)
        assert r.status_code in expected, (who, r.status_code)
        if r.status_code == 302:
            assert "/auth/login" in r.headers["Location"] or "/hub/" not in r.headers["Location"]
    assert _household(app, household_id).token == old
    assert app.test_client().get(f"/h/{old}").status_code == 200


@pytest.mark.parametrize(
    "line",
    [
        'GET /h/{t} HTTP/1.1" 200',
        "POST /h/{t}/ack/12 HTTP/1.1",
        "GET /api/v1/happiness/{t} HTTP/1.1",
        "referer http://zhongfu.example/h/{t}?x=1",
        "GET /h/{t}",
    ],
)
def test_redact(line: str) -> None:
    token = "AbC-dEf_123456789012345678901234"
    out = redact(line.format(t=token))
    assert token not in out and "[token]" in out


def test_tokens_stay_out_of_the_development_servers_log(
    app: Flask, world: World, live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="werkzeug")
    token = world.household_tokens[0]
    for path in (f"/h/{token}", f"/api/v1/happiness/{token}", "/h/not-a-real-token-000"):
        try:
            with urllib.request.urlopen(live_server.url + path) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            exc.close()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "werkzeug")
    assert "/h/[token]" in logged and "/api/v1/happiness/[token]" in logged
    assert token not in logged and "not-a-real-token" not in logged


def test_tokens_stay_out_of_gunicorns_access_log(tmp_path: Path) -> None:
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["logger_class"] is settings["TokenFreeLogger"]
    cfg = Config()
    log_file = tmp_path / "access.log"
    cfg.set("accesslog", str(log_file))
    logger = settings["TokenFreeLogger"](cfg)
    token = "S3cretT0ken-abcdefghijklmnopqrstuv"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/h/{token}?lang=zh",
        "PATH_INFO": f"/h/{token}",
        "QUERY_STRING": "lang=zh",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://zhongfu.example/h/{token}",
        "HTTP_USER_AGENT": "test",
    }
    request = SimpleNamespace(headers=[("REFERER", f"https://zhongfu.example/h/{token}")])
    response = SimpleNamespace(status="200 OK", sent=123, headers=[])
    try:
        logger.access(response, request, environ, timedelta(milliseconds=5))
    finally:
        for handler in list(logging.getLogger("gunicorn.access").handlers):
            handler.close()
            logging.getLogger("gunicorn.access").removeHandler(handler)
        for handler in list(logging.getLogger("gunicorn.error").handlers):
            if getattr(handler, "_gunicorn", False):
                handler.close()
                logging.getLogger("gunicorn.error").removeHandler(handler)
    written = log_file.read_text()
    assert "GET /h/[token]?lang=zh HTTP/1.1" in written
    assert token not in written
