"""Pure functions from a validated SearchQuery to an Elasticsearch request body.

Nothing here talks to Elasticsearch, so the bodies are cheap to unit-test; tests against
the real node prove they do what they say.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from directory.search import prices
from directory.search.understand import (
    MIN_LENGTH_FOR_1_TYPO,
    MIN_LENGTH_FOR_2_TYPOS,
    MIN_PREFIX_LENGTH,
    Interpretation,
    PlaceMention,
    typos_allowed,
)
from registry.language import joined, name_key, stem, words

KM_PER_MILE = 1.609344
DEFAULT_RADIUS_MI = 25
DEFAULT_RADIUS_KM = DEFAULT_RADIUS_MI * KM_PER_MILE
MAX_RADIUS_KM = 100 * KM_PER_MILE
MAX_WINDOW = 10_000  # Elasticsearch's index.max_result_window: numbered pages stop at this result
SORTS = ("best", "distance", "rating")

# Ranking for sort=best, a product of independent factors (see explain_factors):
#   text relevance (BM25 of the query's words over WORD_FIELDS; 1 when there are none)
#   x distance decay: gauss, 1.0 within DECAY_OFFSET_KM, 0.5 at half the radius beyond it
#   x rating: Bayesian-weighted rating / 5, so 0.2 .. 1.0
#   x credentials: CREDENTIAL_BOOST when at least one verified, unexpired credential
# The typo rule of every text search (providers and articles), written once in understand.py:
# no typo under 4 letters, one from 4, two from 8, the first letter included. As Elasticsearch
# fuzziness, for the fields whose words are matched there.
FUZZINESS = f"AUTO:{MIN_LENGTH_FOR_1_TYPO},{MIN_LENGTH_FOR_2_TYPOS}"
PREFIX_LENGTH = 0
DECAY_OFFSET_KM = 1.0
DECAY_AT_SCALE = 0.5
RATING_FACTOR = 0.2
CREDENTIAL_BOOST = 1.25
# Where each word of the query is looked for, and what a match there weighs. Every word must
# match in at least one field (per word, across fields: "glow tampa" matches a Glow clinic in
# Tampa). What a clinic offers weighs more than its name, so a clinic offering laser
# resurfacing ranks above one that only has "Laser" in its name.
WORD_FIELDS = {
    "search.treatments": 4.0,
    "search.name": 3.0,
    "search.credentials": 2.0,
    "search.place": 2.0,
    "search.description": 1.0,
}
# Fields with a small vocabulary, where a typo is worth looking for (see understand.TYPOS);
# descriptions match by stem only.
TYPO_FIELDS = ("search.treatments", "search.name", "search.credentials", "search.place")
# A word written together or apart ("skinsmith" / "skin smith") still matches a name.
JOINED_NAME_BOOST = 3.0
# An unfinished last word ("lumie") matches names it begins, below a whole-word match.
PREFIX_BOOST = 1.5
# Autocomplete with a known location: a clinic this far away counts half as much.
SUGGEST_DECAY_KM = 50
# The query is a clinic's whole name ("nguyen dermatology & laser"): that clinic first.
WHOLE_NAME_BOOST = 10.0
# A word spelt as in the name, not only sharing its stem ("aesthetics" in "... Aesthetics by ...").
EXACT_WORD_BOOST = 2.0
# Fields only search needs; a result card never shows them (the description is on the profile).
SOURCE_EXCLUDES = ["open_minutes", "qualified_until"]

RATING_BANDS = [("4.5", 4.5), ("4", 4.0), ("3", 3.0)]


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
    literal: bool = False
    state: str | None = None  # a whole state, when the place named is one
    # What the core understood from `q`, and the place searched (from `location` or `q`).
    reading: Interpretation | None = None
    place: PlaceMention | None = None

    @property
    def origin(self) -> dict | None:
        """The search centre: given (lat/lon or the place box), else a place named in `q`."""
        if self.lat is not None:
            return {"lat": self.lat, "lon": self.lon}
        area = self.reading.place.area if self.reading and self.reading.place else None
        if area is None or area.kind == "state":
            return None
        return {"lat": area.lat, "lon": area.lon}

    @property
    def area_state(self) -> str | None:
        """The state searched as a whole: from the place box, else named in `q`."""
        if self.state:
            return self.state
        place = self.reading.place if self.reading else None
        return place.area.state if place and place.area.kind == "state" else None

    def fingerprint(self) -> dict:
        """What makes two requests the same result list (paging parameters excluded)."""
        skip = {"cursor", "page", "limit", "explain", "facets", "location", "reading", "place"}
        found = {k: v for k, v in self.__dict__.items() if k not in skip and v not in (None, [], False)}
        if self.lat is None and self.origin:  # a place named in q
            found["origin"] = self.origin
        if self.area_state and not self.state:
            found["state"] = self.area_state
        return found

    @property
    def has_text(self) -> bool:
        """Whether words of `q` are left to match (and so to score)."""
        return bool(self.reading and (self.reading.words or self.reading.optional))


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
    if query.area_state:
        out.append({"term": {"address.state": query.area_state}})
    reading = query.reading
    if reading:
        # Named in the text: exactly the filters `treatment=` and `certification=` make.
        out += [{"terms": {"treatments": list(codes)}} for codes in reading.treatments]
        if reading.credentials:
            out.append(valid_credential(today, reading.credentials))
        if reading.qualified and not query.qualified:
            out.append(qualified(today))
    if query.min_rating is not None:
        out.append({"range": {"rating.average": {"gte": query.min_rating}}})
    if query.min_reviews:
        out.append({"range": {"rating.count": {"gte": query.min_reviews}}})
    out += prices.max_price_filters(query)
    if query.open_now:
        out.append(open_now_filter(now, zones))
    return out


def word_query(word: str, before: str | None = None, after: str | None = None, prefix: bool = False) -> dict:
    """One query word, looked for in every field of WORD_FIELDS; the best field counts."""
    term, typos = stem(word), typos_allowed(word)
    clauses: list[dict] = []
    for name, boost in WORD_FIELDS.items():
        if typos and name in TYPO_FIELDS:
            fuzzy = {"query": term, "fuzziness": typos, "prefix_length": 0, "boost": boost}
            clauses.append({"match": {name: fuzzy}})
        else:
            clauses.append({"term": {name: {"value": term, "boost": boost}}})
    clauses.append({"term": {"search.name.joined": {"value": term, "boost": JOINED_NAME_BOOST}}})
    for neighbour in (before, after):
        if neighbour is not None:
            pair = [neighbour, word] if neighbour is before else [word, neighbour]
            clauses.append({"term": {"search.name": {"value": joined(pair), "boost": JOINED_NAME_BOOST}}})
    if prefix:
        clauses.append({"prefix": {"search.name": {"value": term, "boost": PREFIX_BOOST}}})
    return {"dis_max": {"queries": clauses}}


def optional_query(word: str) -> dict:
    """An optional word ("clinic", "med spa"): looked for in names only, as spelt or joined."""
    term = stem(word)
    return {
        "dis_max": {
            "queries": [
                {"term": {"search.name": {"value": term, "boost": WORD_FIELDS["search.name"]}}},
                {"term": {"search.name.joined": {"value": term, "boost": JOINED_NAME_BOOST}}},
            ]
        }
    }


def text_clauses(reading: Interpretation) -> tuple[list[dict], list[dict]]:
    """(must, should): every word left in the reading must match somewhere; optional words and
    the exact spelling of a word (not only its stem) add to the score."""
    words = reading.words
    must = [
        word_query(
            w,
            words[i - 1] if i else None,
            words[i + 1] if i + 1 < len(words) else None,
            prefix=reading.prefix and i == len(words) - 1 and len(w) >= MIN_PREFIX_LENGTH,
        )
        for i, w in enumerate(words)
    ]
    should = [optional_query(w) for w in reading.optional]
    should += [
        {"term": {"search.name_words": {"value": w, "boost": EXACT_WORD_BOOST}}}
        for w in (*words, *reading.optional)
    ]
    if words and reading.name_words:
        key = name_key(reading.name_words)
        should.append({"term": {"search.name_key": {"value": key, "boost": WHOLE_NAME_BOOST}}})
    return must, should


def suggest_query(text: str, origin: dict | None) -> dict:
    """Clinics whose name has every typed word, the last one possibly unfinished ("juniper sk")."""
    typed = words(text)
    last = typed[-1]
    must = [word_query(w) for w in typed[:-1]]
    must.append(
        {
            "dis_max": {
                "queries": [
                    {"prefix": {"search.name_words": {"value": last, "boost": WORD_FIELDS["search.name"]}}},
                    {"prefix": {"search.name": {"value": stem(last), "boost": PREFIX_BOOST}}},
                    {"match": {"search.name": {"query": stem(last), "fuzziness": typos_allowed(last)}}},
                ]
            }
        }
    )
    query: dict = {"bool": {"must": must}}
    if origin is None:
        return query
    decay = {"origin": origin, "scale": f"{SUGGEST_DECAY_KM}km", "offset": "1km", "decay": DECAY_AT_SCALE}
    nearer = [{"gauss": {"location": decay}}]
    return {"function_score": {"query": query, "functions": nearer, "boost_mode": "multiply"}}


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
            "boost_mode": "multiply" if query.has_text else "replace",
        }
    }


def sort_clause(query: SearchQuery) -> list:
    if query.sort == "distance" and query.origin:
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
    }


def utc_day(now: datetime) -> str:
    return now.astimezone(UTC).date().isoformat()


def matching(query: SearchQuery, now: datetime, zones: list[str]) -> dict:
    """The clinics a search finds, unscored: its filters plus the words to match."""
    base: dict = {"bool": {"filter": filters(query, now, zones)}}
    if query.reading:
        must, should = text_clauses(query.reading)
        if should:
            # Beside a filter, should clauses only add to the score; a clinic matching none of
            # them keeps a base score of 1, so rating and distance still order it.
            base["bool"]["should"] = should
            must = must or [{"match_all": {}}]
        if must:
            base["bool"]["must"] = must
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
        counts = facets_body(base, today)
        counts["aggs"]["price"] = prices.price_facet(query)
        lines += [{"index": alias, "request_cache": True}, counts]
    return lines


def count_requests(alias: str, queries: list[SearchQuery], now: datetime, zones: list[str]) -> list[dict]:
    """`_msearch` lines counting the clinics each query finds (no hits, no facets)."""
    lines: list[dict] = []
    for query in queries:
        body = {"query": matching(query, now, zones), "size": 0, "track_total_hits": True}
        lines += [{"index": alias}, body]
    return lines


def gauss_decay(distance_km: float, query: SearchQuery) -> float:
    """The distance factor Elasticsearch's gauss function gives, recomputed for `explain`."""
    scale = decay_scale_km(query)
    sigma_sq = -(scale**2) / (2 * math.log(DECAY_AT_SCALE))
    return math.exp(-(max(0.0, distance_km - DECAY_OFFSET_KM) ** 2) / (2 * sigma_sq))
