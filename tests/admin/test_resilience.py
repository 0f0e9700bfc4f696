"""The administrator's model page (admin/resilience): a new version is loaded from a file and the
city rescored in the background, reporting how many households changed level; a bad file is
refused naming the place of the mistake, and nothing is loaded."""

from __future__ import annotations

import copy
import io
import json

import pytest
from sqlmodel import select

from marketplace.models import Household, ResilienceModel, Role, User
from marketplace.services import resilience
from marketplace.services.errors import Forbidden
from tests.factories import text

V1 = json.loads((resilience.MODELS_DIR / "v1.json").read_text(encoding="utf-8"))
LATEST = resilience.bundled_files()[-1].read_text(encoding="utf-8")


def _file(definition) -> tuple[io.BytesIO, str]:
    return io.BytesIO(json.dumps(definition, ensure_ascii=False).encode()), "model.json"


def test_loading_a_version_rescores_the_city(as_role, make_household, users, db):
    ids = [
        make_household(users["hub_staff"], profile={"source": "dibao"}).id,  # 75
        make_household(users["hub_staff"], profile={"source": "monitored"}).id,  # 100
    ]
    client = as_role("admin")
    page = text(client.get("/admin/resilience"))
    assert 'id="model-versions"' in page and ">v2<" in page  # the newest bundled
    v2 = copy.deepcopy(V1) | {"version": "v3", "base": {"points": 85, "why": "Stricter base."}}
    r = client.post(
        "/admin/resilience", data={"file": _file(v2)}, content_type="multipart/form-data"
    )
    assert r.status_code == 302 and "job=" in r.headers["Location"]
    # Jobs run at once in tests: the page shows the report.
    page = text(client.get(r.headers["Location"]))
    assert 'id="rescore-report"' in page
    job = r.headers["Location"].split("job=")[1]
    status = client.get(f"/admin/resilience/status?job={job}").get_json()
    assert status == {"state": "done", "done": 2, "total": 2}
    with db() as s:
        scores = dict(s.exec(select(Household.id, Household.risk_score)).all())
        assert [scores[i] for i in ids] == [60, 85]
        assert resilience.active_row(s).version == "v3"
    # dibao stays level 2 (75 → 60); monitored goes from level 3 to 2 (100 → 85)
    assert "<strong>1</strong>" in page


def test_a_bad_model_file_is_refused_whole(as_role, db):
    client = as_role("admin")
    bad = copy.deepcopy(V1) | {"version": "v3"}
    bad["indicators"][2]["points"] = "lots"
    r = client.post(
        "/admin/resilience", data={"file": _file(bad)}, content_type="multipart/form-data"
    )
    assert r.status_code == 422 and "/indicators/2/points" in text(r)
    same = client.post(
        "/admin/resilience",
        data={"file": (io.BytesIO(LATEST.encode()), "v2.json")},  # the version in force
        content_type="multipart/form-data",
    )
    assert same.status_code == 422
    with db() as s:
        assert "v3" not in s.exec(select(ResilienceModel.version)).all()


def test_only_the_administrator_loads_models(as_role, make_user, db):
    staff = as_role("hub_staff")
    assert staff.get("/admin/resilience").status_code in (302, 403)
    other = make_user(Role.HUB_STAFF, hub="330102")
    with db() as s, pytest.raises(Forbidden):
        resilience.upload_model(s, actor=s.get_one(User, other.id), data=json.dumps(V1).encode())
