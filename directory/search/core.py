"""The search core: a validated query in, plain results out. Views and the API call only this."""

from __future__ import annotations

import math
import time
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from elasticsearch import ApiError, BadRequestError, Elasticsearch
from elasticsearch.exceptions import HTTP_EXCEPTIONS

from directory.search import cursor, prices
from directory.search.errors import CursorError, PlaceNotFound
from directory.search.prices import PRICE_BANDS
from directory.search.query import (
    CREDENTIAL_BOOST,
    RATING_BANDS,
    RATING_FACTOR,
    SearchQuery,
    count_requests,
    gauss_decay,
    search_requests,
    sort_clause,
    suggest_query,
)
from directory.search.understand import (
    Mention,
    PlaceMention,
    complete_vocabulary,
    headline,
    relaxations,
    understand,
)
from registry import derive, places, vocabulary
from registry.derive import Ratings
from registry.language import words
from registry.places import Area

# Elasticsearch's arc distance uses this mean Earth radius; using it here keeps a listed
# distance consistent with the radius filter (it differs from the WGS84 geodesic by <0.5%).
EARTH_RADIUS_KM = 6371.0087714
ZONES_TTL = 60.0
# Autocomplete offers places this big before clinics, smaller ones after them.
SUGGEST_CITY_POPULATION = 100_000
# At most this many relaxed readings are tried when a search finds nothing.
MAX_RELAXATIONS = 4


@dataclass
class Results:
    total: int
    items: list[dict]
    next_cursor: str | None
    facets: dict | None
    origin: dict | None = None
    interpreted: dict | None = None


def understand_query(query: SearchQuery, geocoder) -> SearchQuery:
    """The one query-understanding step, for the API, the pages and autocomplete alike.

    Resolves the place box (`location`) and reads `q` (see `understand.py`): treatments and
    credentials named become filters, a place named in `q` becomes the search centre when no
    other place was given, and the words left are the text to match.
    """
    if query.location and query.lat is None:
        query.place = resolve_location(query.location, geocoder)
        if query.place.area.kind == "state":
            query.state = query.place.area.state
        else:
            query.lat, query.lon = query.place.area.lat, query.place.area.lon
    place_given = query.place is not None or query.lat is not None or query.bbox is not None
    query.reading = understand(query.q, place_given=place_given, literal=query.literal)
    return query


def resolve_location(text: str, geocoder) -> PlaceMention:
    """The place a place box names: a place people call so, else an address; or PlaceNotFound."""
    found = places.resolve(words(text))
    if found is not None:
        return PlaceMention(found.area, text, cued=True, alternatives=found.alternatives)
    location = geocoder.geocode(text)
    if location is None:
        raise PlaceNotFound(text, [a.label for a in places.suggest_places(text)])
    raw = location.raw if isinstance(location.raw, dict) else {}
    state = raw.get("state") or ""
    area = Area(location.address, state, location.latitude, location.longitude, kind="address")
    return PlaceMention(area, text, cued=True)


def interpreted(query: SearchQuery) -> dict:
    """What the search understood, for partners and the page ("Botox providers near Tampa, FL")."""
    reading = query.reading or understand(None)
    place = query.place or reading.place
    return {
        "query": query.q or "",
        "literal": reading.literal,
        "treatments": [_mention(m) for m in reading.mentions if m.kind == "treatment"],
        "credentials": [_mention(m) for m in reading.mentions if m.kind == "credential"],
        "qualified": reading.qualified,
        "place": None if place is None else _place(place, "location" if query.place else "q"),
        "alternatives": [] if place is None else [_area(a) for a in place.alternatives],
        "text": reading.text,
        "optional": list(reading.optional),
        "ignored": list(reading.ignored),
        "dropped": list(reading.dropped),
        "headline": headline(reading, place.area if place else None, query.treatment, query.certification),
    }


def _mention(m: Mention) -> dict:
    names = vocabulary.treatments() if m.kind == "treatment" else vocabulary.certification_names()
    codes = list(m.codes)
    return {"codes": codes, "names": [names[c] for c in codes], "text": m.text, "corrected": m.corrected}


def _area(area: Area) -> dict:
    label, state = area.label, area.state or None
    return {"label": label, "kind": area.kind, "state": state, "lat": area.lat, "lon": area.lon}


def _place(place: PlaceMention, source: str) -> dict:
    return {**_area(place.area), "text": place.text, "source": source, "corrected": place.corrected}


_zones: dict[str, tuple[float, list[str]]] = {}


def time_zones(client: Elasticsearch, alias: str) -> list[str]:
    """Time zones present in the index, cached briefly (open_now needs one clause per zone)."""
    cached = _zones.get(alias)
    if cached and time.monotonic() - cached[0] < ZONES_TTL:
        return cached[1]
    resp = client.search(index=alias, size=0, aggs={"z": {"terms": {"field": "timezone", "size": 500}}})
    every_shard(resp.body, resp.meta)
    zones = sorted(b["key"] for b in resp["aggregations"]["z"]["buckets"])
    _zones[alias] = (time.monotonic(), zones)
    return zones


def search(client: Elasticsearch, alias: str, query: SearchQuery, now: datetime | None = None) -> Results:
    """Run `query` (understood by `understand_query`) against the index behind `alias`.

    When the words of `q` find nothing, the relaxed readings are tried in turn (see
    `understand.relaxations`) and the answer says which words were dropped.
    """
    now = now or datetime.now(UTC)
    if query.reading is None:  # built by hand, not by understand_query: read q here
        given = query.lat is not None or query.bbox is not None or query.state is not None
        query = replace(query, reading=understand(query.q, place_given=given, literal=query.literal))
    results = search_once(client, alias, query, now)
    if results.total == 0 and query.reading is not None:
        candidates = [replace(query, reading=r) for r in relaxations(query.reading)[:MAX_RELAXATIONS]]
        if candidates:
            # One round trip counts what each relaxed reading would find; the first that finds
            # anything is searched.
            zones = time_zones(client, alias) if query.open_now else []
            counts = msearch(client, count_requests(alias, candidates, now, zones))
            for candidate, counted in zip(candidates, counts, strict=True):
                if counted["hits"]["total"]["value"]:
                    query, results = candidate, search_once(client, alias, candidate, now)
                    break
    results.interpreted = interpreted(query)
    return results


def search_once(client: Elasticsearch, alias: str, query: SearchQuery, now: datetime) -> Results:
    after = (
        cursor.decode(query.cursor, query.fingerprint(), len(sort_clause(query))) if query.cursor else None
    )
    zones = time_zones(client, alias) if query.open_now else []
    try:
        page, *counted = msearch(client, search_requests(alias, query, now, zones, after))
    except BadRequestError as err:
        if after is None:
            raise
        # A forged cursor of the right shape but with values of the wrong kinds.
        raise CursorError("This cursor is not valid; start again from the first page.") from err
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
        every_shard(answer, resp.meta)
    return resp["responses"]


def every_shard(answer: dict, meta) -> None:
    """Refuse partial results as unavailable (503) rather than show them as the whole answer.

    Elasticsearch answers 200 with the hits of the shards that did respond when a shard copy
    is lost mid-search (its node died between the query and the fetch phase): a page short of
    clinics and without a next cursor. On the local cluster up to five searches of each node
    loss (tests/cluster/test_node_loss.py); the next search goes to the surviving copy.
    """
    shards = answer["_shards"]
    if shards["failed"]:
        reasons = "; ".join(str(f.get("reason", f)) for f in shards.get("failures", []))[:500]
        message = f"{shards['failed']} of {shards['total']} shards failed: {reasons}"
        raise ApiError(message=message, meta=replace(meta, status=503), body=answer)


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
        src.get("treatment_price") or {},
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
        derive.overall_price(prices := derive.session_prices(record), record.get("price_range")),
        prices,
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
    session_prices,
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
            # Documents indexed before verified visits existed lack these until the next rebuild.
            "verified_count": rating.get("verified_count", 0),
            "verified_share": rating.get("verified_share"),
        },
        "certifications": [public_credential(c, today) for c in certifications],
        "treatments": [{"code": t, "name": vocabulary.treatments().get(t, t)} for t in treatments],
        "price_range": price,
        "session_prices": session_prices,
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
    item["price"] = prices.card_price(src, query.treatment[0] if query.treatment else None)
    item["facts"] = src.get("facts") or {}  # who confirmed each group of facts, and when
    if query.origin and src.get("location"):
        if query.sort == "distance":
            item["distance_km"] = round(hit["sort"][0], 3)
        else:
            origin = query.origin
            km = arc_km(origin["lat"], origin["lon"], src["location"]["lat"], src["location"]["lon"])
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
    text = round(score / product, 4) if query.has_text and score and product else None
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


def suggest(
    client: Elasticsearch, alias: str, text: str, limit: int, origin: dict | None = None
) -> list[dict]:
    """Completions for what the user has typed: treatments and credentials (by any name people
    use for them), places the search resolves, then clinics by the start of any word of their
    name, typos tolerated; nearer clinics first when `origin` is known."""
    # The search box may hold control characters pasted in; none means anything.
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    if not words(text):
        return []
    out: list[dict] = []
    for meaning, _ in complete_vocabulary(text):
        for code in meaning.codes:
            out.append(_vocabulary_item(meaning.kind, code))
    out = list({item["value"]: item for item in out}.values())[: max(2, limit // 3)]
    found = places.complete(text, limit=max(2, limit // 3))
    # A prefix more likely names a city than a small town; clinics come between the two.
    towns = [_place_item(a) for a in found if a.population < SUGGEST_CITY_POPULATION]
    out += [_place_item(a) for a in found if a.population >= SUGGEST_CITY_POPULATION]
    resp = client.search(
        index=alias,
        query=suggest_query(text, origin),
        size=limit,
        source=["id", "slug", "name"],
    )
    for hit in resp["hits"]["hits"]:
        src = hit["_source"]
        item = {"text": src["name"], "type": "clinic", "value": src["id"], "slug": src["slug"], "url": None}
        out.append(item)
    return (out + towns)[:limit]


def _place_item(area: Area) -> dict:
    return {"text": area.label, "type": "place", "value": area.label, "url": None}


def _vocabulary_item(kind: str, code: str) -> dict:
    names = vocabulary.treatments() if kind == "treatment" else vocabulary.certification_names()
    return {"text": names[code], "type": kind, "value": code, "url": None}
