"""indexer/articles.py: the articles' own index behind its alias."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from elasticsearch import helpers

from indexer import index
from indexer.articles import MAPPING, index_articles
from registry.articles import load_articles

CONTENT = Path(__file__).resolve().parents[2] / "fixtures" / "content"


@pytest.fixture
def articles_index(es, settings) -> str:
    """This test's articles alias, beside its providers alias; deleted afterwards."""
    name = settings.articles_index
    yield name
    index.delete_alias_and_indices(es, name)


def test_index_articles_builds_a_strict_index_behind_the_alias(es, articles_index):
    articles = load_articles(CONTENT)
    first = index_articles(es, articles_index, articles)
    assert index.indices_behind(es, articles_index) == [first]
    assert es.count(index=articles_index)["count"] == 6
    assert es.indices.get_mapping(index=first)[first]["mappings"] == MAPPING
    doc = es.get(index=articles_index, id="microneedling-preparation-and-aftercare")["_source"]
    assert doc["treatment"] == "microneedling" and doc["published"] == "2026-10-20"
    assert "<" not in doc["body"]

    second = index_articles(es, articles_index, articles[:2])
    assert second != first
    assert index.indices_behind(es, articles_index) == [second]
    assert not es.indices.exists(index=first)
    assert es.count(index=articles_index)["count"] == 2


def test_failed_load_keeps_the_old_index_serving(es, articles_index):
    articles = load_articles(CONTENT)
    serving = index_articles(es, articles_index, articles)
    broken = dataclasses.replace(articles[0], reading_minutes="many")
    with pytest.raises(helpers.BulkIndexError):
        index_articles(es, articles_index, [broken])
    assert index.indices_behind(es, articles_index) == [serving]
    assert list(es.indices.get(index=f"{articles_index}-*").body) == [serving]
