"""Schema-driven fuzzing of the JSON API with schemathesis: every operation of
``/api/v1/openapi.json``, positive and negative cases, as each role (bearer tokens), against the WSGI
app. No server error; every status is one the document declares; and no valid request refused: a
positive case (one the document allows) is never answered 400 or 422."""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from marketplace.db import get_engine, session_scope
from marketplace.models import User
from marketplace.profiles import COUNT_FIELDS
from marketplace.services import accounts
from tests.factories import valid_credit_code, valid_id_number
from tests.world import World

# Cases per (operation, role, mode); 27 operations × 5 roles × 2 modes × this ≈ total cases.
EXAMPLES = int(os.environ.get("ZHONGFU_FUZZ_EXAMPLES", "10"))
# Statuses any operation may answer besides the documented ones (framework-level refusals).
ALWAYS = {400, 404, 405, 413}
# Positive cases answered with these are "valid requests refused".
REFUSED = {400, 422}

# The check-digit formats the document names: valid values, as a client would send them.
schemathesis.openapi.format(
    "cn-resident-id",
    st.integers(1, 10**6).map(lambda n: valid_id_number(n, district="330106")),
)
schemathesis.openapi.format("cn-uscc", st.integers(1, 999_999).map(valid_credit_code))


def _documented_rules_hold(case: Any, role: str) -> bool:
    """The rules the document states in words (JSON Schema cannot): a positive case that breaks
    one of them may be refused."""
    body = case.body if isinstance(case.body, dict) else {}
    if case.path == "/offers" and case.method == "POST":
        lat, lon, radius = (body.get(k) for k in ("lat", "lon", "radius_km"))
        if str(body.get("end", "")) < str(body.get("start", "")):
            return False
        if (lat is None) != (lon is None) or (radius is not None and lat is None):
            return False
        if not body.get("regions") and radius is None:
            return False
    if (case.path == "/households" and case.method == "POST") or (
        case.path == "/households/{household_id}/profile" and case.method == "PUT"
    ):  # a profile's counts against the size sent (or, left out, a household of one)
        profile = body.get("profile") if isinstance(body.get("profile"), dict) else {}
        members = body.get("members", 1)

        def number(v: Any) -> bool:  # JSON numbers (4.0 is a valid count)
            return isinstance(v, int | float) and not isinstance(v, bool)

        counts = [v for k, v in profile.items() if k in COUNT_FIELDS and number(v)]
        if number(members) and any(c > members for c in counts):
            return False  # each count of the profile is of the household's members
        employed, able = profile.get("employed", 1), profile.get("able_bodied", 1)
        if number(employed) and number(able) and employed > able:
            return False  # no more members in work than able to work
    if case.path == "/needs" and case.method == "POST" and body.get("deadline"):
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        if str(body["deadline"]) < today.isoformat():
            return False
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    if case.path == "/monitoring-events" and case.method == "POST":
        items = body.get("events") if "events" in body else [body]
        return isinstance(items, list) and all(_event_rules_hold(e, role, today) for e in items)
    if case.path == "/households/{household_id}" and case.method == "PATCH":
        # hub_owner (district 330102) moves a household only within its own area
        if "community_code" in body and not str(body["community_code"]).startswith("330102"):
            return False
        if "members" in body:  # not below the counts of the household's profile
            return False
    if (
        case.path == "/needs/{need_id}"
        and case.method == "PATCH"
        and str(body.get("deadline") or "9") < today.isoformat()
    ):
        return False  # a deadline not in the past
    if (
        case.path == "/offers/{offer_id}"
        and case.method == "PATCH"
        and {"start", "end", "lat", "lon", "radius_km", "regions"} & set(body)
    ):
        return False  # the place and the dates are checked with the offer's stored ones
    if (
        case.path == "/visits"
        and case.method == "POST"
        and not "2000-01-01" <= str(body.get("visited_on", "")) <= today.isoformat()
    ):
        return False  # from 2000, not in the future
    if case.path == "/pairings" and case.method == "POST":
        return False  # one helper: an active member account or a vetted organisation; end rules
    if case.path == "/offers" and case.method == "POST" and body.get("project_id") is not None:
        return False  # one of the organisation's own active projects
    if case.path == "/needs" and case.method == "POST" and body.get("campaign_id") is not None:
        return False  # a running campaign targeting the household, with the need's item
    if case.path == "/campaigns/{campaign_id}/wishes":
        return False  # open wishes of the caller's area that fit a running campaign
    if case.path == "/campaigns" and case.method == "POST":
        # 专项活动: start <= end, end not past (Beijing), at most 366 days; a district hub's staff
        # (hub_owner: 330102) target regions inside their district.
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        try:
            start, end = (date.fromisoformat(str(body.get(k))) for k in ("start", "end"))
        except ValueError:
            return False
        if end < start or end < today or (end - start).days >= 366:
            return False
        regions = body.get("regions")
        if not isinstance(regions, list) or any(not str(r).startswith("330102") for r in regions):
            return False
    if (
        case.path == "/projects"
        and case.method == "POST"
        and str(body.get("end", "")) < str(body.get("start", ""))
    ):
        return False  # the end on or after the start
    if case.path == "/projects/{project_id}/report":
        # A period: from <= to (from: 12 months before to), at most five years, years 2000-2099.
        query = case.query or {}
        given = [str(query.get(k) or "") for k in ("from", "to")]
        if any(d and not ("2000" <= d[:4] <= "2099") for d in given):
            return False
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        try:
            end = date.fromisoformat(given[1]) if given[1] else today
            start = date.fromisoformat(given[0]) if given[0] else end
        except ValueError:
            return False
        if start > end or (end - start).days > 366 * 5:
            return False
    if case.path in ("/me/contributions", "/me/certificate.pdf"):
        # A period: from <= to, at most five years, years 2000-2099; a certificate needs
        # records in it (the fuzzing member has none).
        if case.path == "/me/certificate.pdf":
            return False
        query = case.query or {}
        given = [str(query.get(k) or "") for k in ("from", "to")]
        if any(d and not ("2000" <= d[:4] <= "2099") for d in given):
            return False
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        try:
            start = date.fromisoformat(given[0]) if given[0] else date(today.year, 1, 1)
            end = date.fromisoformat(given[1]) if given[1] else today
        except ValueError:
            return False
        if start > end or (end - start).days > 366 * 5:
            return False
    return True


def _event_rules_hold(event: Any, role: str, today: date) -> bool:
    """监测数据变动 as documented: a date from 2000 to today; about a household by its id (hub
    staff) or by an ID number with its community (the only way for a department), not both."""
    if not isinstance(event, dict):
        return False
    if not "2000-01-01" <= str(event.get("occurred_on", "")) <= today.isoformat():
        return False
    by_id = event.get("household_id") is not None
    by_number = event.get("id_number") is not None and event.get("community_code") is not None
    if by_id and role == "dept":
        return False
    return by_id != by_number and not (
        by_id and ("id_number" in event or "community_code" in event)
    )


def _revokes_tokens(operation: Any) -> bool:
    return operation.method.upper() == "DELETE" and operation.path.startswith("/tokens")


def _ids(world: World) -> dict[str, Any]:
    return {
        "wish_id": world.wish_open,
        "need_id": world.wish_delivered,
        "household_id": world.household_ids[0],
        "claim_id": world.claim_active,
        "org_id": world.org_other_id,
        "offer_id": world.offer_id,
        "round_id": world.round_id,
        "proposal_id": world.proposal_id,
        "token": world.household_tokens[0],
    }


@pytest.mark.slow
def test_schemathesis_fuzz(app: Flask, world: World):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    roles = {
        "anonymous": {},
        "hub_owner": world.tokens["hub_owner"],
        "member_owner": world.tokens["member_owner"],
        "org_owner": world.tokens["org_owner"],
        "admin": world.tokens["admin"],
    }
    ids = _ids(world)
    errors: list[str] = []
    undocumented: list[str] = []
    refused: list[str] = []
    statuses: Counter[int] = Counter()
    started = time.monotonic()

    def fuzz(strategy: Any, headers: dict[str, str], declared: set[int], role: str) -> None:
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            where = f"{role} {case.method} {case.formatted_path} q={case.query} → {response.status_code}"
            if response.status_code >= 500:
                errors.append(f"{where} body={case.body!r:.200} {response.text[:200]}")
            elif response.status_code not in declared | ALWAYS:
                undocumented.append(where)
            elif (
                response.status_code in REFUSED
                and case.meta is not None
                and case.meta.generation.mode.is_positive
                and _documented_rules_hold(case, role)
            ):
                refused.append(f"{where} body={case.body!r:.200} {response.text[:200]}")

        run()

    # Revoking tokens last, with tokens of their own (the others stay valid for the rest).
    operations.sort(key=_revokes_tokens)
    for operation in operations:
        if _revokes_tokens(operation):
            roles = {"anonymous": {}} | {
                role: _fresh_token(app, world.users[role]) for role in roles if role != "anonymous"
            }
        declared = {int(code) for code in operation.definition.raw["responses"]}
        names = [p.name for p in operation.path_parameters]
        fixed = {n: ids[n] for n in names if n in ids}
        for role, headers in roles.items():
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                strategy = operation.as_strategy(generation_mode=mode)
                if fixed:  # half the cases hit real objects of the world
                    strategy = st.one_of(
                        strategy, operation.as_strategy(generation_mode=mode, path_parameters=fixed)
                    )

                fuzz(strategy, headers, declared, role)
    total = sum(statuses.values())
    print(f"schemathesis: {total} cases in {time.monotonic() - started:.1f}s: {dict(statuses)}")
    assert total >= 2000 or EXAMPLES < 10
    assert not errors, "\n".join(errors[:30])
    assert not undocumented, "\n".join(sorted(set(undocumented))[:30])
    assert not refused, "valid requests refused:\n" + "\n".join(sorted(set(refused))[:30])


def _fresh_token(app: Flask, user: User) -> dict[str, str]:
    with app.app_context(), session_scope(get_engine(app)) as s:
        owner = s.get(User, user.id)
        assert owner is not None
        return {"Authorization": "Bearer " + accounts.issue_token(s, user=owner, days=1)}
