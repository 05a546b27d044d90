"""The search document: index settings, the strict mapping, and record -> document.

The document carries only what search filters, sorts, facets and shows on a result card.
Review texts stay in the store; the document carries their aggregates. Everything here works
on the minimal `integ-test-zip` distribution (no analysis-common, no mapper-extras, no
scripts) and on a full one.

Text is searched in `search.*`: folded and stemmed in Python by `registry.language` (the
node has no asciifolding or stemmers), the same way queries are, so Elasticsearch only splits
it on spaces. A clinic's treatments and verified credentials are indexed with every name the
vocabulary knows them by, so "vampire facial" or "nurse injector" match even as plain text.
"""

from __future__ import annotations

from functools import cache

from registry import derive, provenance, vocabulary
from registry.geocode import STATES
from registry.language import analyze, name_key, words

KEYWORD = {"type": "keyword"}
PRICE = {"properties": {"min": {"type": "float"}, "max": {"type": "float"}, "currency": KEYWORD}}
# Per treatment, per session (registry.derive.session_prices): one object of plain numeric fields
# per treatment of the vocabulary, so "microneedling at most $300 a session" is one range check
# on `treatment_price.microneedling.min` and the cost guides aggregate `...typical`, with no nested
# documents to join. A treatment added to the vocabulary is a mapping change (a rebuild).
SESSION_PRICE = {
    "properties": {
        "min": {"type": "float"},
        "max": {"type": "float"},
        "typical": {"type": "double"},
        "currency": {"type": "keyword", "index": False, "doc_values": False},
        "basis": {"type": "keyword", "index": False, "doc_values": False},
        "sessions": {"type": "integer", "index": False, "doc_values": False},
    }
}
# Provenance of each group of facts (registry.provenance): who last confirmed it and when, for
# the card's "may be out of date" and the administrators' freshness report per metro.
FACT = {"properties": {"source": KEYWORD, "confirmed_at": {"type": "date"}}}
NO_EXPIRY = "9999-12-31"
NOT_INDEXED = {"type": "object", "enabled": False}
# Prepared text: already folded and stemmed, so only split into words. No query here is a
# phrase query, so word positions are not kept.
WORDS = {"type": "text", "analyzer": "words", "index_options": "freqs"}
# Whether a word is there, not how often: a clinic offering six treatments does not match
# "laser" less than one offering one (no length norms, no term frequencies).
TAGS = {**WORDS, "norms": False, "index_options": "docs"}

SETTINGS = {
    # A name is matched by a few of its words: a long name is hardly less relevant for them
    # (BM25's length normalisation b, 0.75 by default, weakened).
    "similarity": {"names": {"type": "BM25", "b": 0.25}},
    "analysis": {
        "normalizer": {"folded": {"type": "custom", "filter": ["lowercase"]}},
        "analyzer": {
            "words": {"type": "custom", "tokenizer": "standard"},
            # Neighbouring words run together: "skinsmith" finds "Skin Smith", "medspa" "Med Spa".
            "joined_words": {"type": "custom", "tokenizer": "standard", "filter": ["joined_pairs"]},
        },
        "filter": {
            "joined_pairs": {
                "type": "shingle",
                "min_shingle_size": 2,
                "max_shingle_size": 2,
                "output_unigrams": False,
                "token_separator": "",
            }
        },
    },
}

MAPPING = {
    "dynamic": "strict",
    # The prepared search text is indexed, not stored: results never show it, and a rebuild
    # reads the store, not the index.
    "_source": {"excludes": ["search"]},
    "properties": {
        "id": KEYWORD,
        "slug": KEYWORD,
        "name": {"type": "text", "fields": {"sort": {"type": "keyword", "normalizer": "folded"}}},
        "treatments": KEYWORD,
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
        "price": PRICE,
        "treatment_price": {"properties": {code: SESSION_PRICE for code in vocabulary.treatments()}},
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
                "verified_count": {"type": "integer"},
                "verified_share": {"type": "float"},
            }
        },
        "search": {
            "properties": {
                "name": {
                    **WORDS,
                    "similarity": "names",
                    "index_prefixes": {"min_chars": 1, "max_chars": 10},
                    "fields": {"joined": {"type": "text", "analyzer": "joined_words"}},
                },
                # The name's words as spelt (folded, not stemmed): an exact spelling ranks first.
                "name_words": TAGS,
                # The whole name as one key: a query that is exactly a clinic's name finds it first.
                "name_key": KEYWORD,
                "treatments": TAGS,
                "credentials": TAGS,
                "place": TAGS,
                "description": WORDS,
            }
        },
        "facts": {"properties": {group: FACT for group in provenance.GROUPS}},
        "updated_at": {"type": "date"},
    },
}


def index_settings(shards: int = 1, replicas: int = 0) -> dict:
    """Settings for a new index (shards and replicas per environment: Settings.index_shards, ...)."""
    return {**SETTINGS, "number_of_shards": shards, "number_of_replicas": replicas}


def to_document(record: dict, ratings: derive.Ratings | None = None, facts: dict | None = None) -> dict:
    """Convert a validated, geocoded, JSON-ready record into its search document.

    `ratings` are a stored listing's review aggregates; without them, the record is one as
    feeds send it and its own `reviews` are counted. `facts` is the listing's provenance
    (registry.provenance); a feed row's document gets it once stored (`with_facts`).
    """
    hours = record.get("hours")
    prices = derive.session_prices(record)
    if ratings is None:
        ratings = derive.Ratings.of(record.get("reviews", []))
    document = {
        "id": record["id"],
        "slug": derive.profile_slug(record),
        "name": record["name"],
        "treatments": record.get("treatments", []),
        "address": derive.address(record),
        "location": record.get("location"),
        "contact": derive.contact(record),
        "hours": hours,
        "timezone": hours["timezone"] if hours else None,
        "open_minutes": derive.week_minutes(hours),
        "price": derive.overall_price(prices, record.get("price_range")),
        "treatment_price": prices,
        "certifications": derive.certifications(record),
        "qualified_until": qualified_until(record.get("certifications", [])),
        "rating": derive.rating_summary(ratings),
        "search": search_text(record),
        "updated_at": record.get("updated_at"),
    }
    if facts is not None:
        document["facts"] = document_facts(facts)
    return document


def document_facts(facts: dict) -> dict:
    """The part of a listing's provenance the search document carries."""
    return {
        group: {"source": entry.get("source"), "confirmed_at": entry.get("confirmed_at")}
        for group, entry in facts.items()
        if group in provenance.GROUPS
    }


def search_text(record: dict) -> dict:
    """The searchable text of a record, folded and stemmed (see the module docstring)."""
    names = _vocabulary_text()
    name_words = words(record["name"])
    address = record["address"]
    held = dict.fromkeys(c["code"] for c in record.get("certifications", []) if c.get("verified"))
    return {
        "name": analyze(record["name"]),
        "name_words": " ".join(name_words),
        "name_key": name_key(name_words),
        "treatments": " ".join(names[code] for code in record.get("treatments", []) if code in names),
        "credentials": " ".join(names[code] for code in held if code in names),
        "place": analyze(f"{address['city']} {address['state']} {STATES.get(address['state'], '')}"),
        "description": analyze(record.get("description") or ""),
    }


@cache
def _vocabulary_text() -> dict[str, str]:
    """Code -> every name of a treatment or credential, analyzed once per process."""
    entries = (*vocabulary.treatment_entries(), *vocabulary.certification_entries())
    return {e["code"]: analyze(" ".join([e["name"], *e.get("aliases", [])])) for e in entries}


def qualified_until(certifications: list[dict]) -> str | None:
    """The latest expiry among verified credentials (ISO dates sort as text), None if none."""
    days = [c.get("expires") or NO_EXPIRY for c in certifications if c.get("verified")]
    return max(days, default=None)
