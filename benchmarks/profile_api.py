"""Where an API request's time goes: one process, one request at a time, no gunicorn.

Two passes over the same URLs as the load test: a timed pass that splits each request into
the Elasticsearch call, the partner-key lookup and the rest, and a pyinstrument pass whose call
tree is written to benchmarks/results/profile-<size>.txt. (The CPU of each part under load, in
the gunicorn workers, is measured by benchmarks/sections.py.)
The same searches are also sent straight through the Python client, one at a time, so the
in-process numbers have their own engine baseline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from registry.settings import Settings


class Timer:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1

        return timed


@contextmanager
def patched(obj, name: str, timer: Timer):
    original = getattr(obj, name)
    setattr(obj, name, timer.wrap(original))
    try:
        yield
    finally:
        setattr(obj, name, original)


def profile_api(
    settings: Settings, api_key: str, queries: list, alias: str, out: Path, rounds: int = 2
) -> dict:
    """Per-request breakdown (ms) of the API in one process, and the direct baseline."""
    from directory import create_app
    from registry import partners

    app = create_app({"SETTINGS": settings, "PUBLIC_URL": "http://127.0.0.1:8000"})
    web = app.test_client()
    es = app.extensions["elasticsearch"]
    headers = {"X-API-Key": api_key}
    urls = [q.url for q in queries]

    def api_pass() -> None:
        for url in urls:
            resp = web.get(url, headers=headers)
            if resp.status_code != 200:
                raise RuntimeError(f"{url} answered {resp.status_code}: {resp.get_data(as_text=True)[:300]}")

    api_pass()  # warm: imports, caches, connections
    timers = {k: Timer() for k in ("es", "partner")}
    with (
        patched(es.transport, "perform_request", timers["es"]),
        patched(partners, "for_key", timers["partner"]),
    ):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(rounds):
            api_pass()
        total, api_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    n = len(urls) * rounds

    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for q in queries:
            es.msearch(searches=q.es_lines)
    direct, direct_cpu = time.perf_counter() - start, time.process_time() - cpu_start

    result = {
        "requests": n,
        "api_ms": total / n * 1000,
        "direct_ms": direct / n * 1000,
        "api_cpu_ms": api_cpu / n * 1000,
        "direct_cpu_ms": direct_cpu / n * 1000,
        "es_ms": timers["es"].seconds / n * 1000,
        "partner_ms": timers["partner"].seconds / n * 1000,
    }
    result["rest_ms"] = result["api_ms"] - result["es_ms"] - result["partner_ms"]

    try:
        from pyinstrument import Profiler
    except ImportError:
        result["profile"] = None
        return result
    profiler = Profiler(interval=0.0005)
    profiler.start()
    api_pass()
    profiler.stop()
    groups = self_time_by_group(profiler.last_session.root_frame())
    per_request = {k: v / len(urls) * 1000 for k, v in groups.items()}
    table = "\n".join(f"{ms:8.3f} ms  {name}" for name, ms in list(per_request.items())[:40])
    tree = profiler.output_text(unicode=True, color=False, show_all=False)
    out.write_text(
        f"Self time per API request by package ({len(urls)} requests, one at a time, in-process;\n"
        f"socket waits are time spent waiting on Elasticsearch and the store):\n\n{table}\n\n"
        f"Call tree:\n{tree}"
    )
    result["profile"] = str(out)
    result["hot"] = dict(list(per_request.items())[:15])
    return result


def group_of(frame) -> str:
    """A readable owner for a frame's self time: a package, a project module or a built-in."""
    path = frame.file_path or ""
    if path == "<built-in>" or not path:
        return f"built-in {frame.function}"
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    root = str(Path(__file__).resolve().parent.parent) + "/"
    if path.startswith(root):
        return path.removeprefix(root)
    # The standard library: name the module, e.g. "stdlib json.encoder".
    parts = Path(path).with_suffix("").parts
    tail = next((parts[i + 1 :] for i, p in enumerate(parts) if p.startswith("python3")), parts[-1:])
    return "stdlib " + ".".join(tail).removesuffix(".__init__")


def self_time_by_group(root) -> dict[str, float]:
    """Seconds of self time per group, largest first."""
    totals: dict[str, float] = {}
    stack = [root]
    while stack:
        frame = stack.pop()
        if not frame.is_synthetic and frame.total_self_time:
            key = group_of(frame)
            totals[key] = totals.get(key, 0.0) + frame.total_self_time
        stack.extend(frame.children)
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))
