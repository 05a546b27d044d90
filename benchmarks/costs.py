"""The cost guide endpoint under load: GET /api/v1/costs against the engine's own request.

A mix of cost guide URLs (a treatment around a city with a 10-50 mi radius, in a state, and
nationwide) is sent through gunicorn by wrk, and the same `_msearch` the API sends (captured from
the Python client, as for searches) straight to the node; both closed loop with the run's
connections, then over one connection. The engine's counts must equal the API's.
"""

from __future__ import annotations

from pathlib import Path
from random import Random
from urllib.parse import parse_qsl, urlencode, urlsplit

import loadgen
from elasticsearch import Elasticsearch
from workload import WireRecorder, api_get

from directory.search.costs import CostArgs, cost_guides, resolve
from registry import vocabulary

TREATMENTS = (
    "microneedling",
    "rf-microneedling",
    "prp-microneedling",
    "chemical-peel",
    "hydrafacial",
    "botox",
)


def cost_urls(records: list[dict], count: int, seed: int) -> list[str]:
    """`count` distinct cost guide URLs: about half around a city, a third in a state, the rest national."""
    rng = Random(seed)
    urls: set[str] = set()
    codes = [c for c in TREATMENTS if c in vocabulary.treatments()]
    for code in codes:
        urls.add(f"/api/v1/costs?{urlencode({'treatment': code})}")
    while len(urls) < count:
        r = rng.choice(records)
        code = rng.choice(codes)
        if rng.random() < 0.6:
            place = f"{r['address']['city']}, {r['address']['state']}"
            params = {"treatment": code, "location": place, "radius": f"{rng.choice((10, 25, 50))}mi"}
        else:
            params = {"treatment": code, "state": r["address"]["state"]}
        urls.add(f"/api/v1/costs?{urlencode(params)}")
    return sorted(urls)


def measure_costs(
    args,
    wrk: str,
    base: str,
    es: Elasticsearch,
    es_url: str,
    alias: str,
    api_key: str,
    geocoder,
    records,
    workdir: Path,
) -> dict:
    urls = cost_urls(records, 60, args.seed)
    api_requests, es_requests, mismatched, exact = [], [], 0, 0
    recorder = WireRecorder(es)
    drop = {"host", "content-length", "connection"}
    try:
        for url in urls:
            status, body = api_get(base, url, api_key)
            if status != 200:
                raise RuntimeError(f"{url} answered {status}: {body}")
            params = dict(parse_qsl(urlsplit(url).query))
            query = resolve(CostArgs().load(params), geocoder)
            (guide,) = cost_guides(es, alias, [query])
            method, target, headers, raw = recorder.last
            mismatched += guide["count"] != body["count"] or guide["median"] != body["median"]
            exact += bool(body["exact"])
            api_requests.append({"method": "GET", "path": url, "headers": {"X-API-Key": api_key}})
            es_requests.append(
                {
                    "method": method,
                    "path": target,
                    "headers": {k: v for k, v in headers.items() if k.lower() not in drop},
                    "body": raw,
                }
            )
    finally:
        recorder.close()
    api_script = loadgen.write_script(workdir / "costs-api.lua", api_requests)
    es_script = loadgen.write_script(workdir / "costs-es.lua", es_requests)
    c, t = args.connections, args.threads
    loadgen.run_wrk(wrk, "costs-warmup", base, api_script, args.warmup, c, t)
    loadgen.run_wrk(wrk, "costs-es-warmup", es_url, es_script, args.warmup, c, t)
    out = {
        "urls": len(urls),
        "exact": exact,
        "mismatched": mismatched,
        "api": loadgen.run_wrk(wrk, "costs-api", base, api_script, args.duration, c, t).as_dict(),
        "es_wrk": loadgen.run_wrk(wrk, "costs-es", es_url, es_script, args.duration, c, t).as_dict(),
    }
    if args.single > 0:
        out["single"] = {
            "api": loadgen.run_wrk(wrk, "costs-api-c1", base, api_script, args.single, 1, 1).as_dict(),
            "es_wrk": loadgen.run_wrk(wrk, "costs-es-c1", es_url, es_script, args.single, 1, 1).as_dict(),
        }
    return out
