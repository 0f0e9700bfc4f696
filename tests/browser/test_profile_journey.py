"""Journey (issue 13 part A): hub staff open a household's case file, read its resilience score
line by line, edit the profile (the household takes on a large debt) and see the score fall, with the
change kept in the profile's history. Phone and desktop, Chinese and English."""

from __future__ import annotations

import re

import pytest

from tests.browser.pages import DESKTOP, PHONE, login, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
VIEWPORTS = [(PHONE, "phone"), (DESKTOP, "desktop")]
LANGS = ["zh_CN", "en"]


def _tag(label: str, lang: str) -> str:
    return f"{label}-{'zh' if lang == 'zh_CN' else 'en'}"


def _score(page) -> int:
    return int(page.inner_text("#score .score-value").strip())


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("viewport", "label"), VIEWPORTS)
def test_staff_read_the_score_and_change_the_profile(new_page, viewport, label, lang):
    page = new_page(viewport)
    login(page, "hub_shangcheng")
    page.goto(f"/lang/{lang}?next=/hub/households")
    # A household of the area: the first of the list.
    href = page.locator("a[href*='/hub/households/']").evaluate_all(
        "els => els.map(e => e.getAttribute('href')).filter(h => /households\\/\\d+$/.test(h))"
    )[0]
    page.goto(href)
    before = _score(page)
    rows = page.locator("#score-explanation tbody tr")
    assert rows.first.inner_text().strip().endswith(rows.first.locator("td").nth(2).inner_text())
    points = [int(t) for t in rows.locator("td.num").all_inner_texts()]
    assert sum(points) == before  # the explanation adds up to the score
    shot(page, _tag(f"hub-score-{label}", lang))

    page.click(f"a[href='{href}/profile']")
    page.wait_for_load_state("networkidle")
    assert page.locator("select[name=profile-source]").input_value()
    # The household takes on a large debt (or pays it off, when an earlier run set it).
    debt = page.locator("#profile-debt")
    had_debt = debt.is_checked()
    debt.set_checked(not had_debt)
    shot(page, _tag(f"hub-profile-form-{label}", lang))
    page.click("#save-profile")
    page.wait_for_load_state("networkidle")
    assert re.search(r"/hub/households/\d+$", page.url.split("#")[0])
    after = _score(page)
    assert after == max(0, before + (6 if had_debt else -6)) or before == 0
    page.locator("#profile-history summary").click()
    assert page.locator("#profile-history tbody tr").count() >= 1
    shot(page, _tag(f"hub-score-after-{label}", lang))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("viewport", "label"), VIEWPORTS)
def test_admin_loads_a_model_version_and_the_city_is_rescored(
    new_page, viewport, label, lang, tmp_path
):
    import json

    from marketplace.services import resilience

    page = new_page(viewport)
    login(page, "admin")
    page.goto(f"/lang/{lang}?next=/admin/resilience")
    assert page.locator("#model-versions tbody tr").count() >= 1
    definition = json.loads((resilience.MODELS_DIR / "v1.json").read_text(encoding="utf-8"))
    version = f"v1-1-{label}-{lang.lower()}"
    definition["version"] = version
    definition["base"]["points"] = 95  # five points less for everyone
    path = tmp_path / f"{version}.json"
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    page.set_input_files("input[type=file]", str(path))
    page.click("#load-model")
    page.wait_for_selector("#rescore-report")
    assert version in page.inner_text("#rescore-report")
    assert version in page.inner_text("#model-versions tbody tr:first-child")
    shot(page, _tag(f"admin-resilience-{label}", lang))
