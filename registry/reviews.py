"""Reviews in their own table: feed reviews stored in batches, consumers' reviews one at a time,
paged in SQL for the API and the profile; each listing's aggregates kept incrementally.

A review is a feed review (`kind` "feed", labelled with its source) or a consumer's: a verified
visit (written through the invitation sent after a completed consultation request) or a
confirmed reviewer's (published only once the email address is confirmed). Only `status`
"published" reviews are shown and counted. How consumers' reviews get there is
`registry.consumer_reviews`; this module keeps the rows and the numbers.

Feeds and the partner export still carry a clinic's feed reviews inside its record, exactly as
before (`as_feed_record`). Each listing's aggregates (published reviews per star, and verified
visits per star) live in `review_stats`, so indexing a listing never reads its reviews, and
every change adds or subtracts its own review there (`_count`), so what a change costs does not
grow with the listing's reviews or the store's. A review change writes only the review, the
aggregates (with their own `changed_at`) and an outbox row: never the listing row, so its
version stays (a clinic with the form open gets no conflict) and the audit trail holds no
review text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

import orjson
from sqlalchemy import Table, delete, func, select, tuple_, update
from sqlalchemy.orm import Session

from registry import outbox
from registry.db import now
from registry.derive import Ratings
from registry.models import Review, ReviewStats

FEED, VERIFIED, CONFIRMED = "feed", "verified-visit", "confirmed"
LABELS = {VERIFIED: "Verified visit", CONFIRMED: "Confirmed reviewer"}
PUBLISHED = "published"
SORTS = ("newest", "highest", "lowest", "helpful")
TEXT_FIELDS = ("title", "text", "author")

# Each order as (column, descending) pairs; the last one is unique within a listing, so every
# order is total and a cursor (the last review's values) says exactly where a page ends.
_NEWEST = [(Review.date, True), (Review.review_id, True)]
ORDERS = {
    "newest": _NEWEST,
    "highest": [(Review.rating, True), *_NEWEST],
    "lowest": [(Review.rating, False), *_NEWEST],
    "helpful": [(Review.helpful, True), *_NEWEST],
}


def row_values(review: dict) -> tuple:
    """A validated feed review as (id, rating, date ISO, verified, free text as JSON), for the store."""
    content = {k: review.get(k, "" if k == "text" else None) for k in TEXT_FIELDS}
    if review.get("source"):
        content["source"] = review["source"]
    return (
        review["id"],
        int(review["rating"]),
        str(review["date"]),
        bool(review.get("verified")),
        _json(content),
    )


def _json(value: dict) -> str:
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # lone surrogates: json escapes them
        return json.dumps(value)


# --- feed reviews ----------------------------------------------------------------------------


def store_feed_reviews(
    session: Session, rows: Iterable, changed_at: dt.datetime, replacing: list[str]
) -> None:
    """The reviews and aggregates of feed rows just stored (`registry.listings.FeedRow`); the
    listings in `replacing` lose the feed reviews they had. Consumers' reviews stay, and so do
    their counts: those listings' aggregates change by what the feed took away and brought."""
    rows = list(rows)
    old: dict[str, list[int]] = {}
    if replacing:
        feed_reviews = (Review.clinic_id.in_(replacing), Review.kind == FEED)
        counted = session.execute(
            select(Review.clinic_id, Review.rating, func.count())
            .where(*feed_reviews)
            .group_by(Review.clinic_id, Review.rating)
        )
        for clinic_id, rating, n in counted:
            old.setdefault(clinic_id, [0] * 5)[rating - 1] = n
        session.execute(delete(Review).where(*feed_reviews))
    review_rows = [
        (row.id, position, *review)
        for row in rows
        for position, review in enumerate(row.reviews)  # (id, rating, date, verified, text JSON)
    ]
    if review_rows:
        _insert_tuples(session, Review.__table__, REVIEW_COLUMNS, review_rows)
    if not rows:
        return
    table = ReviewStats.__table__
    # The time as SQLAlchemy would bind it (SQLite: its own text form), worked out once.
    dialect = session.get_bind().dialect
    bind = table.c.changed_at.type.dialect_impl(dialect).bind_processor(dialect)
    stamp = bind(changed_at) if bind else changed_at
    replaced = set(replacing)
    fresh = [(row.id, *row.ratings, stamp) for row in rows if row.id not in replaced]
    if fresh:
        _insert_tuples(session, table, STATS_COLUMNS, fresh)
    deltas = [
        (
            *(new - was for new, was in zip(row.ratings.stars, old.get(row.id, [0] * 5), strict=True)),
            stamp,
            row.id,
        )
        for row in rows
        if row.id in replaced
    ]
    if deltas:
        connection = session.connection()
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        added = ", ".join(f"stars_{n} = stars_{n} + {mark}" for n in range(1, 6))
        connection.exec_driver_sql(
            f"UPDATE {table.name} SET {added}, changed_at = {mark} WHERE clinic_id = {mark}", deltas
        )


# Feed reviews take the defaults of the other columns (kind "feed", published, 0 helpful).
REVIEW_COLUMNS = ("clinic_id", "position", "review_id", "rating", "date", "verified", "content")
STATS_COLUMNS = (
    "clinic_id",
    *(f"stars_{n}" for n in range(1, 6)),
    *(f"verified_{n}" for n in range(1, 6)),
    "changed_at",
)


def _insert_tuples(session: Session, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """One executemany of plain tuples through the driver, for the rows a feed batch brings:
    about 2 µs a row where Core's per-row dicts and type processing take 12 (60,000 reviews,
    SQLite). Values go in as the driver takes them: dates as ISO text, JSON as text."""
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(table.c[name].name for name in columns)
    marks = ", ".join([mark] * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


# --- the aggregates --------------------------------------------------------------------------


def _count(session: Session, clinic_id: str, rating: int, verified: bool, delta: int) -> None:
    """Add `delta` published reviews of `rating` stars (verified visits or not) to the listing's
    aggregates, in one UPDATE that adds to the stored numbers (so concurrent changes add up)."""
    stars = getattr(ReviewStats, f"stars_{rating}")
    changes = {stars: stars + delta, ReviewStats.changed_at: now()}
    if verified:
        column = getattr(ReviewStats, f"verified_{rating}")
        changes[column] = column + delta
    done = session.execute(update(ReviewStats).where(ReviewStats.clinic_id == clinic_id).values(changes))
    if done.rowcount == 0:
        session.add(ReviewStats(clinic_id=clinic_id, **_zero(), changed_at=now()))
        session.flush()
        session.execute(update(ReviewStats).where(ReviewStats.clinic_id == clinic_id).values(changes))


def _zero() -> dict:
    return {column: 0 for column in STATS_COLUMNS[1:-1]}


def change(session: Session, review: Review, *, status: str | None = None, rating: int | None = None) -> None:
    """Give a review a new status and/or rating, keeping its listing's aggregates exact and, when
    what search shows changes, queueing the listing for indexing. In the caller's transaction."""
    before = (review.status == PUBLISHED, review.rating)
    if status is not None:
        review.status = status
    if rating is not None:
        review.rating = rating
    review.changed_at = now()
    after = (review.status == PUBLISHED, review.rating)
    if before == after:
        return
    verified = review.kind == VERIFIED
    if before[0]:
        _count(session, review.clinic_id, before[1], verified, -1)
    if after[0]:
        _count(session, review.clinic_id, after[1], verified, +1)
    outbox.enqueue(session, review.clinic_id)


# --- reading -----------------------------------------------------------------------------------


def label(row: Review) -> str:
    """What a reader is told about where a review comes from."""
    if row.kind == FEED:
        return f"From {row.content.get('source') or 'a partner site'}"
    return LABELS[row.kind]


@dataclass(frozen=True)
class Shown:
    """A published review as the profile and the API show it."""

    key: int  # the row id: what clinics' and readers' forms name
    id: str
    rating: int
    title: str | None
    text: str
    author: str | None
    date: dt.date
    kind: str
    label: str
    treatment: str | None
    visit_month: str | None
    helpful: int
    edited: dt.date | None
    response: str | None
    response_date: dt.date | None

    @property
    def cursor(self) -> list:
        """What a cursor carries to continue after this review (see `after`)."""
        return [self.rating, self.helpful, self.date.isoformat(), self.id]


def shown(row: Review) -> Shown:
    return Shown(
        key=row.id,
        id=row.review_id,
        rating=row.rating,
        title=row.content.get("title"),
        text=row.content.get("text", ""),
        author=row.content.get("author"),
        date=row.date,
        kind=row.kind,
        label=label(row),
        treatment=row.treatment,
        visit_month=row.visit_month,
        helpful=row.helpful,
        edited=row.edited_at.date() if row.edited_at else None,
        response=row.response,
        response_date=row.response_at.date() if row.response_at else None,
    )


def _published(clinic_id: str, verified_only: bool):
    where = [Review.clinic_id == clinic_id, Review.status == PUBLISHED]
    if verified_only:
        where.append(Review.kind == VERIFIED)
    return select(Review).where(*where)


def order_by(sort: str) -> list:
    """ORDER BY clauses of a sort."""
    return [column.desc() if descending else column.asc() for column, descending in ORDERS[sort]]


def page(
    session: Session, clinic_id: str, sort: str, number: int, size: int, verified_only: bool = False
) -> list[Shown]:
    """Page `number` (from 1) of a listing's published reviews: newest first, by rating (highest or
    lowest) or most helpful first, the newest first among equals; ties on the date by review id,
    descending."""
    query = _published(clinic_id, verified_only).order_by(*order_by(sort))
    return _shown(session, query.offset((number - 1) * size).limit(size))


def after(
    session: Session,
    clinic_id: str,
    sort: str,
    size: int,
    last: list | None = None,
    verified_only: bool = False,
) -> list[Shown]:
    """The `size` published reviews that follow `last` (a `Shown.cursor`) in `sort` order: a
    keyset page, however deep it is. ValueError for a `last` that is no cursor.

    Columns sorted the same way compare as one row value: one index range. "lowest" turns from
    ascending (rating) to descending (date, id), which no single range expresses, so it takes
    the rest of the current rating, then the ratings after it: two ranges of its own index.
    """
    query = _published(clinic_id, verified_only).order_by(*order_by(sort))
    if last is None:
        return _shown(session, query.limit(size))
    order, values = ORDERS[sort], _cursor_values(sort, last)
    turn = next((i for i, (_, descending) in enumerate(order) if descending != order[0][1]), len(order))
    if turn == len(order):
        return _shown(session, query.where(_beyond(order, values)).limit(size))
    same = [column == value for (column, _), value in zip(order[:turn], values, strict=False)]
    found = _shown(session, query.where(*same, _beyond(order[turn:], values[turn:])).limit(size))
    if len(found) < size:
        found += _shown(session, query.where(_beyond(order[:turn], values[:turn])).limit(size - len(found)))
    return found


def _shown(session: Session, query) -> list[Shown]:
    return [shown(r) for r in session.scalars(query)]


def _cursor_values(sort: str, last: list) -> list:
    if not (isinstance(last, list) and len(last) == 4):
        raise ValueError("not a review cursor")
    rating, helpful, day, review_id = last
    if not (isinstance(rating, int) and isinstance(helpful, int) and isinstance(review_id, str)):
        raise ValueError("not a review cursor")
    day = dt.date.fromisoformat(day)
    by = {"newest": [], "highest": [rating], "lowest": [rating], "helpful": [helpful]}[sort]
    return [*by, day, review_id]


def _beyond(order: list, values: list):
    """Rows strictly after `values` in `order`, whose columns all sort the same way."""
    columns = [column for column, _ in order]
    key = tuple_(*columns) if len(columns) > 1 else columns[0]
    value = tuple_(*values) if len(values) > 1 else values[0]
    return key < value if order[0][1] else key > value


def of_listings(session: Session, ids: list[str]) -> dict[str, list[dict]]:
    """{listing id: its feed reviews in feed order} for the listings among `ids` that have any."""
    found: dict[str, list[dict]] = {}
    rows = session.scalars(
        select(Review)
        .where(Review.clinic_id.in_(ids), Review.kind == FEED)
        .order_by(Review.clinic_id, Review.position)
    )
    for row in rows:
        found.setdefault(row.clinic_id, []).append(_as_feed_review(row))
    return found


def _as_feed_review(row: Review) -> dict:
    """A stored feed review as feeds send it, fields in the schema's order."""
    review = {
        "id": row.review_id,
        "rating": row.rating,
        "title": row.content.get("title"),
        "text": row.content.get("text", ""),
        "author": row.content.get("author"),
        "date": row.date.isoformat(),
        "verified": row.verified,
    }
    if row.content.get("source"):
        review["source"] = row.content["source"]
    return review


def as_feed_record(record: dict, reviews: list[dict]) -> dict:
    """The record with its reviews where feeds have them: just before `updated_at`, the schema's order."""
    out = {}
    for key, value in record.items():
        if key == "updated_at":
            out["reviews"] = reviews
        out[key] = value
    out.setdefault("reviews", reviews)
    return out


def stats(session: Session, clinic_id: str) -> Ratings:
    """A listing's aggregates (all zero when it has none)."""
    row = session.get(ReviewStats, clinic_id)
    if row is None:
        return Ratings()
    return Ratings(*(getattr(row, column) for column in STATS_COLUMNS[1:-1]))
