"""Issue 16 items 1, 2, 7 in a real browser, phone (390 px) and desktop: a Party organisation
creates a branch and adds a member (temporary password shown once), sees its branches' activity
and a branch's report; it creates a project and finds it on the offer form; the pages fit a
phone without sideways scroll."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages import fits, open_on, serve_demo, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
DEVICES = ["phone", "desktop"]


def _seed(session: Any) -> None:
    from marketplace.demo import DEMO_PASSWORD
    from marketplace.models import Organisation, Role
    from marketplace.services import accounts

    for device in DEVICES:
        org = Organisation(
            name=f"测试街道党工委{device}",
            type="party_org",
            credit_code=f"91330100MA2P{device[:2].upper()}0001"[:18],
            status="vetted",
        )
        session.add(org)
        session.flush()
        accounts.create_user(
            session,
            actor=None,
            username=f"party_{device}",
            password=DEMO_PASSWORD,
            role=Role.ORG,
            org_id=org.id,
        )


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("projects-browser"), _seed) as url:
        yield url


@pytest.mark.parametrize("device", DEVICES)
def test_party_organisation_branches_and_projects(new_page: Any, tmp_path: Path, device: str):
    page = open_on(new_page, device, "zh", f"party_{device}")
    page.goto("/org/projects")
    assert page.locator("#projects, p.empty").count() == 1  # the list, empty at first
    page.click("a[href='/org/projects/new']")
    page.fill("#title", "公益创投·助老")
    page.select_option("#funding", "venture")
    page.fill("#budget_yuan", "3000")
    page.fill("#start", "2026-01-01")
    page.fill("#end", "2026-12-31")
    page.fill("#target_households", "12")
    page.click("form.form-narrow button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "公益创投·助老" in page.locator("h1").inner_text()
    assert page.locator("#report-figures").is_visible()
    fits(page, device)
    shot(page, f"projects-project-{device}")
    page.goto("/org/offers/new")
    assert "公益创投·助老" in page.locator("#project_id").inner_text()

    page.goto("/org/branches")
    page.fill("#name", "第一党支部")
    page.click("#new-branch button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.click("#branches a")
    page.wait_for_load_state("networkidle")
    page.fill("#username", f"dy_{device}")
    page.fill("#display_name", "钱党员")
    page.click("#add-member button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#created-account .secret").inner_text().strip()
    fits(page, device)
    page.click("a.btn-primary")
    page.wait_for_load_state("networkidle")
    assert f"dy_{device}" in page.locator("#members").inner_text()
    assert page.locator("#report-figures").is_visible()
    fits(page, device)
    shot(page, f"projects-branch-{device}")
    page.goto("/org/branches")
    row = page.locator("#branches tbody tr").first.inner_text()
    assert "第一党支部" in row
    fits(page, device)
