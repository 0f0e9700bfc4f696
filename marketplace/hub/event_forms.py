"""Hub staff forms of monitoring: an event about a household (监测数据变动), and a lead's
registration or closing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from marketplace.web.helpers import choices
from marketplace.web.labels import EVENT_KIND_LABELS


class EventForm(FlaskForm):
    kind = SelectField(
        _l("What happened"),
        choices=choices(EVENT_KIND_LABELS.items()),
        validators=[DataRequired()],
    )
    occurred_on = DateField(_l("Date it happened"), validators=[InputRequired()])
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=1000)],
        description=_l("Phone numbers, ID numbers and street addresses are removed."),
    )


class LeadRegisterForm(FlaskForm):
    household_id = IntegerField(
        _l("Household number"),
        validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)],
        description=_l("Register the household first, then enter its number (#) here."),
    )


class LeadCloseForm(FlaskForm):
    note = StringField(
        _l("Why nothing is registered"), validators=[DataRequired(), Length(max=1000)]
    )
