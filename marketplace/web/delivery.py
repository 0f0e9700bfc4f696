"""The delivery report page (送达) that members (their claims) and organisations (their
assignments) share: a note and a photo, checked and stored by ``services.claims``."""

from __future__ import annotations

from flask import flash, redirect, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from marketplace.db import get_session
from marketplace.schemas import DeliveryIn
from marketplace.services import claims
from marketplace.services.errors import ServiceError, parse
from marketplace.uploads import photo_saver
from marketplace.web.forms import DeliveryForm
from marketplace.web.helpers import attach_errors, me


def delivery_page(claim_id: int, *, done: str) -> ResponseReturnValue:
    """Report a delivery with a note and photo; ``done`` is where the deliverer goes back to."""
    db = get_session()
    c, view = claims.claim_with_wish(db, actor=me(), claim_id=claim_id)
    form = DeliveryForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            data = parse(DeliveryIn, {"note": form.note.data or ""})
            upload = form.photo.data
            claims.report_delivery(
                db,
                actor=me(),
                claim_id=claim_id,
                note=data.note,
                save_photo=photo_saver(upload if isinstance(upload, FileStorage) else None, db),
            )
        except ServiceError as exc:
            if not exc.errors:
                raise
            general = attach_errors(form, exc.errors)
            page = render_template(
                "deliver.html", form=form, c=c, w=view, general=general, done=done
            )
            return page, exc.status
        flash(_("Thank you! The hub staff will confirm the delivery."), "success")
        return redirect(done)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "deliver.html", form=form, c=c, w=view, general=general, done=done
    ), status
