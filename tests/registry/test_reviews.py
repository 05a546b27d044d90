"""registry/reviews.py: SQL paging in the orders the API promises (offset pages and keyset pages
agree), aggregates kept incrementally and always equal to a recount, and a review never writes
its listing."""

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import consumer_reviews, listings, reviews
from registry.consumer_reviews import Origin
from registry.db import now
from registry.derive import Ratings
from registry.models import AuditEntry, Clinic, OutboxEntry, Review

LISTING = {"id": "c", "name": "C", "address": {"city": "Raleigh", "state": "NC"}}


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


def reference(items: list[dict], sort: str) -> list[str]:
    """The orders as the API answered them before reviews had a table (Python's sort), as ids."""
    newest = sorted(items, key=lambda r: (r["date"], r["id"]), reverse=True)
    if sort in ("newest", "helpful"):  # no votes yet: most helpful is newest first
        return [r["id"] for r in newest]
    return [r["id"] for r in sorted(newest, key=lambda r: r["rating"], reverse=sort == "highest")]


@pytest.mark.parametrize("sort", reviews.SORTS)
def test_pages_follow_the_reference_order_with_its_tie_breaks(engine, sort):
    items = some_reviews(40)
    with Session(engine) as session, session.begin():
        listings.upsert(session, LISTING | {"reviews": items}, source="feed")
    with Session(engine) as session:
        for size in (1, 7, 40):
            pages = [reviews.page(session, "c", sort, n, size) for n in range(1, 40 // size + 2)]
            assert [r.id for p in pages for r in p] == reference(items, sort)
            keyset, last = [], None
            while batch := reviews.after(session, "c", sort, size, last):
                keyset += batch
                last = batch[-1].cursor
            assert [r.id for r in keyset] == reference(items, sort)
        assert reviews.page(session, "c", sort, 99, 10) == []


def confirmed(engine, clinic_id: str, rating: int, text: str, email: str) -> Review:
    """A confirmed reviewer's review, through the real path: submitted, then confirmed."""
    written = {"rating": rating, "title": None, "text": text, "author": "Sam"}
    token = consumer_reviews.submit(engine, clinic_id, written, email, Origin())
    return consumer_reviews.confirm(engine, token).review


def test_a_new_review_updates_aggregates_and_search_but_never_the_listing_row(engine):
    items = some_reviews(3)
    with Session(engine) as session, session.begin():
        listings.upsert(session, LISTING | {"reviews": items}, source="feed")
    with Session(engine) as session:
        row = session.get(Clinic, "c")
        before = (row.record, row.version, row.changed_at)
    start = now()
    review = confirmed(
        engine, "c", 2, "Helpful staff, but the results took longer than promised.", "a@x.test"
    )
    assert review.status == "published"
    with Session(engine) as session:
        row = session.get(Clinic, "c")
        assert (row.record, row.version, row.changed_at) == before
        assert listings.get(session, "c").ratings == Ratings.of([*items, {"rating": 2}])
        [record] = listings.iter_records(session)
        assert [r["id"] for r in record["reviews"]] == [r["id"] for r in items], (
            "the export stays feed-shaped"
        )
        assert [e.action for e in session.scalars(select(AuditEntry))] == []
        assert [o.clinic_id for o in session.scalars(select(OutboxEntry))] == ["c"]
        assert listings.changed_since(session, start) == ["c"]


def recount(session: Session, clinic_id: str) -> Ratings:
    """The aggregates computed from scratch: what the incremental ones must always equal."""
    stars, verified = [0] * 5, [0] * 5
    for rating, kind, n in session.execute(
        select(Review.rating, Review.kind, func.count())
        .where(Review.clinic_id == clinic_id, Review.status == "published")
        .group_by(Review.rating, Review.kind)
    ):
        stars[rating - 1] += n
        if kind == reviews.VERIFIED:
            verified[rating - 1] += n
    return Ratings(*stars, *verified)


def test_aggregates_stay_equal_to_a_recount_through_every_kind_of_change(engine):
    rng = random.Random(11)
    with Session(engine) as session, session.begin():
        listings.upsert(session, LISTING | {"reviews": some_reviews(12)}, source="feed")
    keys = []
    for i in range(40):
        step = rng.choice(["new", "new", "rating", "status", "feed"])
        with Session(engine) as session, session.begin():
            if step == "new" or not keys:
                kind = rng.choice([reviews.VERIFIED, reviews.CONFIRMED])
                row = Review(
                    clinic_id="c",
                    position=0,
                    review_id=f"pd:{i}",
                    rating=rng.randint(1, 5),
                    date=date(2026, 2, 1),
                    verified=False,
                    content={"text": "x"},
                    kind=kind,
                    status="unconfirmed",
                    helpful=0,
                )
                session.add(row)
                session.flush()
                keys.append(row.id)
                reviews.change(session, row, status=rng.choice(["published", "held"]))
            elif step == "rating":
                reviews.change(session, session.get(Review, rng.choice(keys)), rating=rng.randint(1, 5))
            elif step == "status":
                new = rng.choice(["published", "held", "removed", "deleted"])
                reviews.change(session, session.get(Review, rng.choice(keys)), status=new)
            else:  # a feed re-import replaces the feed's reviews, never the consumers'
                listings.upsert(
                    session, LISTING | {"reviews": some_reviews(rng.randint(0, 20), i)}, source="feed"
                )
        with Session(engine) as session:
            assert listings.get(session, "c").ratings == recount(session, "c"), f"after step {i}: {step}"
    with Session(engine) as session:
        assert recount(session, "c").verified.count > 0
