"""Input (DESIGN §6): arbitrary values in every field of the input schemas, through the API and the
HTML forms → a 2xx, or a 4xx naming the field; never a 5xx, never a partial write. Resident ID
numbers and credit codes are validated by their check characters."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlmodel import func, select
from stdnum.cn import ric, uscc

from marketplace.db import get_engine, session_scope
from marketplace.models import Household, Need, Offer, Organisation
from marketplace.schemas import HouseholdIn, NeedIn, OfferIn, OrgIn, validate_credit_code
from tests.factories import PASSWORD, valid_credit_code, valid_id_number
from tests.world import World

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["", " ", "\x00", "07-02", "330102001051", "2024-02-30", "1e309", "-1"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _count(app: Flask, model: Any) -> int:
    with session_scope(get_engine(app)) as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def _valid_payloads(world: World) -> dict[str, tuple[str, str, Any, dict[str, Any]]]:
    """schema name → (URL, acting user, counted table, a valid payload)."""
    counter = iter(range(10_000, 99_999))
    return {
        "HouseholdIn": (
            "/api/v1/households",
            "hub_owner",
            Household,
            {
                "name": "王五",
                "id_number": valid_id_number(5555),
                "phone": "13700001111",
                "address": "某路1号",
                "community_code": "330102001051",
                "hardship_type": "care",
                "risk_score": 50,
                "members": 2,
                "tags": ["elderly"],
            },
        ),
        "NeedIn": (
            "/api/v1/needs",
            "hub_owner",
            Need,
            {
                "household_id": world.household_ids[0],
                "kind": "wish",
                "item": "07-02",
                "title": "想要台灯",
                "description": "",
                "value_yuan": 10,
                "deadline": (date.today() + timedelta(days=5)).isoformat(),
            },
        ),
        "OrgIn": (
            "/api/v1/orgs",
            "admin",
            Organisation,
            {"name": "新组织", "type": "ngo", "credit_code": valid_credit_code(next(counter))},
        ),
        "OfferIn": (
            "/api/v1/offers",
            "org_owner",
            Offer,
            {
                "title": "助浴",
                "items": ["01-01"],
                "regions": ["330102"],
                "capacity": 3,
                "start": date.today().isoformat(),
                "end": (date.today() + timedelta(days=9)).isoformat(),
            },
        ),
    }


SCHEMAS = {"HouseholdIn": HouseholdIn, "NeedIn": NeedIn, "OrgIn": OrgIn, "OfferIn": OfferIn}


@pytest.mark.slow
@pytest.mark.parametrize("schema", sorted(SCHEMAS))
def test_api_fields_take_any_json(app: Flask, world: World, schema: str):
    url, actor, table, valid = _valid_payloads(world)[schema]
    headers = world.tokens[actor]
    client = app.test_client()
    fields = sorted(SCHEMAS[schema].model_fields)

    @FUZZ
    @given(field=st.sampled_from(fields), value=JSON, drop=st.booleans())
    def run(field: str, value: Any, drop: bool) -> None:
        payload = dict(valid)
        if drop:
            payload.pop(field, None)
        else:
            payload[field] = value
        if schema == "HouseholdIn" and field != "id_number":
            payload["id_number"] = valid_id_number(hash((field, repr(value))) % 10**9)
        if schema == "OrgIn" and field != "credit_code":
            payload["credit_code"] = valid_credit_code(abs(hash((field, repr(value)))) % 10**6)
        before = _count(app, table)
        r = client.post(url, json=payload, headers=headers)
        assert r.status_code < 500, (field, value, r.get_json())
        after = _count(app, table)
        if 200 <= r.status_code < 300:
            assert after == before + 1
            return
        assert after == before, (field, value, r.status_code)  # nothing written
        data = r.get_json()
        # A household id the actor cannot see is "not found" (404), like an out-of-scope URL:
        # any number that parses as an id but is not one of the actor's households lands here.
        refused = (409, 422, 404) if field == "household_id" and not drop else (409, 422)
        assert r.status_code in refused, (field, value, r.status_code, data)
        assert data["message"]
        if r.status_code == 422:
            named = set(data.get("errors") or {})
            assert named, data
            assert field in named or "_" in named or named <= set(fields), (field, named)

    run()


def test_non_object_bodies(app: Flask, world: World):
    client = app.test_client()
    for url, actor in (
        ("/api/v1/households", "hub_owner"),
        ("/api/v1/offers", "org_owner"),
        ("/api/v1/orgs", "admin"),
        ("/api/v1/needs", "hub_owner"),
        ("/api/v1/tokens", None),
    ):
        headers = world.tokens[actor] if actor else {}
        for raw in (b"[]", b"null", b"1", b'"x"', b"{", b"\xff\xfe", b'{"a":' * 2000, b"NaN"):
            r = client.post(url, data=raw, headers=headers | {"Content-Type": "application/json"})
            assert r.status_code in (401, 413, 422), (url, raw[:10], r.status_code)


@pytest.mark.slow
def test_html_household_form_takes_any_text(app: Flask, world: World):
    client = app.test_client()
    user = world.users["hub_owner"]
    assert (
        client.post(
            "/auth/login", data={"username": user.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    valid = {
        "name": "王五",
        "id_number": valid_id_number(4444),
        "phone": "13700001111",
        "address": "某路1号",
        "community_code": "330102001051",
        "hardship_type": "care",
        "profile-source": "dibao",  # the score is computed from the profile
        "members": "2",
        "tags": "elderly",
    }

    @FUZZ
    @given(
        field=st.sampled_from(sorted(valid)),
        value=st.text(max_size=60)
        | st.sampled_from(["-1", "1e400", "99999999999999999999", "", "330106002051", "X" * 300]),
    )
    def run(field: str, value: str) -> None:
        before = _count(app, Household)
        data = valid | {field: value}
        if field != "id_number":
            data["id_number"] = valid_id_number(abs(hash(value)) % 10**9)
        r = client.post("/hub/households/new", data=data)
        assert r.status_code < 500, (field, value)
        if r.status_code in (302, 303):
            assert _count(app, Household) == before + 1
        else:
            assert r.status_code in (400, 403, 409, 422), (field, value, r.status_code)
            assert _count(app, Household) == before

    run()


# Check characters -----------------------------------------------------------------------------


def test_resident_id_check_digit():
    good = valid_id_number(1)
    assert ric.calc_check_digit(good) == good[-1]
    wrong = good[:-1] + next(c for c in "0123456789X" if c != good[-1])
    with pytest.raises(ValidationError, match=r"id_number\.check_digit"):
        HouseholdIn.model_validate(_household(wrong))
    assert HouseholdIn.model_validate(_household(good)).id_number == good
    # An X check character, typed in lower case, is accepted and normalised.
    body = next(
        b
        for b in (f"33010219800101{n:03d}" for n in range(1000))
        if ric.calc_check_digit(b + "0") == "X"
    )
    assert HouseholdIn.model_validate(_household(body + "x")).id_number == body + "X"
    for bad in (body + "0", "33010219800230123X", "3301021980010112", "A30102198001011234"):
        with pytest.raises(ValidationError):
            HouseholdIn.model_validate(_household(bad))


def _household(id_number: str) -> dict[str, Any]:
    return {
        "name": "王五",
        "id_number": id_number,
        "phone": "13700001111",
        "address": "某路1号",
        "community_code": "330102001051",
        "hardship_type": "care",
        "risk_score": 50,
    }


def test_credit_code_check_character():
    good = valid_credit_code(42)
    assert uscc.is_valid(good) and validate_credit_code(good.lower()) == good
    wrong = good[:-1] + next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != good[-1])
    for bad in (wrong, good[:-1], good + "0", "91330100MA2000001I", ""):
        with pytest.raises(ValueError):
            validate_credit_code(bad)


def test_api_refuses_bad_check_characters_and_stores_nothing(app: Flask, world: World):
    client = app.test_client()
    good = valid_id_number(77)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = client.post("/api/v1/households", json=_household(wrong), headers=world.tokens["hub_owner"])
    assert r.status_code == 422 and "id_number" in r.get_json()["errors"]
    code = valid_credit_code(77)
    bad_code = code[:-1] + ("0" if code[-1] != "0" else "1")
    before = _count(app, Organisation)
    r = client.post(
        "/api/v1/orgs",
        json={"name": "某组织", "type": "ngo", "credit_code": bad_code},
        headers=world.tokens["admin"],
    )
    assert r.status_code == 422 and "credit_code" in r.get_json()["errors"]
    assert _count(app, Organisation) == before


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\A\d{17}\Z"), st.sampled_from("0123456789X"))
def test_only_the_right_check_digit_passes(body: str, check: str):
    number = body + check
    try:
        HouseholdIn.model_validate(_household(number))
    except ValidationError:
        accepted = False
    else:
        accepted = True
    if accepted:
        assert ric.calc_check_digit(body + "0") == check


def test_out_of_range_and_nul_never_500(app: Flask, world: World):
    client = app.test_client()
    h = world.tokens["hub_owner"]
    for url in (
        "/api/v1/households/99999999999",
        "/api/v1/households/2147483648",  # one past INTEGER
        "/api/v1/households/99999999999999999999999",
        "/api/v1/needs/99999999999",  # a path with PATCH only: still 404, not 405
        "/api/v1/households?cursor=99999999999999999999",
        "/api/v1/households?q=%00",
        "/api/v1/happiness/%00",
        "/api/v1/wishes?cursor=-99999999999999999999999",
        "/hub/households?cursor=99999999999999999999",
    ):
        r = client.get(url, headers=h)
        assert r.status_code in (302, 400, 404, 422), (url, r.status_code)
    r = client.post("/api/v1/tokens", json={"username": "a\x00", "password": "b"})
    assert r.status_code in (401, 422)
    r = client.post(
        "/api/v1/households", json=_household(valid_id_number(3)) | {"name": "a\x00b"}, headers=h
    )
    assert r.status_code == 422 and "name" in r.get_json()["errors"]
