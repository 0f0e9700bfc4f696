"""Forms of the match-round pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length


class DecisionForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=500)])
