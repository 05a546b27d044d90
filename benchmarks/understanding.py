"""CPU of the query-understanding step per request (target: report.TARGET_UNDERSTANDING_MS).

Times `understand_query` (place box resolved, `q` read) with the process's CPU clock, one
request at a time, over two sets of requests: the API URLs of the load test's mix, and the
judged consumer queries of tests/relevance (typed text, typos and places, the harder case).
Queries are parsed first, outside the timing, as the view's argument parser does.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

from directory.search import understand_query
from directory.search.args import SearchArgs

RELEVANCE = Path(__file__).resolve().parent.parent / "tests" / "relevance"
LIST_PARAMS = {"treatment", "certification"}


def judged_requests() -> list[dict]:
    """The search requests of the judged relevance set, as the API receives them."""
    out = []
    for path in (RELEVANCE / "queries.yaml", RELEVANCE / "other" / "queries.yaml"):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            if "q" in entry and len(entry["q"]) <= 200:
                keys = ("q", "location", "lat", "lon")
                out.append({k: entry[k] for k in keys if entry.get(k) not in (None, "")})
    return out


def url_params(url: str) -> dict:
    raw = parse_qs(urlsplit(url).query, keep_blank_values=True)
    return {k: (v if k in LIST_PARAMS else v[-1]) for k, v in raw.items()}


def cpu_per_request(requests: list[dict], geocoder, rounds: int = 5) -> dict:
    """Mean and p99 CPU milliseconds of `understand_query` per request."""
    schema = SearchArgs()
    loaded = [schema.load({k: v for k, v in r.items() if k != "cursor"}) for r in requests]
    for query in loaded:  # warm: tables built, caches filled, as in a running worker
        understand_query(_copy(query), geocoder)
    samples = []
    for _ in range(rounds):
        for query in loaded:
            fresh = _copy(query)
            start = time.process_time_ns()
            understand_query(fresh, geocoder)
            samples.append((time.process_time_ns() - start) / 1e6)
    samples.sort()
    return {
        "requests": len(requests),
        "mean_ms": sum(samples) / len(samples),
        "p99_ms": samples[int(len(samples) * 0.99) - 1],
    }


def _copy(query):
    return replace(query)


def measure(urls: list[str], geocoder) -> dict:
    """The understanding step's CPU over the load test's URLs and over the judged queries."""
    return {
        "mix": cpu_per_request([url_params(u) for u in urls], geocoder),
        "judged": cpu_per_request(judged_requests(), geocoder),
    }


if __name__ == "__main__":
    from report import TARGET_UNDERSTANDING_MS

    from registry.geocode import CachedGeocoder, make_geocoder

    result = cpu_per_request(judged_requests(), CachedGeocoder(make_geocoder("offline")))
    print(
        f"query understanding: {result['mean_ms']:.3f} ms CPU per request (p99 {result['p99_ms']:.3f} ms) "
        f"over {result['requests']} judged queries; target {TARGET_UNDERSTANDING_MS} ms"
    )
