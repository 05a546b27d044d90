"""The search core: a validated query in, plain results out. Views and the API call only this."""

from __future__ import annotations

import math
import time
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from elasticsearch import ApiError, Elasticsearch
from elasticsearch.exceptions import HTTP_EXCEPTIONS

from directory.search import cursor
from directory.search.errors import PlaceNotFound
from directory.search.query import (
    CREDENTIAL_BOOST,
    PRICE_BANDS,
    RATING_BANDS,
    RATING_FACTOR,
    SearchQuery,
    gauss_decay,
    search_requests,
)
from registry import derive, vocabulary
from registry.derive import Ratings

# Elasticsearch's arc distance uses this mean Earth radius; using it here keeps a listed
# distance consistent with the radius filter (it differs from the WGS84 geodesic by <0.5%).
EARTH_RADIUS_KM = 6371.0087714
ZONES_TTL = 60.0


@dataclass
class Results:
    total: int
    items: list[dict]
    next_cursor: str | None
    facets: dict | None
    origin: dict | None = None


def resolve_place(query: SearchQuery, geocoder) -> SearchQuery:
    """Fill lat/lon from `location` with the offline-first geocoder, or raise PlaceNotFound."""
    if query.location and query.lat is None:
        found = geocoder.geocode(query.location)
        if found is None:
            raise PlaceNotFound(query.location, geocoder.suggest(query.location))
        query.lat, query.lon = found.latitude, found.longitude
    return query


_zones: dict[str, tuple[float, list[str]]] = {}


def time_zones(client: Elasticsearch, alias: str) -> list[str]:
    """Time zones present in the index, cached briefly (open_now needs one clause per zone)."""
    cached = _zones.get(alias)
    if cached and time.monotonic() - cached[0] < ZONES_TTL:
        return cached[1]
    resp = client.search(index=alias, size=0, aggs={"z": {"terms": {"field": "timezone", "size": 500}}})
    zones = sorted(b["key"] for b in resp["aggregations"]["z"]["buckets"])
    _zones[alias] = (time.monotonic(), zones)
    return zones


def search(client: Elasticsearch, alias: str, query: SearchQuery, now: datetime | None = None) -> Results:
    """Run `query` against the index behind `alias` (lat/lon already resolved)."""
    now = now or datetime.now(UTC)
    after = cursor.decode(query.cursor, query.fingerprint()) if query.cursor else None
    zones = time_zones(client, alias) if query.open_now else []
    page, *counted = msearch(client, search_requests(alias, query, now, zones, after))
    hits = page["hits"]["hits"]
    total = (counted[0] if counted else page)["hits"]["total"]["value"]
    items = [result_item(hit, query, now.date()) for hit in hits]
    next_cursor = None
    if len(hits) == query.limit and hits:
        next_cursor = cursor.encode(hits[-1]["sort"], query.fingerprint())
    facets = format_facets(counted[0]["aggregations"]) if counted else None
    return Results(total, items, next_cursor, facets, query.origin)


def msearch(client: Elasticsearch, lines: list[dict]) -> list[dict]:
    """Run `_msearch` lines; a failed search raises the error `client.search` would have raised."""
    resp = client.msearch(searches=lines)
    for answer in resp["responses"]:
        if "error" in answer:
            status = answer.get("status", 500)
            error = HTTP_EXCEPTIONS.get(status, ApiError)
            raise error(message=str(answer["error"]), meta=replace(resp.meta, status=status), body=answer)
    return resp["responses"]


def arc_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on Elasticsearch's sphere (geopy's great_circle is 10x slower per call)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dlon = math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def summarize(src: dict, today: date) -> dict:
    """The public summary of a search document (a result card)."""
    return _summary(
        src["id"],
        src["slug"],
        src["name"],
        src["address"],
        src["location"],
        src["rating"],
        src.get("certifications", []),
        src["treatments"],
        src.get("price"),
        src.get("contact"),
        src.get("hours"),
        src.get("updated_at"),
        today,
    )


def listing_summary(record: dict, ratings: Ratings, today: date) -> dict:
    """A stored listing's summary, the same as its search result: built from the record and its
    stored review aggregates with the helpers the search document is built with (`registry.derive`)."""
    return _summary(
        record["id"],
        derive.profile_slug(record),
        record["name"],
        derive.address(record),
        record.get("location"),
        derive.rating_summary(ratings),
        derive.certifications(record),
        record.get("treatments", []),
        record.get("price_range"),
        derive.contact(record),
        record.get("hours"),
        record.get("updated_at"),
        today,
    )


def _summary(
    id,
    slug,
    name,
    address,
    location,
    rating,
    certifications,
    treatments,
    price,
    contact,
    hours,
    updated_at,
    today,
) -> dict:
    return {
        "id": id,
        "slug": slug,
        "name": name,
        "address": address,
        "location": location,
        "distance_km": None,
        "rating": {
            "average": None if rating["average"] is None else round(rating["average"], 2),
            "count": rating["count"],
            "weighted": round(rating["weighted"], 3),
            "histogram": rating["histogram"],
        },
        "certifications": [public_credential(c, today) for c in certifications],
        "treatments": [{"code": t, "name": vocabulary.treatments().get(t, t)} for t in treatments],
        "price_range": price,
        "contact": contact,
        "hours": hours,
        "updated_at": updated_at,
    }


def public_credential(cert: dict, today: date) -> dict:
    """A credential as shown: named and with its issuer even when the listing gave only the code."""
    known = vocabulary.certifications().get(cert["code"], {})
    return {
        **cert,
        "name": cert.get("name") or known.get("name") or cert["code"],
        "issuer": cert.get("issuer") or known.get("issuer"),
        "valid": derive.is_valid_certification(cert, today),
    }


def result_item(hit: dict, query: SearchQuery, today: date) -> dict:
    src = hit["_source"]
    item = summarize(src, today)
    if query.origin and src.get("location"):
        if query.sort == "distance":
            item["distance_km"] = round(hit["sort"][0], 3)
        else:
            km = arc_km(query.lat, query.lon, src["location"]["lat"], src["location"]["lon"])
            item["distance_km"] = round(km, 3)
    if query.explain:
        item["explain"] = explain_factors(hit, item, query)
    return item


def explain_factors(hit: dict, item: dict, query: SearchQuery) -> dict:
    """Why a result ranked where it did: the factors of the sort=best blend, and the sort key."""
    has_credential = any(c["valid"] for c in item["certifications"])
    factors = {
        "rating": round(RATING_FACTOR * item["rating"]["weighted"], 4),
        "credentials": CREDENTIAL_BOOST if has_credential else 1.0,
        "distance": None
        if item["distance_km"] is None
        else round(gauss_decay(item["distance_km"], query), 4),
    }
    product = factors["rating"] * factors["credentials"] * (factors["distance"] or 1.0)
    score = hit.get("_score")
    text = round(score / product, 4) if query.q and score and product else None
    return {
        "sort": query.sort,
        "sort_values": hit["sort"],
        "score": score,
        "factors": {**factors, "text": text},
    }


def format_facets(aggs: dict) -> dict:
    treatments = vocabulary.treatments()
    certs = vocabulary.certifications()
    return {
        "treatment": [
            {"value": b["key"], "label": treatments.get(b["key"], b["key"]), "count": b["doc_count"]}
            for b in aggs["treatment"]["buckets"]
        ],
        "certification": [
            {
                "value": b["key"],
                "label": certs.get(b["key"], {}).get("name", b["key"]),
                "count": b["clinics"]["doc_count"],
            }
            for b in aggs["certification"]["valid"]["codes"]["buckets"]
        ],
        "rating": [
            {"value": key, "label": f"{key} stars & up", "count": aggs["rating"]["buckets"][key]["doc_count"]}
            for key, _ in RATING_BANDS
        ],
        "price": [
            {"value": key, "label": price_label(lo, hi), "count": aggs["price"]["buckets"][key]["doc_count"]}
            for key, lo, hi in PRICE_BANDS
        ],
    }


def price_label(lo: float | None, hi: float | None) -> str:
    if lo is None:
        return f"Under ${hi:g}"
    if hi is None:
        return f"${lo:g} and up"
    return f"${lo:g}-${hi:g}"


def suggest(client: Elasticsearch, alias: str, text: str, limit: int) -> list[dict]:
    """Completions for what the user has typed: treatments first, then places and clinics."""
    # The completion suggester reserves some control characters (U+001E, U+001F); none can be typed.
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    needle = text.strip().lower()
    if not needle:
        return []
    out = [
        {"text": name, "type": "treatment", "value": code, "url": None}
        for code, name in vocabulary.treatments().items()
        if needle
        and (name.lower().startswith(needle) or code.startswith(needle) or f" {needle}" in name.lower())
    ][: max(2, limit // 3)]
    resp = client.search(
        index=alias,
        source=["id", "slug", "name"],
        suggest={
            "s": {
                "prefix": text,
                "completion": {"field": "suggest", "size": limit * 2, "skip_duplicates": True},
            }
        },
    )
    for option in resp["suggest"]["s"][0]["options"]:
        src = option["_source"]
        if option["text"] == src["name"]:
            out.append(
                {"text": src["name"], "type": "clinic", "value": src["id"], "slug": src["slug"], "url": None}
            )
        else:
            out.append({"text": option["text"], "type": "place", "value": option["text"], "url": None})
    return out[:limit]
