"""Where `python -m indexer load` spends its time, next to raw `_bulk` of the same documents.

    python benchmarks/indexer_stages.py [--size 10000] [--rounds 3] [--skip-stages] [--skip-e2e]

1. Stages, in this process: CPU microseconds per record of each step of a full load, batch by
   batch as the load streams them (best of --rounds). Timed one by one, the steps add up to a
   little more than a worker's whole share timed in one go (records go cold between steps).
2. End to end, in interleaved rounds against the node at ELASTICSEARCH_URL: raw `_bulk` of the
   pre-serialized documents and `python -m indexer load` of the feed (both as `benchmarks/run.py`
   measures them), as records/s and their ratio, with CPU per record of the indexer's processes
   and of Elasticsearch (/proc, or `_nodes/stats`). The machine is shared: compare within a round.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import orjson
import run
from elasticsearch import Elasticsearch
from sqlalchemy.orm import Session

from indexer import index, load
from indexer.feeds import parse_line, read_feed
from indexer.mapping import to_document
from registry import db, listings
from registry.geocode import CachedGeocoder, make_geocoder
from registry.schema import dump_loaded


def stage_costs(feed: Path, rounds: int) -> dict[str, float]:
    """CPU µs per record of each step, best of `rounds`."""
    geocoder = CachedGeocoder(make_geocoder("offline"))
    geocoder.geocode("Charlotte, NC")  # build the gazetteer outside the timings
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, micros in _one_pass(feed, geocoder).items():
            best[name] = min(best.get(name, float("inf")), micros)
    return best


def _one_pass(feed: Path, geocoder) -> dict[str, float]:
    """Each step over one batch at a time, as the load streams them (so nothing piles up for the GC)."""
    seconds: dict[str, float] = {}

    def timed(name, fn, *args):
        start = time.process_time()
        out = fn(*args)
        seconds[name] = seconds.get(name, 0.0) + time.process_time() - start
        return out

    with load.frozen_heap(), tempfile.TemporaryDirectory() as tmp:
        engine = db.open_store(f"sqlite:///{tmp}/store.sqlite3")
        lines = timed("read lines", lambda: list(read_feed(feed, parse=False)))
        with Session(engine) as session:
            for i in range(0, len(lines), load.BATCH):
                _batch(timed, lines[i : i + load.BATCH], session)
                timed("a worker's whole share", load._prepare_items, lines[i : i + load.BATCH], geocoder)
        engine.dispose()
    return {name: s / len(lines) * 1e6 for name, s in seconds.items()}


def _batch(timed, lines: list, session: Session) -> None:
    raws = timed("parse JSON", lambda: [parse_line(i.where, i.record).record for i in lines])
    loaded = timed("schema load", lambda: [load.SCHEMA.load(r) for r in raws])
    records = timed("dump (JSON-ready)", lambda: [dump_loaded(r) for r in loaded])
    docs = timed("to_document", lambda: [to_document(r) for r in records])
    pairs = timed(
        "document JSON", lambda: [(r["id"], orjson.dumps(d)) for r, d in zip(records, docs, strict=True)]
    )
    serialized = timed("record JSON + review rows", lambda: [listings.FeedRow.of(r) for r in records])
    timed("bulk body", index.bulk_body, pairs)
    timed("store (new rows)", _store, session, serialized)


def _store(session: Session, records: list[listings.FeedRow]) -> None:
    listings.upsert_many(session, records, source="feed")
    session.commit()


def es_cpu_seconds(es: Elasticsearch) -> float:
    """CPU seconds of the node: from /proc when it runs here (exact), else _nodes/stats (1 s stale)."""
    [info] = es.nodes.info(metric="process")["nodes"].values()
    stat = Path(f"/proc/{info['process']['id']}/stat")
    if stat.exists():
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    [node] = es.nodes.stats(metric="process")["nodes"].values()
    return node["process"]["cpu"]["total_in_millis"] / 1000


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def end_to_end(feed: Path, n: int, seed: int, cache: Path, rounds: int) -> list[dict]:
    url = os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200")
    es = Elasticsearch(url, request_timeout=120)
    bodies = run.bulk_bodies(feed, n, seed, cache)
    alias = f"stages-{n}"
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            raw_name = f"stages-raw-{n}-{r}"
            es.options(ignore_status=404).indices.delete(index=raw_name)
            es_before = es_cpu_seconds(es)
            raw = run.raw_bulk(es, url, raw_name, bodies)
            raw_es = es_cpu_seconds(es) - es_before
            es.indices.delete(index=raw_name)
            env = {
                **os.environ,
                "ELASTICSEARCH_URL": url,
                "DIRECTORY_INDEX": alias,
                "DATABASE_URL": f"sqlite:///{tmp}/store-{r}.sqlite3",
                "GEOCODER": "offline",
            }
            es_before, py_before = es_cpu_seconds(es), children_cpu_seconds()
            seconds = run.indexer_load(feed, env)
            load_es, load_py = es_cpu_seconds(es) - es_before, children_cpu_seconds() - py_before
            out.append(
                {
                    "raw rec/s": n / raw,
                    "indexer rec/s": n / seconds,
                    "ratio": raw / seconds,
                    "raw ES µs/rec": raw_es / n * 1e6,
                    "indexer ES µs/rec": load_es / n * 1e6,
                    "indexer CPU µs/rec": load_py / n * 1e6,
                }
            )
            print("  ".join(f"{k} {v:,.2f}" if k == "ratio" else f"{k} {v:,.0f}" for k, v in out[-1].items()))
        index.delete_alias_and_indices(es, alias)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=run.SEED)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--cache-dir", type=Path, default=run.default_cache())
    p.add_argument("--skip-stages", action="store_true")
    p.add_argument("--skip-e2e", action="store_true")
    args = p.parse_args()
    feed = run.dataset(args.size, args.seed, args.cache_dir)
    if not args.skip_stages:
        costs = stage_costs(feed, args.rounds)
        print(f"CPU per record, best of {args.rounds} ({args.size:,} records):")
        for name, micros in costs.items():
            print(f"  {name:20s} {micros:7.1f} µs")
    if not args.skip_e2e:
        rows = end_to_end(feed, args.size, args.seed, args.cache_dir, args.rounds)
        medians = {k: statistics.median(row[k] for row in rows) for k in rows[0]}
        print("median: " + "  ".join(f"{k} {v:,.2f}" for k, v in medians.items()))


if __name__ == "__main__":
    main()
