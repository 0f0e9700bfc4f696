"""Member forms: report a delivery."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import TextAreaField
from wtforms.validators import Length


class DeliveryForm(FlaskForm):
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=1000)],
        description=_l("What was delivered, when, anything the hub staff should know."),
    )
    photo = FileField(
        _l("Photo"),
        validators=[
            FileAllowed(
                ["jpg", "jpeg", "png", "webp"], _l("Only JPEG, PNG or WebP photos are accepted")
            )
        ],
        render_kw={"accept": "image/*", "capture": "environment"},
    )
