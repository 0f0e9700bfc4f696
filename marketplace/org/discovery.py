"""Blueprint ``org``: 主动发现 — an organisation reports someone in difficulty who may not be
registered (``web.discovery``: the page members share)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from marketplace.models import Role
from marketplace.org.blueprint import bp
from marketplace.web.access import role_required
from marketplace.web.discovery import discovery_page

__all__ = ["bp"]


@bp.route("/discover", methods=["GET", "POST"])
@role_required(Role.ORG)
def discover() -> ResponseReturnValue:
    return discovery_page("org.discover")
