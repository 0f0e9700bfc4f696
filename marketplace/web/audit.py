"""The audit log (审计日志) as the administrator reads it: each entry's action, object and the
fields it kept before and after, in the reader's language. Codes are named by the same vocabulary
as on every other page (``marketplace.web.labels``); the stored entries stay codes and JSON."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext

from marketplace.web.i18n import bjtime
from marketplace.web.labels import AUDIT_FIELD_LABELS, label
from marketplace.web.messages import render

STORED_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
# A field whose value is a code: the vocabulary that names it (a status: by the object's kind).
FIELD_VOCABULARY = {
    "hardship_type": "hardship",
    "kind": "kind",
    "role": "role",
    "type": "org_type",
    "tags": "tag",
    "second_factor": "second_factor",
    "item": "item",
    "items": "item",
    "unit": "unit",
    "regions": "region",
    "scope": "region",
    "community_code": "region",
    "funding": "funding",
    "stage": "stage",
    "hardship": "hardship",
    "delivery_mode": "delivery_mode",
}
STATUS_VOCABULARY = {
    "need": "need_status",
    "claim": "claim_status",
    "offer": "offer_status",
    "organisation": "org_status",
    "proposal": "proposal_status",
    "matchround": "round_status",
    "project": "project_status",
}


def _value(vocabulary: str | None, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return "、".join(_value(vocabulary, v) for v in value) or "—"
    if vocabulary is not None and isinstance(value, str):
        return label(vocabulary, value)
    if isinstance(value, str) and STORED_MOMENT.match(value):
        return bjtime(value)  # kept as UTC ("2026-12-01 16:30:00+00:00"), read in Beijing time
    return str(value)


def details(object_type: str, data: dict[str, Any] | None) -> list[tuple[str, str]]:
    """An entry's ``before`` or ``after`` as (field, value) pairs a person reads. A message code
    (a failed round's) is rendered with the entry's other values as its parameters."""
    if not data:
        return []
    if "message" in data:
        params = {k: v for k, v in data.items() if k != "message"}
        return [(str(AUDIT_FIELD_LABELS["message"]), render(str(data["message"]), params))]
    out = []
    for key, value in data.items():
        vocabulary = STATUS_VOCABULARY.get(object_type) if key == "status" else None
        out.append(
            (label("audit_field", key), _value(vocabulary or FIELD_VOCABULARY.get(key), value))
        )
    return out


def field_value(object_type: str, field: str, value: Any) -> str:
    """One value of an entry as a person reads it (the case file's history, row by row)."""
    vocabulary = STATUS_VOCABULARY.get(object_type) if field == "status" else None
    return _value(vocabulary or FIELD_VOCABULARY.get(field), value)
