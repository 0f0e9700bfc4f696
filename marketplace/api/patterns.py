"""What text may hold, as the OpenAPI document states it (one home for the pattern, for every
part of the document): any character but the C0 controls other than tab and newlines (the server
refuses them, ``schemas.CONTROL``); a required text needs visible characters, since text is
trimmed before its length is checked."""

from __future__ import annotations

_CHAR = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_WORD = r"[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def text_pattern(visible: int = 0) -> str:
    """Text without control characters and with at least ``visible`` visible characters."""
    return "^" + _CHAR + "*" + "".join(_WORD + _CHAR + "*" for _ in range(visible)) + "$"
