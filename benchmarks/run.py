"""`make bench`: the API against the engine it wraps, measured side by side on one machine.

For each size: generate synthetic clinics (cached), load them with the real indexer and, for
the engine's ceiling, with raw pre-serialized `_bulk`; serve the app with gunicorn and a
partner key; build a query mix whose Elasticsearch requests are exactly the API's; load it
with wrk through the API, with wrk straight at Elasticsearch and with the Python client; read
memory; profile one API process. Every number is reported next to, and as a ratio of, the
engine measured in the same run, because the machine is shared and noisy.

Two modes in one run, in interleaved rounds: *shared* (the node, the app and the load
generator share every core, as on a laptop) and *pinned* (the node alone on core 0, the app and
the load generator on the others, as production runs the node apart from the app hosts).

    python benchmarks/run.py [--sizes 10000,100000] [--duration 20] [--rounds 3] [--keep]

See benchmarks/README.md for what each number means and the targets.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from importlib.metadata import version as pkg_version
from pathlib import Path

import costs
import loadgen
import report
import sections
import understanding
import urllib3
import workload
from elasticsearch import Elasticsearch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tools/

from indexer import index as es_index
from indexer.load import prepare
from indexer.mapping import MAPPING, index_settings, to_document
from registry import provenance
from registry.geocode import CachedGeocoder, make_geocoder
from registry.settings import Settings
from tools.synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SEED = 20261101
BULK_CHUNK = es_index.CHUNK_SIZE  # the indexer's chunk size, so both sides send the same requests
PARTNER_LIMIT = "1000000000 per minute"
MODES = ("shared", "pinned")
NODE_CORE = 0  # pinned mode: the node's core; everything else runs on the others
T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[bench {time.perf_counter() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def default_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "provider-directory-bench"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python benchmarks/run.py", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000", help="comma-separated clinic counts (default 10000)")
    p.add_argument("--duration", type=float, default=20, help="seconds per measured run (default 20)")
    p.add_argument("--rounds", type=int, default=3, help="measured runs per mode, interleaved (default 3)")
    p.add_argument("--warmup", type=float, default=5, help="warm-up seconds per mode (default 5)")
    p.add_argument(
        "--single",
        type=float,
        default=10,
        help="seconds of the 1-connection latency runs, API and engine (default 10; 0 skips)",
    )
    p.add_argument(
        "--sections",
        type=float,
        default=10,
        help="seconds of the API run per mode with the workers' section timers on (default 10; 0 skips)",
    )
    p.add_argument(
        "--modes",
        default="shared,pinned",
        help="shared (every core shared), pinned (the node alone on core 0), or both (default)",
    )
    p.add_argument("--connections", type=int, default=16, help="concurrent connections / client threads")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--queries", type=int, default=200, help="distinct request URLs in the mix")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--cache-dir", type=Path, default=default_cache())
    p.add_argument("--no-profile", action="store_true", help="skip the single-process API profile")
    p.add_argument("--keep", action="store_true", help="keep the bench aliases and indices afterwards")
    p.add_argument(
        "--answers",
        type=Path,
        metavar="FILE",
        help="only check the API's answers to the query mix against FILE (recorded there when "
        "missing; see benchmarks/answers.py), no timing",
    )
    args = p.parse_args(argv)
    try:
        args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        p.error("--sizes takes comma-separated integers, e.g. 10000,100000")
    if not args.sizes or min(args.sizes) < 100:
        p.error("each size must be at least 100")
    if args.rounds < 1 or args.duration < 1:
        p.error("--rounds and --duration must be at least 1")
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not args.modes or set(args.modes) - set(MODES):
        p.error(f"--modes takes a comma-separated subset of {','.join(MODES)}")
    return args


# --- data ---------------------------------------------------------------------------------------


def dataset(n: int, seed: int, cache: Path) -> Path:
    """The NDJSON feed of `n` synthetic clinics, generated once per (n, seed, generator version)."""
    made_by = hashlib.sha256((ROOT / "tools" / "synthetic.py").read_bytes()).hexdigest()[:8]
    path = cache / f"clinics-{n}-seed{seed}-{made_by}.ndjson"
    if path.exists():
        log(f"reusing {path}")
        return path
    log(f"generating {n:,} clinics into {path}")
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as out:
        for record in generate(n, seed=seed, reviews=(0, 5)):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.rename(path)
    return path


def bulk_bodies(feed: Path, n: int, seed: int, cache: Path) -> list[bytes]:
    """`_bulk` bodies of the same documents the indexer writes (validated, to_document), cached.

    The cache file is named after the mapping too: a new document field means a new mapping,
    so documents built for an older one are never reused.
    """
    shape = hashlib.sha256(json.dumps(MAPPING, sort_keys=True).encode() + feed.name.encode()).hexdigest()[:8]
    path = cache / f"bulk-{n}-seed{seed}-{shape}.ndjson"
    # As the indexer stores them: every group of facts confirmed by the feed as it loads.
    facts = provenance.stamped(None, provenance.RECORD_GROUPS, "feed:bench", datetime.now(UTC), ())
    if not path.exists():
        log(f"serializing {n:,} documents for raw _bulk into {path}")
        geocoder = CachedGeocoder(make_geocoder("offline"))
        tmp = path.with_suffix(".tmp")
        with feed.open() as src, tmp.open("w") as out:
            for line_no, line in enumerate(src, 1):
                record, rejected = prepare(json.loads(line), f"{feed.name}:{line_no}", geocoder)
                if record is None:
                    raise SystemExit(f"error: generated record rejected: {rejected}")
                action = json.dumps({"index": {"_id": record["id"]}})
                doc = json.dumps(to_document(record, None, facts), ensure_ascii=False, separators=(",", ":"))
                out.write(f"{action}\n{doc}\n")
        tmp.rename(path)
    bodies, chunk = [], []
    with path.open("rb") as src:
        for action in src:
            chunk.append(action + src.readline())
            if len(chunk) == BULK_CHUNK:
                bodies.append(b"".join(chunk))
                chunk = []
    if chunk:
        bodies.append(b"".join(chunk))
    return bodies


def sample_records(feed: Path, n: int, k: int, seed: int) -> list[dict]:
    """About `k` records picked uniformly from the feed without holding all of it."""
    rng = random.Random(seed)
    share = min(1.0, k / n)
    with feed.open() as src:
        return [json.loads(line) for line in src if rng.random() < share]


# --- indexing -----------------------------------------------------------------------------------


def raw_bulk(client: Elasticsearch, es_url: str, name: str, bodies: list[bytes]) -> float:
    """Seconds to POST the bodies with one keep-alive HTTP client, then refresh."""
    client.indices.create(
        index=name,
        settings={**index_settings(), "number_of_replicas": 0, "refresh_interval": "-1"},
        mappings=MAPPING,
    )
    http = urllib3.PoolManager(maxsize=1)
    headers = {"Content-Type": "application/x-ndjson"}
    docs = 0
    start = time.perf_counter()
    for body in bodies:
        resp = http.request("POST", f"{es_url}/{name}/_bulk", body=body, headers=headers, timeout=120)
        if resp.status != 200:
            raise RuntimeError(f"_bulk answered {resp.status}: {resp.data[:500]!r}")
        answer = json.loads(resp.data)
        if answer["errors"]:
            raise RuntimeError(f"_bulk item errors: {json.dumps(answer['items'][:3])[:800]}")
        docs += len(answer["items"])
    resp = http.request("POST", f"{es_url}/{name}/_refresh")
    seconds = time.perf_counter() - start
    if resp.status != 200:
        raise RuntimeError(f"_refresh answered {resp.status}")
    return seconds


def indexer_load(feed: Path, env: dict) -> float:
    """Seconds for `python -m indexer load` of the feed (fresh store, new index, alias swap)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "indexer", "load", "--no-progress", str(feed)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"indexer load failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    log(f"indexer: {proc.stderr.strip().splitlines()[-1]}")
    return seconds


# --- the app ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_partner(env: dict, root: Path = ROOT) -> str:
    name = f"bench-{int(time.time())}"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "directory",
            "partners",
            "create",
            name,
            "--rate-limit",
            PARTNER_LIMIT,
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip().splitlines()[-1].strip()


class Gunicorn:
    """The app under the project's gunicorn.conf.py, its log written to a file, with the section
    timers of benchmarks/sections.py in each worker (idle until switched on)."""

    def __init__(self, env: dict, log_path: Path, sections_dir: Path, root: Path = ROOT) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_file = log_path.open("w")
        self.sections_dir = sections_dir
        sections_dir.mkdir(parents=True, exist_ok=True)
        for old in sections_dir.glob("*.json"):
            old.unlink()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "benchmarks" / "gunicorn_sections.py"),
                env.get("BENCH_APP", "directory:create_app()"),  # benchmarks/floor_app.py
            ],
            cwd=root,
            env={**env, "BIND": f"127.0.0.1:{self.port}", "BENCH_SECTIONS_DIR": str(sections_dir)},
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        self.log_path = log_path

    def wait_ready(self, timeout: float = 60) -> None:
        """Until /healthz answers and the number of workers has not changed for a second."""
        deadline = time.monotonic() + timeout
        seen, steady_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log_path}")
            count = len(self.workers())
            if count != seen:
                seen, steady_since = count, time.monotonic()
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as resp:
                    if resp.status == 200 and count >= 1 and time.monotonic() - steady_since >= 1:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn not ready after {timeout}s; see {self.log_path}")

    def workers(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(c) for c in children]

    def stop(self) -> None:
        if self.proc.poll() is None:
            workers = self.workers()
            self.proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for pid in workers:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


class Pinning:
    """Pinned mode: the node alone on NODE_CORE; this process (and so wrk, the Python client's
    threads and the indexer it starts) and the app's gunicorn on the other cores. Set per thread
    with sched_setaffinity, the call `taskset -a -p` makes; `release` gives every thread the
    affinity its process had before. The node may be shared with other work, so the original is
    also kept in a file, and a run killed outright is undone by the next one (`undo_leftover`).
    """

    def __init__(self, node_pid: int, record: Path) -> None:
        self.node_pid, self.record = node_pid, record
        cores = os.sched_getaffinity(0)
        self.others = cores - {NODE_CORE}
        self.pinned_pids: dict[int, set[int]] = {}

    @staticmethod
    def for_node(es: Elasticsearch, record: Path) -> Pinning | None:
        """None when the node is not a process on this machine, or there is one core only."""
        info = es.nodes.info(node_id="_local", metric="process")
        pid = next(iter(info["nodes"].values()))["process"]["id"]
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        if b"elasticsearch" not in cmdline or len(os.sched_getaffinity(0)) < 2:
            return None
        return Pinning(pid, record)

    @staticmethod
    def _set(pid: int, cores: set[int]) -> None:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task.name), cores)

    def pin(self, app_pids: list[int]) -> None:
        for pid in [self.node_pid, os.getpid(), *app_pids]:
            if pid not in self.pinned_pids:
                self.pinned_pids[pid] = os.sched_getaffinity(pid)
        self.record.write_text(
            json.dumps({"pid": self.node_pid, "cores": sorted(self.pinned_pids[self.node_pid])})
        )
        self._set(self.node_pid, {NODE_CORE})
        for pid in [os.getpid(), *app_pids]:
            self._set(pid, self.others)

    def release(self) -> None:
        for pid, cores in self.pinned_pids.items():
            with contextlib.suppress(OSError):
                self._set(pid, cores)
        self.pinned_pids.clear()
        self.record.unlink(missing_ok=True)

    @staticmethod
    def undo_leftover(record: Path) -> None:
        if not record.exists():
            return
        left = json.loads(record.read_text())
        with contextlib.suppress(OSError):
            Pinning._set(left["pid"], set(left["cores"]))
            log(f"gave the node (pid {left['pid']}) back its cores {left['cores']} after an interrupted run")
        record.unlink(missing_ok=True)


@contextlib.contextmanager
def mode_of(pinning: Pinning | None, mode: str, app_pids: list[int]):
    """Run the block in `mode`: shared leaves every affinity as it is."""
    if mode == "shared" or pinning is None:
        yield
        return
    pinning.pin(app_pids)
    try:
        yield
    finally:
        pinning.release()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu_ms(pid: int) -> tuple[float, float]:
    """User and system CPU time of one process in ms, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    return int(fields[11]) * 1000 / CLOCK_TICKS, int(fields[12]) * 1000 / CLOCK_TICKS


class CpuMeter:
    """Where the CPU went during a run: app workers, the Elasticsearch node, the load generator.

    On a 2-core machine shared by all three, a closed loop is CPU-bound, so CPU time per
    request explains throughput: rate ~ cores / CPU per request.
    """

    def __init__(self, es: Elasticsearch, workers: list[int]) -> None:
        self.es, self.workers = es, workers

    def _es_ms(self) -> float:
        stats = self.es.nodes.stats(node_id="_local", metric="process")
        return next(iter(stats["nodes"].values()))["process"]["cpu"]["total_in_millis"]

    def sample(self) -> dict:
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        app = [proc_cpu_ms(pid) for pid in self.workers]
        return {
            "wall": time.perf_counter() * 1000,
            "app": sum(u + k for u, k in app),
            "app_sys": sum(k for _, k in app),
            "es": self._es_ms(),
            "children": (kids.ru_utime + kids.ru_stime) * 1000,
            "self": time.process_time() * 1000,
        }

    def per_request(self, before: dict, after: dict, requests: int, loadgen: str) -> dict:
        d = {k: after[k] - before[k] for k in before}
        n = max(requests, 1)
        out = {"app": d["app"] / n, "es": d["es"] / n, "loadgen": d[loadgen] / n}
        out["app_sys"] = d["app_sys"] / n
        out["total"] = out["app"] + out["es"] + out["loadgen"]
        out["busy"] = (d["app"] + d["es"] + d[loadgen]) / (d["wall"] * (os.cpu_count() or 1))
        return out


def vm_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


# --- measuring ----------------------------------------------------------------------------------


def median_run(runs: list[loadgen.Run]) -> dict:
    """One mode's rounds folded: medians of latency and rate, sums of counts."""
    med = statistics.median
    return {
        "p50": med(r.p50 for r in runs),
        "p90": med(r.p90 for r in runs),
        "p95": med(r.p95 for r in runs),
        "p99": med(r.p99 for r in runs),
        "mean": med(r.mean for r in runs),
        "rps": med(r.rps for r in runs),
        "requests": sum(r.requests for r in runs),
        "errors": sum(r.errors for r in runs),
        "bytes_per_request": med(r.bytes_per_request for r in runs),
        "cpu": {k: med(r.cpu[k] for r in runs) for k in runs[0].cpu},
        "rounds": [r.as_dict() for r in runs],
    }


def write_scripts(queries: list, api_key: str, workdir: Path) -> tuple[Path, Path]:
    """wrk scripts cycling through the mix: the API URLs, and their Elasticsearch twins."""
    api_script = loadgen.write_script(
        workdir / "api.lua",
        [{"method": "GET", "path": q.url, "headers": {"X-API-Key": api_key}} for q in queries],
    )
    drop = {"host", "content-length", "connection"}
    es_script = loadgen.write_script(
        workdir / "es.lua",
        [
            {
                "method": q.es_method,
                "path": q.es_target,
                "headers": {k: v for k, v in q.es_headers.items() if k.lower() not in drop},
                "body": q.es_body,
            }
            for q in queries
        ],
    )
    return api_script, es_script


def measure(
    args,
    wrk: str,
    app: Gunicorn,
    admin: Elasticsearch,
    es_url: str,
    queries: list,
    api_key: str,
    workdir: Path,
    pinning: Pinning | None,
) -> dict:
    """Per mode: warm up, then `rounds` interleaved runs of API / ES by wrk / ES by Python (the
    modes interleaved too), one connection each, and the section timers over one more API run."""
    api_script, es_script = write_scripts(queries, api_key, workdir)
    client = Elasticsearch(es_url, request_timeout=30, connections_per_node=args.connections)
    lines = [q.es_lines for q in queries]
    c, t = args.connections, args.threads

    def api(seconds, label="api", connections=c, threads=t):
        return loadgen.run_wrk(wrk, label, app.base, api_script, seconds, connections, threads)

    def es_wrk(seconds, label="es_wrk", connections=c, threads=t):
        return loadgen.run_wrk(wrk, label, es_url, es_script, seconds, connections, threads)

    def es_py(seconds, label="es_py"):
        return loadgen.run_python_client(label, client, lines, seconds, c)

    kinds = {"api": api, "es_wrk": es_wrk, "es_py": es_py}
    # Pinned mode compares the API with the engine's own ceiling only (wrk straight at the node).
    kinds_of = {"shared": ["api", "es_wrk", "es_py"], "pinned": ["api", "es_wrk"]}
    modes = [m for m in args.modes if m == "shared" or pinning is not None]
    app_pids = [app.proc.pid, *app.workers()]
    meter = CpuMeter(admin, app.workers())
    loadgen_of = {"api": "children", "es_wrk": "children", "es_py": "self"}
    for name, fn in kinds.items():
        log(f"warm-up {name} {args.warmup:g}s")
        fn(args.warmup, f"{name}-warmup")
    runs: dict[str, dict[str, list]] = {m: {k: [] for k in kinds_of[m]} for m in modes}
    for rnd in range(args.rounds):
        for mode in modes[rnd % len(modes) :] + modes[: rnd % len(modes)]:
            order = kinds_of[mode]
            with mode_of(pinning, mode, app_pids):
                for name in order[rnd % len(order) :] + order[: rnd % len(order)]:
                    before = meter.sample()
                    run = kinds[name](args.duration)
                    run.cpu = meter.per_request(before, meter.sample(), run.requests, loadgen_of[name])
                    log(
                        f"round {rnd + 1}/{args.rounds} {mode:6s} {name:7s} {run.rps:8.1f} req/s  "
                        f"p50 {run.p50:7.1f} ms  p99 {run.p99:7.1f} ms  errors {run.errors}  "
                        f"CPU/request {run.cpu['total']:.2f} ms, app {run.cpu['app']:.2f} "
                        f"(busy {run.cpu['busy']:.0%})"
                    )
                    runs[mode][name].append(run)
    client.close()
    out: dict = {mode: {name: median_run(r) for name, r in by_kind.items()} for mode, by_kind in runs.items()}
    for mode in modes:
        with mode_of(pinning, mode, app_pids):
            if args.single > 0:
                # One connection: no queueing, so the difference is the latency the API itself adds.
                single = {
                    "api": api(args.single, "api-c1", 1, 1),
                    "es_wrk": es_wrk(args.single, "es-c1", 1, 1),
                }
                for name, run in single.items():
                    log(
                        f"{mode} 1 connection {name:7s} p50 {run.p50:6.2f} ms  p99 {run.p99:6.2f} ms  "
                        f"{run.rps:.0f} req/s"
                    )
                out[mode]["single"] = {name: run.as_dict() for name, run in single.items()}
            if args.sections > 0:
                # Last: once switched on, the timers stay on in the workers.
                workers = app.workers()
                first = sections.signal_and_read(app.sections_dir, workers)
                run = api(args.sections, "api-sections")
                out[mode]["sections"] = sections.difference(
                    first, sections.signal_and_read(app.sections_dir, workers)
                )
                top = list(out[mode]["sections"]["sections_ms"].items())[:6]
                log(f"{mode} sections, CPU ms per request: " + ", ".join(f"{k} {v:.2f}" for k, v in top))
    return out


# --- one size -----------------------------------------------------------------------------------


def bench_size(
    n: int, args, wrk: str, es: Elasticsearch, settings: Settings, cleanup: list, pinning: Pinning | None
) -> dict:
    cache: Path = args.cache_dir
    alias = f"bench-{n}"
    feed = dataset(n, args.seed, cache)
    bodies = bulk_bodies(feed, n, args.seed, cache)
    store_path = cache / f"store-{n}.sqlite3"
    env = {
        **os.environ,
        "ELASTICSEARCH_URL": settings.elasticsearch_url,
        "DIRECTORY_INDEX": alias,
        "DATABASE_URL": f"sqlite:///{store_path}",
        "GEOCODER": "offline",
        "DIRECTORY_PUBLIC_URL": "http://127.0.0.1:8000",
    }
    if not args.keep:
        cleanup.append(lambda: es_index.delete_alias_and_indices(es, alias))
    es_index.delete_alias_and_indices(es, alias)

    indexing = {}
    for mode in [m for m in args.modes if m == "shared" or pinning is not None]:
        with mode_of(pinning, mode, []):
            raw_name = f"bench-raw-{n}-{datetime.now(UTC):%Y%m%d%H%M%S}"
            log(f"{mode}: raw _bulk of {n:,} documents into {raw_name}")
            try:
                raw_seconds = raw_bulk(es, settings.elasticsearch_url, raw_name, bodies)
            finally:
                es.options(ignore_status=404).indices.delete(index=raw_name)
            log(f"{mode}: raw _bulk: {raw_seconds:.1f}s ({n / raw_seconds:,.0f} records/s)")
            for suffix in ("", "-wal", "-shm"):  # a fresh store for each load
                Path(f"{store_path}{suffix}").unlink(missing_ok=True)
            log(f"{mode}: indexer load into {alias}")
            load_seconds = indexer_load(feed, env)
            log(f"{mode}: indexer load: {load_seconds:.1f}s ({n / load_seconds:,.0f} records/s)")
        indexing[mode] = {
            "indexer_seconds": load_seconds,
            "raw_bulk_seconds": raw_seconds,
            "indexer_rps": n / load_seconds,
            "raw_bulk_rps": n / raw_seconds,
        }
    del bodies

    api_key = create_partner(env)
    app = Gunicorn(env, cache / f"gunicorn-{n}.log", cache / f"sections-{n}")
    cleanup.append(app.stop)
    app.wait_ready()
    log(f"gunicorn on {app.base} with {len(app.workers())} workers; building the query mix")

    records = sample_records(feed, n, 5000, args.seed)
    queries, info = workload.build_mix(
        records, lambda url: workload.api_get(app.base, url, api_key), args.queries, args.seed
    )
    geocoder = CachedGeocoder(make_geocoder("offline"))
    checks = workload.attach_direct(queries, es, alias, geocoder, info["api_answers"])
    kinds = workload.describe(queries)
    log(f"{len(queries)} queries {kinds}; dropped {len(info['dropped'])}; checks {checks}")
    understood = understanding.measure([q.url for q in queries], geocoder)
    log(f"query understanding, CPU ms per request: {json.dumps(understood)}")

    results = measure(args, wrk, app, es, settings.elasticsearch_url, queries, api_key, cache, pinning)
    for mode, figures in indexing.items():
        results[mode]["indexing"] = figures
    log("cost guides: GET /api/v1/costs and the engine's own request (shared mode)")
    guides = costs.measure_costs(
        args, wrk, app.base, es, settings.elasticsearch_url, alias, api_key, geocoder, records, cache
    )
    log(
        f"costs: API p50 {guides['api']['p50']:.1f} ms p99 {guides['api']['p99']:.1f} ms "
        f"{guides['api']['rps']:.0f} req/s; engine p50 {guides['es_wrk']['p50']:.1f} ms; "
        f"exact {guides['exact']}/{guides['urls']}, mismatched {guides['mismatched']}"
    )

    workers = app.workers()
    rss = [vm_rss(pid) for pid in workers]
    jvm = es.nodes.stats(node_id="_local", metric="jvm")
    heap = next(iter(jvm["nodes"].values()))["jvm"]["mem"]
    store = es.indices.stats(index=alias, metric="store")
    memory = {
        "workers": len(workers),
        "worker_rss": rss,
        "worker_rss_sum": sum(rss),
        "worker_rss_mean": sum(rss) / len(rss) if rss else 0,
        "es_heap_used": heap["heap_used_in_bytes"],
        "es_heap_max": heap["heap_max_in_bytes"],
        "index_bytes": store["_all"]["primaries"]["store"]["size_in_bytes"],
    }
    app.stop()
    cleanup.remove(app.stop)

    prof = None
    if not args.no_profile:
        from profile_api import profile_api

        log("profiling one API process (in-process, one request at a time)")
        RESULTS.mkdir(parents=True, exist_ok=True)
        prof = profile_api(Settings.from_env(env), api_key, queries, alias, RESULTS / f"profile-{n}.txt")
        brief = {k: round(v, 2) for k, v in prof.items() if isinstance(v, float)}
        log(f"profile, ms per request: {json.dumps(brief)}")

    return {
        "size": n,
        "modes": results,
        "costs": guides,
        "memory": memory,
        "queries": {
            "count": len(queries),
            "kinds": kinds,
            "dropped": len(info["dropped"]),
            **checks,
        },
        "profile": prof,
        "understanding": understood,
    }


# --- header, notes, output ------------------------------------------------------------------------


def machine_header(
    args, es: Elasticsearch, wrk: str, results: list[dict], took: float, load_at_start: tuple
) -> dict:
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor() or "?",
    )
    node = next(iter(es.nodes.info(node_id="_local", metric="jvm")["nodes"].values()))
    heap_max = node["jvm"]["mem"]["heap_max_in_bytes"] / report.MIB
    workers = results[0]["memory"]["workers"] if results else "?"
    threads = os.environ.get("GUNICORN_THREADS", "1")
    mix = results[0]["queries"] if results else {}
    access_log = "on" if os.environ.get("ACCESS_LOG") == "1" else "off (the default; ACCESS_LOG=1 for on)"
    return {
        "machine": f"{os.cpu_count()} cores ({cpu}), {int(meminfo[1]) / 1024**2:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}",
        "versions": f"Python {platform.python_version()}, Elasticsearch {node['version']} "
        f"(JVM {node['jvm']['version']}, heap {heap_max:.0f} MiB), "
        f"elasticsearch-py {pkg_version('elasticsearch')}, "
        f"Flask {pkg_version('flask')}, flask-smorest {pkg_version('flask-smorest')}, "
        f"gunicorn {pkg_version('gunicorn')}, wrk {loadgen.wrk_version(wrk)}",
        "app": f"gunicorn.conf.py: {workers} {'gthread' if threads != '1' else 'sync'} workers × "
        f"{threads} thread(s), access log {access_log}; "
        f"partner key with rate limit '{PARTNER_LIMIT}'",
        "modes": "shared: the node, the app and the load generator on every core; pinned: the node "
        f"alone on core {NODE_CORE}, the app, wrk, the Python client and the indexer on the others "
        "(sched_setaffinity per thread, as `taskset -a -p`), in interleaved rounds",
        "load": f"closed loop, {args.connections} connections, wrk -t{args.threads}; "
        f"Python client: {args.connections} threads; {args.rounds} interleaved runs of "
        f"{args.duration:g}s per mode after {args.warmup:g}s warm-up; medians of the runs",
        "machine load": "load average (1, 5, 15 min) at the start "
        + ", ".join(f"{v:.2f}" for v in load_at_start)
        + ", at the end "
        + ", ".join(f"{v:.2f}" for v in os.getloadavg())
        + " (other work on the machine shows here)",
        "queries": f"{mix.get('count', '?')} distinct URLs: "
        + ", ".join(f"{k} {v}" for k, v in mix.get("kinds", {}).items())
        + "; facets on; same Elasticsearch request for all three modes",
        "run took": f"{took / 60:.1f} min",
    }


def notes(results: list[dict]) -> list[str]:
    out = [
        "Ratios are project ÷ engine, measured in the same run. Latency is per request under "
        "16 concurrent connections (closed loop), so it includes queueing.",
    ]
    for r in results:
        q = r["queries"]
        out.append(
            f"- {r['size']:,} clinics: the API's and the engine's answers were compared for all "
            f"{q['count']} queries: {q['mismatched_total']} differing totals, "
            f"{q['mismatched_ids']} differing result lists; "
            f"{q['dropped']} URLs dropped for a non-200 answer."
        )
        for mode, m in r["modes"].items():
            c = m["api"]["cpu"]
            out.append(
                f"- {r['size']:,} clinics, {mode}, CPU per API request under load: gunicorn workers "
                f"{c['app']:.2f} ms (of which kernel {c['app_sys']:.2f} ms), Elasticsearch {c['es']:.2f} ms "
                f"(straight from wrk: {m['es_wrk']['cpu']['es']:.2f} ms), wrk {c['loadgen']:.2f} ms."
            )
        k = r.get("costs")
        if k:
            one = k.get("single", {})
            api, engine = k["api"], k["es_wrk"]
            text = (
                f"- {r['size']:,} clinics, shared, cost guides (GET /api/v1/costs, {k['urls']} URLs: "
                f"a treatment around a city, in a state, nationwide): API p50 {api['p50']:.1f} ms, "
                f"p99 {api['p99']:.1f} ms, "
                f"{api['rps']:.0f} req/s under load; the engine's own request p50 {engine['p50']:.1f} ms, "
                f"p99 {engine['p99']:.1f} ms, {engine['rps']:.0f} req/s"
            )
            if one:
                single = f"API p50 {one['api']['p50']:.1f} ms, engine {one['es_wrk']['p50']:.1f} ms"
                text += f"; one connection: {single}"
            text += f"; {k['exact']} of {k['urls']} exact from every price, {k['mismatched']} differing."
            out.append(text)
        p = r.get("profile")
        if p:
            share = p["es_ms"] / p["api_ms"] * 100
            out.append(
                f"- {r['size']:,} clinics, one API process, one request at a time "
                f"({p['requests']} requests): {p['api_ms']:.1f} ms per request = "
                f"Elasticsearch call {p['es_ms']:.1f} ms ({share:.0f}%) "
                f"+ partner-key lookup {p['partner_ms']:.1f} ms "
                "+ the rest (Flask, marshmallow, rate limit, result summaries, JSON, ETag) "
                f"{p['rest_ms']:.1f} ms; "
                f"the same searches straight through the Python client: {p['direct_ms']:.1f} ms "
                f"({p['api_ms'] / p['direct_ms']:.2f}×). "
                "CPU time of the Python process per request: "
                f"API {p['api_cpu_ms']:.1f} ms, direct client {p['direct_cpu_ms']:.1f} ms. "
                f"Call tree: benchmarks/results/profile-{r['size']}.txt"
            )
            if p.get("hot"):
                top = ", ".join(f"{name} {ms:.2f}" for name, ms in list(p["hot"].items())[:10])
                out.append(f"- {r['size']:,} clinics, self time per API request by package, ms: {top}")
    return out


def write_results(meta: dict, results: list[dict]) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = report.markdown(meta, results)
    stamp = meta["stamp"]
    (RESULTS / f"{stamp}.md").write_text(text)
    (RESULTS / "latest.md").write_text(text)
    raw = json.dumps({"meta": meta, "results": results}, indent=1, default=str)
    (RESULTS / f"{stamp}.json").write_text(raw)
    (RESULTS / "latest.json").write_text(raw)
    report.chart(results, RESULTS / "latest.png")
    return text


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def sweep_raw_indices(es: Elasticsearch) -> None:
    """Raw-bulk indices left by a run that was killed outright (they never hold an alias)."""
    for row in es.cat.indices(index="bench-raw-*", format="json", expand_wildcards="all"):
        es.options(ignore_status=404).indices.delete(index=row["index"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.answers:
        import answers

        return answers.check(args.answers)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    wrk = loadgen.ensure_wrk()
    settings = Settings.from_env()
    es = Elasticsearch(settings.elasticsearch_url, request_timeout=120)
    try:
        es.cluster.health(wait_for_status="yellow", timeout="30s")
    except Exception as err:  # noqa: BLE001 - any failure here means: no usable node
        print(
            f"error: Elasticsearch not usable at {settings.elasticsearch_url}: {err}\n"
            "Start the local node with `make es` (or set ELASTICSEARCH_URL).",
            file=sys.stderr,
        )
        return 2
    started = datetime.now(UTC)
    load_at_start = os.getloadavg()
    cleanup: list = []
    # A Ctrl-C or SIGTERM still stops gunicorn, gives the node its cores back and deletes the
    # bench indices.
    signal.signal(signal.SIGTERM, _interrupted)
    sweep_raw_indices(es)
    record = args.cache_dir / "pinned-node.json"
    Pinning.undo_leftover(record)
    pinning = Pinning.for_node(es, record) if "pinned" in args.modes else None
    if "pinned" in args.modes and pinning is None:
        log("pinned mode skipped: the node is not a process on this machine, or there is one core")
    results = []
    try:
        for n in args.sizes:
            log(f"=== {n:,} clinics ===")
            results.append(bench_size(n, args, wrk, es, settings, cleanup, pinning))
    finally:
        if pinning is not None:
            pinning.release()
        for fn in reversed(cleanup):
            try:
                fn()
            except Exception as err:  # noqa: BLE001 - keep cleaning up
                log(f"cleanup: {err}")
    took = time.perf_counter() - T0
    meta = {
        "started": f"{started:%Y-%m-%d %H:%M} UTC",
        "stamp": f"{started:%Y%m%dT%H%M%SZ}",
        "header": machine_header(args, es, wrk, results, took, load_at_start),
        "notes": notes(results),
    }
    text = write_results(meta, results)
    print(text)
    log(f"wrote {RESULTS / (meta['stamp'] + '.md')}, latest.md, latest.json and latest.png")
    es.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
