"""Blueprint ``household``: the 幸福码 page — a household's own 幸福清单, no login.

The opaque token in the URL is the credential; an unknown token is a plain 404, an exited
household's a neutral page saying it is no longer in service (410). The page also works the other way (DESIGN §10): the household asks its street hub for
help and rates what it received. Those two POSTs share one budget per token
(``HAPPINESS_RATE_LIMIT``); past it the page says when to try again (429).
"""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests

from marketplace.db import get_session, rollback_request
from marketplace.extensions import limiter
from marketplace.household import access_log
from marketplace.household.forms import AcknowledgeForm, HelpForm, RateForm
from marketplace.services import claims, feedback, happiness
from marketplace.services.errors import Gone, ServiceError
from marketplace.web.messages import render

bp = Blueprint("household", __name__, url_prefix="/h")
# The token is a credential: out of the access log and out of caches. (Referer headers carry it
# only to this site — the app's "same-origin" policy — where the access logs cut it out.)
bp.record_once(lambda _state: access_log.install())


def _token_key() -> str:
    """The rate limit's bucket: the token (hashed: the limiter's storage never holds it)."""
    token = (request.view_args or {}).get("token", "")
    return "hh:" + hashlib.sha256(str(token).encode()).hexdigest()[:32]


per_token = limiter.shared_limit(
    lambda: current_app.config["HAPPINESS_RATE_LIMIT"],
    scope="happiness",
    key_func=_token_key,
    methods=["POST"],
)


@bp.after_request
def _keep_the_token_private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(Gone)
def _closed(_exc: Gone) -> ResponseReturnValue:
    """An exited household's code: a neutral page (no name, no reason), 410."""
    rollback_request()
    return render_template("household/closed.html"), 410


@bp.errorhandler(429)
def _limited(exc: TooManyRequests) -> ResponseReturnValue:
    rollback_request()
    token = (request.view_args or {}).get("token", "")
    page = render_template("household/limited.html", token=token)
    return page, 429, {"Retry-After": "3600"}


def _page(
    token: str,
    *,
    help_form: HelpForm | None = None,
    rate_form: RateForm | None = None,
    rating_for: str | None = None,
) -> str:
    """The page; after a refused form, that form with its errors (its item's rating unfolded)."""
    data = happiness.happiness_list(get_session(), token)

    def rate_form_for(key: str) -> RateForm:
        # One form per item, its fields prefixed with the item's key (ids unique on the page).
        if rate_form is not None and key == rating_for:
            return rate_form
        return RateForm(prefix=key, formdata=None)

    return render_template(
        "household/happiness.html",
        data=data,
        token=token,
        form=AcknowledgeForm(),
        help_form=help_form or HelpForm(formdata=None),
        rate_form_for=rate_form_for,
        rating_for=rating_for,
    )


@bp.get("/<token>")
def happiness_page(token: str) -> ResponseReturnValue:
    return _page(token)


@bp.post("/<token>/ack/<int:claim_id>")
def acknowledge(token: str, claim_id: int) -> ResponseReturnValue:
    db = get_session()
    household = happiness.household_by_token(db, token)
    if not AcknowledgeForm().validate_on_submit():
        return redirect(url_for("household.happiness_page", token=token))
    claims.acknowledge(db, household=household, claim_id=claim_id)
    flash(_("Thank you. We have recorded that you received it."), "success")
    return redirect(url_for("household.happiness_page", token=token))


@bp.post("/<token>/ack/<item>")
def acknowledge_item(token: str, item: str) -> ResponseReturnValue:
    """ "I received it" for a visit or a policy benefit (``visit-3``, ``benefit-5``)."""
    db = get_session()
    household = happiness.household_by_token(db, token)
    if not AcknowledgeForm().validate_on_submit():
        return redirect(url_for("household.happiness_page", token=token))
    feedback.acknowledge_item(db, household=household, key=item)
    flash(_("Thank you. We have recorded that you received it."), "success")
    return redirect(url_for("household.happiness_page", token=token, _anchor=item))


@bp.post("/<token>/help")
@per_token
def ask_for_help(token: str) -> ResponseReturnValue:
    db = get_session()
    household = happiness.household_by_token(db, token)
    form = HelpForm()
    if not form.validate_on_submit():
        return _page(token, help_form=form), 422
    try:
        feedback.request_help(
            db, household=household, text=form.text.data or "", contact=form.contact.data or ""
        )
    except ServiceError as exc:
        if not exc.errors:
            raise
        rollback_request()
        for name, message in exc.errors.items():
            getattr(form, name, form.text).errors = [render(message)]
        return _page(token, help_form=form), exc.status
    flash(
        _("Your request has been sent to your street hub. They will contact you soon."), "success"
    )
    return redirect(url_for("household.happiness_page", token=token, _anchor="ask-help"))


@bp.post("/<token>/rate/<item>")
@per_token
def rate(token: str, item: str) -> ResponseReturnValue:
    db = get_session()
    household = happiness.household_by_token(db, token)
    feedback.find_item(db, household, item)  # not on this household's list: 404
    form = RateForm(prefix=item)
    if not form.validate_on_submit():
        return _page(token, rate_form=form, rating_for=item), 422
    try:
        feedback.rate(
            db,
            household=household,
            key=item,
            rating=form.rating.data,
            words=form.words.data or "",
        )
    except ServiceError as exc:
        if not exc.errors:
            raise
        rollback_request()
        for name, message in exc.errors.items():
            getattr(form, name, form.rating).errors = [render(message)]
        return _page(token, rate_form=form, rating_for=item), exc.status
    flash(_("Thank you for your rating. The hub will pass your words on to the helper."), "success")
    return redirect(url_for("household.happiness_page", token=token, _anchor=item))
