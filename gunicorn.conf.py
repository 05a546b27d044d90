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
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
preload_app = True
accesslog = "-" if os.environ.get("ACCESS_LOG", "1") == "1" else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")


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
