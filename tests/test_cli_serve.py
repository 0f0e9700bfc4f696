"""`zhongfu serve` on first contact: it prints the address to open, says the built-in server is for
one machine with the production way in one line, and lists the demo accounts README.md lists —
both made from the one list in marketplace/demo.py, and every one of them exists in the demo data."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner
from sqlmodel import col, select

import marketplace
from marketplace import cli
from marketplace.demo import DEMO_PASSWORD, demo_usernames, readme_paragraph, seed_demo
from marketplace.models import User

ROOT = Path(__file__).resolve().parents[1]


def _readme_paragraph() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("The demo accounts all use the password")
    return " ".join(text[start : text.index("\n\n", start)].split())


def _names_in(paragraph: str) -> set[str]:
    """The login names a README paragraph gives: `a`, `b`, and ranges `member1`…`member5`."""
    names = set(re.findall(r"`([a-z][a-z0-9_]*)`", paragraph))
    for first, last in re.findall(r"`([a-z_]+\d+)`…`([a-z_]+\d+)`", paragraph):
        stem = first.rstrip("0123456789")
        low, high = int(first[len(stem) :]), int(last[len(stem) :])
        names |= {f"{stem}{i}" for i in range(low, high + 1)}
    return names


def test_readme_paragraph_is_made_from_the_list():
    assert _readme_paragraph() == readme_paragraph()


def test_readme_names_the_same_accounts_as_the_list():
    names = _names_in(_readme_paragraph())
    assert names == set(demo_usernames())
    assert {"admin", "hub_shangcheng", "hub_hubin", "member5", "org_new"} <= names
    assert f"`{DEMO_PASSWORD}`" in _readme_paragraph()


def test_every_listed_account_exists_in_the_demo_data(db):
    with db() as s:
        seed_demo(s)
    with db() as s:
        found = set(s.exec(select(User.username).where(col(User.username).in_(demo_usernames()))))
    assert found == set(demo_usernames())


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """serve_command with the app, the database and the server replaced: what it would run."""
    calls: dict[str, Any] = {}

    class FakeApp:
        config: ClassVar[dict[str, Any]] = {}

    monkeypatch.setattr(marketplace, "create_app", lambda config=None: FakeApp())
    monkeypatch.setattr(cli, "migrate", lambda app: None)
    monkeypatch.setattr(cli, "session_scope", _null_scope)
    monkeypatch.setattr(cli, "get_engine", lambda app: None)
    monkeypatch.setattr("marketplace.demo.seed_demo", lambda session: "Demo data already present.")
    monkeypatch.setattr(cli, "_start_worker", lambda app: calls.setdefault("worker", True))
    monkeypatch.setattr(
        "werkzeug.serving.run_simple",
        lambda host, port, app, **kw: calls.update(host=host, port=port),
    )
    return calls


class _null_scope:
    def __init__(self, engine: Any) -> None:
        pass

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def test_serve_prints_the_address_the_limits_and_the_demo_accounts(served):
    result = CliRunner().invoke(cli.serve_command, ["--port", "5123"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "open http://127.0.0.1:5123/ in a browser" in out
    assert "for one machine" in out
    assert "Production: gunicorn -c gunicorn.conf.py 'marketplace.wsgi:app'" in out
    assert "zhongfu worker" in out
    for name in demo_usernames():
        if name not in ("member2", "member3", "member4"):  # shown as member1 … member5
            assert re.search(rf"\b{name}\b", out), name
    assert "member1 … member5" in out and DEMO_PASSWORD in out
    # The address comes last, after the accounts, where the eye lands.
    assert out.index("open http://") > out.index("org_new")
    assert served == {"worker": True, "host": "127.0.0.1", "port": 5123}


def test_serve_without_demo_or_worker_says_so(served):
    result = CliRunner().invoke(
        cli.serve_command, ["--host", "0.0.0.0", "--port", "8080", "--no-demo", "--no-worker"]
    )
    assert result.exit_code == 0, result.output
    assert "Demo accounts" not in result.output
    assert "open http://127.0.0.1:8080/" in result.output  # 0.0.0.0 is not an address to open
    assert "background jobs are off" in result.output
    assert "worker" not in served and served["host"] == "0.0.0.0"


def test_the_production_command_names_what_exists():
    """gunicorn.conf.py exists and marketplace/wsgi.py defines ``app``."""
    assert (ROOT / "gunicorn.conf.py").is_file()
    tree = ast.parse((ROOT / "marketplace" / "wsgi.py").read_text(encoding="utf-8"))
    targets = {
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    assert "app" in targets
    assert (
        "gunicorn.conf.py" in cli.PRODUCTION_COMMAND
        and "marketplace.wsgi:app" in cli.PRODUCTION_COMMAND
    )
