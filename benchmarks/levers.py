"""Paired, interleaved comparison of app variants on the same data: what one lever is worth.

    python benchmarks/levers.py --size 10000 --variant before=/tmp/tree-before \\
        --variant after=. --variant "after, access log on=.:ACCESS_LOG=1"

A variant is a source tree (a checkout of some commit; `.` is this one) and environment
settings after colons. Every variant is served at the same time by its own gunicorn (its own
gunicorn.conf.py and code) on one index and one store, and loaded with wrk in interleaved rounds
whose order rotates, each round also running wrk straight at the node (the engine's reference),
so a burst of other work on the machine hits every variant alike. Per variant: the medians of
app CPU per request (its gunicorn workers, from /proc), node CPU per request, throughput, p50 and
p99, each also as a ratio of the first variant's, with the range of the per-round paired ratios;
then the per-section CPU of each variant (benchmarks/sections.py). A variant with REDIS_URL
counts the CPU of tools/redisnode.py's Redis server as its app's. Before timing, each variant's
answers to the whole query mix are compared with the first variant's.

`--mode pinned` runs every round with the node alone on core 0 (see run.py). Results are printed
and written to benchmarks/results/levers-<time>.md / .json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import loadgen
import run
import sections
import workload
from elasticsearch import Elasticsearch

from registry.geocode import CachedGeocoder, make_geocoder
from registry.settings import Settings
from tools import redisnode


@dataclass
class Variant:
    name: str
    root: Path
    env: dict[str, str]
    app: run.Gunicorn | None = None
    runs: list[loadgen.Run] = field(default_factory=list)
    sections: dict | None = None


def parse_variant(text: str) -> Variant:
    name, sep, spec = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=TREE[:VAR=VALUE...], got {text!r}")
    root, *settings = re.split(r":(?=[A-Za-z_][A-Za-z0-9_]*=)", spec)  # values may hold colons (URLs)
    env = {}
    for setting in settings:
        key, sep, value = setting.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"expected VAR=VALUE after ':', got {setting!r}")
        env[key] = value
    path = (run.ROOT if root in ("", ".") else Path(root)).resolve()
    if not (path / "directory" / "__init__.py").exists():
        raise argparse.ArgumentTypeError(f"{path} is not a source tree of the project")
    return Variant(name, path, env)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python benchmarks/levers.py", description=__doc__.splitlines()[0])
    p.add_argument("--variant", type=parse_variant, action="append", required=True, dest="variants")
    p.add_argument("--size", type=int, default=10000, help="clinics (default 10000)")
    p.add_argument("--mode", choices=run.MODES, default="shared")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    p.add_argument("--duration", type=float, default=15, help="seconds per run (default 15)")
    p.add_argument("--warmup", type=float, default=5)
    p.add_argument("--sections", type=float, default=8, help="seconds of the timed run per variant (0 skips)")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--seed", type=int, default=run.SEED)
    p.add_argument("--cache-dir", type=Path, default=run.default_cache())
    args = p.parse_args(argv)
    if len({v.name for v in args.variants}) != len(args.variants):
        p.error("variant names must differ")
    return args


def redis_pids(v: Variant) -> list[int]:
    """The local Redis server (tools/redisnode.py) of a variant counting limits in it: its CPU is
    part of that variant's app CPU."""
    pidfile = redisnode.HOME / "redis.pid"
    if "REDIS_URL" not in v.env or not pidfile.exists():
        return []
    return [int(pidfile.read_text().strip())]


def paired(runs: list, base: list, key) -> tuple[float, float, float]:
    """Median, min and max of the per-round ratios run / base."""
    ratios = [key(a) / key(b) for a, b in zip(runs, base, strict=True) if key(b)]
    return statistics.median(ratios), min(ratios), max(ratios)


def table(variants: list[Variant], engine: list[loadgen.Run]) -> list[str]:
    med = statistics.median
    base = variants[0]
    head = [
        "variant",
        "app CPU ms/request",
        "÷ first (range)",
        "node CPU ms/request",
        "throughput req/s",
        "÷ first (range)",
        "÷ engine",
        "p50 / p99 ms",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    engine_rps = med(r.rps for r in engine)
    for v in variants:
        cpu = paired(v.runs, base.runs, lambda r: r.cpu["app"])
        rps = paired(v.runs, base.runs, lambda r: r.rps)
        lines.append(
            f"| {v.name} | {med(r.cpu['app'] for r in v.runs):.3f} | "
            f"{cpu[0]:.2f} ({cpu[1]:.2f}–{cpu[2]:.2f}) | {med(r.cpu['es'] for r in v.runs):.2f} | "
            f"{med(r.rps for r in v.runs):.1f} | {rps[0]:.2f} ({rps[1]:.2f}–{rps[2]:.2f}) | "
            f"{med(r.rps for r in v.runs) / engine_rps:.2f}× | "
            f"{med(r.p50 for r in v.runs):.1f} / {med(r.p99 for r in v.runs):.1f} |"
        )
    e = engine
    lines.append(
        f"| engine (wrk straight at the node) | – | – | {med(r.cpu['es'] for r in e):.2f} | "
        f"{engine_rps:.1f} | – | 1.00× | {med(r.p50 for r in e):.1f} / {med(r.p99 for r in e):.1f} |"
    )
    timed = [v for v in variants if v.sections and v.sections["requests"]]
    untimed = [v.name for v in variants if v.sections and not v.sections["requests"]]
    if untimed:  # the timers watch Flask's main thread only
        lines += ["", f"No sections for {', '.join(untimed)}: requests on threads (gthread) or not in Flask."]
    if timed:
        labels: list[str] = []
        for v in timed:
            labels += [k for k in v.sections["sections_ms"] if k not in labels]
        lines += ["", "| section, CPU ms per request | " + " | ".join(v.name for v in timed) + " |"]
        lines.append("|" + "---|" * (len(timed) + 1))
        for label in labels:
            cells = [f"{v.sections['sections_ms'].get(label, 0):.3f}" for v in timed]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("| **total** | " + " | ".join(f"{v.sections['cpu_ms']:.3f}" for v in timed) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    wrk = loadgen.ensure_wrk()
    settings = Settings.from_env()
    es = Elasticsearch(settings.elasticsearch_url, request_timeout=120)
    n, variants = args.size, args.variants
    load_at_start = os.getloadavg()
    record = args.cache_dir / "pinned-node.json"
    run.Pinning.undo_leftover(record)
    pinning = run.Pinning.for_node(es, record) if args.mode == "pinned" else None
    if args.mode == "pinned" and pinning is None:
        sys.exit("error: pinned mode needs the node on this machine and two cores or more")

    alias = f"levers-{n}"
    store_path = args.cache_dir / f"levers-store-{n}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store_path}{suffix}").unlink(missing_ok=True)
    env = {
        **os.environ,
        "ELASTICSEARCH_URL": settings.elasticsearch_url,
        "DIRECTORY_INDEX": alias,
        "DATABASE_URL": f"sqlite:///{store_path}",
        "GEOCODER": "offline",
        "DIRECTORY_PUBLIC_URL": "http://127.0.0.1:8000",  # links in answers, whatever the port
        "BENCH_FLOOR_REQUESTS": str(args.cache_dir / f"levers-floor-{n}.json"),  # floor_app.py
    }
    feed = run.dataset(n, args.seed, args.cache_dir)
    run.es_index.delete_alias_and_indices(es, alias)
    try:
        run.log(f"indexer load of {n:,} clinics into {alias}")
        run.indexer_load(feed, env)
        api_key = run.create_partner(env)
        for i, v in enumerate(variants):
            v.app = run.Gunicorn(
                {**env, **v.env},
                args.cache_dir / f"levers-gunicorn-{i}.log",
                args.cache_dir / f"levers-sections-{i}",
                root=v.root,
            )
        for v in variants:
            v.app.wait_ready(timeout=300)  # every variant boots at once, on a busy machine too
            run.log(f"{v.name}: {v.root} {v.env or ''} on {v.app.base}, {len(v.app.workers())} workers")
        first = variants[0].app.base
        records = run.sample_records(feed, n, 5000, args.seed)
        queries, info = workload.build_mix(
            records, lambda url: workload.api_get(first, url, api_key), args.queries, args.seed
        )
        geocoder = CachedGeocoder(make_geocoder("offline"))
        checks = workload.attach_direct(queries, es, alias, geocoder, info["api_answers"])
        run.log(f"{len(queries)} queries; engine checks {checks}")
        Path(env["BENCH_FLOOR_REQUESTS"]).write_text(
            json.dumps({q.url: [q.es_target, q.es_body.decode()] for q in queries})
        )

        def answer(v: Variant, url: str) -> str:
            return json.dumps(workload.api_get(v.app.base, url, api_key))

        differ = {  # a floor variant answers with the engine's own JSON
            v.name: sum(answer(v, q.url) != answer(variants[0], q.url) for q in queries)
            for v in variants[1:]
            if "BENCH_APP" not in v.env
        }
        run.log(f"answers differing from {variants[0].name}'s: {differ}")
        api_script, es_script = run.write_scripts(queries, api_key, args.cache_dir)
        c, t = args.connections, args.threads
        app_pids = [pid for v in variants for pid in (v.app.proc.pid, *v.app.workers())]
        meters = {v.name: run.CpuMeter(es, v.app.workers() + redis_pids(v)) for v in variants}
        engine_meter = run.CpuMeter(es, [])
        engine: list[loadgen.Run] = []
        with run.mode_of(pinning, args.mode, app_pids):
            for v in variants:
                loadgen.run_wrk(wrk, "warm-up", v.app.base, api_script, args.warmup, c, t)
            loadgen.run_wrk(wrk, "warm-up", settings.elasticsearch_url, es_script, args.warmup, c, t)
            order: list[Variant | None] = [*variants, None]  # None: the engine
            for rnd in range(args.rounds):
                shift = rnd % len(order)
                for v in order[shift:] + order[:shift]:
                    meter = engine_meter if v is None else meters[v.name]
                    base = settings.elasticsearch_url if v is None else v.app.base
                    script = es_script if v is None else api_script
                    before = meter.sample()
                    result = loadgen.run_wrk(wrk, "run", base, script, args.duration, c, t)
                    result.cpu = meter.per_request(before, meter.sample(), result.requests, "children")
                    (engine if v is None else v.runs).append(result)
                    run.log(
                        f"round {rnd + 1}/{args.rounds} {'engine' if v is None else v.name}: "
                        f"{result.rps:.1f} req/s, p50 {result.p50:.1f} ms, app CPU "
                        f"{result.cpu['app']:.3f} ms/request, node {result.cpu['es']:.2f}, "
                        f"errors {result.errors}"
                    )
            if args.sections > 0:
                for v in variants:
                    workers = v.app.workers()
                    before = sections.signal_and_read(v.app.sections_dir, workers)
                    loadgen.run_wrk(wrk, "sections", v.app.base, api_script, args.sections, c, t)
                    v.sections = sections.difference(
                        before, sections.signal_and_read(v.app.sections_dir, workers)
                    )
    finally:
        for v in variants:
            if v.app is not None:
                v.app.stop()
        if pinning is not None:
            pinning.release()
        run.es_index.delete_alias_and_indices(es, alias)
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    lines = [
        f"# Levers, {n:,} clinics, {args.mode} mode, {stamp}",
        "",
        f"- {args.rounds} interleaved rounds of {args.duration:g} s per variant and the engine, "
        f"{c} connections; medians; ratios paired per round against **{variants[0].name}**",
        "- load average (1, 5, 15 min) at the start "
        + ", ".join(f"{x:.2f}" for x in load_at_start)
        + ", at the end "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "- variants: "
        + "; ".join(
            f"**{v.name}** = {v.root} {' '.join(f'{k}={x}' for k, x in v.env.items())}" for v in variants
        ),
        f"- answers to the {len(queries)} URLs of the mix differing from {variants[0].name}'s: "
        + ", ".join(f"{k} {x}" for k, x in differ.items()),
        "",
        *table(variants, engine),
    ]
    text = "\n".join(lines) + "\n"
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    (run.RESULTS / f"levers-{stamp}.md").write_text(text)
    raw = {
        "args": {k: str(x) for k, x in vars(args).items() if k != "variants"},
        "variants": [
            {
                "name": v.name,
                "root": str(v.root),
                "env": v.env,
                "runs": [r.as_dict() for r in v.runs],
                "sections": v.sections,
            }
            for v in variants
        ],
        "engine": [r.as_dict() for r in engine],
    }
    (run.RESULTS / f"levers-{stamp}.json").write_text(json.dumps(raw, indent=1))
    print(text)
    es.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
