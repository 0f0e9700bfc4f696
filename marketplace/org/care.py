"""Organisation 结对帮扶: the households paired with the organisation and recording a visit
(the pages members share: ``web.paired``)."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from marketplace.models import Role
from marketplace.org.blueprint import bp
from marketplace.web.access import role_required
from marketplace.web.paired import paired_page, paired_visit_page

__all__ = ["bp"]


@bp.get("/paired")
@role_required(Role.ORG)
def paired() -> ResponseReturnValue:
    return paired_page("org")


@bp.route("/paired/<int:household_id>/visit", methods=["GET", "POST"])
@role_required(Role.ORG)
def paired_visit(household_id: int) -> ResponseReturnValue:
    return paired_visit_page("org", household_id)
