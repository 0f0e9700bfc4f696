"""Organisation forms: publish an offer (帮扶项目)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.web.forms import MultiCheckboxField
from marketplace.web.helpers import choices
from marketplace.web.labels import HARDSHIP_LABELS


class OfferForm(FlaskForm):
    title = StringField(_l("Project title"), validators=[DataRequired(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    items = MultiCheckboxField(
        _l("Items of help"),
        choices=[],
        validators=[DataRequired(message=_l("Choose at least one item"))],
    )
    districts = MultiCheckboxField(_l("Districts served"), choices=[], validators=[Optional()])
    regions_text = StringField(
        _l("Other region codes"),
        validators=[Length(max=2000)],
        description=_l(
            "Street (9 digits) or community (12 digits) codes, separated by spaces or commas"
        ),
    )
    lat = DecimalField(
        _l("Centre latitude"), places=6, validators=[Optional(), NumberRange(min=-90, max=90)]
    )
    lon = DecimalField(
        _l("Centre longitude"), places=6, validators=[Optional(), NumberRange(min=-180, max=180)]
    )
    radius_km = DecimalField(
        _l("Radius (km)"), places=1, validators=[Optional(), NumberRange(min=0.1, max=500)]
    )
    capacity = IntegerField(
        _l("Capacity (units)"), validators=[InputRequired(), NumberRange(min=1, max=1_000_000)]
    )
    start = DateField(_l("Start date"), validators=[DataRequired()])
    end = DateField(_l("End date"), validators=[DataRequired()])
    hardship = MultiCheckboxField(
        _l("Only for these hardship types"),
        choices=choices(HARDSHIP_LABELS.items()),
        description=_l("Leave empty to serve every type"),
    )
