"""Helpers of the browser journeys: viewports, logging in through the form, screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


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
