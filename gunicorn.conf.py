"""gunicorn settings for production (see DEPLOYMENT in the README). Override with GUNICORN_* env."""

import multiprocessing
import os
from typing import Any

from gunicorn.glogging import Logger

from marketplace.household.access_log import redact

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Threads serve concurrent requests cheaply while a request waits on PostgreSQL.
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Workers fork from a master that has imported the app: starting or replacing one costs a fork,
# not the 2 s of CPU an import takes (restart the master to deploy new code).
preload_app = True
timeout = 60
graceful_timeout = 30
# Idle keep-alive connections wait in the worker's poller at no cost. Behind the reverse proxy (its
# upstream keep-alive) and for clients that pause between requests, a short timeout only makes the
# server close connections that a client may be reusing at that very moment, which fails a POST.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 75))
# Recycle a worker now and then (a guard against slow leaks), not every minute at full load.
max_requests = 50000
max_requests_jitter = 5000
accesslog = os.environ.get("GUNICORN_ACCESSLOG")  # e.g. "-" for stdout


class TokenFreeLogger(Logger):
    """gunicorn's logger, with 幸福码 tokens cut out of every access-log field (request line, path,
    referer and the other headers): the token is a household's only credential."""

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}


logger_class = TokenFreeLogger
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
