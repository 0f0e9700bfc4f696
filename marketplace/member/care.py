"""Member 结对帮扶: my paired households and recording a visit from the phone (the pages an
organisation's helpers share: ``web.paired``)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from marketplace.member.blueprint import bp
from marketplace.models import Role
from marketplace.web.access import role_required
from marketplace.web.paired import paired_page, paired_visit_page

__all__ = ["bp"]


@bp.get("/paired")
@role_required(Role.MEMBER)
def paired() -> ResponseReturnValue:
    return paired_page("member")


@bp.route("/paired/<int:household_id>/visit", methods=["GET", "POST"])
@role_required(Role.MEMBER)
def paired_visit(household_id: int) -> ResponseReturnValue:
    return paired_visit_page("member", household_id)
