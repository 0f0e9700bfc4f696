"""What a service tells the user, as data: a message code and its parameters.

Services never format sentences: they return or raise a ``Message`` (``"claim.cap_reached"``,
``{"n": 3}``) and the web layer renders it in the reader's language at reading time
(``marketplace.web.messages`` holds the one catalogue of codes and their English msgids).
Parameters are plain JSON values; a parameter that is itself a code (a status, a role) is rendered
through the web layer's labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# A text that has no code: kept as it is (a notification stored before codes existed).
RAW = "raw"


@dataclass(frozen=True)
class Message:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, value: Message | str) -> Message:
        """A message from a code (``"need.not_found"``) or a message."""
        return value if isinstance(value, Message) else cls(value)

    @classmethod
    def raw(cls, text: str) -> Message:
        return cls(RAW, {"text": text})

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | str) -> Message:
        """The inverse of ``as_dict``; a plain string (stored before codes existed) stays raw."""
        if isinstance(data, str):
            return cls.raw(data)
        return cls(str(data["code"]), dict(data.get("params") or {}))

    def __str__(self) -> str:
        return self.code
