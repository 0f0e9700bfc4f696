"""OpenAPI paths of match rounds (issue: matching engine)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def round_paths(
    op: Callable[..., dict[str, Any]], path_id: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    return {}
