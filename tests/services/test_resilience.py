"""The resilience score (services/resilience.py): the model file and its versions, explanations
that add up to the score, rescoring on a profile change with history, the whole city in bulk."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from marketplace.models import (
    AuditLog,
    Household,
    HouseholdScore,
    ProfileChange,
    ResilienceModel,
    Role,
    User,
    risk_level,
)
from marketplace.profiles import DISABILITY, HOUSING, MEDICAL_EXPENSE, SAVINGS, SOURCES, Profile
from marketplace.schemas import HouseholdIn
from marketplace.services import resilience
from marketplace.services.errors import Conflict, NotFound, ValidationFailed
from tests.factories import COMMUNITY, valid_id_number

V1 = json.loads((resilience.MODELS_DIR / "v1.json").read_text(encoding="utf-8"))
LATEST = json.loads(resilience.bundled_files()[-1].read_text(encoding="utf-8"))  # in force


def _model(**changes):
    definition = copy.deepcopy(V1) | changes
    return definition


def _problem(definition) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        resilience.parse_model(definition)
    return caught.value.errors["model"].params


@pytest.fixture
def staff(make_user):
    return make_user(Role.HUB_STAFF, hub="330102")


# The model file -----------------------------------------------------------------------------------


def test_the_bundled_model_is_valid_and_every_indicator_says_why():
    model = resilience.parse_model(V1)
    assert model.version == "v1" and model.base == 100
    assert len({i.code for i in model.indicators}) == len(model.indicators)
    assert all(len(i.why) > 20 for i in model.indicators)
    assert model.base_why_zh and all(i.why_zh for i in model.indicators)  # pages read in Chinese
    # the five high-risk sources each have their own indicator
    codes = {i.code for i in model.indicators}
    for source in ("assistance_exit", "application_refused", "temporary_assistance"):
        assert f"source.{source}" in codes
    assert {"source.discovered", "source.other_department"} <= codes
    assert resilience.bundled_files()[0].name == "v1.json"
    assert resilience.bundled_files()[-1].name == "v2.json"  # the model in force
    assert resilience.parse_model(LATEST).version == "v2"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"version": "v 2"}, "/version"),
        ({"base": {"points": 120, "why": "too much"}}, "/base/points"),
        ({"unexpected": 1}, "/unexpected"),
        ({"indicators": []}, "/indicators"),
    ],
)
def test_a_bad_model_document_is_refused_naming_where(change, where):
    assert _problem(_model(**change))["where"] == where


def test_bad_indicators_are_refused_naming_the_indicator():
    def with_indicator(**fields):
        first = copy.deepcopy(V1["indicators"][0]) | fields
        return _model(indicators=[first, *copy.deepcopy(V1["indicators"][1:])])

    bad_field = [{"field": "income", "op": "eq", "value": 1}]
    assert _problem(with_indicator(when=bad_field))["where"] == "/indicators/0/when/0/field"
    bad_value = [{"field": "source", "op": "eq", "value": "rich"}]
    assert _problem(with_indicator(when=bad_value))["where"] == "/indicators/0/when/0"
    assert _problem(with_indicator(points=0))["where"] == "/indicators/0/points"
    assert _problem(with_indicator(code="source.dibao"))["where"] == "/indicators/1/code"
    assert _problem(with_indicator(cap=-50))["where"] == "/indicators/0/cap"  # cap without per
    with pytest.raises(ValidationFailed):
        resilience.parse_model_bytes(b"{not json")


def test_versions_are_immutable_and_the_latest_loaded_is_in_force(db, make_user):
    admin = make_user(Role.ADMIN)
    with db() as s:
        # the newest bundled file, loaded on first use
        assert resilience.active_model(s).version == "v2"
        v3 = _model(version="v3", base={"points": 90, "why": "A stricter base value for v3."})
        resilience.load_model(s, v3, actor=s.get(User, admin.id))
        assert resilience.active_model(s).version == "v3"
        assert [r.version for r in resilience.model_versions(s)] == ["v3", "v2"]
        with pytest.raises(Conflict) as same:
            resilience.load_model(s, v3)
        assert same.value.message.code == "resilience.version_loaded"
        with pytest.raises(Conflict) as other:
            resilience.load_model(s, _model(version="v3"))
        assert other.value.message.code == "resilience.version_taken"
        assert s.exec(select(AuditLog).where(AuditLog.action == "resilience.load")).all()


# Scores and their explanations --------------------------------------------------------------------


def test_a_score_is_explained_indicator_by_indicator():
    model = resilience.parse_model(V1)
    score = model.score(
        Profile(source="dibao", dependants=2, chronic_ill=1, savings="none", employed=0), 3
    )
    points = {c.indicator: c.points for c in score.contributions}
    assert points == {
        "base": 100,
        "source.dibao": -25,
        "family.dependants": -8,
        "health.chronic_illness": -5,
        "property.no_savings": -8,
        "employment.no_earner": -12,
    }
    assert score.score == 42 == sum(points.values()) and score.level == 1


def test_a_score_below_zero_stops_at_zero_and_says_so():
    model = resilience.parse_model(V1)
    worst = Profile(
        source="tekun",
        dependants=5,
        elderly_alone=True,
        major_ill=3,
        chronic_ill=3,
        disability="1",
        housing="none",
        savings="none",
        medical_expense="very_high",
        able_bodied=0,
        employed=0,
        debt=True,
        disaster=True,
    )
    score = model.score(worst, 6)
    assert score.score == 0 and score.contributions[-1].indicator == "floor"
    assert sum(c.points for c in score.contributions) == 0


def test_a_cap_limits_an_indicator_per_member():
    model = resilience.parse_model(V1)
    score = model.score(Profile(dependants=10), 12)
    assert {c.indicator: c.points for c in score.contributions}["family.dependants"] == -16


profiles_strategy = st.builds(
    Profile,
    source=st.sampled_from(list(SOURCES)),
    dependants=st.integers(0, 6),
    elderly_alone=st.booleans(),
    single_parent=st.booleans(),
    chronic_ill=st.integers(0, 4),
    major_ill=st.integers(0, 3),
    disability=st.sampled_from(list(DISABILITY)),
    housing=st.sampled_from(list(HOUSING)),
    vehicle=st.booleans(),
    savings=st.sampled_from(list(SAVINGS)),
    medical_expense=st.sampled_from(list(MEDICAL_EXPENSE)),
    students=st.integers(0, 4),
    able_bodied=st.integers(0, 4),
    employed=st.just(0),
    debt=st.booleans(),
    disaster=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(profile=profiles_strategy, members=st.integers(6, 12))
def test_contributions_always_add_up_to_a_score_in_0_to_100(profile, members):
    score = resilience.parse_model(V1).score(profile, members)
    assert 0 <= score.score <= 100
    assert sum(c.points for c in score.contributions) == score.score
    assert score.contributions[0].indicator == "base"
    assert score.level == risk_level(score.score)


# Households ---------------------------------------------------------------------------------------


def test_registration_computes_the_score_from_the_profile(db, make_household, staff):
    household = make_household(staff, profile={"source": "temporary_assistance", "debt": True})
    with db() as s:
        assert s.get_one(Household, household.id).risk_score == 100 - 20 - 6
        current = resilience.current_score(s, household.id)
        assert current is not None and current.model_version == "v2"
        assert current.reason == "create" and current.computed_by == staff.id
        assert sum(c["points"] for c in current.contributions) == current.score == 74
        assert s.get_one(Household, household.id).source == "temporary_assistance"


def test_counts_larger_than_the_household_are_refused():
    with pytest.raises(Exception) as caught:
        HouseholdIn(
            name="王五",
            id_number=valid_id_number(8801),
            phone="13812345678",
            address="解放路1号",
            community_code=COMMUNITY,
            hardship_type="bottom",
            members=2,
            profile={"chronic_ill": 3},
        )
    assert "profile.more_than_members" in str(caught.value)
    with pytest.raises(Exception, match=r"profile\.employed_over_able_bodied"):
        Profile(able_bodied=1, employed=2)


def test_a_profile_edit_is_kept_with_who_and_what_and_rescores(db, make_household, staff):
    household = make_household(staff, profile={"source": "dibian"})
    with db() as s:
        actor = s.get_one(User, staff.id)
        resilience.update_profile(
            s,
            actor=actor,
            household_id=household.id,
            profile=Profile(source="dibian", major_ill=1, employed=0),
            members=3,
        )
        h = s.get_one(Household, household.id)
        assert h.risk_score == 100 - 15 - 12 - 12 and h.members == 3
        change = s.exec(select(ProfileChange)).one()
        assert change.changed_by == staff.id
        assert change.changes == {"major_ill": [0, 1], "employed": [1, 0], "members": [2, 3]}
        history = resilience.score_history(s, household.id)
        assert [r.reason for r in history] == ["profile", "create"]
        assert [r.score for r in history] == [61, 85]
        # An edit that changes nothing stores nothing.
        resilience.update_profile(
            s,
            actor=actor,
            household_id=household.id,
            profile=Profile(source="dibian", major_ill=1, employed=0),
        )
        assert len(resilience.score_history(s, household.id)) == 2
        with pytest.raises(ValidationFailed) as caught:
            resilience.update_profile(
                s, actor=actor, household_id=household.id, profile=Profile(dependants=5)
            )
        assert set(caught.value.errors) == {"dependants"}


def test_staff_of_another_area_cannot_edit_or_read_the_score(db, make_household, make_user, staff):
    household = make_household(staff, profile={})
    other = make_user(Role.HUB_STAFF, hub="330106")
    admin = make_user(Role.ADMIN)
    with db() as s:
        with pytest.raises(NotFound):
            resilience.update_profile(
                s, actor=s.get_one(User, other.id), household_id=household.id, profile=Profile()
            )
        with pytest.raises(NotFound):
            resilience.household_score(
                s, actor=s.get_one(User, other.id), household_id=household.id
            )
        score = resilience.household_score(
            s, actor=s.get_one(User, admin.id), household_id=household.id
        )
        assert score.score == 100


def test_a_household_from_before_profiles_keeps_its_typed_score_explained(
    db, make_household, staff
):
    household = make_household(staff, profile={})
    with db() as s:
        h = s.get_one(Household, household.id)
        h.profile, h.risk_score = {}, 37
        for row in s.exec(select(HouseholdScore)).all():
            s.delete(row)
    with db() as s:
        score = resilience.household_score(
            s, actor=s.get_one(User, staff.id), household_id=household.id
        )
        assert score.model_version == "legacy" and score.score == 37
        assert [c["points"] for c in score.contributions] == [37]
        report = resilience.rescore_all(s)
        assert report.unprofiled == 1 and s.get_one(Household, household.id).risk_score == 37


def test_rescoring_the_city_reports_changed_levels(db, make_household, staff):
    ids = [
        make_household(staff, profile={"source": "dibao"}).id,  # 75: level 2
        make_household(staff, profile={"source": "monitored"}).id,  # 100: level 3
        make_household(staff, profile={"source": "tekun", "debt": True}).id,  # 59: level 1
    ]
    stricter = _model(version="v3", base={"points": 80, "why": "Twenty points less for all."})
    progress: list[tuple[int, int]] = []
    with db() as s:
        resilience.load_model(s, stricter)
        report = resilience.rescore_all(s, progress=lambda d, t: progress.append((d, t)), batch=2)
        assert report.households == 3 and report.changed_score == 3
        assert report.changed_level == 2 and report.transitions == {"2→1": 1, "3→2": 1}
        assert report.by_level == {1: 2, 2: 1}
        assert progress[0] == (0, 3) and progress[-1] == (3, 3)
        scores = dict(s.exec(select(Household.id, Household.risk_score)).all())
        assert [scores[i] for i in ids] == [55, 80, 39]
        latest = resilience.current_score(s, ids[0])
        assert latest is not None and latest.model_version == "v3" and latest.reason == "model"
        assert sum(c["points"] for c in latest.contributions) == 55
        # Once more under the same version: nothing changes level, the history grows.
        again = resilience.rescore_all(s)
        assert again.changed_score == 0 and again.changed_level == 0
        assert (
            s.exec(select(HouseholdScore).where(col(HouseholdScore.household_id) == ids[0]))
            .all()
            .__len__()
            == 3
        )


def test_an_unknown_version_cannot_be_rescored(db):
    with db() as s:
        with pytest.raises(NotFound):
            resilience.rescore_all(s, version="v9")
        assert s.exec(select(ResilienceModel.version)).all() == []


def test_the_city_seed_profiles_and_scores_every_household(app, db):
    from marketplace.city import Scale, seed_city
    from marketplace.db import get_engine

    seed_city(get_engine(app), scale=Scale.of(0.004), seed=7)
    with db() as s:
        households = s.exec(select(Household)).all()
        assert len(households) >= 500
        scores = {r.household_id: r for r in s.exec(select(HouseholdScore)).all()}
        for h in households:
            assert h.profile and h.source == h.profile["source"]
            Profile.model_validate(h.profile)
            row = scores[h.id]
            assert row.score == h.risk_score == sum(c["points"] for c in row.contributions)
        levels = resilience.levels_of(h.risk_score for h in households)
        # every level is present, none takes almost everyone
        assert set(levels) == {1, 2, 3} and max(levels.values()) < 0.85 * len(households)


def test_the_bulk_path_uses_the_one_band_rule():
    assert [resilience._level(s) for s in range(101)] == [risk_level(s) for s in range(101)]


# The events section (v2 on) -----------------------------------------------------------------------


def test_the_model_in_force_has_a_rule_for_every_event_kind():
    from marketplace.models import EventKind

    model = resilience.parse_model(LATEST)
    assert set(model.events) == {k.value for k in EventKind}
    assert all(rule.why and rule.why_zh for rule in model.events.values())
    assert model.event_rule("major_illness").severe and model.event_rule("disaster").severe
    assert not model.event_rule("job_loss").severe
    # a model without rules (v1) knows no severe event and changes nothing
    assert resilience.parse_model(V1).event_rule("disaster") == resilience.NO_RULE


def test_event_effects_change_the_profile_within_its_bounds():
    model = resilience.parse_model(LATEST)
    base = {"source": "monitored", "major_ill": 0, "able_bodied": 2, "employed": 2}
    p, members = resilience.apply_effects(model.event_rule("major_illness"), base, 3)
    assert p["major_ill"] == 1 and members == 3
    p, members = resilience.apply_effects(model.event_rule("birth"), base, 3)
    assert members == 4 and p["dependants"] == 1
    p, members = resilience.apply_effects(model.event_rule("death"), base, 2)
    assert members == 1 and p["able_bodied"] == 1 and p["employed"] == 1  # within the size
    p, _ = resilience.apply_effects(model.event_rule("job_loss"), p, 1)
    p, _ = resilience.apply_effects(model.event_rule("job_loss"), p, 1)
    assert p["employed"] == 0  # never below 0
    p, _ = resilience.apply_effects(model.event_rule("disability_change"), {"disability": "4"}, 1)
    assert p["disability"] == "3"
    # a registered 特困 recipient keeps that source; a monitored household takes the event's
    tekun = {"source": "tekun"}
    assert (
        resilience.apply_effects(model.event_rule("discovered"), tekun, 1)[0]["source"] == "tekun"
    )
    p, _ = resilience.apply_effects(model.event_rule("discovered"), base, 3)
    assert p["source"] == "discovered"


@pytest.mark.parametrize(
    ("events", "where"),
    [
        ({"flood": {"severe": True, "effects": [], "why": "x" * 10}}, "/events/flood"),
        ({"death": {"severe": "yes", "effects": [], "why": "x" * 10}}, "/events/death/severe"),
        (
            {
                "death": {
                    "severe": True,
                    "effects": [{"field": "income", "op": "add", "value": 1}],
                    "why": "x" * 10,
                }
            },
            "/events/death/effects/0/field",
        ),
        (
            {
                "death": {
                    "severe": True,
                    "effects": [{"field": "debt", "op": "add", "value": 1}],
                    "why": "x" * 10,
                }
            },
            "/events/death/effects/0/op",
        ),
        (
            {
                "death": {
                    "severe": True,
                    "effects": [{"field": "disability", "op": "step", "order": ["none", "9"]}],
                    "why": "x" * 10,
                }
            },
            "/events/death/effects/0/order",
        ),
        ({"death": {"severe": True, "effects": []}}, "/events/death/why"),
    ],
)
def test_bad_event_rules_are_refused_naming_where(events, where):
    assert _problem(_model(events=events))["where"] == where
