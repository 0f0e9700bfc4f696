"""Schema-driven fuzzing of the JSON API with schemathesis: every operation of
``/api/v1/openapi.json``, positive and negative cases, as each role (bearer tokens), against the WSGI
app. No server error; every status is one the document declares."""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.security.conftest import World

# Cases per (operation, role, mode); 27 operations × 5 roles × 2 modes × this ≈ total cases.
EXAMPLES = int(os.environ.get("ZHONGFU_FUZZ_EXAMPLES", "10"))
# Statuses any operation may answer besides the documented ones (framework-level refusals).
ALWAYS = {400, 404, 405, 413}


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

        run()

    for operation in operations:
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
