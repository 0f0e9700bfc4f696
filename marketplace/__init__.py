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
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    embedded = not app.config.get("DATABASE_URL")
    if embedded:
        app.config["DATABASE_URL"] = "sqlite:///" + str(instance / "zhongfu.db")
    if app.config["SECRET_KEY"] == DEFAULT_SECRET and not app.testing:
        # Never run on the published default: use (or create) a random key in the instance folder.
        app.config["SECRET_KEY"] = _instance_secret(instance)

    # Our modules are imported here, when an app is built, not at the top: every module of the
    # package imports this file first, so importing them above would make a plain
    # ``import marketplace.models`` load Flask, the queue and every blueprint, and the package
    # would import its own children (a cycle). The same holds in the two functions below.
    from marketplace import db, jobs, web

    db.init_app(app)
    web.init_app(app)
    jobs.init_app(app)
    _register_blueprints(app)

    from marketplace.cli import register

    register(app)
    if embedded and not app.testing and not (instance / "zhongfu.db").exists():
        _first_run_on_first_request(app, instance)
    return app


def _register_blueprints(app: Flask) -> None:
    from marketplace.admin.routes import bp as admin_bp
    from marketplace.api.routes import bp as api_bp
    from marketplace.auth.routes import bp as auth_bp
    from marketplace.extensions import csrf
    from marketplace.household.routes import bp as household_bp
    from marketplace.hub.routes import bp as hub_bp
    from marketplace.main.routes import bp as main_bp
    from marketplace.member.routes import bp as member_bp
    from marketplace.org.routes import bp as org_bp
    from marketplace.rounds.routes import bp as rounds_bp
    from marketplace.staff.routes import bp as staff_bp

    csrf.exempt(api_bp)  # bearer tokens, no cookie
    for bp in (
        main_bp,
        auth_bp,
        hub_bp,
        member_bp,
        org_bp,
        admin_bp,
        household_bp,
        rounds_bp,
        staff_bp,
        api_bp,
    ):
        app.register_blueprint(bp)


def _instance_secret(instance: Path) -> str:
    import secrets

    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _first_run_on_first_request(app: Flask, instance: Path) -> None:
    """The embedded default creates, migrates and fills its database when it first serves
    (``flask --app marketplace run``); CLI commands on the same app do not."""
    import threading

    lock = threading.Lock()
    done = False

    @app.before_request
    def _first_run() -> None:
        nonlocal done
        if done:
            return
        with lock:
            if done or (instance / "zhongfu.db").exists():  # `zhongfu serve` initialised it
                done = True
                return
            from marketplace.cli import migrate
            from marketplace.db import get_engine, session_scope
            from marketplace.demo import seed_demo

            migrate(app)
            if not app.config.get("NO_DEMO"):
                with session_scope(get_engine(app)) as session:
                    app.logger.warning(seed_demo(session))
            done = True
