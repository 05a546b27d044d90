"""Where the app's CPU goes per request, measured inside the gunicorn workers (bench only).

The benchmark serves the app with `benchmarks/gunicorn_sections.py`, the project's
gunicorn.conf.py plus a hook that wraps the functions in SECTIONS with timers of the thread's
own CPU clock (user + kernel). Time is charged to the innermost running section only, so the
sections add up: the search core's row is the search core without the Elasticsearch call inside
it. What the app's WSGI call does outside every inner section (Flask and werkzeug: request
context, routing, hooks, session, url_for, the Response) is "Flask, werkzeug, hooks, views", and
what the worker process does outside the WSGI call (gunicorn reading and writing the sockets,
accept and close, other threads) is the worker's CPU clock minus all of them.

The timers cost nothing until switched on: the benchmark sends SIGUSR2 to each worker, which
writes the totals so far to `$BENCH_SECTIONS_DIR/<pid>.json` and switches timing on; a run
between two signals is measured by the difference of the two files. A section whose function
does not exist in this version of the code is skipped, so the same list serves the code before
and after a change.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

# (label, module, qualified name): every function found is wrapped; several may share a label.
SECTIONS = [
    ("access log", "gunicorn.glogging", "Logger.access"),
    ("Flask, werkzeug, hooks, views", "flask.app", "Flask.wsgi_app"),
    ("arguments (webargs, marshmallow)", "webargs.core", "Parser.parse"),
    ("partner key", "directory.partners", "current_partner"),
    ("rate limit", "flask_limiter._extension", "Limiter._check_request_limit"),
    ("rate limit", "flask_limiter._extension", "Limiter._Limiter__inject_headers"),
    ("rate limit", "directory.ratelimit", "check_api_limit"),
    ("rate limit", "directory.ratelimit", "Limiter.hit"),
    ("rate-limit counter in the store", "directory.ratelimit", "SQLStorage.incr"),
    ("rate-limit counter in the store", "directory.ratelimit", "SQLStorage.get"),
    ("rate-limit counter in the store", "directory.ratelimit", "SQLStorage.get_expiry"),
    ("query understanding", "directory.search.core", "understand_query"),
    ("search core", "directory.search.core", "search"),
    ("elasticsearch-py", "elasticsearch", "Elasticsearch.msearch"),
    ("request body to JSON", "elastic_transport", "SerializerCollection.dumps"),
    ("HTTP to the node (urllib3, http.client)", "elastic_transport", "Urllib3HttpNode.perform_request"),
    ("HTTP to the node (urllib3, http.client)", "registry.http_node", "HttpClientNode.perform_request"),
    ("engine's answer from JSON", "elastic_transport", "SerializerCollection.loads"),
    ("JSON response", "directory.api.views", "json_response"),
    ("ETag", "werkzeug.wrappers.response", "Response.add_etag"),
    ("cookie session", "flask.sessions", "SecureCookieSessionInterface.open_session"),
    ("cookie session", "flask.sessions", "SecureCookieSessionInterface.save_session"),
    ("cookie session", "flask_login.login_manager", "LoginManager._update_remember_cookie"),
]
REQUEST = "Flask.wsgi_app"  # one call per request
OUTSIDE = "gunicorn, sockets, other threads"


class Timers:
    """Exclusive CPU time per label on the main thread, switched on by the first SIGUSR2."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.requests = 0
        self.active = False
        self.stack: list[str] = []
        self.mark = 0.0
        self.main = threading.main_thread().ident

    def wrap(self, label: str, fn, counts_request: bool):
        totals, stack, clock = self.totals, self.stack, time.thread_time

        def timed(*args, **kwargs):
            if not self.active or threading.get_ident() != self.main:
                return fn(*args, **kwargs)
            now = clock()
            if stack:
                totals[stack[-1]] += now - self.mark
            elif counts_request:
                self.requests += 1
            stack.append(label)
            self.mark = now
            try:
                return fn(*args, **kwargs)
            finally:
                now = clock()
                totals[stack.pop()] += now - self.mark
                self.mark = now

        timed.__wrapped__ = fn
        return timed

    def snapshot(self) -> dict:
        return {
            "pid": os.getpid(),
            "requests": self.requests,
            "process_cpu": time.process_time(),
            "sections": dict(self.totals),
        }


def _replace_everywhere(original, wrapped) -> None:
    """Rebind a module-level function wherever it was imported by name."""
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not namespace:
            continue
        for name, value in list(namespace.items()):
            if value is original:
                setattr(module, name, wrapped)


def _replace_in_hooks(app, original, wrap) -> None:
    """Flask keeps the request hooks it was given at start-up (bound methods included)."""
    if not hasattr(app, "before_request_funcs"):  # a bare WSGI function (benchmarks/floor_app.py)
        return
    for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        for hooks in registry.values():
            for i, hook in enumerate(hooks):
                if getattr(hook, "__func__", hook) is original:
                    hooks[i] = wrap(hook)


def install(out_dir: Path, app) -> list[str]:
    """Wrap every function of SECTIONS that exists; SIGUSR2 writes a snapshot and starts timing."""
    timers = Timers()
    installed = []
    for label, module_name, qualname in SECTIONS:
        try:
            owner = importlib.import_module(module_name)
        except ImportError:
            continue
        *path, name = qualname.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        original = getattr(owner, name, None) if owner is not None else None
        if original is None:
            continue
        wrapped = timers.wrap(label, original, counts_request=qualname == REQUEST)
        if path:
            setattr(owner, name, wrapped)
        else:
            _replace_everywhere(original, wrapped)
        _replace_in_hooks(app, original, lambda hook, label=label: timers.wrap(label, hook, False))
        installed.append(f"{module_name}:{qualname}")

    def dump(signum, frame) -> None:
        path = out_dir / f"{os.getpid()}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({**timers.snapshot(), "seq": time.monotonic_ns()}))
        tmp.replace(path)
        timers.active = True

    signal.signal(signal.SIGUSR2, dump)
    return installed


def read(out_dir: Path, pids: list[int]) -> dict[int, dict]:
    out = {}
    for pid in pids:
        path = out_dir / f"{pid}.json"
        if path.exists():
            out[pid] = json.loads(path.read_text())
    return out


def signal_and_read(out_dir: Path, pids: list[int], timeout: float = 10.0) -> dict[int, dict]:
    """SIGUSR2 to every worker, then their fresh snapshots."""
    before = {pid: snap.get("seq") for pid, snap in read(out_dir, pids).items()}
    for pid in pids:
        os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snaps = read(out_dir, pids)
        if len(snaps) == len(pids) and all(snaps[p].get("seq") != before.get(p) for p in pids):
            return snaps
        time.sleep(0.05)
    raise RuntimeError(f"workers did not write their section timers to {out_dir}")


def difference(first: dict[int, dict], second: dict[int, dict]) -> dict:
    """CPU ms per request by section between two snapshots, summed over the workers."""
    requests = sum(second[p]["requests"] - first[p]["requests"] for p in second if p in first)
    cpu = sum(second[p]["process_cpu"] - first[p]["process_cpu"] for p in second if p in first)
    totals: dict[str, float] = defaultdict(float)
    for pid, snap in second.items():
        if pid not in first:
            continue
        for label, seconds in snap["sections"].items():
            totals[label] += seconds - first[pid]["sections"].get(label, 0.0)
    n = max(requests, 1)
    per_request = {label: seconds * 1000 / n for label, seconds in totals.items()}
    per_request[OUTSIDE] = (cpu - sum(totals.values())) * 1000 / n
    ordered = dict(sorted(per_request.items(), key=lambda kv: -kv[1]))
    return {"requests": requests, "cpu_ms": cpu * 1000 / n, "sections_ms": ordered}
