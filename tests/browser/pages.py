"""Helpers of the browser journeys: viewports, logging in through the form, screenshots."""

from __future__ import annotations

import gc
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
DEVICES = {"phone": PHONE, "desktop": DESKTOP}


def open_on(
    new_page: Callable[..., Any],
    device: str,
    lang: str = "zh",
    username: str | None = None,
    **kw: Any,
) -> Any:
    """A new page on a phone (touch) or a desktop; logged in as ``username`` and switched to
    English when asked."""
    extra = {"has_touch": True, "is_mobile": True} if device == "phone" else {}
    page = new_page(DEVICES[device], **extra, **kw)
    if username:
        login(page, username)
    if lang == "en":
        page.goto("/lang/en?next=/")
    return page


def fits(page: Any, device: str) -> None:
    """On a phone, nothing scrolls sideways."""
    if device == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def login(page: Any, username: str, password: str = "zhongfu-demo-2026") -> None:
    page.goto("/auth/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form[action='/auth/login'] button[type=submit]")
    page.wait_for_load_state("networkidle")


def shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def serve_demo(folder: Path, prepare: Callable[[Any], None] | None = None) -> Iterator[str]:
    """The app on a fresh SQLite database with the demo data, served on 127.0.0.1 from a thread;
    ``prepare(session)`` adds a test's own data first. Yields the base URL."""
    from werkzeug.serving import make_server

    from marketplace import create_app
    from marketplace.cli import migrate
    from marketplace.db import get_engine, session_scope
    from marketplace.demo import seed_demo

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
    if prepare is not None:
        with app.app_context(), session_scope(get_engine(app)) as s:
            prepare(s)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        get_engine(app).dispose()
        # Collect the files Werkzeug left behind for dropped connections now, while the browser
        # module's warning filters apply, not in some later, unrelated test.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
