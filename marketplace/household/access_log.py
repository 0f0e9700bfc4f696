"""幸福码 tokens stay out of the logs.

The token in ``/h/<token>`` (and ``/api/v1/happiness/<token>``) is the household's only credential,
so no access log may keep it: the development server's log (logger ``werkzeug``) gets a filter when
the blueprint is registered, and gunicorn's access log (``gunicorn.conf.py``) the same rewriting of
its request line, path and referer.
"""

from __future__ import annotations

import logging
import re

# The token is the path segment after the prefix; the rest of the path (``/ack/3``) stays.
TOKEN_IN_PATH = re.compile(r"(/h/|/api/v1/happiness/)[^/?#\s\"']+")
HIDDEN = "[token]"


def redact(text: str) -> str:
    """``GET /h/AbC…/ack/3`` → ``GET /h/[token]/ack/3``."""
    return TOKEN_IN_PATH.sub(lambda m: m.group(1) + HIDDEN, text)


class TokenFilter(logging.Filter):
    """Rewrites a log record whose message holds a 幸福码 path (the record is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def install(*logger_names: str) -> None:
    """Add the filter to these loggers (default: the development server's), once."""
    for name in logger_names or ("werkzeug",):
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenFilter) for f in logger.filters):
            logger.addFilter(TokenFilter())
