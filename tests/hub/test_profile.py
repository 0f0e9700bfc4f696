"""The household profile and score on hub pages: registration computes the score (no score field),
the case file explains it, staff of the area edit the profile with history, others cannot."""

from __future__ import annotations

from sqlmodel import select

from marketplace.models import Household, ProfileChange, Role
from tests.factories import text
from tests.hub.test_intake import household_form


def test_the_form_has_a_profile_and_no_score_field(as_role):
    page = text(as_role("hub_staff").get("/hub/households/new"))
    assert 'name="risk_score"' not in page
    for name in ("profile-source", "profile-major_ill", "profile-housing", "profile-debt"):
        assert f'name="{name}"' in page
    for dimension in ("source", "family", "health", "property", "expenses", "employment", "other"):
        assert f'id="dimension-{dimension}"' in page


def test_registration_scores_the_profile_and_the_case_file_explains_it(as_role, db):
    client = as_role("hub_staff")
    response = client.post(
        "/hub/households/new",
        data=household_form(
            **{"profile-source": "temporary_assistance", "profile-savings": "none"},
            risk_score="99",  # ignored: there is no such field
        ),
    )
    assert response.status_code == 302, text(response)[:300]
    with db() as s:
        household = s.exec(select(Household)).one()
        # temporary assistance -20, a member with a chronic illness -5, no savings -8
        assert household.risk_score == 67 and household.source == "temporary_assistance"
    page = text(client.get(response.headers["Location"]))
    assert 'id="score-explanation"' in page
    assert "source.temporary_assistance" in page and "health.chronic_illness" in page
    assert "-20" in page and "-8" in page and "67" in page


def test_a_missing_source_is_asked_for(as_role, db):
    client = as_role("hub_staff")
    response = client.post("/hub/households/new", data=household_form(**{"profile-source": ""}))
    assert response.status_code == 422
    with db() as s:
        assert s.exec(select(Household)).first() is None


def test_staff_edit_the_profile_with_history(as_role, make_household, users, db, make_user):
    household = make_household(users["hub_staff"], members=3, profile={"source": "dibian"})
    client = as_role("hub_staff")
    url = f"/hub/households/{household.id}/profile"
    form = text(client.get(url))
    assert '<option selected value="dibian">' in form
    bad = client.post(
        url, data={"members": "3", "profile-source": "dibian", "profile-dependants": "5"}
    )
    assert bad.status_code == 422 and 'id="profile-dependants-errors"' in text(bad)
    r = client.post(
        url,
        data={
            "members": "3",
            "profile-source": "dibian",
            "profile-major_ill": "1",
            "profile-able_bodied": "1",
            "profile-employed": "0",
            "profile-savings": "mid",
            "profile-housing": "owned",
        },
    )
    assert r.status_code == 302
    with db() as s:
        h = s.get_one(Household, household.id)
        assert h.risk_score == 100 - 15 - 12 - 12
        change = s.exec(select(ProfileChange)).one()
        assert change.changes == {"major_ill": [0, 1], "employed": [1, 0]}
    page = text(client.get(f"/hub/households/{household.id}"))
    assert 'id="profile-history"' in page and "<strong>1</strong>" in page
    other = make_user(Role.HUB_STAFF, hub="330106")
    from tests.factories import PASSWORD

    client.post("/auth/logout")
    client.post("/auth/login", data={"username": other.username, "password": PASSWORD})
    assert client.get(url).status_code == 404
