"""Browser tests: Debian's Chromium driven by Playwright against a real server on 127.0.0.1
(a thread running the app on a fresh SQLite database with the demo data).

Skipped with a reason when /usr/bin/chromium or the playwright package is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.pages import DESKTOP, serve_demo

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_demo(tmp_path_factory.mktemp("browser")) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser: Any, live_server: str) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(viewport: dict[str, int] = DESKTOP, **kw: Any) -> Any:
        context = browser.new_context(
            viewport=viewport,
            base_url=live_server,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            **kw,
        )
        # Nothing may leave the machine: any request to another host fails the test.
        outside: list[str] = []
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(live_server)
                or route.request.url.startswith("data:")
                else (outside.append(route.request.url), route.abort())
            ),
        )
        context.outside = outside
        contexts.append(context)
        return context.new_page()

    yield make
    for c in contexts:
        assert not c.outside, f"requests to outside hosts: {c.outside}"
        c.close()
