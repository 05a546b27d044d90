"""Article search for the Learn search box and GET /api/v1/articles: a query in, plain hits out."""

from __future__ import annotations

from elasticsearch import Elasticsearch

from directory.search.query import FUZZINESS, PREFIX_LENGTH

# Search fields and boosts: titles weigh most.
ARTICLE_FIELDS = ["title^3", "description^2", "faq", "body"]


def article_query(q: str) -> dict:
    """The Elasticsearch query for a Learn search, with the search core's typo rule."""
    return {
        "multi_match": {
            "query": q,
            "fields": ARTICLE_FIELDS,
            "type": "best_fields",
            "fuzziness": FUZZINESS,
            "prefix_length": PREFIX_LENGTH,
            "operator": "or",
        }
    }


class ArticleHits(list):
    """Search hits as plain dicts, best first; `total` counts every match, returned or not."""

    total: int = 0


def search_articles(client: Elasticsearch, alias: str, q: str, limit: int) -> ArticleHits:
    """Articles matching `q` as dicts with slug, title, description, treatment and score."""
    hits = ArticleHits()
    if not q.strip():
        return hits
    resp = client.search(
        index=alias,
        query=article_query(q),
        size=limit,
        source=["slug", "title", "description", "treatment"],
        track_total_hits=True,
    )
    hits.total = resp["hits"]["total"]["value"]
    hits.extend({**hit["_source"], "score": hit["_score"]} for hit in resp["hits"]["hits"])
    return hits
