"""Blueprint ``member``: 主动发现 — a member reports someone in difficulty who may not be
registered (``web.discovery``: the page organisations share)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from marketplace.member.blueprint import bp
from marketplace.models import Role
from marketplace.web.access import role_required
from marketplace.web.discovery import discovery_page

__all__ = ["bp"]


@bp.route("/discover", methods=["GET", "POST"])
@role_required(Role.MEMBER)
def discover() -> ResponseReturnValue:
    return discovery_page("member.discover")
