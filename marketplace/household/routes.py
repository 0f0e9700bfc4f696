"""Blueprint ``household``: the 幸福码 page — a household's own 幸福清单, no login.

The opaque token in the URL is the credential; an unknown token is a plain 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from marketplace.db import get_session
from marketplace.household import access_log
from marketplace.household.forms import AcknowledgeForm
from marketplace.services import claims, happiness

bp = Blueprint("household", __name__, url_prefix="/h")
# The token is a credential: out of the access log and out of caches. (Referer headers carry it
# only to this site — the app's "same-origin" policy — where the access logs cut it out.)
bp.record_once(lambda _state: access_log.install())


@bp.after_request
def _keep_the_token_private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<token>")
def happiness_page(token: str) -> ResponseReturnValue:
    data = happiness.happiness_list(get_session(), token)
    return render_template(
        "household/happiness.html", data=data, token=token, form=AcknowledgeForm()
    )


@bp.post("/<token>/ack/<int:claim_id>")
def acknowledge(token: str, claim_id: int) -> ResponseReturnValue:
    db = get_session()
    household = happiness.household_by_token(db, token)
    if not AcknowledgeForm().validate_on_submit():
        return redirect(url_for("household.happiness_page", token=token))
    claims.acknowledge(db, household=household, claim_id=claim_id)
    flash(_("Thank you. We have recorded that you received it."), "success")
    return redirect(url_for("household.happiness_page", token=token))
