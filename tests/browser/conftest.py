"""Browser tests: Debian's Chromium driven by Playwright against a real server on 127.0.0.1
(a thread running the app on a fresh SQLite database with the demo data).

Skipped with a reason when /usr/bin/chromium or the playwright package is missing.
"""

from __future__ import annotations

import gc
import os
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.pages import DESKTOP

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
    from werkzeug.serving import make_server

    from marketplace import create_app
    from marketplace.cli import migrate
    from marketplace.db import get_engine, session_scope
    from marketplace.demo import seed_demo

    folder = tmp_path_factory.mktemp("browser")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "browser-test-secret",
            "DATABASE_URL": f"sqlite:///{folder}/zhongfu.db",
            "RATELIMIT_ENABLED": False,
            "JOBS_IMMEDIATE": True,
        }
    )
    app.instance_path = str(folder / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    migrate(app)
    with app.app_context(), session_scope(get_engine(app)) as s:
        seed_demo(s)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    get_engine(app).dispose()
    # Collect the files Werkzeug left behind for dropped connections now, while the browser
    # module's warning filters apply, not in some later, unrelated test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


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
