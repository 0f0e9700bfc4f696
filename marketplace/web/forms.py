"""Form pieces more than one blueprint uses: the checkbox list and the delivery report."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DeliveryForm(FlaskForm):
    """A delivery report (送达): by a member for a claim, by an organisation for an assignment."""

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
    # The token of the photo kept since the preview (``uploads.stash_pending``).
    pending = HiddenField(validators=[Length(max=32)])
    # 服务时长, checked by ``contributions.parse_hours`` (one message for pages and the API).
    hours = StringField(
        _l("Service hours"),
        validators=[Length(max=8)],
        description=_l("How long the service took, e.g. 1.5 (optional; the hub confirms it)."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
