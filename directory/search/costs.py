"""Cost guides: what clinics charge for a treatment in a place, computed from the index.

A clinic's typical price for a treatment is the midpoint of its price range per session for it
(`treatment_price.<code>.typical` in the search document: its own session price, else its package
price divided by the package's sessions, else its general price_range; see registry.derive).
Only clinics priced in US dollars are counted.

Percentiles use linear interpolation between closest ranks (NumPy's default, Excel's
PERCENTILE.INC): for n sorted prices x[0..n-1], the p-th percentile sits at rank h = (n - 1) p
and is x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).

How the numbers stay exact: one request asks for every distinct typical price with its count (a
`terms` aggregation of up to EXACT_VALUES buckets) and the percentiles are computed here from
those counts, exactly. Up to EXACT_VALUES clinics that is always complete; beyond, it still is
as long as the clinics share at most EXACT_VALUES distinct prices (prices end in round numbers, so
even a million clinics rarely pass a few thousand). Only when the buckets do not cover every
clinic (`sum_other_doc_count` > 0) a second request asks Elasticsearch for the percentiles with a
TDigest of compression APPROX_COMPRESSION and `high_accuracy`, whose error is far below 1% of the
value at these sizes (tests/search/test_costs.py measures it on 20,000 distinct prices), and the
histogram's bins; the answer then says `"exact": false`.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from elasticsearch import Elasticsearch
from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from directory.search.args import Distance
from directory.search.core import msearch, resolve_location
from directory.search.query import DEFAULT_RADIUS_KM, DEFAULT_RADIUS_MI
from registry import vocabulary
from registry.geocode import STATES

CURRENCY = "USD"
EXACT_VALUES = 10_000
APPROX_COMPRESSION = 1000
PERCENTILES = {"p10": 0.10, "p25": 0.25, "median": 0.50, "p75": 0.75, "p90": 0.90}
NICE_STEPS = (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000)
TARGET_BINS = 10


@dataclass
class CostQuery:
    """A treatment in a place: around a point (`radius_km`), in a state, or nationwide."""

    treatment: str
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    state: str | None = None
    location: str | None = None
    place: str = "the United States"


class CostArgs(Schema):
    """Query-string parameters of GET /api/v1/costs."""

    treatment = fields.String(
        required=True,
        validate=validate.OneOf(sorted(vocabulary.treatments())),
        metadata={"description": "Treatment code, like microneedling."},
    )
    location = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": 'A place: "Charlotte, NC", "28202" or an address (with radius).'},
    )
    lat = fields.Float(validate=validate.Range(-90, 90), metadata={"description": "Latitude of the centre."})
    lon = fields.Float(
        validate=validate.Range(-180, 180), metadata={"description": "Longitude of the centre."}
    )
    state = fields.String(
        validate=validate.OneOf(sorted(STATES)),
        metadata={"description": "Two-letter state code, like NC: clinics in that state."},
    )
    radius = Distance(
        metadata={
            "description": f"Around location or lat/lon; default {DEFAULT_RADIUS_MI}mi, at most 100mi.",
            "example": "25mi",
        }
    )

    @pre_load
    def state_in_capitals(self, data, **_):
        """'nc' is NC."""
        if isinstance(data.get("state"), str):
            data = {**data, "state": data["state"].strip().upper()}
        return data

    @validates_schema
    def one_place(self, data: dict, **_) -> None:
        if ("lat" in data) != ("lon" in data):
            raise ValidationError("Give lat and lon together.", "lon" if "lat" in data else "lat")
        given = [k for k in ("location", "lat", "state") if k in data]
        if len(given) > 1:
            raise ValidationError("Give one place: location, lat/lon or state.", given[-1])
        if "radius" in data and not ({"location", "lat"} & set(data)):
            raise ValidationError("A radius needs location or lat/lon.", "radius")

    @post_load
    def to_query(self, data: dict, **_) -> CostQuery:
        query = CostQuery(data["treatment"], data.get("lat"), data.get("lon"), state=data.get("state"))
        query.location = data.get("location")
        if query.lat is not None or query.location:
            query.radius_km = data.get("radius", DEFAULT_RADIUS_KM)
            query.place = query.location or f"{query.lat:.4f}, {query.lon:.4f}"
        elif query.state:
            query.place = STATES[query.state]
        return query


# --- request bodies (pure) ------------------------------------------------------------------


def typical_field(treatment: str) -> str:
    return f"treatment_price.{treatment}.typical"


def clinics_filter(query: CostQuery) -> list[dict]:
    """The clinics a guide counts: offering the treatment, priced for it in dollars, in the place."""
    out: list[dict] = [
        {"term": {"treatments": query.treatment}},
        {"exists": {"field": typical_field(query.treatment)}},
        {"term": {"price.currency": CURRENCY}},
    ]
    if query.lat is not None:
        point = {"lat": query.lat, "lon": query.lon}
        out.append(
            {"geo_distance": {"distance": f"{query.radius_km}km", "distance_type": "arc", "location": point}}
        )
    elif query.state:
        out.append({"term": {"address.state": query.state}})
    return out


def exact_body(query: CostQuery) -> dict:
    """Every distinct typical price with its count, and when the newest counted listing changed."""
    field = typical_field(query.treatment)
    return {
        "size": 0,
        "track_total_hits": True,
        "query": {"bool": {"filter": clinics_filter(query)}},
        "aggs": {
            "prices": {"terms": {"field": field, "size": EXACT_VALUES, "order": {"_key": "asc"}}},
            "stats": {"stats": {"field": field}},
            "updated": {"max": {"field": "updated_at"}},
        },
    }


def approximate_body(query: CostQuery, width: float, offset: float) -> dict:
    """Percentiles (TDigest) and histogram bins, for guides whose prices the exact request cannot list."""
    field = typical_field(query.treatment)
    return {
        "size": 0,
        "query": {"bool": {"filter": clinics_filter(query)}},
        "aggs": {
            "percentiles": {
                "percentiles": {
                    "field": field,
                    "percents": [p * 100 for p in PERCENTILES.values()],
                    "keyed": False,
                    "tdigest": {"compression": APPROX_COMPRESSION, "execution_hint": "high_accuracy"},
                }
            },
            "bins": {"histogram": {"field": field, "interval": width, "offset": offset, "min_doc_count": 0}},
        },
    }


# --- the numbers (pure) ---------------------------------------------------------------------


def percentile(values: list[float], counts: list[int], p: float) -> float:
    """The p-th percentile (0..1) of sorted distinct `values` each seen `counts` times, by linear
    interpolation between closest ranks."""
    cumulative = list(_accumulate(counts))
    h = (cumulative[-1] - 1) * p
    low = math.floor(h)

    def at(rank: int) -> float:
        return values[bisect.bisect_right(cumulative, rank)]

    return at(low) + (h - low) * (at(min(low + 1, cumulative[-1] - 1)) - at(low))


def _accumulate(counts: list[int]):
    total = 0
    for c in counts:
        total += c
        yield total


def bin_width(low: float, high: float) -> float:
    """A round bin width giving about TARGET_BINS bins from `low` to `high`."""
    raw = (high - low) / TARGET_BINS
    return next((step for step in NICE_STEPS if step >= raw), NICE_STEPS[-1])


def histogram(values: list[float], counts: list[int], width: float) -> list[dict]:
    """Bins [from, to) of `width` dollars covering every value, empty bins between included."""
    start = math.floor(values[0] / width) * width
    n = int((values[-1] - start) // width) + 1
    bins = [0] * n
    for value, count in zip(values, counts, strict=True):
        bins[int((value - start) // width)] += count
    return [
        {"from": start + i * width, "to": start + (i + 1) * width, "count": c} for i, c in enumerate(bins)
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# --- running it ------------------------------------------------------------------------------


def cost_guides(client: Elasticsearch, alias: str, queries: list[CostQuery]) -> list[dict]:
    """The cost guide of each query (one round trip for all; a second only for guides too large to
    list exactly). The place must already be resolved (lat/lon, state or neither)."""
    lines = [line for q in queries for line in ({"index": alias, "request_cache": True}, exact_body(q))]
    answers = msearch(client, lines)
    return [_guide(client, alias, q, answer) for q, answer in zip(queries, answers, strict=True)]


def resolve(query: CostQuery, geocoder) -> CostQuery:
    """Resolve `location` as search does (`resolve_location`, or PlaceNotFound): a whole state
    ("Florida") becomes that state's guide, any other place its point with the radius."""
    if query.location and query.lat is None:
        area = resolve_location(query.location, geocoder).area
        if area.kind == "state" and area.state in STATES:
            query.state, query.radius_km, query.place = area.state, None, STATES[area.state]
        else:
            query.lat, query.lon = area.lat, area.lon
    return query


def _guide(client: Elasticsearch, alias: str, query: CostQuery, answer: dict) -> dict:
    aggs = answer["aggregations"]
    count = answer["hits"]["total"]["value"]
    guide = {
        "treatment": query.treatment,
        "treatment_name": vocabulary.treatments()[query.treatment],
        "place": query.place,
        "state": query.state,
        "location": None if query.lat is None else {"lat": query.lat, "lon": query.lon},
        "radius_km": None if query.radius_km is None else round(query.radius_km, 3),
        "count": count,
        "currency": CURRENCY,
        "min": None,
        **dict.fromkeys(PERCENTILES),
        "max": None,
        "histogram": [],
        "exact": True,
        "updated_at": aggs["updated"].get("value_as_string"),
    }
    if not count:
        return guide
    buckets = aggs["prices"]["buckets"]
    low, high = aggs["stats"]["min"], aggs["stats"]["max"]
    width = bin_width(low, high)
    guide["min"], guide["max"] = _round(low), _round(high)
    if aggs["prices"]["sum_other_doc_count"] == 0:
        values = [b["key"] for b in buckets]
        counts = [b["doc_count"] for b in buckets]
        for name, p in PERCENTILES.items():
            guide[name] = _round(percentile(values, counts, p))
        guide["histogram"] = histogram(values, counts, width)
        return guide
    offset = math.floor(low / width) * width % width
    resp = client.search(index=alias, **approximate_body(query, width, offset))
    approx = resp["aggregations"]
    for name, item in zip(PERCENTILES, approx["percentiles"]["values"], strict=True):
        guide[name] = _round(item["value"])
    guide["histogram"] = [
        {"from": b["key"], "to": b["key"] + width, "count": b["doc_count"]} for b in approx["bins"]["buckets"]
    ]
    guide["exact"] = False
    return guide


def places(client: Elasticsearch, alias: str, treatment: str, state: str | None = None) -> list[dict]:
    """Where a treatment's prices are listed: [{value, count}] of states (or of one state's cities),
    most clinics first."""
    field = "address.city.raw" if state else "address.state"
    body = {
        "size": 0,
        "query": {"bool": {"filter": clinics_filter(CostQuery(treatment, state=state))}},
        "aggs": {"places": {"terms": {"field": field, "size": 1000}}},
    }
    buckets = client.search(index=alias, **body)["aggregations"]["places"]["buckets"]
    return [{"value": b["key"], "count": b["doc_count"]} for b in buckets]


def guide_places(client: Elasticsearch, alias: str, min_count: int) -> dict[str, list[tuple[str, str]]]:
    """{treatment: [(state, city or None), ...]} of the guides with at least `min_count` priced
    clinics in the state (or the city), for the sitemap; one round trip."""
    lines = []
    codes = list(vocabulary.treatments())
    for code in codes:
        aggs = {
            "states": {
                "terms": {"field": "address.state", "size": 100, "min_doc_count": min_count},
                "aggs": {
                    "cities": {
                        "terms": {"field": "address.city.raw", "size": 500, "min_doc_count": min_count}
                    }
                },
            }
        }
        query = {"bool": {"filter": clinics_filter(CostQuery(code))}}
        lines += [{"index": alias, "request_cache": True}, {"size": 0, "query": query, "aggs": aggs}]
    out = {}
    for code, answer in zip(codes, msearch(client, lines), strict=True):
        found = []
        for state in answer["aggregations"]["states"]["buckets"]:
            found.append((state["key"], None))
            found += [(state["key"], city["key"]) for city in state["cities"]["buckets"]]
        out[code] = found
    return out
