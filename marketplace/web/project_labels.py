"""Words for projects (项目): funding sources and statuses, as the pages name them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FUNDING_LABELS = {
    "venture": _l("Venture philanthropy (公益创投)"),
    "trust": _l("Charitable trust (慈善信托)"),
    "own": _l("Own funds (自有资金)"),
    "government": _l("Government-purchased services (政府购买服务)"),
}
PROJECT_STATUS_LABELS = {"active": _l("Active"), "closed": _l("Closed")}
