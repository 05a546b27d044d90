"""The search document: index settings, the strict mapping, and record -> document.

The document carries only what search filters, sorts, facets and shows on a result card.
Review texts stay in the store; the document carries their aggregates. Everything here works
on the minimal `integ-test-zip` distribution (no analysis-common, no mapper-extras, no
scripts) and on a full one.
"""

from __future__ import annotations

from registry import derive, vocabulary

KEYWORD = {"type": "keyword"}
NO_EXPIRY = "9999-12-31"
NOT_INDEXED = {"type": "object", "enabled": False}

SETTINGS = {
    "analysis": {"normalizer": {"folded": {"type": "custom", "filter": ["lowercase"]}}},
}

MAPPING = {
    "dynamic": "strict",
    "properties": {
        "id": KEYWORD,
        "slug": KEYWORD,
        "name": {"type": "text", "fields": {"sort": {"type": "keyword", "normalizer": "folded"}}},
        "description": {"type": "text"},
        "treatments": KEYWORD,
        "treatment_names": {"type": "text"},
        "address": {
            "properties": {
                "street": {"type": "text"},
                "city": {"type": "text", "fields": {"raw": KEYWORD}},
                "state": KEYWORD,
                "postal_code": KEYWORD,
                "country": KEYWORD,
            }
        },
        "location": {"type": "geo_point"},
        "contact": NOT_INDEXED,
        "hours": NOT_INDEXED,
        "timezone": KEYWORD,
        "open_minutes": {"type": "integer_range"},
        "price": {"properties": {"min": {"type": "float"}, "max": {"type": "float"}, "currency": KEYWORD}},
        # Nested so "verified and unexpired" is checked on one certification at query time,
        # against the real date, not against the date the document was indexed.
        "certifications": {
            "type": "nested",
            "properties": {
                "code": KEYWORD,
                "name": {"type": "keyword", "index": False},
                "issuer": {"type": "keyword", "index": False},
                "verified": {"type": "boolean"},
                "expires": {"type": "date"},
            },
        },
        # The last day any verified credential is valid (NO_EXPIRY when one never expires):
        # "has a valid credential today" becomes one range check instead of a nested query.
        "qualified_until": {"type": "date"},
        "rating": {
            "properties": {
                "count": {"type": "integer"},
                "average": {"type": "double"},
                "weighted": {"type": "float"},
                "histogram": NOT_INDEXED,
            }
        },
        "suggest": {"type": "completion", "analyzer": "simple"},
        "updated_at": {"type": "date"},
    },
}


def index_settings(shards: int = 1, replicas: int = 0) -> dict:
    """Settings for a new index (shards and replicas per environment: Settings.index_shards, ...)."""
    return {**SETTINGS, "number_of_shards": shards, "number_of_replicas": replicas}


def to_document(record: dict, ratings: derive.Ratings | None = None) -> dict:
    """Convert a validated, geocoded, JSON-ready record into its search document.

    `ratings` are a stored listing's review aggregates; without them, the record is one as
    feeds send it and its own `reviews` are counted.
    """
    names = vocabulary.treatments()
    address = record["address"]
    hours = record.get("hours")
    if ratings is None:
        ratings = derive.Ratings.of(record.get("reviews", []))
    return {
        "id": record["id"],
        "slug": derive.profile_slug(record),
        "name": record["name"],
        "description": record.get("description") or "",
        "treatments": record.get("treatments", []),
        "treatment_names": [names[t] for t in record.get("treatments", [])],
        "address": derive.address(record),
        "location": record.get("location"),
        "contact": derive.contact(record),
        "hours": hours,
        "timezone": hours["timezone"] if hours else None,
        "open_minutes": derive.week_minutes(hours),
        "price": record.get("price_range"),
        "certifications": derive.certifications(record),
        "qualified_until": qualified_until(record.get("certifications", [])),
        "rating": derive.rating_summary(ratings),
        "suggest": {"input": [record["name"], f"{address['city']}, {address['state']}"]},
        "updated_at": record.get("updated_at"),
    }


def qualified_until(certifications: list[dict]) -> str | None:
    """The latest expiry among verified credentials (ISO dates sort as text), None if none."""
    days = [c.get("expires") or NO_EXPIRY for c in certifications if c.get("verified")]
    return max(days, default=None)
