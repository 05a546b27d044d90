"""registry/reviews.py: SQL paging in the orders the API promises; a review never writes its listing."""

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import listings, reviews
from registry.db import now
from registry.derive import Ratings
from registry.models import AuditEntry, Clinic, OutboxEntry


def some_reviews(n: int, seed: int = 5) -> list[dict]:
    """Reviews with many ties: few dates, few ratings, ids that differ in case and punctuation."""
    rng = random.Random(seed)
    ids = rng.sample([f"{a}{b}" for a in "AaZz09._-" for b in "bB1-_."], n)
    return [
        {
            "id": rid,
            "rating": rng.randint(1, 5),
            "title": None,
            "text": f"text {rid}",
            "author": None,
            "date": (date(2026, 1, 1) + timedelta(days=rng.randint(0, 3))).isoformat(),
            "verified": rng.random() < 0.5,
        }
        for rid in ids
    ]


def reference(items: list[dict], sort: str) -> list[dict]:
    """The orders as the API answered them before reviews had a table (Python's sort)."""
    newest = sorted(items, key=lambda r: (r["date"], r["id"]), reverse=True)
    if sort == "newest":
        return newest
    return sorted(newest, key=lambda r: r["rating"], reverse=sort == "highest")


@pytest.mark.parametrize("sort", reviews.SORTS)
def test_pages_follow_the_reference_order_with_its_tie_breaks(engine, sort):
    items = some_reviews(40)
    with Session(engine) as session, session.begin():
        listings.upsert(session, {"id": "c", "name": "C", "reviews": items}, source="feed")
    with Session(engine) as session:
        for size in (1, 7, 40):
            pages = [reviews.page(session, "c", sort, n, size) for n in range(1, 40 // size + 2)]
            assert [r for p in pages for r in p] == reference(items, sort)
        assert reviews.page(session, "c", sort, 99, 10) == []


def test_a_new_review_updates_aggregates_and_search_but_never_the_listing_row(engine):
    items = some_reviews(3)
    with Session(engine) as session, session.begin():
        listings.upsert(session, {"id": "c", "name": "C", "reviews": items}, source="feed")
    with Session(engine) as session:
        row = session.get(Clinic, "c")
        before = (row.record, row.version, row.changed_at)
    start = now()
    new = {"id": "new", "rating": 2, "title": "Meh", "text": "So-so.", "author": "A", "date": "2026-02-01"}
    with Session(engine) as session, session.begin():
        reviews.add(session, "c", new | {"verified": True})
    with Session(engine) as session:
        row = session.get(Clinic, "c")
        assert (row.record, row.version, row.changed_at) == before
        assert listings.get(session, "c").ratings == Ratings.of([*items, new])
        [record] = listings.iter_records(session)
        assert record["reviews"][-1] == new | {"verified": True}
        assert [e.action for e in session.scalars(select(AuditEntry))] == []
        assert [o.clinic_id for o in session.scalars(select(OutboxEntry))] == ["c"]
        assert listings.changed_since(session, start) == ["c"]
