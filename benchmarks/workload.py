"""The query mix: realistic API URLs, and the exact Elasticsearch request behind each one.

The direct measurements must send the SAME queries as the API, so each Elasticsearch request
is derived the way the view derives it (SearchArgs -> understand_query -> search_requests, cursors
decoded with the query's fingerprint) and then captured on the wire side of the Python client:
method, target (path + query string), headers and the serialized body.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from random import Random
from urllib.parse import parse_qs, urlencode, urlsplit

from elasticsearch import Elasticsearch

from directory.search import cursor, understand_query
from directory.search.args import SearchArgs
from directory.search.query import search_requests
from directory.search.understand import relaxations

API_PATH = "/api/v1/providers"
LIST_PARAMS = {"treatment", "certification"}
# Free text people type next to a place, with a few typos the fuzzy match must absorb.
TEXTS = [
    "microneedling", "rf microneedling", "prp", "acne scars", "dermatologist", "chemical peel",
    "laser", "hydrafacial", "med spa", "microneedeling", "stretch marks", "botox", "collagen",
    "skin clinic", "dermal fillers", "plastic surgery", "radiofrequency", "hair restoration",
]  # fmt: skip
TREATMENTS_BY_POPULARITY = [
    "microneedling", "microneedling", "microneedling", "rf-microneedling", "rf-microneedling",
    "prp-microneedling", "chemical-peel", "hydrafacial", "acne-scar-treatment", "botox",
    "laser-resurfacing", "dermal-fillers", "microneedling-serum", "dermaplaning",
]  # fmt: skip


@dataclass
class Query:
    """One request of the mix: the API URL (path + query string) and its direct twin."""

    kind: str
    url: str
    es_method: str = ""
    es_target: str = ""
    es_headers: dict | None = None
    es_body: bytes = b""
    es_lines: list[dict] | None = None  # for Elasticsearch.msearch(searches=es_lines)


def centres(records: list[dict], rng: Random, n: int) -> list[dict]:
    """Points near generated clinics (so searches find something), jittered a few km."""
    out = []
    for rec in rng.sample(records, min(n, len(records))):
        loc = rec["location"]
        out.append(
            {
                "lat": round(loc["lat"] + rng.uniform(-0.05, 0.05), 5),
                "lon": round(loc["lon"] + rng.uniform(-0.05, 0.05), 5),
                "postal_code": rec["address"].get("postal_code"),
                "city": f"{rec['address']['city']}, {rec['address']['state']}",
            }
        )
    return out


def _filters(rng: Random) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    if rng.random() < 0.4:
        first = rng.choice(TREATMENTS_BY_POPULARITY)
        params.append(("treatment", first))
        second = rng.choice(TREATMENTS_BY_POPULARITY)
        if rng.random() < 0.15 and second != first:
            params.append(("treatment", second))
    if rng.random() < 0.3:
        params.append(("qualified", "true"))
    if rng.random() < 0.25:
        params.append(("min_rating", rng.choice(["3", "3.5", "4", "4.5"])))
    if rng.random() < 0.25:
        params.append(("max_price", rng.choice(["200", "300", "400", "500"])))
    return params


def _radius(rng: Random) -> tuple[str, str]:
    return ("radius", f"{rng.randint(5, 50)}mi")


def first_pages(records: list[dict], count: int, seed: int) -> list[tuple[str, str]]:
    """`count` distinct (kind, url) first-page searches: geo+filters, place names, bbox, text."""
    rng = Random(seed)
    out: dict[str, str] = {}
    points = centres(records, rng, count * 3)
    for point in points:
        if len(out) >= count:
            break
        roll = rng.random()
        if roll < 0.55:
            kind = "geo"
            params = [("lat", str(point["lat"])), ("lon", str(point["lon"])), _radius(rng)]
            params += _filters(rng)
            sort = rng.choices(["best", "distance", "rating"], [0.7, 0.2, 0.1])[0]
        elif roll < 0.67:
            kind = "place"
            place = point["postal_code"] if rng.random() < 0.6 else point["city"]
            params = [("location", place), _radius(rng)] + _filters(rng)
            sort = rng.choices(["best", "distance"], [0.8, 0.2])[0]
        elif roll < 0.8:
            kind = "bbox"
            half_w, half_h = rng.uniform(0.05, 0.4), rng.uniform(0.04, 0.3)
            box = (
                point["lon"] - half_w,
                point["lat"] - half_h,
                point["lon"] + half_w,
                point["lat"] + half_h,
            )
            params = [("bbox", ",".join(f"{v:.4f}" for v in box))] + _filters(rng)
            sort = rng.choices(["best", "rating"], [0.8, 0.2])[0]
        else:
            kind = "text"
            params = [
                ("q", rng.choice(TEXTS)),
                ("lat", str(point["lat"])),
                ("lon", str(point["lon"])),
            ]
            params += [_radius(rng)] + _filters(rng)
            sort = "best"
        if sort != "best":
            params.append(("sort", sort))
        out.setdefault(f"{API_PATH}?{urlencode(params)}", kind)
    return [(kind, url) for url, kind in out.items()]


def api_get(base: str, url: str, api_key: str) -> tuple[int, dict]:
    request = urllib.request.Request(base + url, headers={"X-API-Key": api_key})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def build_mix(
    records: list[dict], get: Callable[[str], tuple[int, dict]], total: int, seed: int
) -> tuple[list[Query], dict]:
    """About `total` distinct API URLs, all answering 200, ~20% of them deep cursor pages.

    `get(url)` asks the API (over HTTP with `api_get`, or through a test client) and returns
    (status, JSON body). Deep pages are found by following the API's own `next_cursor` from
    first pages with many results, 2 to 5 pages deep.
    """
    rng = Random(seed + 1)
    n_first = int(total * 0.8)
    queries: list[Query] = []
    dropped: list[tuple[str, int]] = []
    api_answers: dict[str, dict] = {}
    for kind, url in first_pages(records, n_first, seed):
        status, body = get(url)
        if status != 200:
            dropped.append((url, status))
            continue
        api_answers[url] = body
        queries.append(Query(kind, url))
    deep: list[Query] = []
    candidates = [
        q for q in queries if api_answers[q.url]["total"] > 60 and api_answers[q.url]["next_cursor"]
    ]
    rng.shuffle(candidates)
    for q in candidates:
        if len(queries) + len(deep) >= total:
            break
        url, body = q.url, api_answers[q.url]
        for page in range(2, rng.randint(3, 6) + 1):
            if not body.get("next_cursor") or len(queries) + len(deep) >= total:
                break
            url = f"{q.url}&{urlencode({'cursor': body['next_cursor']})}"
            status, body = get(url)
            if status != 200:
                dropped.append((url, status))
                break
            api_answers[url] = body
            deep.append(Query(f"page{page}", url))
    queries += deep
    info = {"dropped": dropped, "api_answers": api_answers}
    return queries, info


def search_lines(url: str, geocoder, alias: str, interpreted: dict | None = None) -> list[dict]:
    """What the API view passes to Elasticsearch.msearch for this URL (same code, same order).

    When the API's answer says it relaxed the reading (`interpreted`: words dropped, or a place
    read as text), the lines are those of the reading it answered with.
    """
    raw = parse_qs(urlsplit(url).query, keep_blank_values=True)
    data = {k: (v if k in LIST_PARAMS else v[-1]) for k, v in raw.items()}
    query = SearchArgs().load(data)
    query = understand_query(query, geocoder)
    if interpreted:
        answered = (interpreted["text"], interpreted["dropped"], interpreted["place"])
        for relaxed in relaxations(query.reading):
            place = relaxed.place.area.label if relaxed.place else None
            if (relaxed.text, list(relaxed.dropped), place) == (
                answered[0],
                answered[1],
                answered[2] and answered[2]["label"],
            ):
                query = replace(query, reading=relaxed)
                break
    after = cursor.decode(query.cursor, query.fingerprint()) if query.cursor else None
    return search_requests(alias, query, datetime.now(UTC), [], after)


class WireRecorder:
    """Captures the HTTP requests an Elasticsearch client sends (the real request still runs)."""

    def __init__(self, client: Elasticsearch) -> None:
        self.transport = client.transport
        self.original = self.transport.perform_request
        self.last: tuple[str, str, dict, bytes] | None = None
        self.transport.perform_request = self._record

    def _record(self, method, target, *, headers=None, body=None, **kwargs):
        mimetype = (headers or {}).get("content-type", "application/json")
        raw = self.transport.serializers.dumps(body, mimetype=mimetype) if body is not None else b""
        self.last = (method, target, dict(headers or {}), raw)
        return self.original(method, target, headers=headers, body=body, **kwargs)

    def close(self) -> None:
        self.transport.perform_request = self.original


def attach_direct(
    queries: list[Query], client: Elasticsearch, alias: str, geocoder, api_answers: dict
) -> dict:
    """Fill each query's direct request; check the engine answers exactly what the API did.

    Returns counts of answers whose total or result ids differ from the API's (should be 0).
    """
    recorder = WireRecorder(client)
    mismatched_total = mismatched_ids = 0
    try:
        for q in queries:
            lines = search_lines(q.url, geocoder, alias, api_answers[q.url].get("interpreted"))
            page, *counted = client.msearch(searches=lines)["responses"]
            q.es_method, q.es_target, q.es_headers, q.es_body = recorder.last
            q.es_lines = lines
            api = api_answers[q.url]
            if (counted[0] if counted else page)["hits"]["total"]["value"] != api["total"]:
                mismatched_total += 1
            if [h["_source"]["id"] for h in page["hits"]["hits"]] != [r["id"] for r in api["results"]]:
                mismatched_ids += 1
    finally:
        recorder.close()
    return {"mismatched_total": mismatched_total, "mismatched_ids": mismatched_ids}


def describe(queries: list[Query]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for q in queries:
        key = "deep page" if q.kind.startswith("page") else q.kind
        kinds[key] = kinds.get(key, 0) + 1
    return kinds
