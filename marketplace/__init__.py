"""Zhongfu 众扶 — the marketplace web app (Flask application factory)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from marketplace.config import DEFAULT_SECRET, Defaults, from_environment

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("ZHONGFU_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    from_environment(app.config)
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "zhongfu.db")
    if app.config["SECRET_KEY"] == DEFAULT_SECRET and not (
        app.debug or app.testing or app.config.get("DEMO")
    ):
        raise RuntimeError(
            "Refusing to start with the default secret key: set ZHONGFU_SECRET_KEY "
            "(or run `zhongfu serve`, which generates one in the instance folder)."
        )

    from marketplace import db, web
    from marketplace.jobs import init_app as init_jobs

    db.init_app(app)
    web.init_app(app)
    init_jobs(app)

    from marketplace.cli import register

    register(app)
    return app
