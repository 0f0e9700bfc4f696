"""Helpers of the browser journeys: viewports, logging in through the form, screenshots."""

from __future__ import annotations

import gc
import io
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

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


def open_menu(page: Any) -> None:
    """Unfold the navigation that a phone folds into a menu button (hub staff, administrators);
    nothing to do where the navigation shows."""
    toggle = page.locator(".mainnav .nav-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    assert page.locator("#mainnav-links").is_visible()


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


# The hub's Excel import, filled as a hub worker fills the downloaded template -----------------


def import_template(page: Any) -> Any:
    with page.expect_download() as download:
        page.locator("a[href$='/hub/import/template.xlsx']").click()
    return load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))


def append_row(ws: Any, values: dict[str, Any]) -> int:
    """A row filled by column heading (the template's own order); returns its row number."""
    headings = {str(c.value).strip(): c.column for c in ws[1] if c.value}
    row = ws.max_row + 1
    for heading, value in values.items():
        if heading in headings:
            ws.cell(row=row, column=headings[heading], value=value)
    return row


def dropdown_choices(wb: Any, ws: Any) -> dict[str, str]:
    """Column heading → the first value of its drop-down list (the template's own lists)."""
    headings = {c.column_letter: str(c.value).strip() for c in ws[1] if c.value}
    out: dict[str, str] = {}
    for dv in ws.data_validations.dataValidation:
        name = (dv.formula1 or "").lstrip("=")
        if name not in wb.defined_names:
            continue
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        first = next((c.value for (c,) in wb[sheet][ref] if c.value), None)
        letter = str(dv.sqref).split(":")[0].rstrip("0123456789")
        if first is not None and letter in headings:
            out[headings[letter]] = str(first)
    return out


def household_row(wb: Any, name: str, id_number: str, **more: Any) -> int:
    """A household row: what a hub worker types, and for any other column with a drop-down (the
    profile's questions) the first choice offered — the district and street stay empty."""
    ws = wb["家庭"]
    choices = dropdown_choices(wb, ws)
    values = {k: v for k, v in choices.items() if k not in ("区县", "街道（镇）")} | {
        "户主姓名": name,
        "身份证号": id_number,
        "联系电话": "13700001111",
        "家庭住址": "河坊街8号",
        "困难类型": "关爱型",
        "家庭人口": 1,
        "标签": "老年人,独居",
    }
    if "韧性评分" in {str(c.value) for c in ws[1]}:  # templates that ask for the score
        values["韧性评分"] = 48
    return append_row(ws, values | more)


def need_row(wb: Any, id_number: str, title: str) -> int:
    return append_row(
        wb["需求"],
        {
            "户主身份证号": id_number,
            "需求类型": "微心愿",
            "帮扶事项": "07-02 家具家电",
            "标题": title,
            "描述": "冬天太冷",
            "估计价值（元）": 200,
        },
    )
