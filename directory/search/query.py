"""Pure functions from a validated SearchQuery to an Elasticsearch request body.

Nothing here talks to Elasticsearch, so the bodies are cheap to unit-test; tests against
the real node prove they do what they say.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

KM_PER_MILE = 1.609344
DEFAULT_RADIUS_MI = 25
DEFAULT_RADIUS_KM = DEFAULT_RADIUS_MI * KM_PER_MILE
MAX_RADIUS_KM = 100 * KM_PER_MILE
MAX_WINDOW = 10_000  # Elasticsearch's index.max_result_window: numbered pages stop at this result
SORTS = ("best", "distance", "rating")

# Ranking for sort=best, a product of independent factors (see explain_factors):
#   text relevance (BM25 of q over name, treatments, description; 1 when no q)
#   x distance decay: gauss, 1.0 within DECAY_OFFSET_KM, 0.5 at half the radius beyond it
#   x rating: Bayesian-weighted rating / 5, so 0.2 .. 1.0
#   x credentials: CREDENTIAL_BOOST when at least one verified, unexpired credential
TEXT_FIELDS = ["name^3", "treatment_names^2", "address.city^2", "description"]
# The typo rule of every text search (providers and articles), Elasticsearch's AUTO fuzziness:
# a word of 1-2 characters must match exactly, 3-5 may have one typo, 6 or more two; and the
# first character is never the typo (people rarely get it wrong, and it keeps expansion small).
FUZZINESS = "AUTO"
PREFIX_LENGTH = 1
DECAY_OFFSET_KM = 1.0
DECAY_AT_SCALE = 0.5
RATING_FACTOR = 0.2
CREDENTIAL_BOOST = 1.25
# Fields only search needs; a result card never shows them (the description is on the profile).
SOURCE_EXCLUDES = ["description", "open_minutes", "qualified_until", "suggest", "treatment_names"]

RATING_BANDS = [("4.5", 4.5), ("4", 4.0), ("3", 3.0)]
PRICE_BANDS = [
    ("under-200", None, 200),
    ("200-400", 200, 400),
    ("400-600", 400, 600),
    ("600-plus", 600, None),
]


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float


@dataclass
class SearchQuery:
    """A validated search; `lat`/`lon` are filled from `location` by the core."""

    lat: float | None = None
    lon: float | None = None
    location: str | None = None
    bbox: BBox | None = None
    radius: float = DEFAULT_RADIUS_KM
    q: str | None = None
    treatment: list[str] = field(default_factory=list)
    certification: list[str] = field(default_factory=list)
    qualified: bool = False
    min_rating: float | None = None
    min_reviews: int | None = None
    max_price: float | None = None
    open_now: bool = False
    sort: str = "best"
    limit: int = 20
    page: int = 1  # numbered pages (people); cursors (partners) reach any depth at the same cost
    cursor: str | None = None
    explain: bool = False
    facets: bool = True

    @property
    def origin(self) -> dict | None:
        return None if self.lat is None else {"lat": self.lat, "lon": self.lon}

    def fingerprint(self) -> dict:
        """What makes two requests the same result list (paging parameters excluded)."""
        skip = {"cursor", "page", "limit", "explain", "facets", "location"}
        return {k: v for k, v in self.__dict__.items() if k not in skip and v not in (None, [], False)}


def valid_credential(today: str, codes: list[str] | None = None) -> dict:
    """Nested query: a verified certification of one of `codes` that has not expired by `today`.

    `today` is an ISO date rather than Elasticsearch's "now/d": a request that uses "now" is
    never served from the shard request cache, and the facet counts rely on that cache.
    """
    conditions = [
        {"term": {"certifications.verified": True}},
        {
            "bool": {
                "should": [
                    {"range": {"certifications.expires": {"gte": today}}},
                    {"bool": {"must_not": {"exists": {"field": "certifications.expires"}}}},
                ],
                "minimum_should_match": 1,
            }
        },
    ]
    if codes:
        conditions.append({"terms": {"certifications.code": codes}})
    return {"nested": {"path": "certifications", "query": {"bool": {"filter": conditions}}}}


def qualified(today: str) -> dict:
    """Any verified credential valid `today`: the same set as `valid_credential(today)`, read from
    the document's precomputed `qualified_until` (one range check instead of a nested join)."""
    return {"range": {"qualified_until": {"gte": today}}}


def week_minute(now: datetime, zone: str) -> int:
    local = now.astimezone(ZoneInfo(zone))
    return local.weekday() * 1440 + local.hour * 60 + local.minute


def open_now_filter(now: datetime, zones: list[str]) -> dict:
    """Open at `now` in each clinic's own time zone: one clause per zone in the index."""
    clauses = [
        {
            "bool": {
                "filter": [
                    {"term": {"timezone": zone}},
                    {"range": {"open_minutes": {"gte": m, "lte": m, "relation": "intersects"}}},
                ]
            }
        }
        for zone in zones
        for m in [week_minute(now, zone)]
    ]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


def filters(query: SearchQuery, now: datetime, zones: list[str]) -> list[dict]:
    today = utc_day(now)
    out: list[dict] = []
    if query.bbox:
        b = query.bbox
        out.append(
            {
                "geo_bounding_box": {
                    "location": {
                        "top_left": {"lat": b.north, "lon": b.west},
                        "bottom_right": {"lat": b.south, "lon": b.east},
                    }
                }
            }
        )
    elif query.origin:
        out.append(
            {
                "geo_distance": {
                    "distance": f"{query.radius}km",
                    "distance_type": "arc",
                    "location": query.origin,
                }
            }
        )
    out += [{"term": {"treatments": code}} for code in query.treatment]
    if query.certification:
        out.append(valid_credential(today, query.certification))
    if query.qualified:
        out.append(qualified(today))
    if query.min_rating is not None:
        out.append({"range": {"rating.average": {"gte": query.min_rating}}})
    if query.min_reviews:
        out.append({"range": {"rating.count": {"gte": query.min_reviews}}})
    if query.max_price is not None:
        out.append({"range": {"price.min": {"lte": query.max_price}}})
    if query.open_now:
        out.append(open_now_filter(now, zones))
    return out


def text_query(q: str) -> dict:
    return {
        "multi_match": {
            "query": q,
            "fields": TEXT_FIELDS,
            "type": "best_fields",
            "fuzziness": FUZZINESS,
            "prefix_length": PREFIX_LENGTH,
            "operator": "or",
            "minimum_should_match": "2<75%",
        }
    }


def decay_scale_km(query: SearchQuery) -> float:
    return max(query.radius / 2, 1.0)


def scored(query: SearchQuery, base: dict, today: str) -> dict:
    """Wrap the filtered query in the sort=best blend described at the top of this module."""
    functions: list[dict] = [
        {"field_value_factor": {"field": "rating.weighted", "factor": RATING_FACTOR, "missing": 3.8}},
        {"filter": qualified(today), "weight": CREDENTIAL_BOOST},
    ]
    if query.origin:
        functions.append(
            {
                "gauss": {
                    "location": {
                        "origin": query.origin,
                        "scale": f"{decay_scale_km(query)}km",
                        "offset": f"{DECAY_OFFSET_KM}km",
                        "decay": DECAY_AT_SCALE,
                    }
                }
            }
        )
    return {
        "function_score": {
            "query": base,
            "functions": functions,
            "score_mode": "multiply",
            "boost_mode": "multiply" if query.q else "replace",
        }
    }


def sort_clause(query: SearchQuery) -> list:
    if query.sort == "distance":
        geo = {"location": query.origin, "order": "asc", "unit": "km", "distance_type": "arc"}
        return [{"_geo_distance": geo}, {"id": "asc"}]
    if query.sort == "rating":
        return [{"rating.weighted": "desc"}, {"rating.count": "desc"}, {"id": "asc"}]
    return [{"_score": "desc"}, {"id": "asc"}]


def facet_aggs(today: str) -> dict:
    return {
        "treatment": {"terms": {"field": "treatments", "size": 100}},
        "certification": {
            "nested": {"path": "certifications"},
            "aggs": {
                "valid": {
                    "filter": valid_credential(today)["nested"]["query"],
                    "aggs": {
                        "codes": {
                            "terms": {"field": "certifications.code", "size": 100},
                            "aggs": {"clinics": {"reverse_nested": {}}},
                        }
                    },
                }
            },
        },
        "rating": {
            "range": {
                "field": "rating.average",
                "keyed": True,
                "ranges": [{"key": k, "from": v} for k, v in RATING_BANDS],
            }
        },
        "price": {
            "range": {
                "field": "price.min",
                "keyed": True,
                "ranges": [
                    {
                        "key": k,
                        **({"from": lo} if lo is not None else {}),
                        **({"to": hi} if hi is not None else {}),
                    }
                    for k, lo, hi in PRICE_BANDS
                ],
            }
        },
    }


def utc_day(now: datetime) -> str:
    return now.astimezone(UTC).date().isoformat()


def matching(query: SearchQuery, now: datetime, zones: list[str]) -> dict:
    """The clinics a search finds, unscored: its filters plus the text match."""
    base: dict = {"bool": {"filter": filters(query, now, zones)}}
    if query.q:
        base["bool"]["must"] = [text_query(query.q)]
    return base


def search_body(query: SearchQuery, base: dict, today: str, search_after: list | None) -> dict:
    """The request body for one page of the clinics `base` matches (the total only when facets are off)."""
    body = {
        "query": scored(query, base, today) if query.sort == "best" else base,
        "sort": sort_clause(query),
        "size": query.limit,
        "track_total_hits": not query.facets,
        "_source": {"excludes": SOURCE_EXCLUDES},
    }
    if search_after:
        body["search_after"] = search_after
    elif query.page > 1:
        body["from"] = (query.page - 1) * query.limit
    return body


def facets_body(base: dict, today: str) -> dict:
    """The request body for the total and the facet counts: no hits, so cacheable per shard."""
    return {"query": base, "size": 0, "track_total_hits": True, "aggs": facet_aggs(today)}


def search_requests(
    alias: str, query: SearchQuery, now: datetime, zones: list[str], search_after: list | None
) -> list[dict]:
    """`_msearch` lines (header, body, ...) answering `query`: the page, then its facet counts.

    The counts are the costly part (about half the engine's time at 1M clinics) and are the
    same for every page of a search, so they go in a separate hit-less request that the shard
    request cache answers until the index next changes. Both run in parallel on the node.
    """
    base, today = matching(query, now, zones), utc_day(now)
    lines = [{"index": alias}, search_body(query, base, today, search_after)]
    if query.facets:
        lines += [{"index": alias, "request_cache": True}, facets_body(base, today)]
    return lines


def gauss_decay(distance_km: float, query: SearchQuery) -> float:
    """The distance factor Elasticsearch's gauss function gives, recomputed for `explain`."""
    scale = decay_scale_km(query)
    sigma_sq = -(scale**2) / (2 * math.log(DECAY_AT_SCALE))
    return math.exp(-(max(0.0, distance_km - DECAY_OFFSET_KM) ** 2) / (2 * sigma_sq))
