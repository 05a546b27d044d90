"""gunicorn settings for `make run` and production; override with environment variables or CLI flags.

The app is loaded once in the master (preload_app) and the offline gazetteer is built there,
so the workers share those pages instead of each building its own copy (about 100 MiB each).
The app opens no connection at load time (clients and pools connect lazily), so forking is safe.

Sync workers by measurement (10k clinics, 2 cores shared with Elasticsearch, wrk with 16
connections, two interleaved rounds): 4 sync workers 426-433 req/s, max latency 78-79 ms;
4 gthread workers x 4 threads 435-462 req/s but max latency 158-222 ms (threads of one worker
queue behind each other's Python work); 2 x 8 threads 402-408 req/s. Same throughput, much
better tail: sync. Set GUNICORN_THREADS to change it.
"""

import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import re

from gunicorn.config import ControlSocket
from gunicorn.http import wsgi
from gunicorn.workers.sync import SyncWorker

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
preload_app = True
# No access log by default: it is the proxy's job (nginx, the load balancer), and writing a line
# per request costs the app about 7% of its CPU (benchmarks/README.md, levers). ACCESS_LOG=1 logs
# each request to stdout.
accesslog = "-" if os.environ.get("ACCESS_LOG", "0") == "1" else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")

# Client addresses and schemes from proxies are the app's business (DIRECTORY_TRUSTED_PROXIES,
# werkzeug's ProxyFix): gunicorn's own trust of X-Forwarded-* from 127.0.0.1 is turned off, so
# there is one rule, written down in one place.
forwarded_allow_ips = ""
secure_scheme_headers = {}

# Each instance gets its own control socket (gunicorn's default is one path per user), so
# stopping one instance does not remove another's socket on the same host.
control_socket = os.environ.get(
    "GUNICORN_CONTROL_SOCKET",
    os.path.join(
        os.path.dirname(ControlSocket.default), f"gunicorn-{re.sub(r'[^A-Za-z0-9.-]+', '-', bind)}.ctl"
    ),
)

# A client that stops sending half-way through its request frees its worker after this many
# seconds (a sync worker otherwise waits for it until `timeout` kills the worker). Clients that
# trickle bytes slowly need a buffering proxy in front (see README, Deploying safely).
READ_TIMEOUT = float(os.environ.get("GUNICORN_READ_TIMEOUT", "10"))


class _SlowClientNote(logging.Filter):
    """A client that timed out is a one-line note in the log, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], TimeoutError):
            record.msg, record.args, record.exc_info, record.levelno = (
                f"client too slow: dropped after {READ_TIMEOUT:.0f} s without data",
                (),
                None,
                logging.INFO,
            )
            record.levelname = "INFO"
        return True


class ReadTimeoutSyncWorker(SyncWorker):
    """The sync worker, with a read timeout on each client's socket."""

    def init_process(self) -> None:
        self.log.error_log.addFilter(_SlowClientNote())
        super().init_process()

    def handle(self, listener, client, addr) -> None:
        client.settimeout(READ_TIMEOUT)
        super().handle(listener, client, addr)


worker_class = ReadTimeoutSyncWorker if threads == 1 else "gthread"

# No `Server: gunicorn` banner: gunicorn has no setting for it, so its default headers go
# through this filter.
_default_headers = wsgi.Response.default_headers
wsgi.Response.default_headers = lambda self: [
    h for h in _default_headers(self) if not h.lower().startswith("server:")
]


def when_ready(server):
    """Before the workers fork: build what they would otherwise each build, then freeze it."""
    from directory.search.understand import BARE_PLACE_START_POPULATION, vocabulary_table
    from registry import places
    from registry.settings import Settings

    # The gazetteer, populations and place names, and the vocabulary of query understanding.
    places.use_cache(Settings.from_env().gazetteer_cache)
    places.prepare((0, BARE_PLACE_START_POPULATION))
    vocabulary_table()
    gc.collect()
    gc.freeze()  # keep the shared objects out of the workers' garbage collections (copy-on-write)
    # The build's temporary rows leave free heap pages that every forked worker would carry
    # as resident memory; glibc hands them back to the system (10 MiB less RSS per worker).
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
