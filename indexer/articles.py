"""The Learn articles' own index, behind the alias `Settings.articles_index`.

Rebuilt the same way as the providers index: a new versioned index, one atomic alias swap,
the new index deleted on failure. Articles are read and validated by `registry.articles`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from elasticsearch import Elasticsearch, helpers

from indexer import index
from indexer.mapping import index_settings
from registry.articles import CONTENT_DIR, Article, ArticleError, load_articles

__all__ = ["CONTENT_DIR", "MAPPING", "ArticleError", "index_articles", "load_articles", "to_document"]

TEXT = {"type": "text"}
MAPPING = {
    "dynamic": "strict",
    "properties": {
        "slug": {"type": "keyword"},
        "title": TEXT,
        "description": TEXT,
        "body": TEXT,
        "treatment": {"type": "keyword"},
        "faq": TEXT,
        "published": {"type": "date"},
        "updated": {"type": "date"},
        "reading_minutes": {"type": "integer"},
    },
}


def to_document(article: Article) -> dict:
    return {
        "slug": article.slug,
        "title": article.title,
        "description": article.description,
        "body": article.body_text,
        "treatment": article.treatment,
        "faq": [f"{item.q}\n{item.a}" for item in article.faq],
        "published": article.published.isoformat(),
        "updated": article.updated.isoformat(),
        "reading_minutes": article.reading_minutes,
    }


def _actions(name: str, articles: Iterable[Article]) -> Iterator[dict]:
    for article in articles:
        yield {"_index": name, "_id": article.slug, "_source": to_document(article)}


def index_articles(
    client: Elasticsearch, alias: str, articles: Iterable[Article], *, shards: int = 1, replicas: int = 0
) -> str:
    """Index articles into a fresh index and swap `alias` to it; return the new index name."""
    settings = {k: v for k, v in index_settings(shards, replicas).items() if k != "analysis"}
    # A handful of documents: any rejected one is a bug in MAPPING, so fail loudly.
    name, _ = index.build_and_swap(
        client, alias, settings, MAPPING, lambda name: helpers.bulk(client, _actions(name, articles))
    )
    return name
