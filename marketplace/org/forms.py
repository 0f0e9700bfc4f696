"""Organisation forms: publish an offer (帮扶项目)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.web.forms import MultiCheckboxField
from marketplace.web.helpers import choices
from marketplace.web.labels import HARDSHIP_LABELS, UNIT_LABELS


class OfferForm(FlaskForm):
    title = StringField(_l("Project title"), validators=[DataRequired(), Length(max=100)])
    # 项目 — which of the organisation's projects the offer runs in (choices set by the view).
    project_id = SelectField(
        _l("Project"), choices=[], validate_choice=False, validators=[Optional()]
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    items = MultiCheckboxField(
        _l("Items of help"),
        choices=[],
        validators=[DataRequired(message=_l("Choose at least one item"))],
    )
    # The service area: regions ticked in the district → street → community tree (templates
    # render it; region_tree.js adds the communities and a search) and/or a circle on the map.
    regions = SelectMultipleField(_l("Regions served"), choices=[], validate_choice=False)
    region_q = StringField(_l("Find a region"), validators=[Length(max=30)])
    lat = DecimalField(
        _l("Centre latitude"), places=6, validators=[Optional(), NumberRange(min=-90, max=90)]
    )
    lon = DecimalField(
        _l("Centre longitude"), places=6, validators=[Optional(), NumberRange(min=-180, max=180)]
    )
    radius_km = DecimalField(
        _l("Radius"), places=1, validators=[Optional(), NumberRange(min=0.1, max=500)]
    )
    capacity = IntegerField(
        _l("Capacity"), validators=[InputRequired(), NumberRange(min=1, max=1_000_000)]
    )
    unit = SelectField(
        _l("Unit"),
        choices=choices([("", _l("As the items suggest")), *UNIT_LABELS.items()]),
        validators=[Optional()],
        description=_l("What the capacity counts: portions, sessions, hours or people"),
    )
    start = DateField(_l("Start date"), validators=[DataRequired()])
    end = DateField(_l("End date"), validators=[DataRequired()])
    hardship = MultiCheckboxField(
        _l("Only for these hardship types"),
        choices=choices(HARDSHIP_LABELS.items()),
        description=_l("Leave empty to serve every type"),
    )


class OfferEditForm(FlaskForm):
    """An offer's edit on the web: its wording, capacity and dates (items and area: the API)."""

    title = StringField(_l("Project title"), validators=[DataRequired(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    capacity = IntegerField(
        _l("Capacity"),
        validators=[InputRequired(), NumberRange(min=1, max=1_000_000)],
        description=_l("Not less than what is already taken"),
    )
    start = DateField(_l("Start date"), validators=[DataRequired()])
    end = DateField(_l("End date"), validators=[DataRequired()])
