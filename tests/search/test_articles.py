"""directory/search/articles.py: article search ranks titles, tolerates typos, takes text as text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from directory.search.articles import search_articles
from registry.articles import load_articles

CONTENT = Path(__file__).resolve().parents[2] / "fixtures" / "content"


def mentioning(word: str) -> set[str]:
    """Slugs of the fixture articles whose text holds `word`, counted without the engine."""
    found = set()
    for a in load_articles(CONTENT):
        text = " ".join([a.title, a.description, a.body_text, *(f"{f.q} {f.a}" for f in a.faq)])
        if re.search(rf"\b{word}\b", text, re.IGNORECASE):
            found.add(a.slug)
    return found


def test_search_ranks_titles_and_tolerates_typos(es, articles_indexed):
    hits = search_articles(es, articles_indexed, "aftercare", limit=3)
    assert hits[0]["slug"] == "microneedling-preparation-and-aftercare"
    assert set(hits[0]) == {"slug", "title", "description", "treatment", "score"}
    # Every article that says the word is counted (close spellings may add more); three are returned.
    assert hits.total >= len(mentioning("aftercare")) > 3 and len(hits) == 3
    assert (
        search_articles(es, articles_indexed, "radiofrequncy", limit=1)[0]["slug"]
        == "rf-microneedling-explained"
    )
    assert (
        search_articles(es, articles_indexed, "PRP", limit=1)[0]["slug"]
        == "microneedling-with-prp-and-serums"
    )


@pytest.mark.parametrize("q", ["<script>alert(1)</script>", 'title:* OR body:"', "{{7*7}} \\ / ( [", "   "])
def test_hostile_search_text_is_just_text(es, articles_indexed, q):
    hits = search_articles(es, articles_indexed, q, limit=10)
    words = re.sub(r"\W+", " ", q)  # what the analyzer keeps of it: the words, not the syntax
    assert [h["slug"] for h in hits] == [h["slug"] for h in search_articles(es, articles_indexed, words, 10)]
    assert all(h["slug"] in {a.slug for a in load_articles(CONTENT)} for h in hits)
