"""Labels of the household profile (家庭画像, ``marketplace.profiles``) and of the resilience score's
indicators, in the reader's language: the dimensions, each field, each choice.

The Excel template and import speak the Chinese names of ``marketplace.profiles`` itself (like
the hardship types there); pages and forms use these msgids.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from marketplace import profiles

DIMENSION_LABELS = {
    "source": _l("Source"),
    "family": _l("Family structure"),
    "health": _l("Health"),
    "property": _l("Property"),
    "expenses": _l("Expenses"),
    "employment": _l("Employment"),
    "other": _l("Other circumstances"),
}
FIELD_LABELS = {
    "source": _l("Source (how the household came to us)"),
    "dependants": _l("Members who must be supported"),
    "elderly_alone": _l("Elderly person living alone"),
    "single_parent": _l("Single-parent family"),
    "chronic_ill": _l("Members with a chronic illness"),
    "major_ill": _l("Members with a major illness"),
    "disability": _l("Severest disability grade"),
    "housing": _l("Housing"),
    "vehicle": _l("Owns a motor vehicle"),
    "savings": _l("Savings"),
    "medical_expense": _l("Yearly medical expenses"),
    "students": _l("Members in school"),
    "able_bodied": _l("Members able to work"),
    "employed": _l("Members in work"),
    "debt": _l("Large debts"),
    "disaster": _l("Hit by a disaster or accident"),
    "note": _l("Other circumstances (note)"),
    "members": _l("Household members"),
}
CHOICE_LABELS: dict[str, dict[str, Any]] = {
    "source": {
        "tekun": _l("Extreme poverty support (特困)"),
        "dibao": _l("Minimum living allowance (低保)"),
        "dibian": _l("Just above the minimum (低边)"),
        "monitored": _l("Monitored, not registered"),
        "assistance_exit": _l("Exited assistance"),
        "application_refused": _l("Application refused"),
        "temporary_assistance": _l("Temporary assistance"),
        "discovered": _l("Actively discovered"),
        "other_department": _l("Assisted by another department"),
    },
    "disability": {
        "none": _l("None"),
        "1": _l("Grade 1 (most severe)"),
        "2": _l("Grade 2"),
        "3": _l("Grade 3"),
        "4": _l("Grade 4"),
    },
    "housing": {
        "owned": _l("Own home"),
        "public": _l("Public rental housing"),
        "rented": _l("Rented"),
        "unsafe": _l("Unsafe building"),
        "none": _l("No fixed home"),
    },
    "savings": {
        "none": _l("No savings"),
        "low": _l("Under 10,000 yuan"),
        "mid": _l("10,000–50,000 yuan"),
        "high": _l("Over 50,000 yuan"),
    },
    "medical_expense": {
        "none": _l("None"),
        "low": _l("Under 10,000 yuan"),
        "high": _l("10,000–50,000 yuan"),
        "very_high": _l("Over 50,000 yuan"),
    },
}
# The score's explanation: the rows that are no indicator of the model.
SCORE_ROW_LABELS = {
    "base": _l("Base value"),
    "floor": _l("Lowest possible score"),
    "ceiling": _l("Highest possible score"),
    "legacy": _l("Score typed before profiles"),
    "test_score": _l("Score set by a test"),
}
SCORE_REASON_LABELS = {
    "create": _l("Registered"),
    "profile": _l("Profile changed"),
    "import": _l("Imported"),
    "model": _l("New model version"),
    "first": _l("First computed"),
    "legacy": _l("Typed by staff"),
}


def value_label(field: str, value: Any) -> Any:
    """A profile value as the reader reads it: a choice's label, yes/no, or the value."""
    if field in CHOICE_LABELS:
        return CHOICE_LABELS[field].get(str(value), value)
    if isinstance(value, bool):
        return _l("Yes") if value else _l("No")
    return value if value not in ("", None) else "—"


def indicator_label(code: str) -> Any:
    """An indicator of the model: its dimension's label and the code (``health.major_illness``)."""
    if code in SCORE_ROW_LABELS:
        return SCORE_ROW_LABELS[code]
    dimension = code.split(".", 1)[0]
    return DIMENSION_LABELS.get(dimension, dimension)


LAYOUT = [(d, [f.name for f in profiles.FIELDS if f.dimension == d]) for d in profiles.DIMENSIONS]


def contribution_why(contribution: dict[str, Any]) -> str:
    """The reason of a score's line in the reader's language (the model's ``why_zh`` for a
    reader of Chinese, when the model gives one)."""
    locale = get_locale()
    english = locale is not None and locale.language == "en"
    return str(
        contribution.get("why")
        if english
        else contribution.get("why_zh") or contribution.get("why")
    )


def template_globals() -> dict[str, Any]:
    return {
        "PROFILE_LAYOUT": LAYOUT,
        "PROFILE_DIMENSIONS": DIMENSION_LABELS,
        "PROFILE_FIELDS": FIELD_LABELS,
        "profile_value": value_label,
        "indicator_label": indicator_label,
        "contribution_why": contribution_why,
        "SCORE_REASONS": SCORE_REASON_LABELS,
    }
