"""Hub staff forms: household intake, needs, decisions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.hub.profile_forms import profile_field
from marketplace.web.forms import MultiCheckboxField
from marketplace.web.helpers import choices
from marketplace.web.labels import (
    DELIVERY_MODE_LABELS,
    HARDSHIP_LABELS,
    KIND_LABELS,
    STAGE_LABELS,
    TAG_LABELS,
)


class HouseholdForm(FlaskForm):
    name = StringField(
        _l("Name of the head of household"), validators=[DataRequired(), Length(max=64)]
    )
    id_number = StringField(
        _l("Resident ID number"),
        validators=[DataRequired(), Length(max=18)],
        render_kw={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"},
    )
    phone = StringField(
        _l("Phone"), validators=[DataRequired(), Length(max=20)], render_kw={"inputmode": "tel"}
    )
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])
    # Grouped by street (<optgroup>); hub_picker.js adds a search box above it (data-filter).
    community_code = SelectField(
        _l("Community"),
        validators=[DataRequired()],
        choices=[],
        render_kw={
            "data-filter": _l("Search communities or streets"),
            "data-filter-count": _l("%(n)s communities match", n="{n}"),
        },
    )
    hardship_type = SelectField(_l("Hardship type"), choices=choices(HARDSHIP_LABELS.items()))
    members = IntegerField(
        _l("Household members"), default=1, validators=[InputRequired(), NumberRange(min=1, max=30)]
    )
    tags = MultiCheckboxField(_l("Tags"), choices=choices(TAG_LABELS.items()))
    # 家庭画像: the resilience score is computed from it; staff never type a score.
    profile = profile_field()


class NeedForm(FlaskForm):
    kind = RadioField(_l("Kind"), choices=choices(KIND_LABELS.items()), default="wish")
    item = SelectField(_l("Item of help"), validators=[DataRequired()], choices=[])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=100)])
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=2000)],
        description=_l(
            "Phone numbers, ID numbers and street addresses are removed before members see it."
        ),
    )
    value_yuan = DecimalField(
        _l("Estimated value (yuan)"),
        places=2,
        default=0,
        validators=[Optional(), NumberRange(min=0)],
    )
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    delivery_mode = RadioField(
        _l("Delivery mode"),
        choices=choices(DELIVERY_MODE_LABELS.items()),
        default="handover",
        description=_l(
            "For home delivery or home service the helper may see the household's address and"
            " phone while the claim is in progress (every view is recorded)."
        ),
    )
    delivery_instructions = TextAreaField(
        _l("Delivery instructions"),
        validators=[Length(max=500)],
        render_kw={"rows": 2, "placeholder": _l("e.g. Bring it to the community service centre")},
        description=_l("What the helper should know: where to bring it, whom to call first."),
    )
    # 专项活动: a running campaign that targets the household's community (choices set by the
    # view); the need's item must be one of its theme items.
    campaign_id = SelectField(
        _l("Campaign"), choices=[], validate_choice=False, validators=[Optional()]
    )


class HubContactForm(FlaskForm):
    """本助联体联系方式 — what helpers see: whom to call, where to hand help over, when."""

    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=64)])
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )
    handover_address = StringField(
        _l("Handover point (address)"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("Where helpers bring items, e.g. the community service centre, room 102."),
    )
    office_hours = StringField(
        _l("Office hours"),
        validators=[Length(max=100)],
        render_kw={"placeholder": _l("e.g. Mon–Fri 9:00–17:00")},
    )


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class ImportForm(FlaskForm):
    kind = RadioField(
        _l("What the workbook holds"),
        choices=choices(
            [
                ("households", _l("Households and needs")),
                ("events", _l("Monitoring events (监测数据变动)")),
            ]
        ),
        default="households",
    )
    file = FileField(
        _l("Filled-in import workbook (.xlsx)"),
        validators=[FileRequired()],
        render_kw={
            "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        },
    )


class HouseholdEditForm(HouseholdForm):
    """The registration form without the profile (家庭画像 has its own editor, rescored at once)."""

    profile = None


class NeedEditForm(NeedForm):
    """A need's edit: the intake fields and what members and organisations read of it."""

    public_title = StringField(
        _l("Public title"),
        validators=[Length(max=100)],
        description=_l("What members and organisations read; empty: made again from the title."),
    )
    public_text = TextAreaField(_l("Public description"), validators=[Length(max=2000)])


class StageForm(FlaskForm):
    """一户一档 lifecycle: the next stage and why."""

    stage = SelectField(_l("New stage"), choices=choices(STAGE_LABELS.items()))
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class AttachmentForm(FlaskForm):
    file = FileField(
        _l("Document or photo (PDF, JPEG, PNG, WebP)"),
        validators=[FileRequired()],
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,.webp,application/pdf,image/*"},
    )
